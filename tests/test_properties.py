"""Property tests: random layers and symbol values through the symbolic formulas and the
reference propagator, which must agree on every field (analyze raises CheckError otherwise)."""

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import costmodel
from costmodel import CheckError, SpecError
from costmodel.ops import REGISTRY, Cost

RULES = ["floor", "ceil", "nearest", "multiple_of_4", "multiple_of_8"]
PADDINGS = st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, 2),
                     st.lists(st.integers(0, 2), min_size=2, max_size=2))
SMALL = st.integers(1, 3)
PAIR = st.one_of(SMALL, st.lists(SMALL, min_size=2, max_size=2))


@st.composite
def layer(draw, index: int):
    kind = draw(st.sampled_from(["conv", "dwconv", "pointwise", "maxpool", "avgpool", "batchnorm", "relu",
                                 "fmp", "residual", "concat", "split", "shuffle", "grouped"]))
    channels = f"{draw(st.integers(1, 24))}*alpha"
    if kind == "conv":
        return [{"type": "conv", "filters": channels, "kernel": draw(st.one_of(st.integers(1, 5), PAIR)),
                 "stride": draw(PAIR), "padding": draw(PADDINGS), "dilation": draw(st.integers(1, 2)),
                 "bias": draw(st.booleans()), "rounding": draw(st.sampled_from(RULES))}]
    if kind == "grouped":  # groups must divide input and output channels: make both multiples of 2
        return [{"type": "pointwise", "filters": 4, "name": f"g{index}a"},
                {"type": "conv", "filters": 2 * draw(st.integers(1, 6)), "kernel": 3, "groups": 2}]
    if kind == "dwconv":
        return [{"type": "dwconv", "kernel": draw(PAIR), "stride": draw(PAIR), "padding": draw(PADDINGS),
                 "multiplier": "delta", "bias": draw(st.booleans())}]
    if kind == "pointwise":
        return [{"type": "pointwise", "filters": channels, "rounding": draw(st.sampled_from(RULES))}]
    if kind in ("maxpool", "avgpool"):
        return [{"type": kind, "kernel": draw(PAIR), "padding": draw(st.sampled_from(["same", "valid"]))}]
    if kind == "fmp":
        return [{"type": "fractional_maxpool", "ratio": draw(st.sampled_from([1.25, 1.4, 1.5, 2]))}]
    if kind == "residual":  # a branch and an add: y = x + relu(bn(x))
        return [{"type": "identity", "name": f"r{index}"}, {"type": "batchnorm"}, {"type": "relu", "name": f"r{index}b"},
                {"type": "add", "inputs": [f"r{index}", f"r{index}b"]}]
    if kind == "concat":  # two 1x1 branches concatenated
        return [{"type": "identity", "name": f"c{index}"},
                {"type": "pointwise", "filters": channels, "name": f"c{index}a", "rounding": "ceil"},
                {"type": "pointwise", "filters": 3, "name": f"c{index}b", "input": f"c{index}"},
                {"type": "concat", "inputs": [f"c{index}a", f"c{index}b"]}]
    if kind in ("split", "shuffle"):  # make the channel count even first
        return [{"type": "pointwise", "filters": 2 * draw(st.integers(1, 8))},
                {"type": kind, "groups": 2} if kind == "shuffle" else {"type": "split", "parts": 2, "index": 1}]
    return [{"type": kind}]


