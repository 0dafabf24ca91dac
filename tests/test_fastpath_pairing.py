"""Round 6's cuts of a warm configuration (fastpath.py, reference/compiled.py, network.py): the
pairing of the two generated functions' fields, the key reader's inline roundings and the quick
resolution of plain values. Each is held to what it replaces: the full field-by-field comparison,
the reference's own `_channels`, and `resolve_values`' general path."""

import random
import types
from fractions import Fraction

import pytest

import costmodel
from costmodel import CheckError, SpecError, fastpath
from costmodel.network import _plain_values, resolve_values
from costmodel.reference import compiled, propagate


def compiled_network(name="mobilenet_cifar"):
    net = costmodel.load_network(name)
    for _ in range(fastpath.FAST_AFTER):
        net.evaluate()
    assert net._fast
    return net


def recorded(net, alpha=Fraction(3, 4)):
    """The network after configurations near `alpha` (delta 1): a recording past its checked answers."""
    for k in range(compiled.CHECKED + 3):
        net.evaluate({"alpha": alpha + Fraction(k, 1000)})
    ref = net._fast.reference
    [variant] = ref.replays.variants[ref.replays.fixed_of(ref.key(net.values({"alpha": alpha})))]
    assert variant.unchecked == 0
    return ref, variant


def test_every_field_is_decided_by_a_compared_pair():
    """Each field j of the rows: the closed forms give it as the name (or literal) a_j, the
    recording as b_j. The numbers compared hold every pair (a, b) but those of two equal literals:
    so equal compared numbers mean equal rows."""
    net = compiled_network()
    ref, variant = recorded(net)
    fast = net._fast
    net.evaluate({"alpha": Fraction(3, 4) + Fraction(7, 1000)})  # a fresh replay: its pairing is made
    layout, function, pairing = fast.pairings[variant]
    assert layout is fast.fixed and function is fast.function
    ours, theirs = fast.function.outputs, variant.outputs
    ours_returned, theirs_returned = fast.function.returned, variant.returned
    compared = set(zip([ours_returned[i] for i in pairing.ours(range(len(ours_returned)))],
                       [theirs_returned[k] for k in pairing.theirs(range(len(theirs_returned)))]))
    assert len(theirs) == compiled.WIDTH * len(layout.names) == 85 * compiled.WIDTH  # MobileNet-CIFAR's 85 layers
    for j, b in enumerate(theirs):
        a = ours[layout.positions[j]]
        both_literal = a.strip("()-").isdigit() and b.strip("()-").isdigit() and int(a.strip("()")) == int(b.strip("()"))
        assert (a, b) in compared or both_literal, j
    assert pairing.count == len(compared) < len(theirs) // 4  # some 72 of 680
    # each function returns each of its distinct numbers once: some 80, not 680
    assert len(theirs_returned) == len(set(theirs)) < len(theirs) // 4
    assert len(ours_returned) == len(set(ours[:len(ours) - 4])) + 4


def test_a_fresh_replay_gives_the_walks_rows_through_the_pairing():
    net = compiled_network()
    recorded(net)
    slow = costmodel.load_network("mobilenet_cifar")
    slow._fast = False
    r = random.Random(3)
    for _ in range(30):
        values = {"alpha": Fraction(r.randint(700, 800), 1000), "delta": 1}
        got, expected = net.evaluate(values), slow.evaluate(values)
        assert (got.totals, got.rows) == (expected.totals, expected.rows)
    assert net._fast.reference.replays.replayed >= 20


def test_a_wrong_line_in_a_recording_is_caught_by_the_pairing():
    """The recording's code with one multiplication changed, compiled, its `outputs` (so the
    pairing is used): a field computed from that line differs, and the check names the layer."""
    net = compiled_network()
    ref, variant = recorded(net)
    line = next(t for t in variant.code.splitlines() if " = a0 * " in t)  # conv1's filters times a constant
    wrong = variant.code.replace(line, line + " + 1", 1)
    namespace: dict = {}
    exec(compile(wrong, "<wrong replay>", "exec"), namespace)  # noqa: S102 - the test's own code
    variant.function = variant.described = namespace["replay"]  # the same outputs: the pairing holds
    with pytest.raises(CheckError, match=r"layer \d+ '[a-z0-9_]+' \(\w+\): \w+ symbolic \d+ != reference"):
        net.evaluate({"alpha": Fraction(3, 4) + Fraction(8, 1000)})


