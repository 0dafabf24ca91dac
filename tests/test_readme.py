"""README.md stays true: its spec example runs and the numbers it quotes are what we compute."""

import re
from fractions import Fraction
from pathlib import Path

import costmodel
import costmodel.ratio

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_spec_example_runs():
    spec = re.search(r"```yaml\n(.*?)```", README, re.S).group(1)
    result = costmodel.analyze(costmodel.loads(spec, file="README.md"))
    assert [r.name for r in result.rows][:6] == ["stem", "separable1/dwconv1", "separable1/batchnorm1",
                                                 "separable1/relu1", "separable1/pw", "add1"]
    assert "deep.2/pw" in [r.name for r in result.rows]


def test_quoted_numbers():
    result = costmodel.analyze("specs/mobilenet_cifar.yaml", alpha=0.5, delta=2)
    assert f"{result.totals.macs:,}" == "5,975,552" and "5,975,552" in README
    assert f"{result.totals.params_with_statistics:,}" == "1,651,802" and "1,651,802" in README
    net = result.network
    assert f"macs smooth = {net.formula('macs', smooth_form=True)}" in README
    spec = costmodel.from_dict({"input": [32, 32, 3], "layers": [{"type": "conv", "filters": 8, "kernel": 3}]})
    assert costmodel.analyze(spec).totals.params == 3 * 3 * 3 * 8 + 8 == 224 and "# 224 = 3*3*3*8 + 8" in README
    assert Fraction(73, 137) == costmodel.ratio.layer_ratio(Fraction(1, 2), 2)[0].exact and "73/137 = 0.53" in README


def test_pictures_are_there():
    """Every picture the README shows is a PNG file under docs/ (the graph and the explorer page)."""
    pictures = re.findall(r"!\[[^\]]*\]\((docs/[^)]+)\)", README)
    assert {"docs/graph_resnet50_depth1.png", "docs/explore_resnext50.png"} <= set(pictures)
    for name in pictures:
        assert (Path(__file__).parent.parent / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
