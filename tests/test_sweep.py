"""`sweep`: compiled closed forms, exact rounding, rows equal to `report`, the Pareto front, the CLI."""

import csv
import json
import textwrap
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy

import costmodel
from costmodel import shipped
from costmodel.analyses import explore
from costmodel.cli import main
from costmodel.analyses.fast import Compiled, lambdify_numpy
from costmodel.symbolic import RoundCeil, RoundDivisible, RoundFloor, RoundNearest

ROOT = Path(__file__).parent.parent
SPEC = shipped.path("mobilenet_cifar")

# a small network with a resolution symbol (ceil of 'same' strides), a valid-padded pool and a
# rounding rule chosen per test
RESOLUTION_SPEC = """\
name: res
input: [resolution, resolution, 3]
symbols:
  alpha: 1
  resolution: {{default: 32, integer: true}}
rounding: {rounding}
layers:
  - {{type: conv, filters: 24*alpha, kernel: 3, stride: 2}}
  - {{type: maxpool, kernel: 3, stride: 2}}
  - {{type: dwconv, kernel: 3, stride: 2}}
  - {{type: pointwise, filters: 100*alpha}}
  - {{type: global_avgpool}}
  - {{type: dense, units: 10}}
"""


def resolution_net(rounding):
    return costmodel.load_network(costmodel.loads(RESOLUTION_SPEC.format(rounding=rounding), file="res.yaml"))


def report_totals(net, row, names):
    values = {n: Fraction(repr(float(row[n]))) for n in names}
    return explore.totals_of(net.evaluate(values))


def assert_rows_match_report(net, rows, names, sample=25, seed=0):
    picks = np.random.default_rng(seed).choice(len(rows), size=min(sample, len(rows)), replace=False)
    for i in picks:
        expected = report_totals(net, rows[i], names)
        got = {m: int(rows[i][m]) for m in explore.METRICS}
        assert got == expected, f"row {i}: {rows[i]}"


@pytest.fixture(scope="module")
def mobilenet():
    return costmodel.load_network(SPEC)


def test_mobilenet_rows_equal_report(mobilenet):
    rows = explore.sweep(mobilenet, {"alpha": "0.1:1.0:0.05", "delta": [1, 2, 4], "classes": [10, 100]})
    assert len(rows) == 19 * 3 * 2
    assert_rows_match_report(mobilenet, rows, ["alpha", "delta", "classes"])
    # Table 4's cell delta=2, alpha=0.5: 5,975,552 MACs and 1,651,802 params as Keras counts (README)
    cell = rows[(rows["alpha"] == 0.5) & (rows["delta"] == 2) & (rows["classes"] == 10)]
    assert cell["macs"][0] == 5975552 and cell["params_with_statistics"][0] == 1651802
    assert cell["flops"][0] == 2 * 5975552


@pytest.mark.parametrize("rounding", ["floor", "ceil", "nearest", "multiple_of_8"])
def test_every_rounding_rule_and_resolution_equal_report(rounding):
    net = resolution_net(rounding)
    rows = explore.sweep(net, {"alpha": "0.05:1.5:0.05", "resolution": "96:224:32"})
    assert_rows_match_report(net, rows, ["alpha", "resolution"], sample=20)


def test_float_ambiguous_values_are_rounded_exactly():
    # 100*0.29 is 28.999999999999996 in float64; the exact channel count is floor(29) = 29
    assert 100 * 0.29 < 29
    net = costmodel.load_network(costmodel.loads(textwrap.dedent("""\
        input: [8, 8, 1]
        symbols: {alpha: 1}
        rounding: floor
        layers:
          - {type: pointwise, filters: 100*alpha, bias: false}
        """), file="t.yaml"))
    rows = explore.sweep(net, {"alpha": ["0.29", "0.57", "0.58"]})
    # 8*8 positions x C_out x 1 input channel; 100*0.57 = 56.99999999999999 and 100*0.58 = 57.99999999999999
    assert rows["macs"].tolist() == [8 * 8 * 29, 8 * 8 * 57, 8 * 8 * 58]
    assert rows["params"].tolist() == [29, 57, 58]


def test_configurations_that_do_not_fit_are_left_out(mobilenet):
    # floor(32*0.03) = 0 channels: report refuses the network; 32*0.04 = 1.28 -> 1 channel fits
    with pytest.raises(costmodel.SpecError):
        mobilenet.evaluate({"alpha": "0.03"})
    rows = explore.sweep(mobilenet, {"alpha": "0.01:0.05:0.01"})
    assert rows["alpha"].tolist() == [0.04, 0.05]


