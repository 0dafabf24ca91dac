"""`costmodel check SPEC...`: valid specs within budget exit 0, a budget exceeded exits 1 with one
line per spec and budget, invalid input exits 2 with every spec still checked; and the
pre-commit hook that runs it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parent.parent

# 8x8x3 input; conv 3x3 'same' to `width` channels (with bias), relu, global average pool, dense 10
TINY = """\
name: tiny
input: [8, 8, 3]
symbols: {width: 4}
layers:
  - {type: conv, filters: width, kernel: 3}
  - {type: relu}
  - {type: global_avgpool}
  - {type: dense, units: 10}
"""


def tiny_costs(width: int) -> dict:
    return {
        # conv: 3*3*3 weights per filter + a bias; dense: width*10 weights + 10 biases
        "params": (3 * 3 * 3 * width + width) + (width * 10 + 10),
        # conv: 8*8 positions * width filters * 3*3*3; dense: width*10
        "macs": 8 * 8 * width * 3 * 3 * 3 + width * 10,
        # largest live set: relu's input and output, 8*8*width floats each, 4 bytes each in fp32
        "peak_bytes_fp32": (8 * 8 * width + 8 * 8 * width) * 4,
    }


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return str(path)


def test_within_every_budget(cli, tiny):
    c = tiny_costs(4)  # params 112 + 50 = 162, MACs 6,912 + 40 = 6,952, peak 2 * 256 * 4 = 2,048 bytes
    status, out, err = cli(["check", tiny, "--max-macs", "7000", "--max-params", "162", "--max-peak-memory", "2048"])
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        f"{tiny}: ok --max-macs: {c['macs']:,} MACs within 7,000 ({c['macs'] / 7000 * 100:.2f} % of the budget, "
        f"{7000 - c['macs']} MACs to spare)",
        f"{tiny}: ok --max-params: {c['params']} params within 162 (100.00 % of the budget, 0 params to spare)",
        f"{tiny}: ok --max-peak-memory: {c['peak_bytes_fp32']:,} bytes (fp32) within 2,048 "
        f"(100.00 % of the budget, 0 bytes to spare)",
        "1 spec checked: 0 invalid, 0 over budget"]


def test_over_budget_says_which_and_by_how_much(cli, tiny):
    c = tiny_costs(8)  # --set width=8: MACs 8*8*8*27 + 80 = 13,904; params 224 + 90 = 314
    status, out, _ = cli(["check", tiny, "--set", "width=8", "--max-macs", "1e4", "--max-params", "400"])
    assert status == 1
    assert out.splitlines()[0] == (f"{tiny}: OVER BUDGET --max-macs: {c['macs']:,} MACs exceed 10,000 by "
                                   f"{c['macs'] - 10_000:,} MACs ({c['macs'] / 10_000 * 100:.2f} % of the budget)")
    assert out.splitlines()[1].startswith(f"{tiny}: ok --max-params: {c['params']} params within 400")
    assert out.splitlines()[-1] == "1 spec checked: 0 invalid, 1 over budget"


def test_budgets_are_exact(cli, tiny):
    c = tiny_costs(4)
    # 6952 MACs against 13903/2 = 6951.5: over by one half, printed exactly
    status, out, _ = cli(["check", tiny, "--max-macs", f"{2 * c['macs'] - 1}/2"])
    assert status == 1 and "exceed 13903/2 by 1/2 MACs" in out
    status, out, _ = cli(["check", tiny, "--max-macs", "6.952e3"])  # 6.952e3 = 6952 exactly: within
    assert status == 0 and "within 6,952 (100.00 % of the budget, 0 MACs to spare)" in out
    with pytest.raises(SystemExit) as refused:  # argparse refuses it, one line, exit 2
        cli(["check", tiny, "--max-macs", "-5"])
    assert refused.value.code == 2


def test_convention_counts_the_macs_budget_in_its_own_units(cli, tiny):
    c = tiny_costs(4)
    flops = 2 * c["macs"]  # torch's FlopCounterMode: 2 FLOPs per MAC, bias not counted
    status, out, _ = cli(["check", tiny, "--max-macs", "7000", "--convention", "torch"])
    assert status == 1
    assert f"OVER BUDGET --max-macs: {flops:,} FLOPs (torch) exceed 7,000 by {flops - 7000:,} FLOPs" in out


def test_peak_memory_at_a_dtype(cli, tiny):
    peak_fp16 = tiny_costs(4)["peak_bytes_fp32"] // 4 * 2  # 512 floats * 2 bytes
    status, out, _ = cli(["check", tiny, "--max-peak-memory", "1000", "--dtype", "fp16"])
    assert status == 1 and f"{peak_fp16:,} bytes (fp16) exceed 1,000 by {peak_fp16 - 1000} bytes" in out


def test_every_spec_is_checked_and_invalid_input_wins(cli, tiny):
    hostile = ROOT / "tests/hostile"
    status, out, err = cli(["check", str(hostile / "multi_errors.yaml"), tiny, str(hostile / "shape_groups.yaml"),
                            "--max-macs", "100"])
    assert status == 2  # invalid input, though the middle spec is also over budget
    lines = out.splitlines()
    assert lines[0] == f"{hostile / 'multi_errors.yaml'}: invalid (6 errors, on stderr)"
    assert lines[1].startswith(f"{tiny}: OVER BUDGET --max-macs")
    assert lines[2] == f"{hostile / 'shape_groups.yaml'}: invalid (1 error, on stderr)"
    assert lines[3] == "3 specs checked: 2 invalid, 1 over budget"
    errors = err.splitlines()
    assert len(errors) == 6 + 1 and all(e.startswith("costmodel: ") for e in errors)
    assert errors[0].startswith(f"costmodel: {hostile / 'multi_errors.yaml'}:9:8: ")
    assert errors[-1] == (f"costmodel: {hostile / 'shape_groups.yaml'}:4:5: layer 1 'conv1' (conv): "
                          "groups 2 does not divide input channels 3")
    assert "Traceback" not in err


def test_unknown_symbol_and_missing_file(cli, tiny, tmp_path):
    status, _, err = cli(["check", tiny, "--set", "depth=2"])
    assert (status, err) == (2, "costmodel: --set: unknown symbol 'depth': no spec declares it\n")
    status, out, err = cli(["check", str(tmp_path / "nowhere.yaml"), tiny])
    assert status == 2 and out.splitlines()[1] == f"{tiny}: ok: valid (tiny)" and "nowhere.yaml" in err


def test_json_document(cli, tiny):
    c = tiny_costs(4)
    status, out, _ = cli(["check", tiny, str(ROOT / "tests/hostile/shape_groups.yaml"), "--max-macs", "6e3",
                          "--format", "json"])
    doc = json.loads(out)
    assert status == doc["exit_status"] == 2 and doc["status"] == "invalid"
    assert doc["budgets"] == {"macs": 6000} and doc["convention"] is None
    good, bad = doc["specs"]
    assert good["valid"] and good["values"] == {"width": 4}
    assert good["checks"] == [{"budget": "macs", "unit": "MACs", "measured": c["macs"], "limit": 6000,
                               "excess": c["macs"] - 6000, "within": False}]
    assert not bad["valid"] and bad["checks"] == []
    assert bad["errors"][0]["line"] == 4 and bad["errors"][0]["column"] == 5  # enough for a CI annotation
    assert bad["errors"][0]["message"] == "groups 2 does not divide input channels 3"


SHIPPED = ["specs/mobilenet_cifar.yaml", "specs/imagenet/resnet18.yaml", "specs/effnet/effnet.yaml"]


@pytest.mark.parametrize("fmt, ext", [("table", "txt"), ("json", "json")])
def test_golden_shipped_specs(cli, golden, fmt, ext):
    # Table 4's delta = 2, alpha = 0.5 MobileNet (5,975,552 MACs) fits 6e6; the other two specs are larger
    status, out, err = cli(["check", *SHIPPED, "--set", "alpha=0.5", "--set", "delta=2", "--max-macs", "6e6",
                            "--max-params", "5e6", "--max-peak-memory", "4e6", "--format", fmt])
    assert status == 1 and err == ""
    golden(f"check_budgets.{ext}", out)


def test_golden_valid_only(cli, golden):
    status, out, _ = cli(["check", *SHIPPED])
    assert status == 0
    golden("check_valid.txt", out)


# --- the pre-commit hook -------------------------------------------------------------------------

def test_pre_commit_hook_runs_the_check_on_staged_files(tmp_path, tiny):
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "costmodel-check"]
    assert hook["language"] == "python" and hook["types"] == ["yaml"]
    assert hook.get("pass_filenames", True)  # pre-commit appends the staged files' names
    entry = hook["entry"].split()
    assert entry[:2] == ["costmodel", "check"]
    # pre-commit runs `entry FILE...`; with the console script the venv installs (here: python -m)
    command = [sys.executable, "-m", "costmodel", *entry[1:]]
    ok = subprocess.run([*command, tiny], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([*command, tiny, str(ROOT / "tests/hostile/multi_errors.yaml")], capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 6 and "Traceback" not in bad.stderr


def test_readme_shows_the_pre_commit_lines():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```yaml\n# .pre-commit-config.yaml\n", 1)[1].split("```", 1)[0]
    assert len(block.splitlines()) == 3  # the three lines a user adds under `repos:`
    (repo,) = yaml.safe_load(block)
    assert [h["id"] for h in repo["hooks"]] == ["costmodel-check"] and {"repo", "rev"} <= set(repo)


def _readme_actions_step() -> str:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```yaml\n      - name: Network budgets\n", 1)[1].split("```", 1)[0]
    (step,) = yaml.safe_load("      - name: Network budgets\n" + block)
    return step["run"]


@pytest.mark.parametrize("budget, status", [("6e6", 0), ("5e6", 1)])
def test_readme_actions_step_runs(tmp_path, budget, status):
    # Table 4's delta = 2, alpha = 0.5 network: 5,975,552 MACs, within 6e6 and 975,552 over 5e6
    script = _readme_actions_step().replace('"6e6"', f'"{budget}"')
    bin_dir = Path(sys.executable).parent  # the `costmodel` console script of this environment
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == status, done.stdout + done.stderr
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::error")]
    expected = [] if status == 0 else [f"::error file=specs/mobilenet_cifar.yaml::macs: 5975552 MACs exceed the "
                                       f"budget 5000000 by {5975552 - 5000000}"]
    assert annotations == expected
