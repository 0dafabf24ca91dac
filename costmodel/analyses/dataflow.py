"""EffNet's data-flow table (Freeman et al. 2018, Table 1) for any set of networks, side by side.

Each network is cut into *lines* and the lines are grouped into *rows*:

- a line starts at every layer that costs multiply-accumulates (a convolution or fully connected
  layer) and takes in the layers after it that cost none (batch norm, activations, pooling, shuffle,
  add ...), as Table 1's "3x3x64 + mp" is a convolution, its pooling and its hidden batch norm and
  ReLU. Its floats out are those of its last layer; its compression is the floats entering the line
  from outside over its floats out. Layers that cost nothing before the first costly layer of a
  group form a line of their own;
- a row is a stage (the spec's `stage:` labels): each network shows that stage's lines, one under the
  other, as Table 1 lists "dw 3x3 + stride" and "1x1x128" in the row of the baseline's "3x3x128 + mp".
  Layers without a stage give one row per line; the k-th such line after a given stage (or after the
  start) shares its row with the other networks' k-th line there, so unstaged specs compare line by
  line. Stages shared by several networks are aligned; their order must agree between the networks.

Labels read like the paper's: "3x3x64 + mp", "dw 1x3 + 1d mp", "2x1x64 + 1d stride", "gc4 1x1x32",
"fc 10". A label names the costly layer and the layers after it that change the shape or merge
(pooling, add, concat ...); batch norm, activations, shuffle and dropout keep the shape and are not
named (the paper does not name them either).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..errors import SpecError
from ..expr import IN_CHANNELS
from ..network import Evaluation, LayerRow
from ..ops import lookup
from ..outputs.report import CONVENTION, DEFAULT_THRESHOLD, defaults_header, values_header
from ..spec import NETWORK_INPUT
from ..symbolic import to_sympy

@dataclass(frozen=True)
class Line:
    """A costly layer and the cost-free layers after it: one line of a Table 1 column."""

    label: str
    layers: tuple       # layer names, in order
    shape: tuple        # output (H, W, C) of the last layer
    floats_in: int      # floats entering the line from outside it
    floats_out: int

    @property
    def compression(self) -> Fraction:
        return Fraction(self.floats_in, self.floats_out)


@dataclass(frozen=True)
class Row:
    """One row of the table: a stage (or one unstaged line); `cells[i]` holds network i's lines."""

    stage: str | None
    cells: tuple

    @property
    def height(self) -> int:
        return max(len(lines) for lines in self.cells)


@dataclass(frozen=True)
class DataFlow:
    evaluations: tuple
    rows: tuple
    threshold: float

    def flagged(self, line: Line) -> bool:
        return line.compression >= self.threshold


def build(evaluations, threshold: float = DEFAULT_THRESHOLD) -> DataFlow:
    """The aligned table of several evaluated networks."""
    groups = [network_groups(e) for e in evaluations]
    order = align([[key for key, _, _ in g] for g in groups], [e.network.spec for e in evaluations])
    rows = []
    for key in order:
        stage, cells = None, []
        for network in groups:
            found = next(((s, lines) for k, s, lines in network if k == key), (None, ()))
            stage = stage or found[0]
            cells.append(tuple(found[1]))
        rows.append(Row(stage, tuple(cells)))
    return DataFlow(tuple(evaluations), tuple(rows), threshold)


def network_groups(evaluation: Evaluation) -> list[tuple]:
    """(key, stage, lines) per stage of one network, in order; an unstaged line is its own group,
    keyed by the stage before it and its position after that stage."""
    values = _Values(evaluation)
    groups: list[tuple] = []
    seen: set[str] = set()
    previous: str | None = None
    for stage, rows in _runs(evaluation.rows):
        if stage is None:  # the k-th unstaged line after the same stage lines up across networks
            for k, line in enumerate(lines_of(rows, values)):
                groups.append((("line", previous, k), None, [line]))
            continue
        previous = stage
        if stage in seen:
            raise SpecError(f"stage {stage!r} is split by other layers; a stage's layers must be consecutive",
                            file=evaluation.network.spec.file)
        seen.add(stage)
        groups.append((("stage", stage), stage, lines_of(rows, values)))
    return groups


