"""`costmodel graph`: DOT written by our code; SVG through Graphviz's dot, parsed back."""

import shutil
import xml.etree.ElementTree as ET

import pytest

import costmodel
from costmodel.outputs import graph

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot (apt-get install graphviz)")
SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(path) -> set:
    """Every line of text the SVG shows (a node's label is one <text> per line)."""
    return {t.text for t in ET.parse(path).getroot().iter(f"{SVG}text") if t.text}


@needs_dot
def test_every_layer_is_named(cli, tmp_path):
    out = tmp_path / "mobilenet.svg"
    assert cli(["graph", "mobilenet_cifar", "-o", str(out)])[0] == 0
    rows = costmodel.analyze("mobilenet_cifar").rows
    assert {r.name for r in rows} - svg_texts(out) == set()
    assert "input 32x32x3" in svg_texts(out)


@needs_dot
def test_depth_one_names_every_top_level_node(cli, tmp_path):
    out = tmp_path / "resnet.svg"
    assert cli(["graph", "imagenet/resnet_bottleneck", "--depth", "1", "-o", str(out)])[0] == 0
    top = costmodel.outputs.report.tree(costmodel.analyze("imagenet/resnet_bottleneck"))["children"]
    texts = svg_texts(out)
    assert [n["name"] for n in top if n["name"] not in texts] == []
    assert "repeat bottleneck \u00d76" in texts  # layer3, six bottlenecks, one node
    assert "layer3/conv1" not in texts  # collapsed


def test_symbolic_repeat_drawn_once_with_its_count():
    evaluation = costmodel.analyze("imagenet/resnet_basic", {"d2": 5})
    text = graph.dot(evaluation, depth=2)
    assert "repeat layer2 \u00d75" in text and "layer2.2 (\u00d74)" in text
    assert "layer2.3" not in text and "layer2.5" not in text  # iterations 3..5: drawn by iteration 2


def test_dot_needs_nothing(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    out = tmp_path / "m.dot"
    assert cli(["graph", "mobilenet_cifar", "-o", str(out)])[0] == 0
    text = out.read_text()
    assert text.startswith("digraph") and text.count("->") >= len(costmodel.analyze("mobilenet_cifar").rows)


def test_missing_dot_fails_at_once_with_the_hint(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(costmodel, "analyze", lambda *a, **k: pytest.fail("analysed before looking for dot"))
    status, _, err = cli(["graph", "mobilenet_cifar", "-o", str(tmp_path / "m.svg")])
    assert status == 2 and "apt-get install graphviz" in err and len(err.splitlines()) == 1


def test_fill_follows_the_share_of_macs():
    text = graph.dot(costmodel.analyze("imagenet/resnet_bottleneck"), depth=1)
    darkest = "#" + "".join(f"{c:02x}" for c in graph.FILL)
    assert text.count(f'fillcolor="{darkest}"') == 1  # the node with the most MACs (layer3)
    assert "fill: share of the MACs" in text  # the legend says so


def test_unknown_extension_is_refused(cli, tmp_path):
    status, _, err = cli(["graph", "mobilenet_cifar", "-o", str(tmp_path / "m.txt")])
    assert status == 2 and "expected a .dot, .gv, .svg or .png" in err
