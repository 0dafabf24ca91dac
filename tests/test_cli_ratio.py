"""`costmodel ratio`: the paper's worked example and the closed form."""

import json
from fractions import Fraction

import pytest

from costmodel import shipped
from costmodel.analyses import ratio
from costmodel.cli import main


def test_worked_example_is_053(capsys, golden):
    assert main(["ratio", "--alpha", "0.5", "--delta", "2"]) == 0
    out = capsys.readouterr().out
    # params: dw 3*3*(32*2) + pw (32*2)*64 = 576 + 4096 = 4672 against 3*3*64 + 64*128 = 8768
    assert Fraction(576 + 4096, 576 + 8192) == Fraction(73, 137)
    assert "73/137 = 0.5328" in out and "to two decimals: params 0.53, macs 0.53" in out
    golden("ratio_a0.5_d2.txt", out)


@pytest.mark.parametrize("alpha, delta", [("1", 1), ("0.5", 2), ("0.25", 4), ("0.75", 1)])
def test_exact_equals_papers_closed_form_when_channels_are_whole(alpha, delta):
    for r in ratio.layer_ratio(Fraction(alpha), delta):
        a = Fraction(alpha)
        assert r.exact == r.closed_form == (a * 9 + a * a * 128) * delta / (9 + 128)
        assert r.approximation == a * a * delta


def test_floor_makes_exact_differ_from_closed_form():
    # alpha = 0.3: alpha*M = 19.2 -> 19 channels, alpha*N = 38.4 -> 38
    params, macs = ratio.layer_ratio(Fraction(3, 10), 2)
    assert params.exact == Fraction(9 * 19 * 2 + 19 * 2 * 38, 9 * 64 + 64 * 128)
    assert params.exact < params.closed_form


def test_smooth_closed_form_is_the_papers_for_all_values():
    assert ratio.smooth_layer_ratio_matches_paper()


def test_json_and_spec_mode(capsys):
    assert main(["ratio", "--alpha", "0.5", "--delta", "2", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["exact"] for r in doc["ratios"]] == ["73/137", "73/137"]
    assert main(["ratio", "--alpha", "0.5", "--delta", "2", "--spec", str(shipped.path("mobilenet_cifar"))]) == 0
    out = capsys.readouterr().out
    # whole network: 5,975,552 / 11,596,288 MACs
    assert f"{Fraction(5_975_552, 11_596_288)}" in out


def test_bad_values_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["ratio", "--alpha", "x", "--delta", "2"])
    assert e.value.code == 2
    assert main(["ratio", "--alpha", "0", "--delta", "2"]) == 2
    assert "alpha must be positive" in capsys.readouterr().err
