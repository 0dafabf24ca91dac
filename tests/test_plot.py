"""Plots (optional extra cnn-costmodel[plot]): files are produced and non-empty."""

from pathlib import Path

import pytest

import costmodel
from costmodel import shipped
from costmodel.analyses import explore
from costmodel.cli import main

pytest.importorskip("matplotlib")

from costmodel.outputs import plot  # noqa: E402

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


@pytest.fixture
def figures(monkeypatch):
    """The matplotlib Figure objects the plot functions build (and still save)."""
    built = []
    save = plot._save

    def keep(fig, path):
        built.append(fig)
        save(fig, path)

    monkeypatch.setattr(plot, "_save", keep)
    return built


def _labelled(fig) -> None:
    """A title, axis labels with their units in parentheses, and a legend on every plot."""
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    for ax in panels:
        assert ax.get_title(), "no title"
        assert "(" in ax.get_xlabel() and "(" in ax.get_ylabel(), (ax.get_xlabel(), ax.get_ylabel())
    assert any(ax.get_legend() is not None and ax.get_legend().get_texts() for ax in panels), "no legend"


def test_every_plot_has_title_axis_units_and_legend(tmp_path, figures):
    plot.compare_bars(explore.compare(SPEC, {"alpha": [1, "0.5"], "delta": [1, 2]}), tmp_path / "c.png",
                      ["alpha", "delta"], title="mobilenet_cifar")
    plot.sweep_scatter(explore.sweep(SPEC, {"alpha": "0.25:1:0.25", "delta": [1, 2]}, pareto=("macs", "params")),
                       tmp_path / "s.png", ("macs", "params"), ["alpha", "delta"], title="mobilenet_cifar")
    plot.dataflow([costmodel.analyze(SPEC)], tmp_path / "d.png")
    assert len(figures) == 3
    for fig in figures:
        _labelled(fig)


def test_dataflow_legend_hides_no_line(tmp_path, figures):
    """The legend sits outside the axes: it covers none of the lines (EffNet's baseline and MobileNet
    run across the whole width, layers 13-17 included)."""
    evaluations = {name: costmodel.analyze(f"effnet/{name}") for name in ("baseline", "mobilenet", "effnet")}
    plot.dataflow(evaluations, tmp_path / "d.png")
    fig = figures[0]
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert not legend.overlaps(ax.get_window_extent())
    assert fig.bbox.contains(legend.x0, legend.y0) and fig.bbox.contains(legend.x1, legend.y1)  # not cut off
