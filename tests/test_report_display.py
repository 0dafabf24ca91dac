"""The report people read: units, chosen columns, width, colour, CSV as data, LaTeX that compiles,
one set of formats on every command, --plot without matplotlib."""

import csv
import io
import json
import shutil
import subprocess
import sys

import pytest

from costmodel.outputs import tables

SPEC = "specs/mobilenet_cifar.yaml"
# mobilenet_cifar at its defaults (alpha = delta = 1, classes = 10): Table 4's first row
MACS = 11_596_288
PARAMS = 3_217_226
BN_STATS = 2 * 10_944  # running mean and variance of the 27 batch norms (10,944 channels in all)
CONV1_MACS = 16 * 16 * 32 * 3 * 3 * 3  # output positions x channels x kernel x input channels


# --- units -------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, units, expected", [
    (5_975_552, "raw", "5,975,552"),
    (5_975_552, "si", f"{5_975_552 / 1000 ** 2:.2f} M"),   # 5.98 M
    (999, "si", "999"),
    (1_000, "si", "1.00 K"),
    (3 * 10 ** 9, "si", "3.00 G"),
])
def test_count(n, units, expected):
    assert tables.count(n, units) == expected


@pytest.mark.parametrize("n, expected", [
    (512, "512 B"),
    (1024, "1.00 KiB"),
    (4 * 3_239_114, f"{4 * 3_239_114 / 1024 ** 2:.2f} MiB"),   # fp32 params + BN statistics: 12.36 MiB
])
def test_size_in_binary_units(n, expected):
    assert tables.size(n, "si") == expected


def test_units_si_totals(cli):
    status, out, err = cli(["report", SPEC, "--units", "si"])
    assert status == 0 and err == ""
    assert f"MACs: {MACS / 1e6:.2f} M   FLOPs (2 x MACs): {2 * MACS / 1e6:.2f} M" in out
    assert f"params: {PARAMS / 1e6:.2f} M trainable" in out


def test_raw_is_the_default(cli):
    assert cli(["report", SPEC])[1] == cli(["report", SPEC, "--units", "raw"])[1]


def test_params_size_per_dtype(cli):
    _, out, _ = cli(["report", SPEC])
    stored = PARAMS + BN_STATS  # as `metrics` counts storage
    line = next(line for line in out.splitlines() if line.startswith("params size"))
    for dtype, size in (("fp32", 4), ("fp16", 2), ("int8", 1)):
        assert f"{dtype} {stored * size:,} bytes = {stored * size / 1024 ** 2:.2f} MiB" in line
    doc = json.loads(cli(["report", SPEC, "--format", "json"])[1])
    assert doc["totals"]["params_bytes"] == {"fp32": 4 * stored, "fp16": 2 * stored, "int8": stored}


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_units_si_refused_for_data(cli, fmt):
    status, out, err = cli(["report", SPEC, "--units", "si", "--format", fmt])
    assert status == 2 and out == "" and len(err.splitlines()) == 1


# --- columns -----------------------------------------------------------------------------------

def test_columns_choose_and_order(cli):
    status, out, _ = cli(["report", SPEC, "--columns", "macs,name,inputs"])
    assert status == 0
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))  # under the header row
    header = lines[rule - 1].split()
    assert header == ["MACs", "layer", "input", "HxWxC"]
    first = lines[rule + 1].split()
    assert first == [f"{CONV1_MACS:,}", "conv1", "32x32x3"]


def test_inputs_column_shows_every_input(cli):
    # ResNet-50's first residual add takes the projection and the block's last batch norm
    _, out, _ = cli(["report", "imagenet/resnet50", "--columns", "name,inputs"])
    add = next(line for line in out.splitlines() if line.startswith("conv2_proj/add"))
    assert add.split()[1:] == ["56x56x256", "56x56x256"]


@pytest.mark.parametrize("bad", ["name,bogus", "name,name"])
def test_bad_columns_one_line_exit_2(cli, bad):
    status, out, err = cli(["report", SPEC, "--columns", bad])
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "--columns" in err


# --- width and colour --------------------------------------------------------------------------

def test_width_drops_columns_in_the_documented_order(cli):
    status, out, _ = cli(["report", SPEC, "--width", "60"])
    assert status == 0
    table = out.split("\n\n")[1]
    assert max(len(line) for line in table.splitlines()) <= 60
    assert "left out: type, floats out, compression" in out  # compression, floats out, then type
    assert table.splitlines()[0].split() == ["#", "layer", "output", "HxWxC", "params", "MACs"]