@st.composite
def network(draw):
    layers = []
    for i in range(draw(st.integers(1, 6))):
        layers += draw(layer(i))
    if draw(st.booleans()):
        layers += [{"type": "global_avgpool"}, {"type": "dense", "units": "classes"}]
    spec = {"input": [draw(st.integers(1, 40)), draw(st.integers(1, 40)), draw(st.integers(1, 8))],
            "symbols": {"alpha": {"default": 1}, "delta": {"default": 1, "integer": True},
                        "classes": {"default": 10, "integer": True}},
            "rounding": "floor", "layers": layers}
    values = {"alpha": draw(st.fractions(Fraction(1, 8), Fraction(2), max_denominator=16)),
              "delta": draw(st.integers(1, 4)), "classes": draw(st.integers(1, 100))}
    return spec, values


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network())
def test_symbolic_equals_reference(case):
    spec, values = case
    try:
        result = costmodel.analyze(costmodel.from_dict(spec, file="random.yaml"), values)
    except SpecError as e:  # e.g. a kernel larger than a shrunken map: a located, one-line error
        assert e.layer and "\n" not in str(e) and str(e).startswith("random.yaml:")
        return
    totals = result.totals
    assert totals.macs == sum(r.macs for r in result.rows)
    assert all(r.floats_out == r.shape[0] * r.shape[1] * r.shape[2] for r in result.rows)


@given(st.integers(1, 64), st.integers(1, 64), st.integers(1, 32), st.integers(1, 7), st.integers(1, 4),
       st.sampled_from(["same", "valid"]))
@settings(max_examples=200, deadline=None)
def test_conv_counts_match_the_textbook_formula(h, w, c, k, s, padding):
    spec = {"input": [h, w, c], "layers": [{"type": "conv", "filters": 8, "kernel": k, "stride": s,
                                             "padding": padding, "bias": False}]}
    try:
        row = costmodel.analyze(costmodel.from_dict(spec)).rows[0]
    except SpecError as e:
        assert padding == "valid" and k > min(h, w) and "larger than the padded input" in e.message
        return
    out_h = -(-h // s) if padding == "same" else (h - k) // s + 1
    out_w = -(-w // s) if padding == "same" else (w - k) // s + 1
    assert row.shape == (out_h, out_w, 8)
    assert row.macs == out_h * out_w * 8 * k * k * c and row.params == k * k * c * 8


def test_a_wrong_formula_is_caught(monkeypatch):
    """A test double with an off-by-one MAC count must be refused, naming the layer."""
    real = REGISTRY["dwconv"]

    def wrong(x, a):
        cost = real.formula(x, a)
        return Cost(shape=cost.shape, params=cost.params, macs=cost.macs + 1)

    monkeypatch.setitem(REGISTRY, "dwconv", real.__class__(**{**real.__dict__, "formula": wrong}))
    with pytest.raises(CheckError, match=r"layer 4 'ds1/dw' \(dwconv\): macs symbolic 73729 != reference 73728"):
        costmodel.analyze("specs/mobilenet_cifar.yaml")


def test_a_wrong_shape_is_caught(monkeypatch):
    real = REGISTRY["maxpool"]

    def wrong(x, a):
        cost = real.formula(x, a)
        return Cost(shape=(cost.shape[0] + 1, cost.shape[1], cost.shape[2]))

    monkeypatch.setitem(REGISTRY, "maxpool", real.__class__(**{**real.__dict__, "formula": wrong}))
    spec = {"input": [8, 8, 3], "layers": [{"type": "maxpool", "kernel": 2}, {"type": "conv", "filters": 4, "kernel": 1}]}
    with pytest.raises(CheckError, match="shape symbolic .5, 4, 3. != reference .4, 4, 3."):
        costmodel.analyze(costmodel.from_dict(spec))


def test_a_wrong_registry_default_is_caught(monkeypatch):
    """The reference applies its own defaults to arguments a spec leaves out, so a wrong default
    in the layer registry (here conv padding 'valid' instead of 'same') cannot pass unnoticed."""
    from costmodel.ops import Kind, Param

    conv = REGISTRY["conv"]
    params = {**conv.params, "padding": Param(Kind.PADDING, "valid")}
    monkeypatch.setitem(REGISTRY, "conv", conv.__class__(**{**conv.__dict__, "params": params}))
    with pytest.raises(CheckError, match=r"layer 1 'conv1' \(conv\): shape symbolic \(15, 15, 32\) != reference \(16, 16, 32\)"):
        costmodel.analyze("specs/mobilenet_cifar.yaml")
