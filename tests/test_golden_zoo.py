"""Golden reports of two zoo presets, compared byte for byte: MobileNetV3-Small (the option
`small` of specs/imagenet/mobilenet_v3.yaml) and EfficientNet-B0 (specs/imagenet/efficientnet.yaml),
each as the table and as the totals of the JSON document.

Regenerate after an intended change of the output (then read the diff):

    python -m pytest -q tests/test_golden_zoo.py --update-golden
"""

import json

import pytest

from zoo import gflops

CASES = {
    "report_mobilenet_v3_small.txt": ["report", "imagenet/mobilenet_v3", "--preset", "mobilenet_v3_small"],
    "report_efficientnet_b0.txt": ["report", "imagenet/efficientnet", "--preset", "efficientnet_b0"],
}
JSON_CASES = {
    "report_mobilenet_v3_small_totals.json": [*CASES["report_mobilenet_v3_small.txt"], "--format", "json"],
    "report_efficientnet_b0_totals.json": [*CASES["report_efficientnet_b0.txt"], "--format", "json"],
}
HEAD = ("network", "spec", "preset", "options", "symbols", "totals")  # the JSON's parts these files keep
PUBLISHED = {"report_mobilenet_v3_small_totals.json": (2542856, 0.057),  # torchvision's num_params, _ops
             "report_efficientnet_b0_totals.json": (5288548, 0.386)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_table(name, cli, golden):
    status, out, err = cli(CASES[name])
    assert (status, err) == (0, "")
    golden(name, out)


def totals_document(out: str) -> str:
    doc = json.loads(out)
    return json.dumps({k: doc[k] for k in HEAD if k in doc}, indent=2) + "\n"


@pytest.mark.parametrize("name", sorted(JSON_CASES))
def test_json_totals(name, cli, golden):
    status, out, err = cli(JSON_CASES[name])
    assert (status, err) == (0, "")
    golden(name, totals_document(out))
    totals = json.loads(out)["totals"]
    assert (totals["params"], gflops(totals["macs"])) == PUBLISHED[name]  # the golden files hold torchvision's


def test_the_table_names_the_option_and_its_totals_row_sums_the_layers(cli):
    _, out, _ = cli(CASES["report_mobilenet_v3_small.txt"])
    lines = out.splitlines()
    assert lines[0].startswith("mobilenet_v3, preset mobilenet_v3_small, small=1 (alpha=1, resolution=224")
    rows = [line.split() for line in lines if line[:5].strip().isdigit()]
    total = next(line.split() for line in lines if line.strip().startswith("total "))
    as_int = lambda s: int(s.replace(",", ""))  # noqa: E731
    assert sum(as_int(r[4]) for r in rows) == as_int(total[1]) == 2542856  # params
