"""`sweep` streamed: blocks of the grid evaluated exactly and written as they come (CSV, JSON Lines,
a JSON array), equal to the whole table and to `report`; the checks of the fit test on every block;
totals beyond int64; a block size that bounds the work in memory."""

import csv
import io
import json
import math
import textwrap
from fractions import Fraction

import numpy as np
import pytest

import costmodel
from costmodel import shipped
from costmodel.analyses import explore, fast, grid
from costmodel.outputs import rowtext

SPEC = shipped.path("mobilenet_cifar")
AXES = {"alpha": "0.02:1:0.02", "delta": [1, 2, 3]}  # alpha 1/50 ... 1: floor(32/50) = 0 does not fit


@pytest.fixture(scope="module")
def mobilenet():
    return costmodel.load_network(SPEC)


def report_totals(net, config):
    return explore.totals_of(net.evaluate(config))


def rows_of(text: str, fmt: str) -> list[dict]:
    """The rows of a sweep's output, as Python values."""
    if fmt == "csv":
        return [{k: (float(v) if k == "alpha" else int(v)) for k, v in r.items()} for r in csv.DictReader(io.StringIO(text))]
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    return json.loads(text)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_streamed_file_equals_the_table_and_report(fmt, mobilenet, cli, tmp_path, monkeypatch):
    monkeypatch.setattr(explore, "CHUNK_ROWS", 7)  # many blocks, each a few alphas or part of one
    out = tmp_path / f"s.{fmt}"
    status, text, _ = cli(["sweep", str(SPEC), "--range", "alpha=0.02:1:0.02", "--grid", "delta=1,2,3",
                           "--pareto", "macs,params", "--out", str(out)])
    assert status == 0 and "150 configurations" in text and "3 left out" in text  # alpha = 1/50: 0 channels
    got = rows_of(out.read_text(), fmt)
    table = explore.sweep(mobilenet, AXES, pareto=("macs", "params"))  # the whole table, in one piece
    assert len(got) == len(table) == 150 - 3
    for row, expected in zip(got, table):
        for name in table.dtype.names:
            assert row[name] == (expected[name].item() if name != "pareto" else bool(expected[name])), name
    for i in (0, 40, 146):  # and report, at sampled points: alpha = k/50
        config = {"alpha": Fraction(got[i]["alpha"]).limit_denominator(50), "delta": got[i]["delta"]}
        assert {m: got[i][m] for m in explore.METRICS} == report_totals(mobilenet, config)


def test_block_size_does_not_change_the_rows(mobilenet):
    whole = explore.sweep(mobilenet, {**AXES, "classes": [10, 100]}, pareto=("macs", "params_with_statistics"))
    for rows in (1, 5, 64, 10**6):
        stream = explore.stream(mobilenet, {**AXES, "classes": [10, 100]}, pareto=("macs", "params_with_statistics"),
                                rows=rows)
        chunks = list(stream.chunks())
        assert all(len(c) <= max(rows, 2) for c in chunks)  # a block holds at least one line of the last axis
        joined = stream.table(chunks)
        assert joined.tolist() == whole.tolist(), rows
        assert stream.total == 50 * 3 * 2 and stream.kept == len(whole)


def test_blocks_bound_the_cells_evaluated_at_once(mobilenet, monkeypatch):
    # the memory a sweep needs is that of one block: no array of the whole grid is ever made
    sizes = []
    original = grid.Evaluator._block

    def recording(self, values, *args, **kwargs):
        sizes.append(int(np.prod([len(v) for v in values.values()])))
        return original(self, values, *args, **kwargs)

    monkeypatch.setattr(grid.Evaluator, "_block", recording)
    stream = explore.stream(mobilenet, {"alpha": "0.001:1:0.001", "delta": "1:40:1"}, rows=4096)
    kept = sum(len(c) for c in stream.chunks())
    assert sum(sizes) == 1000 * 40 and max(sizes) <= 4096 and len(sizes) >= 1000 * 40 // 4096
    assert kept == (1000 - 31) * 40  # alpha < 1/32 gives floor(32*alpha) = 0 channels: left out


