"""The spec language additions of issue 10: make_divisible, `when:` conditions, layer types and
pairs as block arguments, `in_channels` (reference side), symbols in groups denominators and the
symbol limit. Expected values show their arithmetic."""

from fractions import Fraction

import numpy as np
import pytest
import sympy

import costmodel
from costmodel import SpecError, expr as ex, reference
from costmodel.analyses.explore import _thresholds
from costmodel.analyses.fast import Compiled, exact_function
from costmodel.reference.numbers import evaluate
from costmodel.spec import from_dict, read_text
from costmodel.spec.build import MAX_SYMBOLS
from costmodel.symbolic import MakeDivisible, smooth, to_sympy

ALPHA = sympy.Symbol("alpha", positive=True)


def make_divisible_by_hand(v, d, m=None):
    """torchvision's _make_divisible, as its source reads (float-free for the exact values used)."""
    m = d if m is None else m
    new = max(m, int(v + Fraction(d, 2)) // d * d)
    return new + d if new < Fraction(9, 10) * v else new


# --- make_divisible ----------------------------------------------------------------------------

CASES = [  # (v, divisor, min_value, expected, the arithmetic)
    (Fraction(54), 8, None, 56),  # 72*0.75 = 54: int(54 + 4) // 8 * 8 = 56 >= 0.9*54
    (Fraction(18), 8, None, 24),  # int(18 + 4) // 8 * 8 = 16 < 0.9*18 = 16.2: plus 8
    (Fraction(3), 8, None, 8),  # int(3 + 4) // 8 * 8 = 0: at least the divisor
    (Fraction(10), 8, 16, 16),  # int(10 + 4) // 8 * 8 = 8, min_value 16 wins
    (Fraction(36), 8, 16, 40),  # int(36 + 4) // 8 * 8 = 40
    (Fraction(12), 8, None, 16),  # int(12 + 4) // 8 * 8 = 16 (a half rounds up)
]


@pytest.mark.parametrize("v, d, m, expected", CASES)
def test_make_divisible_on_every_side(v, d, m, expected):
    assert make_divisible_by_hand(v, d, m) == expected
    args = (v, d) if m is None else (v, d, m)
    text = f"make_divisible({v}, {d}{'' if m is None else f', {m}'})"
    node = ex.parse(text)
    assert ex.constant_value(node) == expected  # the builder's constants
    assert evaluate(node, {}) == expected  # the reference's own evaluator
    assert to_sympy(node, {}) == expected  # sympy, evaluated on numbers
    assert ex.make_divisible(*args) == expected


def test_make_divisible_prints_as_written_and_smooths_away():
    e = to_sympy(ex.parse("make_divisible(72*alpha, 8)"), {"alpha": ALPHA})
    assert str(e) == "make_divisible(72*alpha, 8)"
    assert str(to_sympy(ex.parse("make_divisible(72*alpha, 8, 16)"), {"alpha": ALPHA})) == \
        "make_divisible(72*alpha, 8, 16)"
    assert sympy.latex(e) == r"\operatorname{make\_divisible}\left(72 \alpha, 8\right)"
    assert smooth(3 * e + 1) == 216 * ALPHA + 1  # 3*72*alpha + 1
    assert e.xreplace({ALPHA: Fraction(3, 4)}) == 56 or e.subs(ALPHA, sympy.Rational(3, 4)) == 56


def test_make_divisible_through_lambdify_and_the_exact_path():
    e = 3 * MakeDivisible(72 * ALPHA, 8, 8) + 1
    alphas = [Fraction(1, 4), Fraction(3, 4), Fraction(1)]
    expected = [3 * make_divisible_by_hand(72 * a, 8) + 1 for a in alphas]  # 3*24 + 1, 3*56 + 1, 3*72 + 1
    assert expected == [73, 169, 217]
    assert [sympy.lambdify([ALPHA], e, modules="math")(float(a)) for a in alphas] == expected
    assert list(sympy.lambdify([ALPHA], e, modules="numpy")(np.array([float(a) for a in alphas]))) == expected
    assert [exact_function([ALPHA], e)(a) for a in alphas] == expected
    grid = Compiled([ALPHA], {"x": e}).grid({ALPHA: alphas})["x"]
    assert list(grid) == expected


def test_make_divisible_steps_for_solve():
    # floor(v + 4) // 8 steps at v = 4, 12, ...; the 10 % rule at 10*8*j/9; min_value 16 at 10*16/9
    steps = _thresholds(MakeDivisible(ALPHA, 8, 16), "MakeDivisible", Fraction(0), Fraction(20))
    assert {Fraction(4), Fraction(12), Fraction(20), Fraction(80, 9), Fraction(160, 9)} <= set(steps)


def test_make_divisible_in_a_network_matches_the_reference():
    spec = from_dict({"input": [8, 8, 3], "symbols": {"alpha": 1},
                      "layers": [{"type": "pointwise", "filters": "make_divisible(72*alpha, 8)", "bias": False}]})
    net = costmodel.load_network(spec)
    for alpha, channels in [(Fraction(3, 4), 56), (Fraction(1, 4), 24), (Fraction(1), 72)]:
        assert net.evaluate({"alpha": alpha}).totals.params == 3 * channels  # 1x1 conv, 3 inputs, no bias


# --- when: -------------------------------------------------------------------------------------

UNIT = {"args": {"exp": None, "stride": 1},
        "layers": [{"type": "pointwise", "name": "expand", "filters": "exp", "bias": False, "when": "exp != 8"},
                   {"type": "dwconv", "kernel": 3, "stride": "stride", "bias": False},
                   {"type": "pointwise", "name": "project", "filters": 8, "bias": False},
                   {"type": "add", "inputs": ["input", "project"], "when": "stride == 1 and not exp > 32"}]}


def network(layers, blocks=None, **extra):
    return from_dict({"input": [16, 16, 8], "blocks": blocks or {"unit": UNIT}, "layers": layers, **extra})


def names(spec):
    return [layer.name for layer in spec.layers]


def test_when_leaves_entries_out():
    spec = network([{"block": "unit", "exp": 8}, {"block": "unit", "exp": 16, "stride": 2},
                    {"block": "unit", "exp": 48}])
    assert names(spec) == ["unit1/dwconv1", "unit1/project", "unit1/add1",  # exp == 8: no expansion
                           "unit2/expand", "unit2/dwconv1", "unit2/project",  # stride 2: no residual
                           "unit3/expand", "unit3/dwconv1", "unit3/project"]  # exp 48 > 32: no residual
    totals = costmodel.analyze(spec).totals
    # unit1: dw 3*3*8 + 1x1 8*8; unit2: 8*16 + 3*3*16 + 16*8; unit3: 8*48 + 3*3*48 + 48*8
    assert totals.params == (72 + 64) + (128 + 144 + 128) + (384 + 432 + 384)


@pytest.mark.parametrize("condition, kept", [
    ("1 == 1", True), ("1 != 1", False), ("2 < 3", True), ("3 <= 3", True), ("2 > 3", False), ("3 >= 4", False),
    ("1 == 1 and 2 == 3", False), ("1 == 1 or 2 == 3", True), ("not 1 == 1", False),
    ("(1 == 2 or 2 == 2) and 3 > 2", True), ("1/3 + 1/3 + 1/3 == 1", True), ("7 // 2 == 3", True), (True, True)])
def test_conditions(condition, kept):
    spec = network([{"type": "relu"}, {"type": "relu6", "when": condition}])
    assert names(spec) == (["relu1", "relu61"] if kept else ["relu1"])


@pytest.mark.parametrize("condition, message", [
    ("alpha > 1", "when: must not depend on symbols (it names 'alpha')"),
    ("in_channels > 1", "when: must not depend on symbols (it names 'in_channels')"),
    ("1", "a condition compares values"),
    ("1 == 1 and 2", "'and' joins conditions"),
    ("(1 == 1) + 1 == 2", "'+' needs numbers, not a condition"),
    ("1 < 2 < 3", "chained comparisons"),
    ([1], "when: must be a condition"),
])
def test_bad_conditions(condition, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        network([{"type": "relu"}, {"type": "relu6", "when": condition}], symbols={"alpha": 1})


def test_comparisons_and_keywords_only_in_conditions():
    with pytest.raises(SpecError, match=r"comparisons \(==\) are allowed only in when"):
        network([{"type": "conv", "filters": "8 == 8", "kernel": 3}])
    with pytest.raises(SpecError, match="'and' is a keyword, allowed only in when"):
        network([{"type": "conv", "filters": "8 and 8", "kernel": 3}])


# --- layer types and pairs as block arguments ---------------------------------------------------

ACT_BLOCK = {"args": {"act": "relu", "k": 3},
             "layers": [{"type": "dwconv", "kernel": "k", "padding": "same", "bias": False}, {"type": "act"}]}


def test_layer_type_argument():
    outer = {"args": {"act": "relu"}, "layers": [{"block": "inner", "act": "act"}]}  # passed through
    spec = network([{"block": "inner"}, {"block": "inner", "act": "hard_swish"}, {"block": "outer", "act": "gelu"}],
                   blocks={"inner": ACT_BLOCK, "outer": outer})
    assert [layer.type for layer in spec.layers] == ["dwconv", "relu", "dwconv", "hard_swish", "dwconv", "gelu"]


def test_layer_type_argument_aliases_are_the_type():
    block = {"args": {"t": None}, "layers": [{"type": "t"}]}
    spec = network([{"block": "inner", "t": "bn"}, {"block": "inner", "t": "relu"}], blocks={"inner": block})
    assert [layer.type for layer in spec.layers] == ["batchnorm", "relu"]


def test_a_symbol_cannot_be_named_like_a_layer_type():
    with pytest.raises(SpecError, match="'relu' cannot be a symbol name"):
        network([{"type": "relu"}], symbols={"relu": 1})


def test_pair_argument():
    spec = network([{"block": "inner", "k": [1, 7]}, {"block": "inner", "k": [7, 1]}], blocks={"inner": ACT_BLOCK})
    kernels = [tuple(int(ex.constant_value(n)) for n in layer.args["kernel"]) for layer in spec.layers
               if layer.type == "dwconv"]
    assert kernels == [(1, 7), (7, 1)]
    # depthwise 1x7 and 7x1 over 8 channels, 16x16 positions each ('same' padding)
    assert costmodel.analyze(spec).totals.macs == 16 * 16 * 8 * 7 + 16 * 16 * 8 * 7


def test_pair_argument_as_padding():
    block = {"args": {"p": None}, "layers": [{"type": "maxpool", "kernel": 3, "stride": 1, "padding": "p"}]}
    spec = network([{"block": "inner", "p": [0, 1]}], blocks={"inner": block})
    assert costmodel.analyze(spec).rows[0].shape == (16 - 2, 16 - 2 + 2, 8)  # pad height 0, width 1 on each side


# --- in_channels (the reference side; the symbolic side needs the network.py substitution) ------

def test_in_channels_in_the_reference():
    transition = {"type": "pointwise", "name": "t", "filters": "in_channels / 2", "groups": "in_channels / 4",
                  "bias": False}
    spec = from_dict({"input": [8, 8, 3], "layers": [{"type": "conv", "filters": 24, "kernel": 3}, transition]})
    rows = reference.propagate(spec, {})
    assert rows[1]["shape"] == (8, 8, 24 // 2)  # a DenseNet transition halves its input's 24 channels
    assert rows[1]["params"] == 12 * (24 // (24 // 4))  # 12 filters of 24/6 inputs each: 6 groups


def test_in_channels_allowed_only_in_a_layers_channels_and_groups():
    for arg, value in [("kernel", "in_channels"), ("stride", "in_channels")]:
        with pytest.raises(SpecError, match="in_channels .* is allowed only in a layer's channel counts and groups"):
            from_dict({"input": [8, 8, 3], "layers": [{"type": "conv", "filters": 4, "kernel": 1, arg: value}]})
    with pytest.raises(SpecError, match="in_channels is a layer's own input channel count"):
        network([{"block": "u", "c": "in_channels"}],
                blocks={"u": {"args": {"c": None}, "layers": [{"type": "pointwise", "filters": "c"}]}})


def test_in_channels_is_not_a_symbol_name():
    with pytest.raises(SpecError, match="'in_channels' cannot be a symbol name"):
        network([{"type": "relu"}], symbols={"in_channels": 1})


# --- symbols in groups denominators, the symbol limit -------------------------------------------

def test_groups_with_a_symbol_denominator():
    spec = from_dict({"input": [8, 8, "w"], "symbols": {"w": {"default": 48, "integer": True},
                                                        "g": {"default": 16, "integer": True}},
                      "layers": [{"type": "conv", "filters": "w", "kernel": 3, "groups": "w/g", "bias": False}]})
    net = costmodel.load_network(spec)
    # 3*3*(w/(w/g))*w = 9*g*w; closed forms are given in plain symbols, as a user writes them
    assert sympy.simplify(net.total("params") - 9 * sympy.Symbol("g") * sympy.Symbol("w")) == 0
    assert net.evaluate({"w": 48, "g": 16}).totals.params == 3 * 3 * 16 * 48  # 3 groups of 16 channels
    assert net.evaluate({"w": 64, "g": 8}).totals.params == 3 * 3 * 8 * 64  # 8 groups of 8
    with pytest.raises(SpecError, match="groups 5/2 must be an integer|groups must be an integer"):
        net.evaluate({"w": 40, "g": 16})  # 40/16 groups


def test_symbol_limit_is_32():
    assert MAX_SYMBOLS == 32
    symbols = {f"d{i}": {"default": 1, "integer": True} for i in range(32)}
    layers = [{"type": "relu", "repeat": f"d{i}"} for i in range(32)]
    spec = from_dict({"input": [4, 4, 2], "symbols": symbols, "layers": layers})
    assert len(spec.symbols) == 32
    assert costmodel.analyze(spec, **{"d3": 2}).totals.floats_out == 4 * 4 * 2 * (32 + 1)  # 33 relus


# --- schema -----------------------------------------------------------------------------------

def test_the_new_forms_fit_the_schema():
    from costmodel.outputs.schema import schema, validate
    text = """
input: [16, 16, 8]
blocks:
  unit:
    args: {act: relu, k: [3, 3], exp: 8}
    layers:
      - {type: pointwise, filters: "make_divisible(exp, 8)", groups: "in_channels / 4", when: "exp != 8 and exp >= 1"}
      - {type: act}
      - {type: dwconv, kernel: k}
layers:
  - {block: unit, act: hard_swish, k: [1, 7], exp: 16}
  - {type: relu, when: true}
"""
    assert validate(read_text(text, "t.yaml"), schema()) == []
    bad = read_text(text.replace("{type: act}", "{type: act, kernal: [1]}"), "t.yaml")
    assert validate(bad, schema()) != []