def test_a_tampered_constant_field_is_caught_when_the_function_is_not_the_described_one():
    """A function without `outputs` (here a wrapper changing conv1's height, a literal 16 in both
    generated functions) is compared field by field."""
    net = compiled_network()
    ref, variant = recorded(net)
    honest = variant.function
    variant.function = lambda *a: (lambda n, t: ((n[0] + 1, *n[1:]), t))(*honest(*a))
    with pytest.raises(CheckError, match=r"layer 1 'conv1' \(conv\): shape symbolic"):
        net.evaluate({"alpha": Fraction(3, 4) + Fraction(9, 1000)})


def test_a_kept_row_of_a_recording_forged_in_a_computed_field_is_caught():
    net = compiled_network()
    ref, variant = recorded(net)
    values = {"alpha": Fraction(3, 4) + Fraction(1, 1000)}  # floor(32 * alpha) = 24, as the recorded ones
    for _ in range(compiled.REMEMBER_AFTER + 1):
        net.evaluate(values)
    key = ref.key(net.values(values))
    (names, numbers, totals), source = ref.memo[key]
    assert source is variant  # kept with the recording that returned them
    k = variant.returned.index(variant.outputs[5])  # where the recording returns conv1's MACs
    ref.memo[key] = ((names, (*numbers[:k], numbers[k] + 1, *numbers[k + 1:]), totals), source)
    with pytest.raises(CheckError, match=r"layer 1 'conv1' \(conv\): macs symbolic \d+ != reference"):
        net.evaluate(values)


def test_a_closed_form_total_that_differs_is_caught_through_the_pairing():
    net = compiled_network()
    recorded(net)
    fast = net._fast
    honest = fast.function

    def more_params(*args):  # the params total one more; the same described fields
        out = honest(*args)
        return (*out[:-4], out[-4] + 1, *out[-3:])
    more_params.outputs, more_params.returned = honest.outputs, honest.returned
    fast.function = more_params
    with pytest.raises(CheckError, match="total params: closed form"):
        net.evaluate({"alpha": Fraction(3, 4) + Fraction(2, 1000)})


# --- the key's inline roundings ---------------------------------------------------------------

ROUNDINGS = ("floor", "ceil", "nearest", "none", "multiple_of_8")


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_the_keys_roundings_are_the_references(rounding):
    """The key rounds each channel count in integer arithmetic; the reference's `_channels`
    (key_slowly) is the judge, refusals included: where it refuses, the key is None."""
    spec = costmodel.loads(
        "input: [8, 8, 3]\nsymbols: {alpha: 1, beta: 1}\n"
        f"rounding: {rounding}\nlayers:\n"
        "  - {type: conv, filters: 12*alpha - 2*beta, kernel: 1}\n"
        "  - {type: pointwise, filters: 7*alpha*beta}\n"
        "  - {type: dense, units: 10*beta}\n", file="r.yaml")
    ref = compiled.Specialised(spec)
    r = random.Random(rounding)
    answered = refused = 0
    for _ in range(200):
        values = {"alpha": Fraction(r.randint(1, 40), r.choice([1, 2, 3, 4, 7, 8])),
                  "beta": Fraction(r.randint(1, 12), r.choice([1, 2, 4, 5]))}
        try:
            expected = ref.key_slowly(values)
        except SpecError:
            assert ref.key(values) is None, values
            with pytest.raises(SpecError):
                ref.rows(values)
            refused += 1
            continue
        assert ref.key(values) == expected, values
        assert ref.rows(values) == compiled.flat(propagate(spec, values))
        answered += 1
    assert answered >= 20 and refused >= 5


def test_a_half_rounds_up_and_a_count_below_one_is_refused():
    spec = costmodel.loads("input: [4, 4, 3]\nsymbols: {alpha: 1}\nrounding: nearest\nlayers:\n"
                           "  - {type: conv, filters: 3*alpha, kernel: 1}\n", file="h.yaml")
    ref = compiled.Specialised(spec)
    assert ref.key({"alpha": Fraction(1, 2)}) == (2,)  # 3/2 rounds up to 2
    assert ref.key({"alpha": Fraction(1, 6)}) == (1,)  # 1/2 rounds up to 1
    assert ref.key({"alpha": Fraction(1, 7)}) is None  # 3/7 rounds to 0 channels: refused by the walk


# --- the quick resolution of plain values -------------------------------------------------------


def slowly(spec, overrides):
    """resolve_values' general path (a Mapping that is not a dict skips the quick one)."""
    try:
        return resolve_values(spec, types.MappingProxyType(dict(overrides)))
    except (SpecError, TypeError) as e:
        return ("refused", type(e).__name__, str(e))


def quickly(spec, overrides):
    try:
        return resolve_values(spec, overrides)
    except (SpecError, TypeError) as e:
        return ("refused", type(e).__name__, str(e))