def test_pareto_front_over_blocks_equals_the_front_of_everything(mobilenet):
    stream = explore.stream(mobilenet, {"alpha": "0.05:1:0.05", "delta": [1, 2, 4], "classes": [10, 100]},
                            pareto=("params", "peak_floats_out"), rows=3)
    table = stream.table()
    assert table["pareto"].tolist() == explore.pareto_front(table["params"], table["peak_floats_out"]).tolist()
    assert 0 < table["pareto"].sum() < len(table)


def zero_divisor_net(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("input: [32, 32, 3]\nsymbols: {alpha: 1}\nrounding: floor\n"
                    "layers: [{type: conv, filters: '40 + 8/(2*alpha-1)', kernel: 3}]\n")
    return path


def test_a_grid_crossing_a_zero_denominator_is_refused_cleanly(cli, tmp_path, monkeypatch):
    path = zero_divisor_net(tmp_path)
    monkeypatch.setattr(explore, "CHUNK_ROWS", 2)
    out = tmp_path / "z.csv"
    # alpha = 1/4 ... 1 by 1/8 crosses 2*alpha - 1 = 0 at alpha = 1/2, in the middle of a block
    status, text, _ = cli(["sweep", str(path), "--range", "alpha=1/4:1:1/8", "--out", str(out)])
    assert status == 0 and "1 of them divide by zero" in text
    rows = list(csv.DictReader(out.open()))
    assert [r["alpha"] for r in rows] == ["0.25", "0.375", "0.625", "0.75", "0.875", "1"]
    net = costmodel.load_network(path)
    for r in rows:  # 32*32 positions x 3*3*3 taps x floor(40 + 8/(2a - 1)) filters
        a = Fraction(r["alpha"])
        assert int(r["macs"]) == 32 * 32 * 3 * 3 * 3 * math.floor(40 + 8 / (2 * a - 1)) \
            == net.evaluate({"alpha": a}).totals.macs


def test_totals_beyond_int64_are_exact_in_every_format(cli, tmp_path):
    side = 2**20
    path = tmp_path / "big.yaml"
    path.write_text(f"input: [{side}, {side}, {side}]\nsymbols: {{w: 1}}\n"
                    f"layers: [{{type: conv, filters: '1048576*w', kernel: 1}}]\n")
    for fmt in ("csv", "jsonl"):
        out = tmp_path / f"big.{fmt}"
        assert cli(["sweep", str(path), "--grid", "w=1,2,3", "--out", str(out)])[0] == 0
        rows = rows_of(out.read_text(), fmt) if fmt == "jsonl" else list(csv.DictReader(out.open()))
        # 2**20 x 2**20 positions x 2**20 inputs x 2**20 * w filters = 2**80 * w, beyond 2**63 and 2**53
        assert [int(r["macs"]) for r in rows] == [2**80, 2 * 2**80, 3 * 2**80]
        assert [int(r["flops"]) for r in rows] == [2 * 2**80, 4 * 2**80, 6 * 2**80]
    assert costmodel.load_network(path).evaluate({"w": 3}).totals.macs == 3 * 2**80


def test_int64_is_left_for_python_ints_where_a_bound_could_overflow():
    # 2**31 * a * b at a, b up to 2**16 reaches 2**63: the bound sends the block to Python ints;
    # the values that fit int64 come back as int64, the one that does not stays a Python int
    import sympy
    a, b = sympy.symbols("a b", positive=True, integer=True)
    compiled = fast.Compiled([a, b], {"below": 2**31 * a * b - 1, "at": 2**31 * a * b})
    got = compiled.grid({a: [1, 2**16], b: [2**16, 3]})
    assert got["below"].dtype == np.int64
    assert got["below"].tolist() == [[2**47 - 1, 3 * 2**31 - 1], [2**63 - 1, 3 * 2**47 - 1]]
    assert got["at"].dtype == object and got["at"].tolist() == [[2**47, 3 * 2**31], [2**63, 3 * 2**47]]


def test_a_refused_check_leaves_no_file(cli, tmp_path):
    # an add of unequal shapes (8*alpha channels against 4) passes the closed-form fit test; the
    # checked rows catch it, and the half-written file is removed
    path = tmp_path / "g.yaml"
    path.write_text(textwrap.dedent("""\
        input: [8, 8, 4]
        symbols: {alpha: 1}
        rounding: floor
        layers:
          - {type: conv, name: a, filters: 8*alpha, kernel: 1}
          - {type: conv, name: b, filters: 4, kernel: 1, input: input}
          - {type: add, inputs: [a, b]}
        """))
    out = tmp_path / "g.csv"
    status, _, err = cli(["sweep", str(path), "--grid", "alpha=1/2,1", "--out", str(out)])
    assert status == 2 and "add" in err and err.count("\n") == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [path]


def test_no_row_fits_gives_an_empty_json_array(cli, tmp_path):
    out = tmp_path / "e.json"
    assert cli(["sweep", str(SPEC), "--grid", "alpha=0.01,0.02", "--out", str(out)])[0] == 0
    assert json.loads(out.read_text()) == []


def test_stdout_jsonl_and_summary_on_stderr(cli):
    status, out, err = cli(["sweep", str(SPEC), "--grid", "alpha=0.5,1", "--format", "jsonl"])
    lines = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and [r["alpha"] for r in lines] == [0.5, 1.0] and "2 configurations" in err
    assert lines[0]["macs"] == costmodel.analyze(SPEC, alpha=Fraction(1, 2)).totals.macs


@pytest.mark.parametrize("values", [[0, 7, 9, 10, 99, 100, 9999, 10000, 123456789, 2**63 - 1],
                                    [5], [10**18, 10**18 - 1]])
def test_integer_text_is_pythons(values):
    cells = rowtext.integers(np.array(values, dtype=np.int64))
    assert rowtext.lines([cells], [b"", b"\n"]).decode().split() == [str(v) for v in values]


def test_lines_join_cells_and_literals():
    names = rowtext.texts([b"0.5", b"1", b"0.125"], np.array([2, 0, 1]))
    numbers = rowtext.integers(np.array([3, 40, 500]))
    big = rowtext.integers(np.array([2**80, 1, 0], dtype=object))
    text = rowtext.lines([names, numbers, big], [b"{", b",", b";", b"}\n"])
    assert text == b"{0.125,3;" + str(2**80).encode() + b"}\n{0.5,40;1}\n{1,500;0}\n"


# --- the compiled closed forms in the cache: a sweep of a spec seen before imports no sympy -------

def run_cold(tmp_path, *argv):
    """`costmodel ARGV` in a fresh process with its own cache: (imported sympy?, status, stderr)."""
    import os
    import subprocess
    import sys
    probe = ("import sys\nfrom costmodel.cli import main\nstatus = main(sys.argv[1:])\n"
             "sys.stdout.write(f'{\"sympy\" in sys.modules} {status}')\n")
    env = {**{k: v for k, v in os.environ.items() if k != "COSTMODEL_NO_CACHE"},
           "COSTMODEL_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", probe, *argv], env=env, capture_output=True, text=True, timeout=300)
    sympy, status = done.stdout.split()[-2:]
    return sympy == "True", int(status), done.stderr


