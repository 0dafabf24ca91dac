"""Plots (optional extra cnn-costmodel[plot]): files are produced and non-empty."""

from pathlib import Path

import pytest

import costmodel
from costmodel import explore, shipped
from costmodel.cli import main

pytest.importorskip("matplotlib")

from costmodel import plot  # noqa: E402

ROOT = Path(__file__).parent.parent
SPEC = shipped.path("mobilenet_cifar")


def non_empty(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 1000


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_compare_bars(tmp_path, suffix):
    rows = explore.compare(SPEC, {"alpha": [1, "0.5"], "delta": [1, 2]})
    path = tmp_path / f"compare{suffix}"
    plot.compare_bars(rows, path, ["alpha", "delta"], title="mobilenet_cifar")
    assert non_empty(path)


def test_sweep_scatter(tmp_path):
    rows = explore.sweep(SPEC, {"alpha": "0.25:1:0.25", "delta": [1, 2]}, pareto=("macs", "peak_floats_out"))
    path = tmp_path / "sweep.png"
    plot.sweep_scatter(rows, path, ("macs", "peak_floats_out"), ["alpha", "delta"], title="mobilenet_cifar")
    assert non_empty(path)


def test_dataflow(tmp_path):
    evaluations = [costmodel.analyze(SPEC), costmodel.analyze(SPEC, alpha="0.5", delta=2)]
    path = tmp_path / "dataflow.svg"
    plot.dataflow(evaluations, path)
    assert non_empty(path)
    named = tmp_path / "named.png"
    plot.dataflow({"baseline": evaluations[0]}, named, threshold=2)
    assert non_empty(named)


def test_cli_plots(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    bars, scatter = tmp_path / "c.png", tmp_path / "s.png"
    assert main(["compare", str(SPEC), "--grid", "alpha=1,0.5", "--plot", str(bars)]) == 0
    assert main(["sweep", str(SPEC), "--range", "alpha=0.5:1:0.25", "--pareto", "macs,params",
                 "--plot", str(scatter)]) == 0
    assert non_empty(bars) and non_empty(scatter)
    with pytest.raises(SystemExit) as refused:  # the extension is checked before any work
        main(["compare", str(SPEC), "--grid", "alpha=1", "--plot", str(tmp_path / "c.txt")])
    assert refused.value.code == 2
