"""README.md stays true: its spec example runs and the numbers it quotes are what we compute."""

import re
from fractions import Fraction
from pathlib import Path

import costmodel
import costmodel.analyses.ratio

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
    assert Fraction(73, 137) == costmodel.analyses.ratio.layer_ratio(Fraction(1, 2), 2)[0].exact and "73/137 = 0.53" in README


def test_hierarchy_section_is_true():
    import sympy
    net = costmodel.load_network("imagenet/resnet_bottleneck")
    s = net.symbols
    at = {s["groups"]: 1, s["width_per_group"]: 64, s["resolution"]: 224}
    closed = str(sympy.factor_terms(sympy.expand(net.total("macs").subs(at))))
    assert closed == "2048*(classes + 106624*d1 + 106624*d2 + 106624*d3 + 106624*d4 + 289688)" and closed in README
    assert 2048 * 106624 == 218_365_952 and "2048 · 106624 = 218,365,952" in README
    d3_is_1 = costmodel.analyze("imagenet/resnet_bottleneck", {"d3": 1}).totals.macs
    assert f"{d3_is_1:,}" == "2,997,354,496" and "2,997,354,496 of d3 = 1" in README
    from costmodel.cli import main
    import contextlib, io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["report", "imagenet/resnet_bottleneck", "--preset", "resnet50", "--depth", "2"])
    excerpt = README.split("$ costmodel report imagenet/resnet_bottleneck --preset resnet50 --depth 2")[1].split("```")[0]
    shown = [line for line in excerpt.splitlines() if line.strip() and line != "..."]
    assert shown and all(line in out.getvalue().splitlines() for line in shown)


def test_python_api_blocks_run():
    """The Python blocks of the "Python API" section run as written, in order, in one namespace
    (README text of our own, not user input)."""
    section = README.split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) >= 2 and "np.linspace" in blocks[1]
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our README's own examples
    assert namespace["result"].totals.macs == 5975552
    assert len(namespace["rows"]) == 31 * 2
    # closed forms by hand and the notebook block: what their comments say
    assert namespace["macs"].subs({"alpha": Fraction(1, 2), "delta": 2, "classes": 10}) == 5975552
    assert namespace["f"](0.5, 2, 10) == namespace["exact"](Fraction(1, 2), 2, 10) == 5975552
    assert (namespace["layers"][0]["name"], namespace["layers"][0]["channels"]) == ("conv1", 16)


def test_pictures_are_there():
    """Every picture the README shows is a PNG file under docs/ (the graph and the explorer page)."""
    pictures = re.findall(r"!\[[^\]]*\]\((docs/[^)]+)\)", README)
    assert {"docs/graph_resnet50_depth1.png", "docs/explore_resnext50.png"} <= set(pictures)
    for name in pictures:
        assert (Path(__file__).parent.parent / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_bad_input_block_is_what_costmodel_prints(tmp_path):
    """The Errors section's `bad.yaml` block: the file it shows, run, prints exactly the lines shown
    and exits 2."""
    import subprocess
    import sys
    block = README.split("$ cat bad.yaml\n", 1)[1].split("```", 1)[0]
    spec, rest = block.split("$ costmodel report bad.yaml\n")
    shown, status = rest.split("$ echo $?\n")
    (tmp_path / "bad.yaml").write_text(spec)
    done = subprocess.run([sys.executable, "-m", "costmodel", "report", "bad.yaml"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == int(status) == 2
    assert done.stderr == shown and done.stdout == ""