def test_width_0_and_a_pipe_keep_every_column(cli):
    wide = cli(["report", SPEC, "--width", "0"])[1]
    assert "--width 0 shows every column" not in wide and "compression" in wide  # no note of columns left out
    assert cli(["report", SPEC])[1] == wide  # captured stdout is not a terminal: no limit


def test_terminal_width_only_for_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    monkeypatch.setenv("COLUMNS", "71")
    assert tables.terminal_width(None, Terminal()) == 71
    assert tables.terminal_width(None, io.StringIO()) is None
    assert tables.terminal_width(50, io.StringIO()) == 50
    assert tables.terminal_width(0, Terminal()) is None


def test_colour_always_never(cli):
    coloured = cli(["report", SPEC, "--color", "always"])[1]
    assert "\x1b[1m" in coloured and "\x1b[31m102.40 *" in coloured  # the flagged fc layer: 1024 / 10
    assert "\x1b[" not in cli(["report", SPEC, "--color", "never"])[1]
    assert "\x1b[" not in cli(["report", SPEC])[1]  # auto, not a terminal
    assert "\x1b[" not in cli(["report", SPEC, "--color", "always", "--format", "markdown"])[1]


def test_colour_auto_respects_no_color(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert tables.colour_wanted("auto", Terminal())
    assert not tables.colour_wanted("auto", io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not tables.colour_wanted("auto", Terminal())
    assert tables.colour_wanted("always", io.StringIO())


# --- CSV is data -------------------------------------------------------------------------------

def test_csv_one_row_per_layer_whole_numbers_no_total(cli, tmp_path):
    totals_file = tmp_path / "totals.csv"
    status, out, _ = cli(["report", SPEC, "--format", "csv", "--totals", str(totals_file)])
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 85 and [r["index"] for r in rows] == [str(i) for i in range(1, 86)]
    for field in ("params", "params_non_trainable", "macs", "floats_out", "height", "width", "channels"):
        assert all(r[field].isdigit() for r in rows), field  # integers, no "1,234" nor "1234.0"
    assert sum(int(r["macs"]) for r in rows) == MACS
    assert sum(int(r["params"]) for r in rows) == PARAMS
    (totals,) = list(csv.DictReader(io.StringIO(totals_file.read_text())))
    assert int(totals["macs"]) == MACS and int(totals["flops"]) == 2 * MACS
    assert int(totals["params_with_statistics"]) == PARAMS + BN_STATS
    assert int(totals["params_bytes_fp16"]) == 2 * (PARAMS + BN_STATS)


def test_csv_sums_with_pandas(cli):
    pandas = pytest.importorskip("pandas", reason="pandas is an optional extra")
    out = cli(["report", "imagenet/resnet50", "--format", "csv"])[1]
    total = json.loads(cli(["report", "imagenet/resnet50", "--format", "json"])[1])["totals"]
    df = pandas.read_csv(io.StringIO(out))
    assert int(df.macs.sum()) == total["macs"] and int(df.params.sum()) == total["params"]
    assert df.macs.dtype.kind == "i"


def test_totals_with_a_convention(cli, tmp_path):
    path = tmp_path / "t.csv"
    cli(["report", SPEC, "--format", "csv", "--convention", "ptflops", "--totals", str(path)])
    (totals,) = list(csv.DictReader(io.StringIO(path.read_text())))
    layers = list(csv.DictReader(io.StringIO(cli(["report", SPEC, "--format", "csv", "--convention", "ptflops"])[1])))
    assert totals["convention"] == "ptflops" and int(totals["ops"]) == sum(int(r["ops"]) for r in layers)


# --- LaTeX -------------------------------------------------------------------------------------

TEX = shutil.which("pdflatex") or shutil.which("lualatex")


def _latex_outputs(cli):
    return {name: cli(argv)[1] for name, argv in {
        "report": ["report", "imagenet/resnet50", "--format", "latex", "--symbolic"],
        "tree": ["report", "imagenet/resnet50", "--format", "latex", "--depth", "3"],
        "metrics": ["metrics", SPEC, "--format", "latex", "--units", "si"],
        "compare": ["compare", SPEC, "--grid", "alpha=0.5,1", "--format", "latex"],
        "explain": ["explain", SPEC, "--vs", "ptflops", "--format", "latex"],
        "dataflow": ["dataflow", "effnet/baseline", "effnet/effnet", "--format", "latex"],
        "ratio": ["ratio", "--alpha", "0.5", "--delta", "2", "--format", "latex"],
    }.items()}


def test_latex_names_its_packages_and_is_a_longtable(cli):
    for name, text in _latex_outputs(cli).items():
        assert text.startswith("%LaTeX: needs \\usepackage{booktabs,longtable}"), name
        assert "\\begin{longtable}" in text and "\\begin{tabular}" not in text, name
        assert text.count("\\begin{longtable}") == text.count("\\endhead") == text.count("\\end{longtable}"), name


@pytest.mark.skipif(TEX is None, reason="no TeX engine (pdflatex or lualatex) on this machine")
def test_latex_compiles(cli, tmp_path):
    outputs = _latex_outputs(cli)
    for name, text in outputs.items():
        (tmp_path / f"{name}.tex").write_text(text)
    body = "\n".join(f"\\input{{{name}.tex}}\\clearpage" for name in outputs)
    (tmp_path / "doc.tex").write_text("\\documentclass{article}\n\\usepackage{booktabs,longtable}\n"
                                      f"\\begin{{document}}\n{body}\n\\end{{document}}\n")
    run = subprocess.run([TEX, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]
    pages = int(next(l for l in run.stdout.splitlines() if "Output written" in l).split("(")[1].split()[0])
    assert pages > len(outputs)  # ResNet-50's 170-odd layers break across pages


# --- one set of formats ------------------------------------------------------------------------

COMMANDS = {
    "compare": ["compare", SPEC, "--grid", "alpha=0.5,1"],
    "metrics": ["metrics", SPEC],
    "explain": ["explain", SPEC, "--vs", "ptflops"],
    "dataflow": ["dataflow", "effnet/effnet"],
    "ratio": ["ratio", "--alpha", "0.5", "--delta", "2"],
    "report": ["report", SPEC],
    "sweep": ["sweep", SPEC, "--grid", "alpha=0.5,1"],
}


@pytest.mark.parametrize("fmt", tables.FORMATS)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_format_on_every_table_command(cli, command, fmt):
    status, out, err = cli(COMMANDS[command] + ["--format", fmt])
    assert status == 0, err
    if fmt == "json":
        json.loads(out)
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert len({len(r) for r in rows}) == 1 and len(rows) > 1  # a header and same-width data rows
        assert not any("total" in r for r in rows[1:])
    elif fmt == "markdown":
        assert "|--" in out or "|:-" in out


@pytest.mark.parametrize("fmt", tables.FORMATS)
def test_verify_formats(cli, fmt):
    pytest.importorskip("torch", reason="verify needs the torch extra")
    status, out, err = cli(["verify", SPEC, "--format", fmt])
    assert status == 0, err
    if fmt == "json":
        doc = json.loads(out)
        assert doc["ok"] and doc["layers"][0]["ours"]["macs"] == CONV1_MACS
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert sum(int(r["ops"]) for r in rows) == sum(int(r["torch_ops"]) for r in rows) == MACS


def test_explain_json_and_csv_sum_to_the_totals(cli):
    doc = json.loads(cli(["explain", SPEC, "--vs", "ptflops", "--format", "json"])[1])
    assert sum(t["ops"] for t in doc["types"]) == doc["totals"]["ops"] == MACS
    assert sum(t["difference"] for t in doc["types"]) == doc["totals"]["vs_ops"] - MACS


def test_compare_convention_headers_differ(cli):
    _, out, _ = cli(["compare", SPEC, "--grid", "alpha=0.5,1", "--convention", "ptflops"])
    header = out.splitlines()[3]
    assert header.count("MACs x") == 2 and "MACs x (ptflops)" in header
    cells = [c.strip() for c in header.split("  ") if c.strip()]
    assert len(cells) == len(set(cells))  # no two columns headed alike


# --- --plot without matplotlib, --help examples ------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["compare", SPEC, "--grid", "alpha=0.5,1", "--plot", "out.png"],
    ["dataflow", "effnet/effnet", "--plot", "out.svg"],
    ["sweep", SPEC, "--grid", "alpha=0.5,1", "--plot", "out.png"],
])
def test_plot_without_matplotlib_fails_first(cli, monkeypatch, argv):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    status, out, err = cli(argv)
    assert status == 2 and out == ""  # no table printed: nothing was computed
    assert "pip install 'cnn-costmodel[plot]'" in err and err.count("\n") == 1


@pytest.mark.parametrize("command", ["report", "compare", "metrics", "explain", "verify", "dataflow", "ratio",
                                     "sweep", "solve", "check", "list", "graph", "explore", "reproduce", "schema"])
def test_help_has_examples(command, capsys):
    from costmodel.cli import main
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    assert "examples:\n  costmodel " + command in out