def test_plain_values_resolve_as_the_general_path_does():
    spec = costmodel.load_network("mobilenet_cifar").spec
    cases = [{}, {"alpha": Fraction(3, 4)}, {"alpha": 2, "delta": 3}, {"classes": 100},
             {"alpha": Fraction(10**6)}, {"alpha": Fraction(10**6 + 1)}, {"alpha": 10**6 + 1},
             {"alpha": 0}, {"alpha": -1}, {"alpha": Fraction(-1, 2)}, {"delta": Fraction(1, 2)},
             {"delta": Fraction(4, 2)}, {"alpha": Fraction(1, 2**64 + 1)}, {"alpha": Fraction(1, 2**63)},
             {"gamma": 1}, {"alpha": True}, {"alpha": 0.75}, {"alpha": "3/4"}, {"alpha": None}]
    for overrides in cases:
        expected = slowly(spec, overrides)
        assert quickly(spec, overrides) == expected, overrides
        if isinstance(expected, dict):
            assert all(type(v) is Fraction for v in expected.values())
            assert list(expected) == list(spec.symbols)
    assert _plain_values(spec, {"alpha": 0.75}) is None  # not an int or a Fraction: the general path decides
    assert _plain_values(spec, {"alpha": Fraction(3, 4)}) == {"alpha": Fraction(3, 4), "delta": 1, "classes": 10}


def test_a_spec_with_options_or_a_preset_takes_the_general_path():
    net = costmodel.load_network("imagenet/efficientnet")
    preset = next(iter(net.spec.presets))
    assert quickly(net.spec, {}) == slowly(net.spec, {})
    assert net.values({}, preset) == resolve_values(net.spec, types.MappingProxyType({}), preset)


# --- the generated code's own economies ----------------------------------------------------------


def test_guards_on_one_traced_int_merge_into_its_bounds():
    """`x <= 0` false, `x < 1` false, `x > 8` true, `x > 4` true and `x > 2**40` false are, on ints,
    9 <= x <= 2**40: one test. Held to the guards themselves on every int from -3 to 40, and at
    the bounds."""
    from costmodel.reference import traced
    trace = traced._Trace()
    x = traced.Traced(12, "a0", trace)
    y = traced.Traced(3, "a1", trace)
    assert not x <= 0 and not x < 1 and x > 8 and x > 4 and not x > 2**40 and x >= 9 and x != y and (-2) < y
    [bound_x, bound_y] = [g for g in traced._merged(trace.guards) if g[1] != "a0 != a1"]
    assert bound_x[1:] == (f"9 <= a0 <= {2**40}", True, ("a0",)) and bound_y[1:] == ("(-1) <= a1", True, ("a1",))
    assert [g[1] for g in traced._merged(trace.guards)].count("a0 != a1") == 1  # two traced ints: as it was
    for value in [*range(-3, 41), 2**40, 2**40 + 1]:
        each = all(eval(code.replace("a0", repr(value))) == outcome  # noqa: S307 - the test's own text
                   for _, code, outcome, operands in trace.guards if operands == ("a0", operands[1]) and
                   traced._integer(operands[1]) is not None)
        assert each == (9 <= value <= 2**40), value


def test_a_multiple_of_a_product_shares_the_product():
    """k * x * y is printed as k * (x * y): exact, the same numbers as sympy's, one line per multiple."""
    import sympy
    x, y, z = sympy.symbols("x y z", positive=True)
    forms = [6 * x * y, -3 * x * y, sympy.Rational(1, 2) * x * y * z, 9 * x * y * z, x * y]
    printer = fastpath._Printer([x, y, z])
    function = printer.function(forms)
    # x*y, then 6 and -3 times it; x*y*z, then 1/2 and 9 times it: six lines, one for each product
    assert [line.split(" = ")[1] for line in printer.lines] == ["v0 * v1", "6 * t0", "(-3) * t0", "v0 * v1 * v2",
                                                               printer.lines[4].split(" = ")[1], "9 * t3"]
    assert printer.lines[4].endswith(" * t3")  # a Fraction constant times x*y*z
    for vx, vy, vz in [(Fraction(1, 3), Fraction(7, 2), Fraction(5)), (Fraction(2), Fraction(3), Fraction(4, 9))]:
        args = [vx, vy, vz, vx.numerator, vx.denominator, vy.numerator, vy.denominator, vz.numerator, vz.denominator]
        exact = [f.subs({x: sympy.Rational(vx.numerator, vx.denominator), y: sympy.Rational(vy.numerator, vy.denominator),
                         z: sympy.Rational(vz.numerator, vz.denominator)}) for f in forms]
        assert list(function(*args)) == [Fraction(int(v.p), int(v.q)) for v in exact]