def _runs(rows: list[LayerRow]):
    """Consecutive layers with the same stage label."""
    run: list[LayerRow] = []
    for row in rows:
        if run and row.stage != run[0].stage:
            yield run[0].stage, run
            run = []
        run.append(row)
    if run:
        yield run[0].stage, run


def align(keys_per_network: list[list], specs) -> list:
    """One order of row keys that keeps every network's own order; shared stages line up."""
    order: list = []
    for keys, spec in zip(keys_per_network, specs):
        position = 0
        for key in keys:
            if key in order:
                index = order.index(key)
                if index < position:
                    raise SpecError(f"stage {key[1]!r} comes in another order than in the specs before it",
                                    file=spec.file)
                position = index + 1
            else:
                order.insert(position, key)
                position += 1
    return order


class _Values:
    """Numbers of one evaluation: layer arguments and the floats of any named tensor."""

    def __init__(self, evaluation: Evaluation):
        net = evaluation.network
        self.args = {layer.name: layer.args for layer in evaluation.layer_specs}
        self.symbols = net.symbols
        self.subs = {net.symbols[n]: sympy.Rational(v.numerator, v.denominator) for n, v in evaluation.values.items()}
        self.shapes = {NETWORK_INPUT: tuple(int(v.xreplace(self.subs)) for v in net.input_shape)}
        self.shapes.update({row.name: row.shape for row in evaluation.rows})

    def arg(self, row: LayerRow, name: str):
        """A layer argument as an int (or a pair of ints)."""
        value = self.args[row.name][name]
        symbols = self.symbols
        if len(row.inputs) == 1:  # a layer's groups may name its input's channel count
            symbols = {**symbols, IN_CHANNELS: sympy.Integer(self.shapes[row.inputs[0]][2])}
        if isinstance(value, tuple):
            return tuple(self._number(v, symbols) for v in value)
        return self._number(value, symbols)

    def _number(self, node, symbols: dict) -> int:
        return int(to_sympy(node, symbols).xreplace(self.subs))  # kernels, strides, groups: integers

    def floats(self, name: str) -> int:
        h, w, c = self.shapes[name]
        return h * w * c


def lines_of(rows: list[LayerRow], values: _Values) -> list[Line]:
    """Cut a group of consecutive layers into lines, each starting at a layer with MACs."""
    pieces: list[list[LayerRow]] = []
    for row in rows:
        if row.macs > 0 or not pieces:
            pieces.append([row])
        else:
            pieces[-1].append(row)
    return [_line(piece, values) for piece in pieces]


def _line(piece: list[LayerRow], values: _Values) -> Line:
    names = {row.name for row in piece}
    outside = dict.fromkeys(name for row in piece for name in row.inputs if name not in names)
    floats_in = sum(values.floats(name) for name in outside)
    return Line(label=label(piece, values), layers=tuple(row.name for row in piece), shape=piece[-1].shape,
                floats_in=floats_in, floats_out=piece[-1].floats_out)


def label(piece: list[LayerRow], values: _Values) -> str:
    """'3x3x64 + mp', 'dw 1x3 + 1d mp', '2x1x64 + 1d stride', 'gc4 1x1x32', 'fc 10': the short name
    of each layer that has one in its family file (`OpDef.label`: the costly layer, pooling, merges,
    split, channel padding); batch norm, activations, shuffle and dropout have none."""
    parts = [name for row in piece if (name := short_name(row, values)) is not None]
    return " + ".join(parts) if parts else piece[0].type


def short_name(row: LayerRow, values: _Values) -> str | None:
    """One layer's name in a label, by its family's rule, or None if it is not named."""
    op = lookup(row.type)
    if op.label is None:
        return None
    return op.label(lambda name: values.arg(row, name), values.shapes[row.inputs[0]], row.shape)


