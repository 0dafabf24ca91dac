"""The recorded reference walk (reference/traced.py, replayed by reference/compiled.py's Replays):
the walk's own rows, field by field, on every shipped spec at several values; a guard that fails,
a recording that is wrong, or a configuration the walk refuses goes to the walk, which decides."""

from fractions import Fraction

import pytest

import costmodel
from costmodel import CheckError, SpecError, fastpath, shipped
from costmodel.reference import compiled, propagate, traced

SCALES = (Fraction(1), Fraction(7, 8), Fraction(9, 8), Fraction(5, 4), Fraction(3, 5))


def walked(spec, values):
    try:
        return compiled.flat(propagate(spec, values))
    except SpecError as e:
        return ("refused", str(e))


def answered(ref, values):
    try:
        return ref.rows(values)
    except SpecError as e:
        return ("refused", str(e))


def configurations(network, preset):
    """The preset's (or default) values, then each fractional symbol scaled (widths, multipliers)."""
    base = network.values(None, preset)
    fractional = [name for name, symbol in network.spec.symbols.items() if not symbol.integer]
    yield base
    for scale in SCALES[1:]:
        yield {**base, **{name: base[name] * scale for name in fractional}}


@pytest.mark.parametrize("name", shipped.names())
def test_the_replay_gives_the_walks_rows_on_every_shipped_spec(name):
    network = costmodel.load_network(name)
    replayed = 0
    for preset in [None, *list(network.spec.presets)[:3]]:
        configured = network.for_values(None, preset)
        spec = configured.spec
        ref = compiled.Specialised(spec)
        for values in configurations(configured, preset):
            expected = walked(spec, values)
            assert answered(ref, values) == expected, (preset, values)
            key = ref.key(values)
            if key is not None:  # the recording itself, past the memo and its first checks
                got = ref.replays.rows(key, values) if ref.replays.variants.get(ref.replays.fixed_of(key)) else None
                if got is not None:
                    got = ref.replays.source.full(got)  # its distinct numbers made the rows
                    replayed += 1
                    assert got == expected, (preset, values)
        assert ref.replays.drift == [], (preset, ref.replays.drift)
    symbols = network.spec.symbols
    if any(not s.integer for s in symbols.values()) and not _reads_in_channels(network.spec):
        assert replayed, "a spec with a width symbol is answered by its recording"


def _reads_in_channels(spec):
    return not compiled.Specialised(spec).replays.traceable


def mobilenet():
    """MobileNet-CIFAR's reference, walked once at the defaults: its next walk at a depth
    multiplier of 1 is recorded (RECORD_AFTER)."""
    spec = costmodel.load_network("mobilenet_cifar").spec
    ref = compiled.Specialised(spec)
    ref.rows(spec.defaults())
    assert compiled.RECORD_AFTER == 2 and ref.replays.variants == {}
    return spec, ref


def at(spec, alpha, delta=1):
    return {**spec.defaults(), "alpha": Fraction(alpha), "delta": Fraction(delta)}


def test_new_channel_counts_are_replayed_not_walked():
    spec, ref = mobilenet()
    ref.rows(at(spec, Fraction(3, 4)))  # walked and recorded: 24 filters in conv1
    [variant] = ref.replays.variants[ref.replays.fixed_of(ref.key(at(spec, Fraction(3, 4))))]
    walks = []
    original = compiled.propagate
    compiled.propagate = lambda s, v: walks.append(v) or original(s, v)
    try:
        for k in range(compiled.CHECKED + 5):
            values = at(spec, Fraction(3, 4) + Fraction(k + 1, 1000))  # floor(32 * alpha) = 24 still
            assert ref.rows(values) == compiled.flat(original(spec, values))
    finally:
        compiled.propagate = original
    assert len(walks) == compiled.CHECKED  # the first answers are also walked, then trusted
    assert variant.unchecked == 0


def test_a_failed_guard_goes_to_the_walk_and_records_another_variant():
    spec, ref = mobilenet()
    ref.rows(at(spec, Fraction(3, 4)))  # conv1: 24 filters on 16x16: the bound's max(16, 16, 24) is 24
    fixed = ref.replays.fixed_of(ref.key(at(spec, Fraction(3, 4))))
    [variant] = ref.replays.variants[fixed]
    small = at(spec, Fraction(1, 4))  # 8 filters: max(16, 16, 8) is 16, a guard of the first recording fails
    assert variant.function(*ref.replays.channels_of(ref.key(small))) is None
    assert ref.rows(small) == compiled.flat(propagate(spec, small))
    assert len(ref.replays.variants[fixed]) == 2


