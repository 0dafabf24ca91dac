"""Pictures of explorations (optional: `pip install 'cnn-costmodel[plot]'`, matplotlib imported lazily).

- `compare_bars(rows, path, symbols)`: MACs and params per configuration, grouped bars, baseline
  dashed, each bar labelled with its factor against the baseline;
- `sweep_scatter(rows, path, metrics, symbols)`: one metric against another for every swept
  configuration, coloured by a symbol, the Pareto front drawn and labelled;
- `dataflow(evaluations, path)`: floats out per layer for several networks, layers whose
  compression (floats in / floats out) is at least the threshold marked.

Figures are built with matplotlib's object API (no pyplot state) and saved by file extension
(.png, .svg, .pdf).
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import SpecError, install_hint

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")


def _figure(width: float, height: float, ncols: int = 1):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise SpecError(f"plots need matplotlib: {install_hint('plot')} (or pip install matplotlib)") from None
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(1, ncols, squeeze=False)[0]


def _save(fig, path) -> None:
    path = str(path)
    if not path.lower().endswith((".png", ".svg", ".pdf")):
        raise SpecError(f"plot file {path}: expected .png, .svg or .pdf")
    try:
        fig.savefig(path, dpi=120)
    except OSError as e:
        raise SpecError(f"cannot write plot {path}: {e.strerror or e}") from None


def _value(v) -> str:
    v = Fraction(v)
    if v.denominator == 1:
        return str(v.numerator)
    f = float(v)
    return repr(f) if Fraction(repr(f)) == v else str(v)


def _config(values: dict, names) -> str:
    return ", ".join(f"{n}={_value(values[n])}" for n in names)


def compare_bars(rows: list[dict], path, symbols: list[str], *, title: str = "") -> None:
    """Grouped bars of `explore.compare` rows: one panel for MACs, one for trainable params.
    Groups are the values of the first symbol, bars within a group the values of the rest."""
    if not symbols:
        raise SpecError("compare --plot groups bars by a symbol: give at least one --grid")
    group_key, series_keys = symbols[0], symbols[1:]
    groups = list(dict.fromkeys(r["values"][group_key] for r in rows if not r["baseline"] or len(rows) == 1))
    series = list(dict.fromkeys(tuple(r["values"][k] for k in series_keys) for r in rows))
    base = rows[0]
    fig, axes = _figure(max(7.0, 1.4 * len(groups) * max(1, len(series)) + 3), 4.6, ncols=2)
    width = 0.8 / max(1, len(series))
    for ax, metric, label in ((axes[0], "macs", "MACs (millions)"), (axes[1], "params", "trainable params (millions)")):
        for j, key in enumerate(series):
            xs, heights, factors = [], [], []
            for i, g in enumerate(groups):
                match = [r for r in rows if r["values"][group_key] == g
                         and tuple(r["values"][k] for k in series_keys) == key]
                if match:
                    xs.append(i - 0.4 + width * (j + 0.5))
                    heights.append(match[-1][metric] / 1e6)
                    factors.append(match[-1][f"{metric}_factor"])
            name = _config(dict(zip(series_keys, key)), series_keys) if series_keys else metric
            bars = ax.bar(xs, heights, width * 0.92, color=COLOURS[j % len(COLOURS)], label=name)
            ax.bar_label(bars, labels=[f"{float(f):.2f}x" if f is not None else "" for f in factors],
                         fontsize=7, padding=2)
        ax.axhline(base[metric] / 1e6, color="black", linestyle="--", linewidth=1,
                   label=f"baseline ({_config(base['values'], symbols)})")
        ax.set_xticks(range(len(groups)), [f"{group_key}={_value(g)}" for g in groups])
        ax.set_xlabel(f"{group_key} (symbol value)")
        ax.set_ylabel(label)
        ax.set_title(f"{label.split(' (')[0]}; bar labels: factor against the baseline", fontsize=9)
        ax.margins(y=0.12)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{title}: configurations compared" if title else "configurations compared")
    _save(fig, path)


def sweep_scatter(rows, path, metrics=("macs", "params"), symbols=(), *, title: str = "", labels: int = 12) -> None:
    """Every configuration of `explore.sweep` rows as a point (metrics[0] across, metrics[1] up),
    coloured by the first swept symbol; the Pareto front (field `pareto`) joined and labelled."""
    import numpy as np

    x_metric, y_metric = metrics
    symbols = [s for s in symbols if s in rows.dtype.names] or [n for n in rows.dtype.names[:1]]
    fig, (ax,) = _figure(8.0, 5.6)
    x, y = rows[x_metric].astype(float), rows[y_metric].astype(float)
    colour_by = symbols[0]
    shape_by = symbols[1] if len(symbols) > 1 and len(np.unique(rows[symbols[1]])) <= 6 else None
    groups = [(None, np.ones(len(rows), dtype=bool))] if shape_by is None else \
        [(v, rows[shape_by] == v) for v in np.unique(rows[shape_by])]
    low, high = float(rows[colour_by].min()), float(rows[colour_by].max())
    for k, (v, mask) in enumerate(groups):
        points = ax.scatter(x[mask], y[mask], c=rows[colour_by][mask].astype(float), cmap="viridis", vmin=low,
                            vmax=max(high, low + 1e-12), s=18, alpha=0.8, marker="osD^vP"[k],
                            label="configuration" if v is None else f"{shape_by}={_value(Fraction(repr(float(v))))}")
    fig.colorbar(points, ax=ax, label=f"{colour_by} (colour)")
    if "pareto" in rows.dtype.names and rows["pareto"].any():
        front = rows[rows["pareto"]]
        order = np.lexsort((front[y_metric], front[x_metric]))
        front = front[order]
        ax.step(front[x_metric].astype(float), front[y_metric].astype(float), where="post", color="crimson",
                linewidth=1.2, zorder=3)
        ax.scatter(front[x_metric].astype(float), front[y_metric].astype(float), s=46, facecolors="none",
                   edgecolors="crimson", linewidths=1.5, zorder=4, label=f"Pareto front ({len(front)})")
        step = max(1, len(front) // labels)
        for r in front[::step]:
            ax.annotate(", ".join(f"{s}={_value(Fraction(repr(float(r[s]))))}" for s in symbols),
                        (float(r[x_metric]), float(r[y_metric])), textcoords="offset points", xytext=(6, -10),
                        fontsize=7, color="crimson")
    for axis, values, setter in ((x, x, ax.set_xscale), (y, y, ax.set_yscale)):
        if values.size and values.min() > 0 and values.max() / values.min() > 100:
            setter("log")
    names = {"macs": "MACs (multiply-accumulates)", "params": "params (trainable, count)",
             "params_with_statistics": "params + BN statistics (count)", "flops": "FLOPs (2 x MACs)",
             "floats_out": "floats out (all layers, values)", "peak_floats_out": "peak floats out (one layer, values)",
             "params_non_trainable": "batch-norm statistics (count)"}
    ax.set_xlabel(names.get(x_metric, x_metric))
    ax.set_ylabel(names.get(y_metric, y_metric))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(f"{title}: {len(rows):,} configurations, both costs minimised" if title
                 else f"{len(rows):,} configurations, both costs minimised")
    _save(fig, path)


def dataflow(evaluations, path, *, threshold: float = 4, title: str = "floats out per layer") -> None:
    """Floats out (H*W*C of each layer's output) against layer position for several networks;
    layers whose compression factor (floats in / floats out) is >= `threshold` are marked.

    `evaluations`: Evaluation objects (from costmodel.analyze), a list or a {label: Evaluation}
    mapping (labels default to network name and symbol values)."""
    if not isinstance(evaluations, dict):
        evaluations = {_label(e): e for e in evaluations}
    if not evaluations:
        raise SpecError("dataflow: no networks to plot")
    fig, (ax,) = _figure(9.0, 5.0)
    for j, (label, evaluation) in enumerate(evaluations.items()):
        colour = COLOURS[j % len(COLOURS)]
        index = [r.index for r in evaluation.rows]
        floats = [r.floats_out for r in evaluation.rows]
        ax.plot(index, floats, color=colour, linewidth=1.3, marker=".", markersize=3, label=label)
        marked = [(r.index, r.floats_out) for r in evaluation.rows if r.compression >= threshold]
        if marked:
            ax.scatter(*zip(*marked), marker="v", s=60, color=colour, edgecolors="black", linewidths=0.6,
                       zorder=3, label=f"{label}: compression >= {threshold:g} ({len(marked)} layer{'s' if len(marked) > 1 else ''})")
    ax.set_yscale("log")
    ax.set_xlabel("layer (position in the spec, 1 = first)")
    ax.set_ylabel("floats out (values: H x W x C, batch 1)")
    ax.grid(alpha=0.3, which="both")
    # outside the axes, below them: the lines stay visible wherever they run (they fill the whole width)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, frameon=False)
    ax.set_title(f"{title}; triangles: floats in / floats out >= {threshold:g}")
    _save(fig, path)


def _label(evaluation) -> str:
    values = ", ".join(f"{n}={_value(v)}" for n, v in evaluation.values.items())
    return f"{evaluation.network.spec.name} ({values})" if values else evaluation.network.spec.name
