"""The warm fast path of Network.evaluate (fastpath.py, reference/compiled.py): the same numbers and
the same refusals as the slow path, and a tampered side is caught. Not timed (benchmarks/run.py is)."""

import random
from fractions import Fraction

import pytest

import costmodel
from costmodel import CheckError, SpecError, fastpath
from costmodel.reference import compiled

# (spec, preset, a function of a Random giving values): widths, resolutions, depths, classes
CASES = [
    ("mobilenet_cifar", None, lambda r: {"alpha": Fraction(r.randint(100, 1500), 1000), "delta": r.randint(1, 3),
                                          "classes": r.randint(2, 100)}),
    ("imagenet/mobilenet_v2", None, lambda r: {"alpha": Fraction(r.randint(20, 150), 100),
                                                "resolution": r.choice([96, 128, 160, 192, 224, 225])}),
    ("imagenet/efficientnet", "efficientnet_b0", lambda r: {"alpha": Fraction(r.randint(80, 200), 100),
                                                            "depth": Fraction(r.randint(80, 250), 100)}),
    ("imagenet/resnet_bottleneck", "resnet50", lambda r: {"d1": r.randint(1, 3), "d3": r.randint(1, 6),
                                                          "resolution": r.choice([64, 112, 224, 100])}),
    ("imagenet/regnet_y", "regnet_y_400mf", lambda r: {"d2": r.randint(1, 4), "resolution": r.choice([128, 224])}),
    ("imagenet/shufflenet_v2", "shufflenet_v2_x1_0", lambda r: {"resolution": r.choice([64, 224, 97])}),
]


def compiled_network(name):
    net = costmodel.load_network(name)
    for _ in range(fastpath.FAST_AFTER):
        net.evaluate()
    assert net._fast, f"{name}: no fast path"
    return net


def slow_network(name):
    net = costmodel.load_network(name)
    net._fast = False  # never compiles: the formulas on plain numbers and the whole reference walk
    return net


def outcome(net, values, preset):
    try:
        e = net.evaluate(values, preset=preset)
    except SpecError as error:
        return ("refused", str(error))
    return (e.totals, e.rows, e.layer_specs)


@pytest.mark.parametrize("name, preset, draw", CASES, ids=[c[0] for c in CASES])
def test_the_fast_path_gives_the_slow_paths_numbers_and_refusals(name, preset, draw):
    fast, slow = compiled_network(name), slow_network(name)
    r = random.Random(name)
    configurations = [draw(r) for _ in range(40)]
    configurations += configurations[:10]  # seen again: the reference's remembered rows
    seen = {"refused": 0, "numbers": 0}
    for values in configurations:
        got, expected = outcome(fast, values, preset), outcome(slow, values, preset)
        assert got == expected, values
        seen["refused" if got[0] == "refused" else "numbers"] += 1
    assert seen["numbers"] >= 10


def test_refusals_are_the_references_own():
    fast, slow = compiled_network("mobilenet_cifar"), slow_network("mobilenet_cifar")
    # floor(32 * 1/64) = 0 channels; delta = 1/2 is not whole; a 0-size value is refused before either side
    for values in ({"alpha": Fraction(1, 64)}, {"delta": Fraction(1, 2)}, {"classes": 10**7}, {"alpha": 0}):
        with pytest.raises(SpecError) as a:
            fast.evaluate(values)
        with pytest.raises(SpecError) as b:
            slow.evaluate(values)
        assert str(a.value) == str(b.value)
    with pytest.raises(SpecError, match="filters must be a positive integer, got 0"):
        fast.evaluate({"alpha": Fraction(1, 64)})


def test_the_generated_key_reads_what_the_reference_reads():
    for name, _, draw in CASES[:3]:
        spec = costmodel.load_network(name).spec
        ref = compiled.Specialised(spec)
        r = random.Random(1)
        for _ in range(30):
            values = {**spec.defaults(), **{k: Fraction(v) for k, v in draw(r).items()}}
            try:
                slowly = ref.key_slowly(values)
            except SpecError:
                continue
            assert ref.key(values) == slowly


def test_mobilenet_cifars_key_is_eight_numbers():
    # 32, 64, 128, 256, 512, 1024 times alpha floored, delta, classes: the rows depend on nothing else
    ref = compiled.Specialised(costmodel.load_network("mobilenet_cifar").spec)
    values = {"alpha": Fraction(1, 2), "delta": Fraction(2), "classes": Fraction(10)}
    assert sorted(ref.key(values), key=float) == sorted([16, 32, 64, 128, 256, 512, 2, 10], key=float)


def test_a_tampered_closed_form_side_is_caught():
    net = compiled_network("mobilenet_cifar")
    honest = net._fast.function

    macs = honest.returned.index(honest.outputs[5])  # where it returns layer 1's MACs (field 5 of the first layer)

    def one_mac_more(*args):  # that number plus one
        out = list(honest(*args))
        out[macs] += 1
        return tuple(out)
    net.evaluate({"alpha": Fraction(1, 2)})  # agreed once, honestly: the same rows come back below
    net._fast.function = one_mac_more
    for alpha in (Fraction(3, 4), Fraction(1, 2)):
        with pytest.raises(CheckError, match=r"layer 1 'conv1' \(conv\): macs symbolic \d+ != reference"):
            net.evaluate({"alpha": alpha})


def test_a_tampered_closed_form_total_is_caught():
    net = compiled_network("mobilenet_cifar")
    honest = net._fast.function
    net._fast.function = lambda *args: (*honest(*args)[:-1], honest(*args)[-1] + 1)  # floats out total
    with pytest.raises(CheckError, match="total floats_out: closed form"):
        net.evaluate({"alpha": Fraction(3, 4)})


