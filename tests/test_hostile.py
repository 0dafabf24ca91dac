"""A corpus of hand-written hostile specs (tests/hostile/*.yaml), each with its expected errors.

Each file starts with one `# expect: LINE:COLUMN: TEXT` line per error it must produce, in order:
loading and analysing the file (at its defaults) must raise one SpecError with exactly that many
errors, each printed as `FILE:LINE:COLUMN: ...TEXT...` on one line. The CLI must print the same
lines on stderr, exit 2 and never show a traceback.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import costmodel
from costmodel import shipped, SpecError
from costmodel.spec import MAX_FILE_BYTES

ROOT = Path(__file__).parent.parent
CORPUS = sorted((Path(__file__).parent / "hostile").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")


def expectations(path: Path) -> list[tuple[int, int, str]]:
    result = []
    for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        m = EXPECT.match(line)
        if not m:
            break
        result.append((int(m.group(1)), int(m.group(2)), m.group(3)))
    assert result, f"{path.name} has no '# expect:' first line"
    return result


def errors_of(path: Path) -> SpecError:
    with pytest.raises(SpecError) as info:
        costmodel.analyze(str(path))
    return info.value


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_hostile_spec_gives_its_located_errors(path):
    expected = expectations(path)
    error = errors_of(path)
    lines = str(error).split("\n")
    assert len(lines) == len(expected) == len(error.errors), lines
    for line, (row, column, text) in zip(lines, expected):
        assert line.startswith(f"{path}:{row}:{column}: "), line
        assert text in line, line
    first = error.errors[0]  # the first error's location is the exception's own
    assert (error.file, error.line, error.column, error.message) == (first.file, first.line, first.column, first.message)


def test_corpus_covers_every_bullet():
    stems = {p.stem.split("_")[0] for p in CORPUS}
    assert {"multi", "expr", "blowup", "symbol", "yaml", "shape", "struct"} <= stems
    assert len(CORPUS) >= 50


def test_file_size_limit(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("input: [32, 32, 3]\nlayers: [{type: relu}]\n" + "#" * MAX_FILE_BYTES)
    e = errors_of(big)
    assert str(e) == f"{big}:1:1: spec is larger than {MAX_FILE_BYTES} bytes"


def test_symbol_value_limit_on_the_command_line():
    with pytest.raises(SpecError, match=r"value of alpha must be at most 1,000,000 in size, got '1e15'"):
        costmodel.analyze(str(shipped.path("mobilenet_cifar")), alpha="1e15")
    with pytest.raises(SpecError, match="value of alpha: expression builds numbers larger than 2\\*\\*2048"):
        costmodel.analyze(str(shipped.path("mobilenet_cifar")), alpha="((((((2**16)**16)**16)**16)**16)**16)**16")


def test_many_errors_are_capped(tmp_path):
    from costmodel.errors import MAX_REPORTED
    path = tmp_path / "many.yaml"
    path.write_text("input: [32, 32, 3]\nlayers:\n" + "".join(f"  - {{type: relu, bad{i}: 1}}\n" for i in range(80)))
    e = errors_of(path)
    lines = str(e).split("\n")
    assert len(e.errors) == MAX_REPORTED and len(lines) == MAX_REPORTED + 1
    assert lines[-1] == f"{path}: ... and {80 - MAX_REPORTED} more errors"


def cli_lines(path: Path, stderr: str, prefix: str = "costmodel: ") -> None:
    lines = stderr.splitlines()
    assert len(lines) == len(expectations(path)), (path.name, lines)
    for line, (row, column, text) in zip(lines, expectations(path)):
        assert line.startswith(f"{prefix}{path}:{row}:{column}: ") and text in line, line


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_cli_prints_each_error_on_its_own_line_exit_2(path, capsys):
    from costmodel.cli import main
    assert main(["report", str(path)]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "Traceback" not in out.err
    cli_lines(path, out.err)


SAMPLE = ["multi_errors", "blowup_size", "yaml_binary", "shape_add_mismatch"]  # each process imports sympy: ~1 s


def test_cli_subprocess_sample_shows_no_traceback():
    """The real command line, in its own process (so nothing in pytest can hide a traceback)."""
    for stem in SAMPLE:
        path = Path(__file__).parent / "hostile" / f"{stem}.yaml"
        result = subprocess.run([sys.executable, "-m", "costmodel", "report", str(path), "--format", "json"],
                                capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert result.returncode == 2 and result.stdout == "", (stem, result.stderr)
        assert "Traceback" not in result.stderr
        cli_lines(path, result.stderr)


# --- determinism ---------------------------------------------------------------------------------

MANY_SYMBOLS = """\
name: determinism
input: [resolution, resolution, 3]
symbols:
  resolution: {default: 64, integer: true}
  zeta: 1
  alpha: 3/4
  beta: 1/2
  gamma: 2
  delta: {default: 2, integer: true}
  classes: {default: 10, integer: true}
rounding: multiple_of_8
blocks:
  unit:
    args: {c: null, s: 1}
    layers:
      - {type: dwconv, kernel: 3, stride: s, multiplier: delta}
      - {type: pointwise, name: pw, filters: c*alpha*gamma + 8*beta*zeta}
      - {type: relu6}
layers:
  - {type: conv, name: stem, filters: 32*alpha, kernel: 3, stride: 2}
  - {block: unit, name: u, c: 16, repeat: 2}
  - {type: conv, name: side, filters: 16*gamma*alpha + 8*beta*zeta, kernel: 1, input: stem}
  - {type: concat, inputs: [u, side]}
  - {type: global_avgpool}
  - {type: dense, units: classes}
"""


def test_json_output_is_byte_identical_across_runs_and_hash_seeds(tmp_path):
    spec = tmp_path / "determinism.yaml"
    spec.write_text(MANY_SYMBOLS)
    argv = ["report", str(spec), "--format", "json", "--symbolic", "--set", "alpha=1/2", "--set", "delta=3"]
    outputs = []
    for seed in ("1", "4242"):
        result = subprocess.run([sys.executable, "-m", "costmodel", *argv], capture_output=True, cwd=ROOT,
                                timeout=120, env={**os.environ, "PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    from costmodel.cli import main
    import contextlib
    import io
    for _ in range(2):  # and twice in this process (nothing cached changes the text)
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            assert main(argv) == 0
        outputs.append(buffer.getvalue().encode())
    assert len(set(outputs)) == 1
    assert b'"formulas"' in outputs[0] and b"zeta" in outputs[0]
