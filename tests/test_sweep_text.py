"""A sweep's text made of 8-byte words (outputs/rowtext.py) equals Python's own formatting for every
width of literal and text; a long axis's texts made block by block; the start-up a sweep pays
(only its command's parser, no mpmath); the values of --range and --grid checked as --set checks them."""

import csv
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from costmodel import cli as command_line
from costmodel import shipped
from costmodel.analyses import explore
from costmodel.commands import sweep as sweep_command
from costmodel.outputs import rowtext

SPEC = shipped.path("mobilenet_cifar")

# every digit count from 1 to 19, and each side of the 8-digit words' boundaries
BOUNDARIES = [0, 1, 9, 10, 10**7 - 1, 10**7, 10**8 - 1, 10**8, 10**8 + 1, 10**9, 10**16 - 1, 10**16, 10**16 + 1,
              10**18, 2**63 - 1] + [10**k + 7 for k in range(19)]


def python_text(cells: list[list[bytes]], literals: list[bytes]) -> bytes:
    """The same rows joined by Python: literals[0] cell literals[1] cell ... literals[-1]."""
    out = []
    for row in zip(*cells):
        out.append(literals[0] + b"".join(t + lit for t, lit in zip(row, literals[1:])))
    return b"".join(out)


def test_integers_across_word_boundaries_are_pythons_digits():
    values = np.array(BOUNDARIES, dtype=np.int64)
    text = rowtext.lines([rowtext.integers(values)], [b"", b"\n"])
    assert text.decode().split("\n")[:-1] == [str(v) for v in BOUNDARIES]


@pytest.mark.parametrize("before", [0, 1, 7, 8, 9, 15, 16, 26])
def test_literals_of_every_length_beside_texts_of_every_width(before):
    # a literal of `before` bytes ahead of numbers of 1 to 19 digits: it may fill its own words or reach
    # into the words of the digits' blank bytes (8 * words >= literal + digits)
    rng = np.random.default_rng(before)
    values = np.concatenate([np.array(BOUNDARIES, dtype=np.int64), rng.integers(0, 2**62, 50)])
    small = values % 1000
    literal = b"x" * before
    cells = [rowtext.integers(values), rowtext.integers(small), rowtext.texts([b"false", b"true"], values % 2)]
    literals = [literal, b",", literal + b";", b"}\n"]
    expected = python_text([[b"%d" % v for v in values.tolist()], [b"%d" % v for v in small.tolist()],
                            [(b"false", b"true")[v % 2] for v in values.tolist()]], literals)
    assert rowtext.lines(cells, literals) == expected


def test_integers_beyond_int64_keep_every_digit_next_to_a_long_literal():
    values = np.array([2**80, 3 * 2**80 + 1, 0, 10**30], dtype=object)
    literals = [b'{"params_with_statistics":', b"}\n"]
    expected = b"".join(literals[0] + str(v).encode() + literals[1] for v in values.tolist())
    assert rowtext.lines([rowtext.integers(values)], literals) == expected


def test_a_text_with_a_zero_byte_is_refused():
    # the padding is made of zero bytes and dropped: a text holding one would lose it
    with pytest.raises(ValueError):
        rowtext.Table([b"a\0b"])


def test_an_empty_block_is_no_text():
    assert rowtext.lines([rowtext.integers(np.zeros(0, dtype=np.int64))], [b"", b"\n"]) == b""