def test_a_tampered_remembered_reference_row_is_caught():
    net = compiled_network("mobilenet_cifar")
    values = {"alpha": Fraction(5, 8)}
    for _ in range(compiled.REMEMBER_AFTER + 1):
        net.evaluate(values)  # replayed, then its rows remembered
    ref = net._fast.reference
    key = ref.key(net.values(values))
    (names, numbers, totals), source = ref.memo[key]
    assert source is None  # walked (the second walk at these fixed numbers, recorded after it)
    ref.memo[key] = ((names, (numbers[0] + 1, *numbers[1:]), totals), source)  # layer 1's height
    with pytest.raises(CheckError, match=r"layer 1 'conv1' \(conv\): shape symbolic"):
        net.evaluate(values)


def test_rows_are_made_when_read_and_equal_the_totals():
    net = compiled_network("mobilenet_cifar")
    e = net.evaluate({"alpha": Fraction(1, 2), "delta": 2})
    assert e.totals.macs == sum(row.macs for row in e.rows)
    assert e.totals.params == sum(row.params for row in e.rows)
    # the first conv: 3x3 kernels over 3 channels, floor(32 * 1/2) = 16 filters on a 16x16 grid, no bias
    assert e.rows[0].params == 3 * 3 * 3 * 16 and e.rows[0].macs == 16 * 16 * 16 * 3 * 3 * 3
    assert {row.category for row in e.rows} >= {"conv", "depthwise", "pointwise"} or len(e.breakdown()) >= 3


def test_a_printer_node_it_does_not_know_keeps_the_slow_path():
    import sympy
    printer = fastpath._Printer([sympy.Symbol("x")])
    with pytest.raises(fastpath.Unsupported):
        printer(sympy.sin(sympy.Symbol("x")))


def test_symbol_names_that_are_helper_names_work():
    spec = costmodel.from_dict({"input": [32, 32, 3], "symbols": {"Fraction": 1, "_floor": 1, "v0": 1},
                                "rounding": "floor",
                                "layers": [{"type": "conv", "filters": "16*Fraction*_floor", "kernel": 3},
                                           {"type": "dense", "units": "10*v0"}]})
    fast, slow = costmodel.build(spec), costmodel.build(spec)
    slow._fast = False
    for _ in range(fastpath.FAST_AFTER):
        fast.evaluate()
    assert fast._fast
    for f in (Fraction(1, 2), Fraction(3, 4), Fraction(7, 5)):
        values = {"Fraction": f, "_floor": 2, "v0": f}
        assert fast.evaluate(values).totals == slow.evaluate(values).totals
    # conv: floor(16 * 1/2 * 2) = 16 filters: 3*3*3*16 + 16; dense: 32*32*16 features, floor(10 * 1/2) = 5 units
    assert fast.evaluate({"Fraction": Fraction(1, 2), "_floor": 2, "v0": Fraction(1, 2)}).totals.params == \
        3 * 3 * 3 * 16 + 16 + 32 * 32 * 16 * 5 + 5


def test_the_printer_keeps_signs_and_rounds_exactly():
    import sympy
    x = sympy.Symbol("x", positive=True)
    forms = [(-3) * x + sympy.floor(-x / 2), sympy.ceiling(x * Fraction(7, 3) - 5), (x - 5) ** 2,
             sympy.floor((x - 5) ** 2 / 3), -sympy.ceiling(-x)]
    printer = fastpath._Printer([x])
    function = printer.function(forms)
    for value in (Fraction(1, 3), Fraction(7, 2), Fraction(11), Fraction(5)):
        exact = [f.subs(x, sympy.Rational(value.numerator, value.denominator)) for f in forms]
        got = function(value, value.numerator, value.denominator)
        assert list(got) == [Fraction(int(v.p), int(v.q)) for v in exact], value


def test_generated_code_holds_no_text_but_its_own():
    """Both printers' code passes `generated_only` before `exec`: generated names, helpers, integer
    literals; a name, a float or a string from anywhere else is refused."""
    from costmodel.reference.compiled import generated_only
    own = "def f(a0, n0, d0):\n    t0 = _floor_pair(n0 * 3, d0)\n    return (t0.numerator, a0 + 12,)\n"
    assert generated_only(own, ["_floor_pair", "f"]) == own
    for foreign in ["def f(a0):\n    return (__import__('os'),)\n",  # a name of no printer
                    "def f(a0):\n    return (alpha,)\n",  # a symbol's own name
                    "def f(a0):\n    return (a0 * 0.5,)\n",  # a float literal
                    "def f(a0):\n    return ('same',)\n"]:  # a string
        with pytest.raises(ValueError, match="generated code"):
            generated_only(foreign, ["f"])


def test_a_spec_of_odd_names_compiles_without_them():
    """Symbol and layer names that are Python (`exec`, `import`-like, helper names) never reach the
    compiled code: the fast path compiles and gives the slow path's numbers."""
    spec = costmodel.loads(
        "input: [16, 16, 3]\n"
        "symbols: {exec: {default: 1}, compiled: {default: 2, integer: true}}\n"
        "layers:\n"
        "  - {type: conv, name: __import__, filters: 8*exec, kernel: 3}\n"
        "  - {type: conv, name: os, filters: 4*compiled, kernel: 1}\n", file="odd.yaml")
    net = costmodel.load_network(spec)
    slow = [net.evaluate({"exec": Fraction(k, 4), "compiled": 1}).totals for k in range(1, 9)]
    for _ in range(fastpath.FAST_AFTER):
        net.evaluate()
    assert net._fast_path()  # compiled
    assert [net.evaluate({"exec": Fraction(k, 4), "compiled": 1}).totals for k in range(1, 9)] == slow