def test_valid_pooling_too_large_is_left_out():
    net = resolution_net("floor")
    # resolution 8: conv s2 -> 4, maxpool 3 s2 -> floor((4-3)/2)+1 = 1, fits; resolution 4 -> 2 -> 0, does not
    rows = explore.sweep(net, {"resolution": [4, 8]})
    assert rows["resolution"].tolist() == [8]


def test_peak_is_the_largest_layer(mobilenet):
    rows = explore.sweep(mobilenet, {"alpha": [1]})
    assert rows["peak_floats_out"][0] == 16 * 16 * 64  # ds1's pointwise output, 16x16x64


@pytest.mark.parametrize("cls, numpy_name, values", [
    (RoundFloor, "RoundFloor", [0.3, 9.6, 2.5]),
    (RoundCeil, "RoundCeil", [0.3, 9.6, 2.5]),
    (RoundNearest, "RoundNearest", [0.3, 9.6, 2.5, 3.5]),
])
def test_numpy_functions_mapped_by_class(cls, numpy_name, values):
    x = sympy.Symbol("x", positive=True)
    function = lambdify_numpy([x], cls(x))
    expected = [int(cls(sympy.Rational(str(v)))) for v in values]
    assert function(np.array(values)).tolist() == expected


def test_numpy_make_divisible_mapped_by_class():
    x = sympy.Symbol("x", positive=True)
    function = lambdify_numpy([x], RoundDivisible(x, 8))
    values = [3, 12, 20, 21, 37, 100]
    # torchvision: 3 -> 8 (minimum); 12 -> 16; 20 -> 24 (halves up); 37 -> 40; 100 -> 104
    assert function(np.array(values, dtype=float)).tolist() == [8, 16, 24, 24, 40, 104]


def test_compiled_nested_rounding_and_min():
    r = sympy.Symbol("r", positive=True, integer=True)
    a = sympy.Symbol("a", positive=True)
    expr = sympy.ceiling(sympy.ceiling(r / 2) / 2) * RoundFloor(10 * a) + sympy.Min(r, 100)
    compiled = Compiled([r, a], {"e": expr})
    rs, alphas = [5, 7, 150], [Fraction(3, 10), Fraction(1, 2)]
    got = compiled.grid({r: rs, a: alphas})["e"]
    for i, rv in enumerate(rs):
        for j, av in enumerate(alphas):
            assert got[i, j] == int(expr.subs({r: rv, a: sympy.Rational(av.numerator, av.denominator)}))


@pytest.mark.parametrize("a, b, front", [
    ([1, 2, 3], [3, 2, 1], [True, True, True]),
    ([1, 2, 3], [1, 2, 3], [True, False, False]),
    ([2, 1, 1, 3], [1, 2, 2, 0], [True, True, True, True]),   # equal points are both kept
    ([1, 1, 2], [2, 3, 1], [True, False, True]),              # same a, larger b: beaten
    ([5, 4, 4, 6], [5, 6, 5, 5], [False, False, True, False]),
])
def test_pareto_front(a, b, front):
    assert explore.pareto_front(np.array(a), np.array(b)).tolist() == front


def test_pareto_front_against_brute_force():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 20, 300), rng.integers(0, 20, 300)
    brute = [not any(a[j] <= a[i] and b[j] <= b[i] and (a[j], b[j]) != (a[i], b[i]) for j in range(300))
             for i in range(300)]
    assert explore.pareto_front(a, b).tolist() == brute


def test_range_is_exact():
    values = explore.parse_range("0.1:1.0:0.05")
    assert values[0] == Fraction(1, 10) and values[-1] == 1 and len(values) == 19
    assert explore.parse_range("96:224:32") == [96, 128, 160, 192, 224]
    for bad in ("1:2", "1:0:1", "0:1:0", "a:1:1"):
        with pytest.raises(costmodel.SpecError):
            explore.parse_range(bad)