def test_a_long_axis_texts_are_made_block_by_block(cli, tmp_path, monkeypatch):
    # the same file whether alpha's 1,000 texts are one table or made for each block's span of values
    argv = ["sweep", str(SPEC), "--range", "alpha=0.001:1:0.001", "--grid", "delta=1,3", "--out"]
    assert cli([*argv, str(tmp_path / "whole.jsonl")])[0] == 0
    monkeypatch.setattr(sweep_command, "TABLE_VALUES", 10)
    monkeypatch.setattr(explore, "CHUNK_ROWS", 64)  # blocks of 32 alphas x 2 deltas
    made = []
    original = sweep_command._SymbolTexts._table
    monkeypatch.setattr(sweep_command._SymbolTexts, "_table",
                        lambda self, start, stop: made.append(stop - start) or original(self, start, stop))
    assert cli([*argv, str(tmp_path / "spans.jsonl")])[0] == 0
    assert (tmp_path / "spans.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
    assert made and max(made) <= 32  # never a table of the whole axis
    # alpha = k/1000 written as Python writes the float; alpha < 1/32 gives 0 channels: left out
    rows = [line for line in (tmp_path / "spans.jsonl").read_text().splitlines()]
    assert len(rows) == (1000 - 31) * 2 and rows[0].startswith('{"alpha":0.032,"delta":1,')


def test_an_error_while_rendering_leaves_no_file(tmp_path, monkeypatch):
    def broken(cells, literals):
        raise RuntimeError("rendering failed")
    monkeypatch.setattr(rowtext, "lines", broken)
    out = tmp_path / "s.csv"
    with pytest.raises(RuntimeError, match="rendering failed"):  # raised in the render thread, re-raised here
        command_line.main(["sweep", str(SPEC), "--range", "alpha=0.05:1:0.05", "--out", str(out)])
    assert list(tmp_path.iterdir()) == []


def test_the_parser_is_built_for_the_command_named():
    def names(argv):
        return set(command_line.parser(argv)._subparsers._group_actions[0].choices)
    everything = names(None)
    assert {"sweep", "report", "explore"} <= everything
    assert names(["sweep", "x.yaml"]) == names(["--no-cache", "sweep", "x.yaml"]) == {"sweep"}
    assert names(["--help"]) == names(["sweep_x"]) == names(["explore", "x.yaml"]) == everything  # module explore_page
    assert names([]) == everything


def test_a_sweep_seen_before_imports_no_other_command_and_no_mpmath(tmp_path):
    probe = ("import sys\nfrom costmodel.cli import main\nstatus = main(sys.argv[1:])\n"
             "print(status, sorted(m for m in sys.modules if m.startswith(('mpmath', 'sympy', 'concurrent', "
             "'costmodel.commands.'))))\n")
    env = {**{k: v for k, v in os.environ.items() if k != "COSTMODEL_NO_CACHE"}, "COSTMODEL_CACHE_DIR": str(tmp_path)}
    argv = ["sweep", str(SPEC), "--grid", "alpha=0.5,1", "--out", str(tmp_path / "s.csv")]
    for _ in range(2):  # the first run fills the cache (sympy), the second reads it
        done = subprocess.run([sys.executable, "-c", probe, *argv], env=env, capture_output=True, text=True, timeout=300)
    assert done.stdout.split("\n")[-2] == "0 ['costmodel.commands.sweep']", done.stderr


@pytest.mark.parametrize("axis, message", [
    ("delta=1:3:1/2", "delta is an integer symbol, got 3/2"),  # the range's second value
    ("alpha=0.5,1,-1", "alpha must be positive, got -1"),  # the list's last value
    ("alpha=0.5,0.5", "alpha: repeated values"),
])
def test_every_value_of_an_axis_is_checked(cli, axis, message, tmp_path):
    kind = "--range" if ":" in axis else "--grid"
    status, _, err = cli(["sweep", str(SPEC), kind, axis, "--out", str(tmp_path / "s.csv")])
    assert status == 2 and message in err and not (tmp_path / "s.csv").exists()


def test_a_range_is_exact_over_one_denominator():
    values = explore.parse_range("1/3:7:2/7")
    assert values == [Fraction(1, 3) + k * Fraction(2, 7) for k in range(24)]  # 1/3 + 23 * 2/7 = 6.90 <= 7
    assert explore.parse_range("0.1:1.0:0.05")[-1] == 1 and len(explore.parse_range("0.1:1.0:0.05")) == 19


def test_csv_of_a_sweep_reads_back_as_the_table(tmp_path):
    # the file of a grid with a long first axis against explore.sweep, row by row
    out = tmp_path / "s.csv"
    assert command_line.main(["sweep", str(SPEC), "--range", "alpha=0.01:1:0.01", "--grid", "delta=1,2,7",
                     "--out", str(out)]) == 0
    table = explore.sweep(SPEC, {"alpha": "0.01:1:0.01", "delta": [1, 2, 7]})
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == len(table) == (100 - 3) * 3  # alpha = 0.01, 0.02, 0.03: floor(32 * alpha) = 0
    for row, expected in zip(rows, table):
        assert float(row["alpha"]) == expected["alpha"]
        assert [int(row[m]) for m in explore.METRICS] == [int(expected[m]) for m in explore.METRICS]


def test_the_pareto_front_is_exact_beyond_two_to_the_53():
    # 2**53 + 1 and 2**53 are one float64: the second point (larger a, smaller b) is on the front
    a = np.array([1, 2, 3], dtype=np.int64)
    b = np.array([2**53 + 1, 2**53, 2**53], dtype=np.int64)
    assert explore.pareto_front(a, b).tolist() == [True, True, False]  # (3, 2**53) is beaten by (2, 2**53)
    top = np.array([2**63 - 1, 2**63 - 2], dtype=np.int64)  # int64's largest value: the exact comparison
    assert explore.pareto_front(np.array([1, 2]), top).tolist() == [True, True]
    assert explore.pareto_front(np.array([1.0, 2.0]), np.array([2.0, 1.0])).tolist() == [True, True]
