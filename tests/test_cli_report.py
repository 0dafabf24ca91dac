"""`costmodel report`: golden outputs, the JSON contract, column sums, bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).parent.parent
SPEC = "specs/mobilenet_cifar.yaml"

CASES = {
    "report_mobilenet_cifar.txt": ["report", SPEC],
    "report_mobilenet_cifar_a0.5_d2.json": ["report", SPEC, "--set", "alpha=0.5", "--set", "delta=2", "--format", "json"],
    "report_mobilenet_cifar_symbolic.md": ["report", SPEC, "--symbolic", "--format", "markdown"],
    "report_mobilenet_cifar_c100.csv": ["report", SPEC, "--set", "classes=100", "--format", "csv"],
    "report_mobilenet_cifar_a0.25.tex": ["report", SPEC, "--set", "alpha=0.25", "--format", "latex"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name, cli, golden):
    status, out, err = cli(CASES[name])
    assert status == 0 and err == ""
    golden(name, out)


def test_json_contract_and_column_sums(cli):
    status, out, _ = cli(CASES["report_mobilenet_cifar_a0.5_d2.json"])
    doc = json.loads(out)
    assert doc["symbols"] == {"alpha": 0.5, "delta": 2, "classes": 10}
    layer = doc["layers"][0]
    assert set(layer) >= {"name", "type", "output_shape", "params", "params_non_trainable", "macs", "floats_out",
                          "compression"}
    assert layer["output_shape"] == [16, 16, 16]
    totals = doc["totals"]
    for field in ("params", "params_non_trainable", "macs"):
        assert totals[field] == sum(l[field] for l in doc["layers"])
        assert all(isinstance(l[field], int) for l in doc["layers"])
    assert totals["flops"] == 2 * totals["macs"] == 2 * 5_975_552
    assert totals["params"] + totals["params_non_trainable"] == 1_651_802
    # the closed forms are in the JSON as text, exact and smooth
    assert doc["formulas"]["macs"]["smooth"] == "11010048*alpha**2*delta + 1024*alpha*classes + 354816*alpha*delta + 221184*alpha"


def test_table_totals_row_sums_the_columns(cli):
    _, out, _ = cli(["report", SPEC])
    rows = [line.split() for line in out.splitlines() if line[:5].strip().isdigit()]
    total = next(line.split() for line in out.splitlines() if line.strip().startswith("total "))
    as_int = lambda s: int(s.replace(",", ""))
    assert sum(as_int(r[4]) for r in rows) == as_int(total[1])   # params
    assert sum(as_int(r[5]) for r in rows) == as_int(total[2])   # MACs
    assert sum(as_int(r[6]) for r in rows) == as_int(total[3])   # floats out


def test_json_is_deterministic(cli):
    outs = [cli(CASES["report_mobilenet_cifar_a0.5_d2.json"])[1] for _ in range(2)]
    assert outs[0] == outs[1]


def test_compression_threshold_option(cli):
    _, default, _ = cli(["report", SPEC])
    _, strict, _ = cli(["report", SPEC, "--threshold", "0.5"])
    # pointwise layers that double the channels compress by 0.5: flagged only at the lower threshold
    flagged = lambda out: sum(line.endswith(" *") for line in out.splitlines())
    assert flagged(default) == 4 + 1   # the four stride-2 depthwise layers and the classifier
    assert flagged(strict) > flagged(default)


def cli_subprocess(*args):
    return subprocess.run([sys.executable, "-m", "costmodel", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("args, message", [
    (["report", "no/such.yaml"], "no/such.yaml: cannot read spec"),
    (["report", SPEC, "--set", "beta=2"], "unknown symbol 'beta'"),
    (["report", SPEC, "--set", "delta=1.5"], "delta is an integer symbol"),
    (["report", SPEC, "--set", "alpha=0"], "alpha must be positive"),
    (["report", SPEC, "--set", "alpha=__import__('os')"], "unexpected character"),
    (["report", SPEC, "--set", "alpha"], "expected NAME=VALUE"),
    (["report", SPEC, "--format", "pdf"], "invalid choice"),
    (["report", SPEC, "--set", "alpha=0.001"], "specs/mobilenet_cifar.yaml:"),
])
def test_bad_input_is_one_line_exit_2(args, message):
    result = cli_subprocess(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_bad_spec_names_file_line_and_layer(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [8, 8, 3]\nlayers:\n  - {type: conv, filters: 4, kernel: 3}\n"
                   "  - {type: conv, filters: 6, kernel: 3, groups: 4}\n")
    result = cli_subprocess("report", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"costmodel: {bad}:4:5: layer 2 'conv2' (conv): "
                                     "groups 4 does not divide filters 6")


@pytest.mark.parametrize("args, message", [
    (["report", SPEC, "--set", "alpha=0.5", "--set", "alpha=0.25"], "--set alpha is given more than once"),
    (["report", SPEC, "--set", "source=1"], "unknown symbol 'source'"),  # not a keyword of analyze()
    (["report", "/dev/zero"], "not a regular file"),
    (["compare", SPEC, "--grid", "alpha=1,0.5", "--plot", "x.txt"], "expected a .png or .svg or .pdf file"),
    (["sweep", SPEC, "--grid", "alpha=1,0.5", "--out", "/nonexistent/x.csv"], "cannot write /nonexistent/x.csv"),
    (["metrics", SPEC, "--set", "alpha=0.01"], "filters must be a positive integer"),
])
def test_more_bad_input_is_one_line_exit_2(args, message):
    result = cli_subprocess(*args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