def test_a_sweep_seen_before_needs_no_sympy_and_gives_the_same_rows(tmp_path):
    argv = ["sweep", str(SPEC), "--range", "alpha=0.05:1:0.05", "--grid", "delta=1,2", "--out"]
    sympy, status, _ = run_cold(tmp_path, *argv, str(tmp_path / "first.csv"))
    assert status == 0 and sympy and len(list((tmp_path / "cache").glob("*.json"))) == 1
    sympy, status, _ = run_cold(tmp_path, *argv, str(tmp_path / "second.csv"))
    assert status == 0 and not sympy
    assert (tmp_path / "first.csv").read_text() == (tmp_path / "second.csv").read_text()


def test_a_forged_cache_entry_is_caught_by_the_checked_rows(tmp_path):
    argv = ["sweep", str(SPEC), "--range", "alpha=0.05:1:0.05", "--out", str(tmp_path / "s.csv")]
    assert run_cold(tmp_path, *argv)[1] == 0
    (path,) = (tmp_path / "cache").glob("*.json")
    entry = json.loads(path.read_text())
    monomial, p, q = entry["value"]["grid"]["outputs"]["macs"][0]
    entry["value"]["grid"]["outputs"]["macs"][0] = [monomial, p + 1, q]  # one coefficient off by 1/q
    from costmodel.cache import _checksum
    entry["checksum"] = _checksum(entry["value"])  # a consistent entry: only the rows checked can tell
    path.write_text(json.dumps(entry))
    sympy, status, err = run_cold(tmp_path, *argv)
    assert status == 3 and "report gives" in err  # a check that fails: exit 3, as `report` exits


