"""Values and the library API at the edges (issues 14 and 15).

- A Python float is the exact decimal of its shortest repr (0.7 is 7/10, so floor(10*0.7) = 7);
  every finite float is accepted, NaN and inf are a SpecError naming the value.
- sweep at a zero divisor, with symbols named like helpers of the compiled code, and with totals
  beyond float64's exact integers; reproduce --check and --device on a file that is not regular.
- The API contract: SpecError for a bad value or budget, TypeError naming the parameter for a wrong
  Python type, nothing else.
"""

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import costmodel
from costmodel import SpecError
from costmodel.analyses import explore, metrics
from costmodel.expr import exact_number

MOBILENET = "specs/mobilenet_cifar.yaml"


@pytest.fixture(scope="module")
def net():
    from conftest import ROOT
    return costmodel.load_network(ROOT / MOBILENET)


def spec(layers: str, symbols: str, rounding: str = "floor", size: int = 32):
    return costmodel.load_network(costmodel.loads(
        f"input: [{size}, {size}, 3]\nrounding: {rounding}\nsymbols: {{{symbols}}}\nlayers: {layers}\n",
        file="edge.yaml"))


# --- floats: the exact decimal of their shortest repr -------------------------------------------

@pytest.mark.parametrize("value, exact", [
    (0.1, Fraction(1, 10)),
    (0.7, Fraction(7, 10)),
    (0.27949999999999997, Fraction(27949999999999997, 10**17)),  # 17 decimals: too many for text
    (np.float64(0.3), Fraction(3, 10)),
    (np.float32(0.1), Fraction(1, 10)),  # float32's own shortest repr, not its double value
    (np.int64(4), Fraction(4)),
    (5e-324, Fraction(5, 10**324)),
])
def test_a_float_is_its_shortest_repr(value, exact):
    assert exact_number(value) == exact


def test_seven_tenths_of_ten_is_seven():
    layers = "[{type: conv, filters: 10*alpha, kernel: 1}]"
    row = costmodel.analyze(spec(layers, "alpha: 1"), alpha=0.7).rows[0]
    assert row.shape == (32, 32, 7)  # floor(10 * 7/10); the double 0.69999999999999995559 floors to 6
    assert row.params == 3 * 7 + 7


def test_the_issue_loop_runs(net):
    for i in range(0, 200, 11):
        alpha = 0.25 + i / 4000
        assert net.evaluate(dict(alpha=alpha, delta=2, classes=10)).values["alpha"] == Fraction(repr(alpha))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float64("nan")])
def test_nan_and_inf_are_refused_naming_the_value(net, bad):
    with pytest.raises(SpecError, match="value of alpha: number .* is not finite"):
        net.evaluate({"alpha": bad})
    with pytest.raises(SpecError, match="value of alpha: number .* is not finite"):
        explore.compare(net, {"alpha": [0.5, bad]})
    with pytest.raises(SpecError, match="value of alpha: number .* is not finite"):
        explore.sweep(net, {"alpha": [bad]})
    with pytest.raises(SpecError, match="budget for MACs: number .* is not finite"):
        explore.solve(net, "alpha", {"macs": bad})


def test_text_keeps_its_decimal_limit(net):
    with pytest.raises(SpecError, match="more than 15 decimals"):
        net.evaluate({"alpha": "0.2794999999999999700"})


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.floats(min_value=0.05, max_value=3.0))
def test_a_float_gives_the_numbers_of_its_repr(value):
    """The float and the exact decimal of its repr give the same numbers; when that repr is short
    enough to be text (at most 9 decimals, the text's denominator limit), the text too."""
    net = _shared_network()
    by_float = net.evaluate({"alpha": value}).totals
    assert by_float == net.evaluate({"alpha": Fraction(repr(value))}).totals
    short = f"{value:.4f}"
    assert net.evaluate({"alpha": float(short)}).totals == net.evaluate({"alpha": short}).totals


_NETWORK = []


def _shared_network():
    if not _NETWORK:
        from conftest import ROOT
        _NETWORK.append(costmodel.load_network(ROOT / MOBILENET))
    return _NETWORK[0]


def test_a_numpy_linspace_grid_sweeps(net):
    widths = np.linspace(0.25, 1.0, 31)  # 0.275, 0.30000000000000004 ...: floats as numpy computes them
    rows = explore.sweep(net, {"alpha": widths, "delta": [1, 2]})
    assert len(rows) == 31 * 2
    row = rows[(rows["alpha"] == widths[2]) & (rows["delta"] == 2)][0]
    assert int(row["macs"]) == net.evaluate({"alpha": Fraction(repr(float(widths[2]))), "delta": 2}).totals.macs