def test_configurations_the_walk_refuses_are_refused_as_before():
    spec, ref = mobilenet()
    for alpha in (Fraction(3, 4), Fraction(5, 8), Fraction(1, 2)):
        ref.rows(at(spec, alpha))
    # floor(32 / 64) = 0 filters; a fractional depth multiplier; a zero width; 1024 * 2**36 = 2**46
    # channels, past the walk's bound of 2**40 (a guard of the recording: the walk refuses it)
    for values in (at(spec, Fraction(1, 64)), at(spec, Fraction(3, 4), Fraction(1, 2)), at(spec, 0),
                   at(spec, 2**36)):
        with pytest.raises(SpecError) as replayed:
            ref.rows(values)
        with pytest.raises(SpecError) as walked_:
            propagate(spec, values)
        assert str(replayed.value) == str(walked_.value)
    assert "above 2**40" in str(walked_.value) and ref.replays.drift == []


def test_a_wrong_recording_is_caught_by_its_first_answers():
    spec, ref = mobilenet()
    ref.rows(at(spec, Fraction(3, 4)))
    fixed = ref.replays.fixed_of(ref.key(at(spec, Fraction(3, 4))))
    [variant] = ref.replays.variants[fixed]
    honest = variant.function
    variant.function = lambda *a: (lambda n, t: ((n[0] + 1, *n[1:]), t))(*honest(*a))  # conv1's height one more
    values = at(spec, Fraction(3, 4) + Fraction(1, 1000))
    assert ref.rows(values) == compiled.flat(propagate(spec, values))  # the walk's rows, not the forged ones
    assert ref.replays.drift and variant not in ref.replays.variants[fixed]


def test_a_wrong_recording_past_its_checks_is_caught_by_the_other_side():
    net = costmodel.load_network("mobilenet_cifar")
    for _ in range(fastpath.FAST_AFTER):
        net.evaluate()
    ref = net._fast.reference
    for k in range(compiled.CHECKED + 2):
        net.evaluate({"alpha": Fraction(3, 4) + Fraction(k, 1000)})
    [variant] = ref.replays.variants[ref.replays.fixed_of(ref.key(net.values({"alpha": Fraction(3, 4)})))]
    assert variant.unchecked == 0
    honest = variant.function
    k = variant.returned.index(variant.outputs[5])  # where it returns conv1's MACs (field 5 of the first row)
    variant.function = lambda *a: (lambda n, t: ((*n[:k], n[k] + 1, *n[k + 1:]), t))(*honest(*a))  # + 1
    with pytest.raises(CheckError, match=r"layer 1 'conv1' \(conv\): macs symbolic \d+ != reference"):
        net.evaluate({"alpha": Fraction(3, 4) + Fraction(9, 1000)})


def test_a_spec_reading_in_channels_is_not_recorded():
    spec = costmodel.loads("input: [8, 8, 4]\nsymbols: {alpha: 1}\nrounding: floor\nlayers:\n"
                           "  - {type: conv, filters: 8*alpha, kernel: 1}\n"
                           "  - {type: pointwise, filters: in_channels*2}\n", file="ic.yaml")
    ref = compiled.Specialised(spec)
    assert not ref.replays.traceable
    for alpha in (Fraction(1), Fraction(3, 2), Fraction(5, 4)):
        values = {"alpha": alpha}
        assert ref.rows(values) == compiled.flat(propagate(spec, values))
    assert ref.replays.variants == {}


def test_a_traced_int_refuses_what_it_cannot_record():
    trace = traced._Trace()
    x = traced.Traced(12, "a0", trace)
    assert (x * 3 + 1) // 2 == 18 and trace.guards[-1][1:3] == ("t2 == 18", True)
    for refused in (lambda: hash(x), lambda: x / 2, lambda: x ** 2, lambda: float(x), lambda: str(x),
                    lambda: x << 1, lambda: int(x), lambda: x + Fraction(1, 2), lambda: x < 1.5):
        with pytest.raises(traced.Untraceable):
            refused()


def test_the_replays_code_is_generated_only():
    spec, ref = mobilenet()
    ref.rows(at(spec, Fraction(3, 4)))
    [variant] = next(iter(ref.replays.variants.values()))
    assert compiled.generated_only(variant.code, ["replay", "if", "not", "None"]) == variant.code
    with pytest.raises(ValueError, match="generated code names 'if'"):
        compiled.generated_only(variant.code, ["replay"])  # the allowed words are exactly these


