"""`--symbolic`'s per-layer formulas from the cache of closed-form text (outputs/layertext.py): a
spec seen before prints them without sympy, the same text as deriving them; a bad entry is ignored."""

import json

from costmodel import cache

from test_cache import entries, run

SPEC = "specs/mobilenet_cifar.yaml"
DEEP = "imagenet/resnet_bottleneck"  # repeat counts d1..d4 are symbols: the layers depend on the preset


def layer_entry(tmp_path):
    found = [p for p in entries(tmp_path) if json.loads(p.read_text())["kind"] == "layer-formulas-1"]
    assert len(found) == 1
    return found[0]


def test_the_second_symbolic_report_needs_no_sympy_and_prints_the_same(tmp_path):
    sympy, status, first = run(tmp_path, "report", SPEC, "--symbolic")
    assert status == 0 and sympy  # derived, and the texts stored
    for fmt in ("table", "json", "csv"):
        _, _, fresh = run(tmp_path, "--no-cache", "report", SPEC, "--symbolic", "--format", fmt)
        sympy, status, cached = run(tmp_path, "report", SPEC, "--symbolic", "--format", fmt)
        assert status == 0 and not sympy and cached == fresh, fmt
    assert first == run(tmp_path, "--no-cache", "report", SPEC, "--symbolic")[2]
    assert len(entries(tmp_path)) == 2  # the totals' text and the layers' text


def test_one_entry_serves_every_depth_of_a_spec_whose_repeat_counts_are_symbols(tmp_path):
    """resnet50 has 3+4+6+3 bottlenecks, resnet152 3+8+36+3: the iterations after the second of a
    closed repeat share the second's text, so the entry written for one preset names every layer of
    the other."""
    run(tmp_path, "report", DEEP, "--symbolic", "--preset", "resnet50", "--format", "json")
    rows = {}
    for preset in ("resnet152", "resnet50"):
        _, _, fresh = run(tmp_path, "--no-cache", "report", DEEP, "--symbolic", "--preset", preset, "--format", "json")
        sympy, status, cached = run(tmp_path, "report", DEEP, "--symbolic", "--preset", preset, "--format", "json")
        assert status == 0 and not sympy and cached == fresh, preset
        rows[preset] = len(json.loads(cached)["layers"])
    assert rows["resnet152"] > rows["resnet50"]  # layers the first run never showed, named by the entry
    assert len(entries(tmp_path)) == 2


def test_a_bad_layer_entry_is_ignored_and_rebuilt(tmp_path):
    _, _, expected = run(tmp_path, "report", SPEC, "--symbolic", "--format", "json")
    path = layer_entry(tmp_path)
    good = json.loads(path.read_text())
    name = sorted(good["value"]["texts"])[0]
    texts = {**good["value"]["texts"], name: {"params": "1", "macs": "1", "output_shape": ["1", "1", "1"]}}
    tampered = {**good, "value": {**good["value"], "texts": texts}}  # checksum now stale
    foreign = {**good, "kind": "formulas-1"}
    missing = {**good, "value": {"texts": {}, "modes": good["value"]["modes"]}}
    missing["checksum"] = cache._checksum(missing["value"])  # well formed, but names no layer
    for bad in ("{not json", json.dumps(tampered), json.dumps(foreign), json.dumps(missing), ""):
        path.write_text(bad)
        sympy, status, out = run(tmp_path, "report", SPEC, "--symbolic", "--format", "json")
        assert status == 0 and sympy and out == expected  # derived again, not trusted
