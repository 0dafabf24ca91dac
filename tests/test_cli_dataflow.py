"""`costmodel dataflow`: golden outputs (EffNet's Table 1), row grouping and labels, alignment, bad input."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import costmodel
from costmodel.analyses import dataflow

ROOT = Path(__file__).parent.parent
TABLE1 = [f"specs/effnet/{name}.yaml" for name in ("baseline", "mobilenet", "shufflenet", "effnet")]
V2 = ["specs/effnet/effnet_v2.yaml", "specs/effnet/mobilenet_v2.yaml"]

CASES = {
    "dataflow_table1.txt": ["dataflow", *TABLE1],
    "dataflow_table1.md": ["dataflow", *TABLE1, "--format", "markdown"],
    "dataflow_table1.csv": ["dataflow", *TABLE1, "--format", "csv"],
    "dataflow_table1.json": ["dataflow", *TABLE1, "--format", "json"],
    "dataflow_table1.tex": ["dataflow", *TABLE1, "--format", "latex"],
    "dataflow_v2_expansion2.txt": ["dataflow", *V2, "--set", "expansion=2"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name, cli, golden):
    status, out, err = cli(CASES[name])
    assert status == 0 and err == ""
    golden(name, out)


def test_json_rows_align_and_carry_table1(cli):
    _, out, _ = cli(CASES["dataflow_table1.json"])
    doc = json.loads(out)
    assert [n["network"] for n in doc["networks"]] == ["effnet_baseline", "effnet_mobilenet", "effnet_shufflenet",
                                                        "effnet"]
    assert [r["stage"] for r in doc["rows"]] == ["stage1", "stage2", "stage3", "classifier"]
    stage2 = doc["rows"][1]["cells"]
    assert [[c["label"] for c in cell] for cell in stage2] == [
        ["3x3x128 + mp"], ["dw 3x3 + stride", "1x1x128"], ["gc4 1x1x32", "dw 3x3 + stride", "gc4 1x1x128"],
        ["1x1x64", "dw 1x3 + 1d mp", "dw 3x1", "2x1x128 + 1d stride"]]
    assert [c["floats_out"] for c in stage2[3]] == [16*16*64, 16*8*64, 16*8*64, 8*8*128]
    mobilenet_dw = stage2[1][0]
    assert mobilenet_dw["floats_in"] == 16*16*64 and mobilenet_dw["compression"] == 4
    assert mobilenet_dw["compression_flagged"] is True
    assert mobilenet_dw["layers"] == ["sep2/dw", "sep2/dw_bn", "sep2/dw_relu"]
    assert doc["networks"][0]["totals"]["flops"] == 2 * doc["networks"][0]["totals"]["macs"]


def test_csv_is_long_form(cli):
    _, out, _ = cli(CASES["dataflow_table1.csv"])
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4 + 6 + 8 + 13                       # every cell of Table 1
    effnet = [r for r in rows if r["network"] == "effnet"]
    assert sum(int(r["floats_out"]) for r in effnet) == (
        32*32*32 + 32*16*32 + 32*16*32 + 16*16*64               # block 1
        + 16*16*64 + 16*8*64 + 16*8*64 + 8*8*128                # block 2
        + 8*8*128 + 8*4*128 + 8*4*128 + 4*4*256 + 10)           # block 3, classifier
    for r in rows:
        assert int(r["height"]) * int(r["width"]) * int(r["channels"]) == int(r["floats_out"])


def test_threshold_option(cli):
    flagged = lambda out: sum(cell.strip().endswith("*") for line in out.splitlines() for cell in line.split("  "))
    _, default, _ = cli(["dataflow", "specs/effnet/effnet.yaml"])
    _, strict, _ = cli(["dataflow", "specs/effnet/effnet.yaml", "--threshold", "2"])
    assert flagged(default) == 1                               # the classifier only
    assert flagged(strict) == 1 + 3                            # and the three 1-D pools (factor 2)


def analyze_text(text: str, **values):
    return costmodel.analyze(costmodel.loads(text, file="test.yaml"), values)


def test_labels_of_other_layers():
    result = analyze_text("""
        input: [16, 16, 8]
        layers:
          - {type: maxpool, kernel: 2, stride: 1, stage: a}
          - {type: conv, name: c1, filters: 8, kernel: 3, stride: [1, 2], stage: a}
          - {type: bn, name: bn, stage: a}
          - {type: add, inputs: [c1, bn], stage: a}
          - {type: dwconv, kernel: 5, multiplier: 2, stride: 3, dilation: 2, stage: b}
          - {type: avgpool, kernel: [2, 1], stage: b}
          - {type: conv, filters: 16, kernel: 1, groups: 2, stage: b}
          - {type: global_avgpool, stage: b}
          - {type: dense, units: 5, stage: b}
        """)
    lines = [(line.label, line.floats_in, line.floats_out)
             for _, _, group in dataflow.network_groups(result) for line in group]
    assert lines == [
        ("mp", 16*16*8, 15*15*8),                          # a stage may start with cost-free layers
        ("3x3x8 + 1d stride + add", 15*15*8, 15*8*8),       # bn is not named, the add is; its inputs
                                                            # are inside the row, so floats in: the pool's
        ("dw 5x5 (x2) dilated 2 + stride 3 + 1d ap", 15*8*8, 2*3*16),   # 15x8 -> 5x3 -> 2x3
        ("gc2 1x1x16 + gap", 2*3*16, 1*1*16),
        ("fc 5", 16, 5),
    ]


def test_unstaged_lines_align_by_position_after_a_stage():
    a = analyze_text("""
        name: a
        input: [8, 8, 4]
        layers:
          - {type: conv, filters: 4, kernel: 3}
          - {type: conv, filters: 8, kernel: 3, stride: 2, stage: s}
          - {type: conv, filters: 8, kernel: 1}
        """)
    b = analyze_text("""
        name: b
        input: [8, 8, 4]
        layers:
          - {type: pointwise, filters: 4}
          - {type: pointwise, filters: 4}
          - {type: conv, filters: 16, kernel: 3, stride: 2, stage: s}
        """)
    flow = dataflow.build([a, b])
    table = [(row.stage, [[line.label for line in lines] for lines in row.cells]) for row in flow.rows]
    assert table == [
        (None, [["3x3x4"], ["1x1x4"]]),           # the first unstaged line of each, side by side
        (None, [[], ["1x1x4"]]),
        ("s", [["3x3x8 + stride"], ["3x3x16 + stride"]]),
        (None, [["1x1x8"], []]),
    ]


def test_stages_in_another_order_are_refused():
    a = analyze_text("input: [8, 8, 4]\nlayers:\n  - {type: pointwise, filters: 4, stage: x}\n"
                     "  - {type: pointwise, filters: 4, stage: y}\n")
    b = analyze_text("input: [8, 8, 4]\nlayers:\n  - {type: pointwise, filters: 4, stage: y}\n"
                     "  - {type: pointwise, filters: 4, stage: x}\n")
    with pytest.raises(costmodel.SpecError, match="stage 'x' comes in another order"):
        dataflow.build([a, b])


def test_a_split_stage_is_refused():
    a = analyze_text("input: [8, 8, 4]\nlayers:\n  - {type: pointwise, filters: 4, stage: x}\n"
                     "  - {type: pointwise, filters: 4, stage: y}\n  - {type: pointwise, filters: 4, stage: x}\n")
    with pytest.raises(costmodel.SpecError, match="stage 'x' is split by other layers"):
        dataflow.build([a])


def cli(*args):
    return subprocess.run([sys.executable, "-m", "costmodel", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("args, message", [
    (["dataflow", "no/such.yaml"], "no/such.yaml: cannot read spec"),
    (["dataflow", *V2, "--set", "beta=2"], "--set: unknown symbol 'beta': no spec declares it"),
    (["dataflow", *V2, "--set", "expansion=1.5"], "expansion is an integer symbol"),
    (["dataflow", TABLE1[0], "--format", "pdf"], "invalid choice"),
    (["dataflow", TABLE1[0], "--threshold", "0"], "expected a positive number"),
    (["dataflow"], "the following arguments are required"),
])
def test_bad_input_is_one_line_exit_2(args, message):
    result = cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_set_applies_only_where_declared(cli):
    # 'expansion' is declared by effnet_v2 only: the baseline keeps its defaults
    status, out, _ = cli(["dataflow", TABLE1[0], V2[0], "--set", "expansion=4", "--format", "json"])
    doc = json.loads(out)
    assert status == 0
    assert [n["symbols"] for n in doc["networks"]] == [{"resolution": 32, "classes": 10},
                                                        {"expansion": 4, "resolution": 32, "classes": 10}]


def test_the_header_says_whose_defaults_each_network_takes(cli):
    # mobilenet_cifar takes costmodel's defaults (no defaults_of), imagenet/mobilenet_v2 PyTorch's:
    # different, so one line per network; the JSON names them per network
    status, out, _ = cli(["dataflow", "mobilenet_cifar", "imagenet/mobilenet_v2"])
    assert status == 0
    lines = out.splitlines()
    assert lines[2].startswith("mobilenet_cifar: defaults_of costmodel: ") and "padding same" in lines[2]
    assert lines[3].startswith("mobilenet_v2: defaults_of pytorch: ") and "padding valid" in lines[3]
    status, out, _ = cli(["dataflow", "mobilenet_cifar", "imagenet/mobilenet_v2", "--format", "json"])
    assert [n["defaults_of"] for n in json.loads(out)["networks"]] == ["costmodel", "pytorch"]
