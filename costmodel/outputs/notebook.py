"""An Evaluation or a Network in a notebook or a REPL: text, markdown and HTML tables, records, pandas.

`Evaluation.__repr__`, `_repr_markdown_` and `_repr_html_` (what Jupyter shows) are the per-layer
table and the totals; a long network shows its first and last MAX_ROWS // 2 layers. A Network
shows a summary and its defaults' evaluation: numbers only, no closed form is derived.
`records` is one dict per layer, `to_pandas` the same as a DataFrame (the `pandas` extra).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from tabulate import tabulate

from ..errors import SpecError
from .report import DEFAULT_THRESHOLD, shape_text, summary_lines, values_header

if TYPE_CHECKING:
    from ..network import Evaluation, LayerRow, Network

MAX_ROWS = 100  # layers shown; the middle ones of a longer network are counted in one row
HEADERS = ("#", "layer", "type", "output HxWxC", "params", "MACs", "floats out")
ALIGN = ("right", "left", "left", "left", "right", "right", "right")
RECORD_FIELDS = ("index", "name", "type", "inputs", "stage", "category", "height", "width", "channels", "params",
                 "params_non_trainable", "macs", "floats_out", "floats_in")
INSTALL_PANDAS = "pip install 'cnn-costmodel[pandas]'"


# --- records ---------------------------------------------------------------------------------------

def records(evaluation: "Evaluation") -> list[dict[str, Any]]:
    """One dict per layer (RECORD_FIELDS): whole numbers as ints, the output shape as height, width,
    channels, the inputs as a tuple of layer names. No total row: the totals are `evaluation.totals`."""
    return [_record(row) for row in evaluation.rows]


def _record(row: "LayerRow") -> dict[str, Any]:
    height, width, channels = row.shape
    return {"index": row.index, "name": row.name, "type": row.type, "inputs": tuple(row.inputs), "stage": row.stage,
            "category": row.category, "height": height, "width": width, "channels": channels, "params": row.params,
            "params_non_trainable": row.params_non_trainable, "macs": row.macs, "floats_out": row.floats_out,
            "floats_in": row.floats_in}


def to_pandas(evaluation: "Evaluation"):
    """The records as a pandas DataFrame indexed by layer name; ImportError naming the extra without pandas."""
    try:
        import pandas
    except ImportError:
        raise ImportError(f"to_pandas needs pandas: {INSTALL_PANDAS}") from None
    frame = pandas.DataFrame.from_records(records(evaluation), columns=list(RECORD_FIELDS))
    return frame.set_index("name", drop=False)


# --- an Evaluation ---------------------------------------------------------------------------------

def _cells(row: "LayerRow") -> list[str]:
    return [str(row.index), row.name, row.type, shape_text(row.shape), f"{row.params:,}", f"{row.macs:,}",
            f"{row.floats_out:,}"]


def _table_rows(evaluation: "Evaluation") -> list[list[str]]:
    """The layers' cells (the middle ones cut to one row when there are more than MAX_ROWS), then the total."""
    rows = evaluation.rows
    if len(rows) > MAX_ROWS:
        half = MAX_ROWS // 2
        hidden = len(rows) - 2 * half
        cells = [*map(_cells, rows[:half]), ["", f"... {hidden:,} more layers", "", "", "", "", ""],
                 *map(_cells, rows[-half:])]
    else:
        cells = [_cells(r) for r in rows]
    t = evaluation.totals
    return [*cells, ["", "total", "", "", f"{t.params:,}", f"{t.macs:,}", f"{t.floats_out:,}"]]


def text(evaluation: "Evaluation", fmt: str = "simple") -> str:
    """The header, the layer table and the totals as text (`fmt` a tabulate format)."""
    table = tabulate(_table_rows(evaluation), headers=list(HEADERS), tablefmt=fmt, colalign=ALIGN,
                     disable_numparse=True)
    return "\n".join([values_header(evaluation), "", table, "", *summary_lines(evaluation, DEFAULT_THRESHOLD)[:3]])


def markdown(evaluation: "Evaluation") -> str:
    lines = summary_lines(evaluation, DEFAULT_THRESHOLD)[:3]
    table = tabulate(_table_rows(evaluation), headers=list(HEADERS), tablefmt="github", colalign=ALIGN,
                     disable_numparse=True)
    return "\n".join([f"**{values_header(evaluation)}**", "", table, "", *(f"- {line}" for line in lines)]) + "\n"


def html_table(evaluation: "Evaluation") -> str:
    """An HTML table, every cell escaped (layer names come from a spec)."""
    esc = html.escape
    head = "".join(f"<th style=\"text-align: {a}\">{esc(h)}</th>" for h, a in zip(HEADERS, ALIGN))
    body = "".join("<tr>" + "".join(f"<td style=\"text-align: {a}\">{esc(c)}</td>" for c, a in zip(row, ALIGN))
                   + "</tr>" for row in _table_rows(evaluation))
    lines = "".join(f"<li>{esc(line)}</li>" for line in summary_lines(evaluation, DEFAULT_THRESHOLD)[:3])
    return (f"<div><p><b>{esc(values_header(evaluation))}</b></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><ul>{lines}</ul></div>")


# --- a Network -------------------------------------------------------------------------------------

def network_summary(network: "Network") -> str:
    """One line: the name, its symbols with their defaults, the layer count (no closed form derived)."""
    spec = network.spec
    symbols = ", ".join(f"{name}={_value(s.default)}" for name, s in spec.symbols.items())
    layers = "repeat counts depend on symbols" if spec.symbolic_repeats else f"{len(spec.layers):,} layers"
    return f"Network {spec.name!r}: {layers}" + (f"; symbols {symbols}" if symbols else "; no symbols")


def _value(v) -> str:
    from .report import value_text
    return value_text(v)


def _defaults(network: "Network"):
    """The defaults' Evaluation, or the reason it cannot be had (a spec whose defaults do not fit)."""
    try:
        return network.defaults_evaluation(), None
    except SpecError as e:
        return None, str(e)


def network_text(network: "Network") -> str:
    evaluation, reason = _defaults(network)
    tail = text(evaluation) if evaluation is not None else f"at the defaults: {reason}"
    return f"{network_summary(network)}\n{tail}"


def network_markdown(network: "Network") -> str:
    evaluation, reason = _defaults(network)
    tail = markdown(evaluation) if evaluation is not None else f"at the defaults: {reason}\n"
    return f"{network_summary(network)}\n\n{tail}"


def network_html(network: "Network") -> str:
    evaluation, reason = _defaults(network)
    tail = html_table(evaluation) if evaluation is not None else f"<p>at the defaults: {html.escape(reason or '')}</p>"
    return f"<div><p>{html.escape(network_summary(network))}</p>{tail}</div>"