def test_numpy_scalars_everywhere(net):
    assert net.evaluate({"alpha": np.float64(0.5), "delta": np.int64(2)}).totals.macs == 5975552
    assert explore.compare(net, {"alpha": [np.float32(0.5)]})[0]["macs"] == net.evaluate({"alpha": 0.5}).totals.macs
    assert explore.solve(net, "alpha", {"macs": np.float64(6e6)})["costs"]["macs"] <= 6 * 10**6


# --- sweep and solve at the edges ---------------------------------------------------------------

def test_sweep_leaves_out_a_zero_divisor_as_report_refuses_it(cli, tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("input: [32, 32, 3]\nsymbols: {alpha: 1}\nrounding: floor\n"
                    "layers: [{type: conv, filters: '8 + 8/(2*alpha-1)', kernel: 3}]\n")
    net = costmodel.load_network(path)
    with pytest.raises(SpecError, match="division by zero"):
        net.evaluate({"alpha": Fraction(1, 2)})
    rows = explore.sweep(net, {"alpha": [1, Fraction(1, 2)]})
    assert rows["alpha"].tolist() == [1.0]
    assert int(rows["macs"][0]) == 32 * 32 * 3 * 3 * 3 * (8 + 8 // (2 - 1))
    status, out, _ = cli(["sweep", str(path), "--grid", "alpha=1,1/2"])
    assert status == 0 and "1 of them divide by zero, which report refuses as 'division by zero'" in out


def test_a_rounded_channel_count_below_zero_is_refused_as_report_does():
    # 8 + 8/(2/3 - 1) = -16: multiple_of_8 would lift it to 8, report refuses it before rounding
    net = spec("[{type: conv, filters: '8 + 8/(2*a - 1)', kernel: 1}]", "a: 1", rounding="multiple_of_8")
    with pytest.raises(SpecError, match="positive channel count, got -16"):
        net.evaluate({"a": Fraction(1, 3)})
    assert explore.sweep(net, {"a": [Fraction(1, 3), 1]})["a"].tolist() == [1.0]


@pytest.mark.parametrize("name", ["Fraction", "RoundNearest", "RoundFloor", "RoundDivisible", "math", "numpy",
                                  "inv_", "lambda", "x0"])
def test_any_symbol_name_works_in_sweep_and_solve(name):
    # 8 + 8/(2*x): a rounding that is not a polynomial, evaluated cell by cell by exact code
    net = spec(f"[{{type: conv, filters: '8 + 8/(2*{name})', kernel: 3}}, "
               f"{{type: conv, filters: '16*{name}', kernel: 3, rounding: nearest}}]", f"{name}: 1")
    report = net.evaluate({name: Fraction(1, 2)}).totals
    rows = explore.sweep(net, {name: [Fraction(1, 2), 1]})
    assert int(rows["macs"][0]) == report.macs == 32 * 32 * 3 * 9 * 16 + 32 * 32 * 16 * 9 * 8
    # solve compiles the closed forms of one symbol with the others fixed: linear roundings here
    net = spec(f"[{{type: conv, filters: '16*{name}', kernel: 3}}]", f"{name}: 1")
    answer = explore.solve(net, name, {"params": 3 * 3 * 3 * 8 + 8})
    assert answer["supremum"] == Fraction(9, 16) and answer["kind"] == "supremum"  # floor(16*x) = 8 up to 9/16


def test_solve_narrows_a_steep_rounding_before_listing_its_steps():
    # floor(2**20 * a) steps 2**20 times per unit of a: the bracket is narrowed to a few steps first
    net = spec("[{type: conv, filters: '1048576*a', kernel: 1}]", "a: 1", size=8)
    budget = 8 * 8 * 3 * 1048576 * 10**5  # MACs = 8*8 positions * 3 inputs * floor(2**20 a) filters
    answer = explore.solve(net, "a", {"macs": budget})  # (10**5 is within the values' bound, 10**6)
    assert answer["supremum"] == Fraction(1048576 * 10**5 + 1, 1048576) and answer["kind"] == "supremum"
    assert answer["value"] == 10**5 and answer["costs"]["macs"] == budget  # the step [10**5, supremum)


def test_sweep_gives_exact_totals_beyond_float64():
    side = 2**20
    net = spec("[{type: conv, filters: '1048576*w', kernel: 1}]", "w: 1", size=side)
    rows = explore.sweep(net, {"w": [1, 2]}, pareto=("macs", "params"))
    macs = side * side * 3 * 2**20  # 3 * 2**60, within int64
    assert rows["macs"].tolist() == [macs, 2 * macs] and rows["flops"].tolist() == [2 * macs, 4 * macs]
    assert rows["pareto"].tolist() == [True, False]
    net = costmodel.load_network(costmodel.loads(
        f"input: [{side}, {side}, {side}]\nsymbols: {{w: 1}}\nlayers: [{{type: conv, filters: '1048576*w', kernel: 1}}]\n"))
    rows = explore.sweep(net, {"w": [1]})
    assert rows["macs"][0] == 2**20 * 2**20 * 2**20 * 2**20 == net.evaluate().totals.macs  # 2**80: Python ints
    assert rows["flops"][0] == 2 * 2**80


# --- files that are not regular -----------------------------------------------------------------

def test_reproduce_check_refuses_a_device_file(cli):
    status, _, err = cli(["reproduce", "--check", "/dev/zero"])
    assert status == 2 and "/dev/zero: cannot read the report: not a regular file" in err


def test_reproduce_check_reads_a_bounded_amount(cli, tmp_path):
    from costmodel.commands.reproduce import MAX_REPORT_BYTES
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * (MAX_REPORT_BYTES + 1))
    status, _, err = cli(["reproduce", "--check", str(big)])
    assert status == 2 and f"the report is larger than {MAX_REPORT_BYTES:,} bytes" in err


def test_device_profile_refuses_a_device_file(cli):
    status, _, err = cli(["metrics", MOBILENET, "--device", "/dev/zero"])
    assert status == 2 and "cannot read device profile: not a regular file" in err


# --- the API contract: SpecError for values, TypeError naming the parameter for types -------------

@pytest.mark.parametrize("call, parameter", [
    (lambda net: costmodel.analyze(5), "source"),
    (lambda net: costmodel.analyze(net, [0.5]), "values"),
    (lambda net: net.evaluate([0.5]), "values"),
    (lambda net: net.evaluate({"alpha": [0.5]}), "value of alpha"),
    (lambda net: net.evaluate({"alpha": None}), "value of alpha"),
    (lambda net: explore.compare(net, [0.5]), "grid"),
    (lambda net: explore.compare(net, {"alpha": [0.5]}, fixed=2), "fixed"),
    (lambda net: explore.compare(net, {"alpha": [0.5]}, convention=3), "convention"),
    (lambda net: explore.sweep(net, "alpha"), "axes"),
    (lambda net: explore.sweep(net, {"alpha": np.ones((2, 2))}), "values of alpha"),
    (lambda net: explore.sweep(net, {"alpha": [0.5]}, verify="yes"), "verify"),
    (lambda net: explore.solve(net, 1, {"macs": 6e6}), "symbol"),
    (lambda net: explore.solve(net, "alpha", 6e6), "budgets"),
    (lambda net: explore.solve(net, "alpha", {"macs": None}), "budgets: the budget for MACs must be a number"),
    (lambda net: metrics.evaluate(3, {"alpha": 0.5}), "source"),
    (lambda net: metrics.evaluate(net, {"alpha": 0.5}, device="phone"), "device"),
    (lambda net: metrics.evaluate(net, {"alpha": 0.5}, exits="pool"), "exits"),
    (lambda net: metrics.evaluate(net, {"alpha": 0.5}, exits=["conv1"], fractions=["1"]), "fractions"),
])
def test_a_wrong_python_type_is_a_type_error_naming_the_parameter(net, call, parameter):
    with pytest.raises(TypeError, match=f"^{parameter}(: expected|, got)"):
        call(net)


@pytest.mark.parametrize("call, message", [
    (lambda net: explore.solve(net, "alpha", {"macs": "lots"}), "budget for MACs: expected a number, got 'lots'"),
    (lambda net: explore.solve(net, "alpha", {"macs": "6e6"}) and None, None),
    (lambda net: explore.sweep(net, {"alpha": [0.5]}, pareto=("macs",)), "pareto: expected two metrics"),
    (lambda net: net.evaluate({"alpha": 10.0**7}), "value of alpha must be at most 1,000,000"),
    (lambda net: net.evaluate({"alpha": Fraction(10**7)}), "value of alpha must be at most 1,000,000"),
    (lambda net: net.evaluate({"alpha": 10**5000}), "value of alpha: a number of 16,610 bits is out of range"),
    (lambda net: net.evaluate({"alpha": Decimal("1e-999999999")}), "value of alpha: number 1E-999999999 is out of range"),
])
def test_a_bad_value_is_a_spec_error(net, call, message):
    if message is None:
        call(net)  # '6e6' as text is a budget like 6e6
        return
    with pytest.raises(SpecError, match=message):
        call(net)