def test_a_long_sum_is_split_and_still_the_walks():
    """300 convolutions of widths 2*alpha ... 301*alpha: each total gathers some 300 terms, written
    in lines of traced.SUM_TERMS (one expression of 300 additions would strain the compiler)."""
    lines = ["input: [4, 4, 3]", "symbols: {alpha: 1}", "rounding: floor", "layers:"]
    lines += [f"  - {{type: conv, filters: {i + 2}*alpha, kernel: 1}}" for i in range(300)]
    spec = costmodel.loads("\n".join(lines) + "\n", file="deep.yaml")
    ref = compiled.Specialised(spec)
    for alpha in (Fraction(7, 4), Fraction(9, 5), Fraction(11, 6), Fraction(13, 7)):  # 2*alpha floors to 3
        assert ref.rows({"alpha": alpha}) == compiled.flat(propagate(spec, {"alpha": alpha}))
    [variant] = next(iter(ref.replays.variants.values()))
    assert ref.replays.replayed == 2 and "    s0 = " in variant.code and ref.replays.drift == []
    # layer 1: 3 input channels, floor(2 * 7/4) = 3 filters, 1x1 kernels and a bias: 3*3 + 3
    assert ref.rows({"alpha": Fraction(7, 4)})[1][3] == 3 * 3 + 3


def test_replayed_rows_are_kept_when_their_key_comes_back():
    spec, ref = mobilenet()
    ref.rows(at(spec, Fraction(3, 4)))  # walked: kept
    values = at(spec, Fraction(5, 8))
    key = ref.key(values)
    for _ in range(compiled.REMEMBER_AFTER):
        ref.rows(values)
        assert key not in ref.memo and not ref.kept  # replayed, not kept (the collector would walk them)
    answer = ref.answer(values)
    assert ref.memo[key] == (answer, ref.source) and ref.memo[key][0] is answer and ref.kept
    assert ref.source is next(iter(ref.replays.variants.values()))[0]  # kept with the recording
    assert ref.answer(values) is answer and ref.remembered == 1
    assert ref.rows(values) == ref.source.full(answer) == compiled.flat(propagate(spec, values))


def test_a_number_the_trace_fixed_silently_is_caught_before_any_answer(monkeypatch):
    """A recording that gives the walk's rows where it was made but holds a number fixed (as C code
    reading a traced int would leave it) is probed at other channel counts, and dropped."""
    spec, ref = mobilenet()
    real = compiled.Replays._record

    def fixing(self, values, channels):
        variant = real(self, values, channels)
        k = variant.returned.index(variant.outputs[2])  # where it returns conv1's channels (field 2)
        honest, fixed = variant.function, variant.function(*channels)[0][k]  # as recorded

        def forged(*a):
            out = honest(*a)
            return None if out is None else ((*out[0][:k], fixed, *out[0][k + 1:]), out[1])
        variant.function = forged
        return variant
    monkeypatch.setattr(compiled.Replays, "_record", fixing)
    values = at(spec, Fraction(3, 4))
    assert ref.rows(values) == compiled.flat(propagate(spec, values))  # the walk's
    assert ref.replays.variants[ref.replays.fixed_of(ref.key(values))] == []
    assert ref.replays.drift and "other channel counts" in ref.replays.drift[0][2]
    other = at(spec, Fraction(4, 5))
    assert ref.rows(other) == compiled.flat(propagate(spec, other)) and ref.replays.replayed == 0


def test_a_value_walked_once_is_not_recorded():
    """Each new resolution is a new value of the fixed numbers: recording one costs some four
    walks, so only a value walked RECORD_AFTER times is recorded."""
    spec = costmodel.load_network("imagenet/mobilenet_v2").spec
    ref = compiled.Specialised(spec)
    for resolution in (96, 128, 160):
        values = {**spec.defaults(), "resolution": Fraction(resolution)}
        assert ref.rows(values) == compiled.flat(propagate(spec, values))
    assert ref.replays.variants == {} and ref.walked == 3
    again = {**spec.defaults(), "resolution": Fraction(128), "alpha": Fraction(3, 4)}
    ref.rows(again)  # the second walk at 128: recorded
    assert sum(map(len, ref.replays.variants.values())) == 1