# --- output ---------------------------------------------------------------------------------

LEGEND = ("each entry: a layer with multiply-accumulates and the cost-free layers after it (batch norm, "
          "activations, pooling ...), with the floats out of its last layer")


def render(flow: DataFlow, fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps(to_dict(flow), indent=2) + "\n"
    if fmt == "csv":
        return render_csv(flow)
    return render_text(flow, fmt)


def _floats_cell(flow: DataFlow, line: Line) -> str:
    return f"{line.floats_out:,}" + (" *" if flow.flagged(line) else "")


def render_text(flow: DataFlow, fmt: str) -> str:
    headers = ["stage"]
    for e in flow.evaluations:
        headers += [e.network.spec.name, "floats out"]
    body = []
    for row in flow.rows:
        for i in range(row.height):
            cells = [(row.stage or "") if i == 0 else ""]
            for lines in row.cells:
                cells += [lines[i].label, _floats_cell(flow, lines[i])] if i < len(lines) else ["", ""]
            body.append(cells)
    align = ["left"] + ["left", "right"] * len(flow.evaluations)
    from ..outputs import tables

    table = tables.text_table(body, headers, align, fmt)  # LaTeX: a longtable
    comment = tables.comment(fmt)
    lines = ([tables.latex_header()] if fmt == "latex" else []) + [f"{comment}data flow: " + "; ".join(values_header(e) for e in flow.evaluations),
             f"{comment}{CONVENTION}", *_defaults_lines(flow, comment), "", table, ""]
    notes = [LEGEND, f"compression = floats in / floats out of a row; * marks >= {flow.threshold:g}"]
    for e in flow.evaluations:
        t = e.totals
        notes.append(f"{e.network.spec.name}: MACs {t.macs:,}, FLOPs (2 x MACs) {t.flops:,}, params {t.params:,}")
    lines += [f"{comment}{note}" for note in notes]
    return "\n".join(lines) + "\n"


def _defaults_lines(flow: DataFlow, comment: str) -> list[str]:
    """Whose defaults the networks' layers take: one line when they share them, else one per network."""
    specs = [e.network.spec for e in flow.evaluations]
    if len({s.defaults_of for s in specs}) == 1:
        return [f"{comment}{defaults_header(specs[0])}"]
    return [f"{comment}{s.name}: {defaults_header(s)}" for s in specs]


def render_csv(flow: DataFlow) -> str:
    """One line per (row, network, line): long form, `row` gives the alignment."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row", "stage", "network", "line", "label", "layers", "height", "width", "channels",
                     "floats_in", "floats_out", "compression", "flagged"])
    for number, row in enumerate(flow.rows, 1):
        for e, lines in zip(flow.evaluations, row.cells):
            for index, line in enumerate(lines, 1):
                writer.writerow([number, row.stage or "", e.network.spec.name, index, line.label, " ".join(line.layers),
                                 *line.shape, line.floats_in, line.floats_out, f"{float(line.compression):.6g}",
                                 int(flow.flagged(line))])
    return out.getvalue()


def to_dict(flow: DataFlow) -> dict:
    from ..outputs.report import _json_number

    def line_dict(line: Line) -> dict:
        return {"label": line.label, "layers": list(line.layers), "output_shape": list(line.shape),
                "floats_in": line.floats_in, "floats_out": line.floats_out,
                "compression": round(float(line.compression), 6), "compression_flagged": flow.flagged(line)}

    return {
        "convention": "macs",
        "compression_threshold": flow.threshold,
        "networks": [{"network": e.network.spec.name, "spec": e.network.spec.file,
                      "symbols": {n: _json_number(v) for n, v in e.values.items()},
                      "defaults_of": e.network.spec.defaults_of,
                      "totals": {"params": e.totals.params, "macs": e.totals.macs, "flops": e.totals.flops}}
                     for e in flow.evaluations],
        "rows": [{"stage": row.stage, "cells": [[line_dict(line) for line in lines] for lines in row.cells]}
                 for row in flow.rows],
    }