def test_a_corrupt_cache_entry_is_rebuilt(tmp_path):
    argv = ["sweep", str(SPEC), "--grid", "alpha=0.5,1", "--out", str(tmp_path / "s.csv")]
    assert run_cold(tmp_path, *argv)[1] == 0
    expected = (tmp_path / "s.csv").read_text()
    (path,) = (tmp_path / "cache").glob("*.json")
    path.write_text(path.read_text()[:-20])  # truncated
    sympy, status, _ = run_cold(tmp_path, *argv)
    assert status == 0 and sympy and (tmp_path / "s.csv").read_text() == expected
    entry = json.loads(path.read_text())  # rewritten whole; then data with a matching checksum but malformed
    entry["value"]["grid"]["nodes"][0]["symbols"] = [99]
    from costmodel.cache import _checksum
    entry["checksum"] = _checksum(entry["value"])
    path.write_text(json.dumps(entry))
    sympy, status, _ = run_cold(tmp_path, *argv)
    assert status == 0 and sympy and (tmp_path / "s.csv").read_text() == expected


def test_streamed_blocks_equal_the_grid_in_one_piece(mobilenet):
    # the closed forms over the whole grid at once (one block, no streaming) against 37-row blocks
    axes = {"alpha": "0.02:1:0.02", "delta": [1, 2, 3], "classes": [10, 100]}
    values = explore._axes(mobilenet.spec, axes, None)
    evaluator = explore.compiled(mobilenet)[0]
    whole = evaluator.grid(values)  # name -> array over (alpha, delta, classes)
    stream = explore.stream(mobilenet, axes, rows=37)
    seen = 0
    for chunk in stream.chunks():
        at = tuple(chunk.index[n] for n in stream.symbols)
        assert chunk.columns["macs"].tolist() == whole["macs"][at].tolist()
        assert chunk.columns["params"].tolist() == whole["params"][at].tolist()
        assert chunk.columns["flops"].tolist() == (2 * whole["macs"][at]).tolist()
        seen += len(chunk)
    assert seen == stream.kept == (50 - 1) * 3 * 2  # alpha = 1/50: floor(32/50) = 0 channels


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_the_out_file_gets_the_permissions_open_would_give(cli, tmp_path, umask):
    """The rows go to a temporary file (mkstemp: 0600) renamed into place; the file a user gets is
    read-write for whom the umask allows, 0666 & ~umask, as any file the shell would create."""
    import os
    import stat
    out = tmp_path / "s.csv"
    old = os.umask(umask)
    try:
        assert cli(["sweep", str(SPEC), "--grid", "alpha=1/2,1", "--out", str(out)])[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask  # 0644 under 022, 0600 under 077