def test_cli_csv_and_json(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "s.csv"
    assert main(["sweep", str(SPEC), "--range", "alpha=0.25:1:0.25", "--grid", "delta=1,2", "--set", "classes=100",
                 "--out", str(out), "--pareto", "macs,params"]) == 0
    assert "8 configurations" in capsys.readouterr().out
    with open(out) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 8 and rows[0]["alpha"] == "0.25" and rows[0]["classes"] == "100"
    expected = costmodel.analyze(SPEC, alpha=Fraction(1, 4), delta=1, classes=100).totals
    assert int(rows[0]["macs"]) == expected.macs and int(rows[0]["params"]) == expected.params
    assert rows[0]["pareto"] == "1" and sum(int(r["pareto"]) for r in rows) == 1
    out_json = tmp_path / "s.json"
    assert main(["sweep", str(SPEC), "--grid", "alpha=0.5", "--out", str(out_json)]) == 0
    doc = json.loads(out_json.read_text())
    assert doc[0]["macs"] == costmodel.analyze(SPEC, alpha=Fraction(1, 2)).totals.macs


@pytest.mark.parametrize("argv", [
    ["--range", "beta=1:2:1"],
    ["--range", "delta=0.5:2:0.5"],          # delta is an integer symbol
    ["--range", "alpha=0:1:0.5"],             # 0 is not a positive value
    ["--grid", "alpha=0.5", "--set", "alpha=1"],
    ["--grid", "alpha=0.5", "--pareto", "macs"],
    ["--grid", "alpha=0.5", "--pareto", "macs,speed"],
    ["--grid", "alpha=0.5", "--out", "x.txt"],
    ["--range", "alpha=0.001:1:0.001", "--range", "classes=1:100000:1"],  # too many configurations
])
def test_cli_bad_input(argv, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    try:
        status = main(["sweep", str(SPEC), *argv])
    except SystemExit as refused:  # argparse refuses some options (e.g. --out x.txt) before any work
        status = refused.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("costmodel") and err.count("\n") == 1


def test_verify_catches_what_the_fit_test_cannot():
    # an add of unequal shapes: 8*alpha channels against 4 fit only at alpha = 1/2; the closed-form
    # fit test (sizes, channels per group, whole totals) does not see it, the verified sample does
    net = costmodel.load_network(costmodel.loads(textwrap.dedent("""\
        input: [8, 8, 4]
        symbols: {alpha: 1}
        rounding: floor
        layers:
          - {type: conv, name: a, filters: 8*alpha, kernel: 1}
          - {type: conv, name: b, filters: 4, kernel: 1, input: input}
          - {type: add, inputs: [a, b]}
        """), file="g.yaml"))
    assert len(explore.sweep(net, {"alpha": ["1"]})) == 1
    with pytest.raises(costmodel.SpecError, match="add"):
        explore.sweep(net, {"alpha": ["1"]}, verify=1)
    rows = explore.sweep(net, {"alpha": ["0.5"]}, verify=1)
    # two 1x1 convs, 8*8 positions x 4 outputs x 4 inputs each
    assert rows["macs"].tolist() == [2 * 8 * 8 * 4 * 4]


def test_groups_left_out_where_report_refuses_them():
    # groups=2 needs an even filter count: floor(8*0.375) = 3 is odd, which report refuses
    net = costmodel.load_network(costmodel.loads(textwrap.dedent("""\
        input: [8, 8, 4]
        symbols: {alpha: 1}
        rounding: floor
        layers:
          - {type: conv, filters: 8*alpha, kernel: 1, groups: 2}
        """), file="g.yaml"))
    with pytest.raises(costmodel.SpecError, match="groups 2 does not divide filters 3"):
        costmodel.analyze(net.spec, {"alpha": "0.375"})
    assert len(explore.sweep(net, {"alpha": ["0.375"]})) == 0
    rows = explore.sweep(net, {"alpha": ["0.5", "1"]}, verify=2)
    # 8*8 positions x C_out x 4/2 input channels per group
    assert rows["macs"].tolist() == [8 * 8 * 4 * 2, 8 * 8 * 8 * 2]


def test_groups_that_do_not_divide_are_left_out():
    """groups: 4 needs filters c with c % 4 == 0; `report` refuses the rest, so sweep leaves them out."""
    spec = costmodel.from_dict({
        "input": [8, 8, 4], "symbols": {"c": {"default": 8, "integer": True, "description": "filters"}},
        "layers": [{"type": "conv", "filters": "c", "kernel": 3, "groups": 4, "bias": False}]})
    rows = explore.sweep(spec, {"c": list(range(4, 62, 2))})
    assert [int(c) for c in rows["c"]] == list(range(4, 62, 4))
    for row in rows:  # each kept row: 8*8*c outputs, each 3*3*(4/4) taps
        assert row["macs"] == 8 * 8 * int(row["c"]) * 3 * 3 * (4 // 4)
