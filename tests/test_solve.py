"""`solve`: the largest value of a symbol within budget, verified by `report` (costmodel.analyze)."""

import json
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

import costmodel
from costmodel import shipped
from costmodel.analyses import explore
from costmodel.cli import main
from costmodel.spec import MAX_SYMBOL_VALUE

ROOT = Path(__file__).parent.parent
SPEC = shipped.path("mobilenet_cifar")


def macs(alpha, **values):
    return costmodel.analyze(SPEC, alpha=alpha, **values).totals.macs


def test_largest_alpha_with_delta_2_under_6m_macs():
    result = explore.solve(SPEC, "alpha", {"macs": 6e6}, fixed={"delta": 2})
    # Table 4: delta=2, alpha=0.5 costs 5,975,552 MACs, within 6 M; floor(1024*alpha) first steps
    # above 0.5 at 513/1024 (ds8/ds9 gain a channel), and costs keep growing
    assert macs(Fraction(1, 2), delta=2) == 5975552
    sup, (low, high) = result["supremum"], result["step"]
    assert result["kind"] == "supremum" and not result["attained"] and not result["capped"]
    assert Fraction(1, 2) < low < sup == high
    assert macs(sup, delta=2) > 6_000_000                       # the supremum itself breaks the budget
    assert macs(low, delta=2) <= 6_000_000                      # the step's low end fits ...
    assert macs(low, delta=2) == macs((low + sup) / 2, delta=2)  # ... with the same costs up to sup
    # the value to use: the shortest decimal of the step, 0.501 in [513/1024 = 0.50097..., 257/512 = 0.50195...)
    assert result["value"] == result["example"] == Fraction(501, 1000)
    assert result["costs"]["macs"] == macs(result["value"], delta=2) == macs(low, delta=2) <= 6_000_000
    assert result["smooth"] is not None and abs(result["smooth"] - float(sup)) < 0.01


def test_two_budgets_take_the_tighter():
    alone = explore.solve(SPEC, "alpha", {"macs": 6e6}, fixed={"delta": 2})
    both = explore.solve(SPEC, "alpha", {"macs": 6e6, "params": 1.2e6}, fixed={"delta": 2})
    assert both["value"] < alone["value"]
    within = costmodel.analyze(SPEC, alpha=both["value"], delta=2).totals
    assert within.macs <= 6e6 and within.params <= 1.2e6
    assert costmodel.analyze(SPEC, alpha=both["supremum"], delta=2).totals.params > 1.2e6


def test_the_answer_is_capped_at_the_largest_value_a_symbol_may_take():
    # 1e20 MACs: alpha would be about 3,000,000, which report refuses (values are at most 10**6)
    result = explore.solve(SPEC, "alpha", {"macs": 1e20})
    assert result["value"] == MAX_SYMBOL_VALUE == 10**6 and result["capped"] and result["attained"]
    assert result["supremum"] is None
    assert result["costs"]["macs"] == macs(10**6) <= 10**20  # report accepts it
    result = explore.solve(SPEC, "classes", {"params": 10**30})  # an integer symbol too
    assert result["value"] == 10**6 and result["capped"]
    uncapped = explore.solve(SPEC, "alpha", {"macs": 6e6})
    assert not uncapped["capped"]


def test_integer_symbol_is_searched_exactly():
    result = explore.solve(SPEC, "delta", {"macs": 6e6}, fixed={"alpha": "0.5"})
    assert result["value"] == 2 and result["kind"] == "maximum" and result["attained"]
    assert macs(Fraction(1, 2), delta=3) > 6_000_000


def test_integer_classes_under_params_budget():
    # classes only adds the classifier: 1024*classes weights + classes biases over the rest
    rest = costmodel.analyze(SPEC, classes=1).totals.params - (1024 + 1)
    expected = (3_300_000 - rest) // (1024 + 1)
    result = explore.solve(SPEC, "classes", {"params": 3.3e6})
    assert result["value"] == expected


ONE_CONV = """\
input: [32, 32, 3]
symbols: {{alpha: 1}}
rounding: {rounding}
layers:
  - {{type: conv, filters: 8*alpha, kernel: 3, bias: false}}
"""


def one_conv(rounding):
    return costmodel.loads(ONE_CONV.format(rounding=rounding), file="one.yaml")


def test_ceil_rounding_gives_an_attained_maximum():
    # MACs = 32*32 positions x ceil(8*alpha) filters x 3*3*3 taps; budget 4 filters' worth:
    # ceil(8*alpha) <= 4 <=> alpha <= 1/2, attained
    result = explore.solve(one_conv("ceil"), "alpha", {"macs": 32 * 32 * 4 * 27})
    assert result["value"] == Fraction(1, 2) and result["kind"] == "maximum" and result["attained"]
    assert result["costs"]["macs"] == 32 * 32 * 4 * 27


def test_floor_rounding_gives_a_supremum():
    # floor(8*alpha) <= 4 <=> alpha < 5/8: every alpha in [1/2, 5/8) gives 4 filters
    result = explore.solve(one_conv("floor"), "alpha", {"macs": 32 * 32 * 4 * 27})
    assert result["supremum"] == Fraction(5, 8) and result["kind"] == "supremum"
    assert result["step"] == (Fraction(1, 2), Fraction(5, 8)) and result["step_closed"] == (True, False)
    assert result["value"] == Fraction(1, 2)  # the step's shortest decimal: its low end, 0.5
    assert result["costs"]["macs"] == 32 * 32 * 4 * 27


def test_no_value_fits():
    # below 1/8, floor(8*alpha) = 0 filters: the network does not fit; a 1-filter budget is the least
    with pytest.raises(costmodel.SpecError, match="no value of alpha fits"):
        explore.solve(one_conv("floor"), "alpha", {"macs": 32 * 32 * 1 * 27 - 1})
    with pytest.raises(costmodel.SpecError, match="no value of delta fits"):
        explore.solve(SPEC, "delta", {"macs": 1e6})


def test_cli_verified_by_report(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["solve", str(SPEC), "--max-macs", "6e6", "--for", "alpha", "--set", "delta=2",
                 "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["value_exact"] == "501/1000" and doc["supremum_exact"] == "257/512"  # exact, as text
    assert doc["step_exact"] == ["513/1024", "257/512"] and doc["bound"] == 10**6 and doc["capped"] is False
    assert main(["report", str(SPEC), "--set", f"alpha={doc['value_exact']}", "--set", "delta=2",
                 "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["totals"]["macs"] == doc["costs"]["macs"] <= 6_000_000  # the value fits
    assert main(["report", str(SPEC), "--set", f"alpha={doc['supremum_exact']}", "--set", "delta=2",
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["macs"] > 6_000_000  # the supremum does not
    assert main(["solve", str(SPEC), "--max-macs", "6e6", "--for", "alpha", "--set", "delta=2"]) == 0
    text = capsys.readouterr().out
    assert "alpha = 501/1000 = 0.501  (within every budget" in text
    assert "supremum 257/512 = 0.501953125, not attained" in text


def test_cli_capped_answer_is_accepted_by_report(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["solve", str(SPEC), "--max-macs", "1e20", "--for", "alpha", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["value"] == 10**6 and doc["capped"] is True and doc["supremum"] is None
    assert main(["report", str(SPEC), "--set", f"alpha={doc['value']}", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["macs"] == doc["costs"]["macs"] <= 10**20


@pytest.mark.parametrize("argv", [
    ["--for", "alpha"],                                  # no budget
    ["--for", "beta", "--max-macs", "1e6"],
    ["--for", "alpha", "--max-macs", "-5"],
    ["--for", "alpha", "--max-macs", "1e3"],             # nothing fits
    ["--for", "alpha", "--max-macs", "1e6", "--set", "alpha=0.5"],
])
def test_cli_bad_input(argv, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    try:
        status = main(["solve", str(SPEC), *argv])
    except SystemExit as e:  # argparse refused an option value
        status = e.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("costmodel") and err.count("\n") == 1


@pytest.mark.parametrize("low, high, included, expected", [
    (Fraction(513, 1024), Fraction(257, 512), True, Fraction(501, 1000)),  # 0.50097... to 0.50195...
    (Fraction(1, 2), Fraction(5, 8), True, Fraction(1, 2)),               # the low end itself, 0.5
    (Fraction(1, 2), Fraction(5, 8), False, Fraction(6, 10)),             # open at 0.5: 0.6
    (Fraction(3), Fraction(7), True, Fraction(3)),                        # a whole number
    (Fraction(1, 3), Fraction(1, 3) + Fraction(1, 10**6), True, Fraction(333334, 10**6)),
])
def test_shortest_decimal_of_a_step(low, high, included, expected):
    assert explore.shortest_decimal(low, high, included) == expected
