"""Rows and totals -> text: table, markdown, csv, json, latex.

Records (network.py), totals and formatting live apart: this module only lays out what an
Evaluation already holds. Columns are an enum so every format shows the same ones.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction


from . import tables
from ..analyses import conventions
from ..analyses.conventions import MACS_HEADER as CONVENTION  # noqa: F401  (dataflow and compare print it)
from ..errors import SpecError
from ..network import Evaluation

FORMATS = tables.FORMATS
DEFAULT_THRESHOLD = 4


class Column(Enum):
    """(key for --columns, header, alignment)."""
    INDEX = ("index", "#", "right")
    NAME = ("name", "layer", "left")
    TYPE = ("type", "type", "left")
    INPUTS = ("inputs", "input HxWxC", "left")
    SHAPE = ("shape", "output HxWxC", "left")
    PARAMS = ("params", "params", "right")
    BN_STATS = ("params_non_trainable", "BN stats", "right")
    MACS = ("macs", "MACs", "right")
    FLOATS_OUT = ("floats_out", "floats out", "right")
    COMPRESSION = ("compression", "compression", "right")
    PARAMS_FORMULA = ("params_formula", "params formula", "left")
    MACS_FORMULA = ("macs_formula", "MACs formula", "left")

    @property
    def key(self) -> str:
        return self.value[0]

    @property
    def header(self) -> str:
        return self.value[1]

    @property
    def align(self) -> str:
        return self.value[2]


FORMULA_COLUMNS = (Column.PARAMS_FORMULA, Column.MACS_FORMULA)
# A table wider than the terminal loses columns in this order (never layer, output, params, MACs,
# nor a column named with --columns): the formulas (the closed-form totals stay below), then
# compression, floats out, BN stats, inputs, type, #.
DROP_ORDER = (Column.MACS_FORMULA, Column.PARAMS_FORMULA, Column.COMPRESSION, Column.FLOATS_OUT, Column.BN_STATS,
              Column.INPUTS, Column.TYPE, Column.INDEX)


def columns(symbolic: bool) -> list[Column]:
    """The default columns (--columns chooses others)."""
    base = [Column.INDEX, Column.NAME, Column.TYPE, Column.SHAPE, Column.PARAMS, Column.MACS,
            Column.FLOATS_OUT, Column.COMPRESSION]
    return base + (list(FORMULA_COLUMNS) if symbolic else [])


def parse_columns(text: str) -> list[Column]:
    """`--columns name,inputs,shape,macs`: the columns, in this order."""
    by_key = {c.key: c for c in Column}
    keys = [k.strip() for k in text.split(",")]
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise SpecError(f"unknown column {unknown[0]!r} (columns: {', '.join(by_key)})", file="--columns")
    if len(set(keys)) != len(keys):
        raise SpecError(f"a column is named twice in {text!r}", file="--columns")
    return [by_key[k] for k in keys]


def shape_text(shape) -> str:
    return "x".join(str(v) for v in shape)


def compression_text(value: Fraction, threshold: float) -> str:
    flag = " *" if value >= threshold else ""
    return f"{float(value):.2f}{flag}"


def value_text(value: Fraction) -> str:
    """A symbol value as written: 1, 0.5, 7/5."""
    if value.denominator == 1:
        return str(value.numerator)
    as_float = float(value)
    return repr(as_float) if Fraction(repr(as_float)) == value else str(value)


def defaults_header(spec) -> str:
    """The spec's `defaults_of:` and the defaults it gives where frameworks differ (the README's table)."""
    from ..ops import REGISTRY, REQUIRED
    padding = REGISTRY["conv"].params["padding"].default_for(spec.defaults_of)
    kernel = REGISTRY["maxpool"].params["kernel"].default_for(spec.defaults_of)
    window = "required" if kernel is REQUIRED else kernel
    whose = {"costmodel": "costmodel's", "pytorch": "PyTorch's", "keras": "Keras'"}[spec.defaults_of]
    return (f"defaults_of {spec.defaults_of}: arguments left out take {whose} defaults (conv and dwconv padding "
            f"{padding}, pool kernel {window}, stride = kernel, floor mode, bias on)")


def values_header(evaluation: Evaluation) -> str:
    """The spec's name, preset, options and the values of the symbols its tree reads (a symbol
    only another option's tree reads, e.g. EfficientNetV2-S's c7, is left out)."""
    read = evaluation.network.spec.read_symbols
    values = ", ".join(f"{name}={value_text(v)}" for name, v in evaluation.values.items() if name in read)
    preset = getattr(evaluation, "preset", None)
    spec = evaluation.network.spec
    options = ", ".join(f"{name}={value_text(v)}" for name, v in spec.option_values.items())  # the tree's
    name = spec.name + (f", preset {preset}" if preset else "") + (f", {options}" if options else "")
    return name + (f" ({values})" if values else "")


def input_shapes(evaluation: Evaluation) -> dict:
    """Every tensor's shape by name: the network input's and each layer's output."""
    from ..network import value_of
    from ..spec import NETWORK_INPUT

    shapes = {NETWORK_INPUT: tuple(int(value_of(node, evaluation.values)) for node in evaluation.network.spec.input)}
    shapes.update({row.name: row.shape for row in evaluation.rows})
    return shapes


def _texts(make):
    """`make` with each value's text remembered: a long network repeats a few shapes and counts."""
    made: dict = {}

    def text(value):
        found = made.get(value)
        if found is None:
            found = made[value] = make(value)
        return found
    return text


def _column_cells(column: Column, rows, threshold, formulas, number, shapes, counts) -> list:
    """One column's text for every row, in one pass (a 100,000-layer table is 100,000 rows)."""
    if column is Column.INDEX:
        return [str(r.index) for r in rows]
    if column in (Column.NAME, Column.TYPE):
        return [r.name for r in rows] if column is Column.NAME else [r.type for r in rows]
    if column is Column.INPUTS:
        texts = _texts(shape_text)
        return [" ".join(texts(shapes[name]) for name in r.inputs) for r in rows]
    if column is Column.SHAPE:
        return list(map(_texts(shape_text), (r.shape for r in rows)))
    if column in (Column.PARAMS, Column.MACS):  # a convention's counts replace the rows' own
        own, theirs = ("params", "params") if column is Column.PARAMS else ("macs", "ops")
        values = [getattr(r, own) for r in rows] if counts is None else [getattr(c, theirs) for c in counts]
        return list(map(_texts(number), values))
    if column in (Column.BN_STATS, Column.FLOATS_OUT):
        field = "params_non_trainable" if column is Column.BN_STATS else "floats_out"
        return list(map(_texts(number), (getattr(r, field) for r in rows)))
    if column is Column.COMPRESSION:
        made: dict = {}  # (floats in, floats out) -> text: the row's Fraction is made (a gcd) once per pair
        cells = []
        for r in rows:
            pair = (r.floats_in, r.floats_out)
            if pair not in made:
                made[pair] = compression_text(r.compression, threshold)
            cells.append(made[pair])
        return cells
    key = "params" if column is Column.PARAMS_FORMULA else "macs"  # the formula columns
    return [formulas[r.index - 1][key] for r in rows]


def layer_formulas(evaluation: Evaluation) -> list[dict]:
    """Each row's closed forms (the iterations of a repeat share their template's): layertext.py,
    from the cache of closed-form text when this spec's are there."""
    from .layertext import layer_formulas as texts
    return texts(evaluation)


# --- the hierarchy: blocks, repeats and stages with subtotals ------------------------------------

TREE_METRICS = ("params", "params_non_trainable", "macs", "floats_out")


def tree(evaluation: Evaluation) -> dict:
    """The network as written, unrolled at these values: nested nodes {name, kind, type, count,
    params, params_non_trainable, macs, floats_out, children}; a node's numbers are the sums of its
    children's, and the root's are the totals."""
    rows = evaluation.rows

    def node(inst) -> dict:
        if inst.layer is not None:
            row = rows[inst.layer.index - 1]
            return {"name": row.name, "kind": "layer", "type": row.type, "count": 1,
                    **{m: getattr(row, m) for m in TREE_METRICS}, "output_shape": list(row.shape), "children": []}
        children = [node(c) for c in inst.children]
        template = inst.template
        what = {"block": lambda: template.block, "stage": lambda: "stage",
                "repeat": lambda: getattr(template.rest, "block", getattr(template.rest, "type", "")),
                "network": lambda: "network"}[inst.kind]()
        return {"name": inst.name or evaluation.network.spec.name, "kind": inst.kind, "type": what,
                "count": inst.count, **{m: sum(c[m] for c in children) for m in TREE_METRICS},
                "output_shape": children[-1]["output_shape"], "children": children}

    return node(evaluation.unrolled)


def tree_rows(evaluation: Evaluation, depth: int, collapse_repeats: bool = False) -> list[dict]:
    """The nodes a `--depth` report shows, in order, each with its `level` (1 = top level): a node at
    level `depth` with children is one row with its subtotals; a shallower one is a row followed by
    its children. A repeat is collapsed (its first iteration, then the second marked x(n-1), which
    stands for every later one) when its count depends on symbols or `collapse_repeats` is set."""
    shown = []

    symbolic = _symbolic_repeat_names(evaluation)

    def visit(children, level, times=None, rails=""):
        for i, child in enumerate(children):
            last = i == len(children) - 1
            indent = "" if level == 1 else rails + ("└─" if last else "├─")  # torchinfo's tree
            shown.append({**child, "level": level, "times": times if last else None, "indent": indent})
            if child["children"] and level < depth:
                kids, kid_times = child["children"], None
                if child["kind"] == "repeat" and child["count"] > 2 and (collapse_repeats or child["name"] in symbolic):
                    kids, kid_times = kids[:2], child["count"] - 1
                visit(kids, level + 1, kid_times, "" if level == 1 else rails + ("  " if last else "│ "))

    if depth > 0:
        visit(tree(evaluation)["children"], 1)
    return shown


def _symbolic_repeat_names(evaluation: Evaluation) -> set:
    from ..spec import Repeat
    names = set()

    def walk(inst):
        if inst.kind == "repeat" and isinstance(inst.template, Repeat) and inst.template.symbolic:
            names.add(inst.name)
        for child in inst.children:
            walk(child)

    walk(evaluation.unrolled)
    return names


def _tree_cells(node: dict, number, latex: bool = False) -> list:
    kind = node["type"] if node["kind"] in ("layer", "stage") else \
        f"{node['kind']} {node['type']} x{node['count']}" if node["kind"] == "repeat" else f"{node['kind']} {node['type']}"
    times = f" (x{node['times']})" if node.get("times") else ""
    indent = LATEX_INDENT_MARK * (len(node["indent"]) // 2) if latex else node["indent"]
    return [indent + node["name"] + times, kind, shape_text(node["output_shape"]),
            number(node["params"]), number(node["macs"]), number(node["floats_out"])]


TREE_HEADERS = ["layer", "kind", "output HxWxC", "params", "MACs", "floats out"]


def total_formulas(evaluation: Evaluation) -> dict:
    """The closed-form totals as text (from the cache of closed-form text when this spec's are there)."""
    from .. import cache
    net = evaluation.network

    def texts() -> dict:
        from ..symbolic import OncePrinter
        printer = OncePrinter()  # one for the eight texts: they share most subexpressions
        return {metric: {"exact": net.formula(metric, printer=printer),
                         "smooth": net.formula(metric, smooth_form=True, printer=printer)}
                for metric in ("params", "params_non_trainable", "macs", "flops")}
    return cache.formulas(net.spec, texts)


@dataclass(frozen=True)
class Display:
    """How a table is shown: units, chosen columns, the width to fit, colour (see outputs/tables.py)."""
    units: str = "raw"
    columns: tuple | None = None  # None: the default columns
    width: int | None = None  # None: no limit
    colour: bool = False

    def __post_init__(self):
        if self.units not in tables.UNITS:
            raise ValueError(f"units must be one of {tables.UNITS}, got {self.units!r}")


PLAIN = Display()


def render(evaluation: Evaluation, fmt: str = "table", *, symbolic: bool = False,
           threshold: float = DEFAULT_THRESHOLD, convention: str = conventions.DEFAULT, depth: int | None = None,
           collapse_repeats: bool = False, display: Display = PLAIN) -> str:
    """`convention` (conventions.py) sets the header and, unless it is the default `macs`, replaces
    the MACs and params columns and totals by that profile's counts. `depth` (torchinfo's: 0 totals
    only, 1 the top-level layers, blocks, repeats and stages, ...) shows the hierarchy with subtotals.
    `display` (table, markdown and latex only) chooses units, columns, width and colour."""
    profile = conventions.get(convention)
    if symbolic and profile.name != conventions.DEFAULT:
        raise SpecError("--symbolic shows the macs convention's closed forms; drop it or use --convention macs")
    if fmt in ("csv", "json") and (display.units != "raw" or display.columns is not None):
        raise SpecError(f"--units si and --columns shape the table, markdown and latex formats; {fmt} is data "
                        f"(whole numbers, every column)", file="--format")
    if depth is not None and fmt != "json":
        if profile.name != conventions.DEFAULT or symbolic:
            raise SpecError("--depth shows the macs convention's numbers without formulas; drop --convention or "
                            "--symbolic", file="--depth")
        if display.columns is not None:
            raise SpecError("--columns chooses the columns of the flat report; drop it or --depth", file="--columns")
        return render_tree(evaluation, fmt, depth=depth, collapse_repeats=collapse_repeats, threshold=threshold,
                           display=display)
    if fmt == "json":
        return render_json(evaluation, symbolic=symbolic, threshold=threshold, convention=profile.name)
    if fmt == "csv":
        return render_csv(evaluation, symbolic=symbolic, threshold=threshold, convention=profile.name)
    return render_text(evaluation, fmt, symbolic=symbolic, threshold=threshold, convention=profile.name,
                       display=display)


def _profile_counts(evaluation: Evaluation, convention: str):
    """None for the default convention (the rows' own params and MACs), else per-layer counts."""
    if convention == conventions.DEFAULT:
        return None
    return conventions.layer_counts(evaluation, convention)


def render_text(evaluation: Evaluation, fmt: str, *, symbolic: bool, threshold: float,
                convention: str = conventions.DEFAULT, display: Display = PLAIN) -> str:
    cols = list(display.columns) if display.columns is not None else columns(symbolic)
    formulas = layer_formulas(evaluation) if set(cols) & set(FORMULA_COLUMNS) else None
    counts = _profile_counts(evaluation, convention)
    units, on = display.units, display.colour and fmt == "table"
    number = (lambda n: tables.count(n, units))
    shapes = input_shapes(evaluation) if Column.INPUTS in cols else {}
    rows = [list(cells) for cells in zip(*(_column_cells(c, evaluation.rows, threshold, formulas, number, shapes,
                                                          counts) for c in cols))]
    if on:  # flagged compression factors in red (EffNet's Table 1 marks them so)
        at = cols.index(Column.COMPRESSION) if Column.COMPRESSION in cols else None
        for row, r in zip(rows, evaluation.rows):
            if at is not None and r.compression >= threshold:
                row[at] = tables.red(row[at], on)
    t = evaluation.totals
    profile = conventions.get(convention)
    params, ops = (t.params, t.macs) if counts is None else (sum(c.params for c in counts), sum(c.ops for c in counts))
    total = {Column.NAME: "total", Column.PARAMS: number(params), Column.MACS: number(ops),
             Column.BN_STATS: number(t.params_non_trainable), Column.FLOATS_OUT: number(t.floats_out)}
    rows.append([tables.bold(str(total.get(c, "")), on) for c in cols])
    headers = {Column.MACS: f"{profile.unit} ({profile.name})"} if counts is not None else {}
    header_texts = [tables.bold(headers.get(c, c.header), on) for c in cols]
    droppable = [cols.index(c) for c in DROP_ORDER if c in cols] if display.columns is None else []
    table, dropped = tables.fitted(rows, header_texts, [c.align for c in cols], fmt, display.width, droppable)
    comment = tables.comment(fmt)
    lines = ([tables.latex_header()] if fmt == "latex" else []) + [
        f"{comment}{values_header(evaluation)}", f"{comment}{profile.header()}",
        f"{comment}{defaults_header(evaluation.network.spec)}", "", table, ""]
    if dropped:
        left_out = ", ".join(cols[i].header for i in sorted(dropped))
        lines.append(f"(to fit {display.width} characters, left out: {left_out}; --width 0 shows every column)")
    if counts is not None:
        acts = "" if profile.acts is None else f", {number(sum(c.acts for c in counts))} acts ({profile.acts_rule})"
        lines.append(f"{comment}{profile.name}: {number(ops)} {profile.unit}, {number(params)} params{acts}")
    lines += [f"{comment}{line}" for line in summary_lines(evaluation, threshold, units)]
    lines.append(f"{comment}{params_size_line(evaluation, units)}")
    breakdown = [[g["category"], g["layers"], number(g["macs"]), f"{float(g['macs_percent']):.2f}%",
                  number(g["params"]), f"{float(g['params_percent']):.2f}%"] for g in evaluation.breakdown()]
    lines += ["", f"{comment}resource per layer type", tables.text_table(
        breakdown, ["type", "layers", "MACs", "MACs %", "params", "params %"],
        ["left", "right", "right", "right", "right", "right"], fmt)]
    if symbolic:
        lines += ["", f"{comment}closed forms (exact: with channel rounding; smooth: rounding dropped)"]
        for metric, forms in total_formulas(evaluation).items():
            lines.append(f"{comment}  {metric} exact  = {forms['exact']}")
            lines.append(f"{comment}  {metric} smooth = {forms['smooth']}")
    return "\n".join(lines) + "\n"


def params_bytes(evaluation: Evaluation) -> dict:
    """Bytes to store the parameters (trainable + batch-norm statistics, as `metrics` counts
    storage) at each precision."""
    from ..dtypes import DTYPE_BYTES
    stored = evaluation.totals.params_with_statistics
    return {dtype: stored * size for dtype, size in DTYPE_BYTES.items()}


def params_size_line(evaluation: Evaluation, units: str = "raw") -> str:
    """torchinfo's "Params size (MB)", per precision: 1 MiB = 1024 x 1024 bytes."""
    def one(dtype, n):
        exact = "" if units == "si" else f"{n:,} bytes = "
        return f"{dtype} {exact}{tables.size(n, 'si')}"
    sizes = "; ".join(one(dtype, n) for dtype, n in params_bytes(evaluation).items())
    return f"params size (params + batch-norm statistics): {sizes}"


def render_tree(evaluation: Evaluation, fmt: str, *, depth: int, collapse_repeats: bool, threshold: float,
                display: Display = PLAIN) -> str:
    """The report at a depth: block, repeat and stage rows carry their subtotals; names are indented."""
    nodes = tree_rows(evaluation, depth, collapse_repeats)
    if fmt == "csv":
        return tables.csv_text(
            ["level", "name", "kind", "type", "count", "times", "height", "width", "channels", *TREE_METRICS],
            [[n["level"], n["name"], n["kind"], n["type"], n["count"], n["times"] or "", *n["output_shape"],
              *(n[m] for m in TREE_METRICS)] for n in nodes])
    t = evaluation.totals
    on = display.colour and fmt == "table"
    number = (lambda n: tables.count(n, display.units))
    rows = [_tree_cells(n, number, latex=fmt == "latex") for n in nodes]
    rows.append([tables.bold(cell, on) for cell in ["total", "", "", number(t.params), number(t.macs),
                                                     number(t.floats_out)]])
    comment = tables.comment(fmt)
    table = _keeping_whitespace(rows, headers=[tables.bold(h, on) for h in TREE_HEADERS], tablefmt=_TABLEFMT[fmt],
                                colalign=["left", "left", "left", "right", "right", "right"], disable_numparse=True)
    if fmt == "latex":
        table = tables.longtable(table.replace(LATEX_INDENT_MARK, r"\quad "))
    lines = ([tables.latex_header()] if fmt == "latex" else []) + [
        f"{comment}{values_header(evaluation)}", f"{comment}{conventions.get(conventions.DEFAULT).header()}",
        f"{comment}{defaults_header(evaluation.network.spec)}",
        f"{comment}depth {depth}: a block, repeat or stage row holds the sums of its layers"
        + ("; (xN) marks an iteration that stands for N equal ones" if any(n["times"] for n in nodes) else ""),
        "", table, ""]
    lines += [f"{comment}{line}" for line in summary_lines(evaluation, threshold, display.units)[:3]]
    return "\n".join(lines) + "\n"


_TABLEFMT = {"table": "simple", "markdown": "github", "latex": "latex_booktabs"}
LATEX_INDENT_MARK = "@INDENT@"  # a tree level in LaTeX (the rails are not in pdflatex's fonts)


def _keeping_whitespace(rows, **options) -> str:
    """tabulate that keeps a cell's leading spaces (the tree's rails): an argument since tabulate
    0.10, a module setting before."""
    import inspect

    import tabulate as tabulate_module
    from tabulate import tabulate  # here: a JSON or CSV report never imports it (~50 ms of a cold start)

    if "preserve_whitespace" in inspect.signature(tabulate).parameters:
        return tabulate(rows, preserve_whitespace=True, **options)
    keep, tabulate_module.PRESERVE_WHITESPACE = tabulate_module.PRESERVE_WHITESPACE, True
    try:
        return tabulate(rows, **options)
    finally:
        tabulate_module.PRESERVE_WHITESPACE = keep


def summary_lines(evaluation: Evaluation, threshold: float, units: str = "raw") -> list[str]:
    t = evaluation.totals
    n = (lambda value: tables.count(value, units))
    return [
        f"params: {n(t.params)} trainable + {n(t.params_non_trainable)} batch-norm statistics "
        f"= {n(t.params_with_statistics)} (as Keras counts)",
        f"MACs: {n(t.macs)}   FLOPs (2 x MACs): {n(t.flops)}",
        f"floats out: {n(t.floats_out)} in all, largest layer {n(t.peak_floats_out)}",
        f"compression = floats in / floats out; * marks >= {threshold:g}",
    ]


def render_csv(evaluation: Evaluation, *, symbolic: bool, threshold: float,
               convention: str = conventions.DEFAULT) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["index", "name", "type", "inputs", "height", "width", "channels", "params",
              "params_non_trainable", "macs", "floats_out", "compression", "flagged"]
    formulas = layer_formulas(evaluation) if symbolic else None
    counts = _profile_counts(evaluation, convention)
    extra = [] if counts is None else ["convention", "ops", "convention_params"]
    writer.writerow(header + (["params_formula", "macs_formula"] if symbolic else []) + extra)
    for i, r in enumerate(evaluation.rows):
        cells = [r.index, r.name, r.type, " ".join(r.inputs), *r.shape, r.params, r.params_non_trainable,
                 r.macs, r.floats_out, f"{float(r.compression):.6g}", int(r.compression >= threshold)]
        if formulas:
            cells += [formulas[r.index - 1]["params"], formulas[r.index - 1]["macs"]]
        if counts is not None:
            cells += [convention, counts[i].ops, counts[i].params]
        writer.writerow(cells)
    return out.getvalue()


def totals_csv(evaluation: Evaluation, convention: str = conventions.DEFAULT) -> str:
    """`--totals FILE`: the totals as a CSV of one row (the per-layer CSV has no total row, so its
    columns sum to these)."""
    t = evaluation.totals
    header = ["network", "params", "params_non_trainable", "params_with_statistics", "macs", "flops", "floats_out",
              "peak_floats_out", *(f"params_bytes_{dtype}" for dtype in params_bytes(evaluation))]
    row = [evaluation.network.spec.name, t.params, t.params_non_trainable, t.params_with_statistics, t.macs,
           t.flops, t.floats_out, t.peak_floats_out, *params_bytes(evaluation).values()]
    if convention != conventions.DEFAULT:
        counted = conventions.totals(evaluation, convention)
        header += ["convention", "ops", "convention_params"]
        row += [convention, counted["ops"], counted["params"]]
    return tables.csv_text(header, [row])


def to_dict(evaluation: Evaluation, *, symbolic: bool = False, threshold: float = DEFAULT_THRESHOLD,
            convention: str = conventions.DEFAULT) -> dict:
    """The complete, stable JSON document of a report. A convention other than the default adds
    `ops` and `convention_params` per layer (and `convention_acts` where the profile counts
    activations) and a `convention_totals` object."""
    t = evaluation.totals
    formulas = layer_formulas(evaluation) if symbolic else None
    counts = _profile_counts(evaluation, convention)
    layers = []
    for i, r in enumerate(evaluation.rows):
        item = {"index": r.index, "name": r.name, "type": r.type, "inputs": list(r.inputs), "stage": r.stage,
                "output_shape": list(r.shape), "params": r.params, "params_non_trainable": r.params_non_trainable,
                "macs": r.macs, "floats_out": r.floats_out, "compression": round(float(r.compression), 6),
                "compression_flagged": r.compression >= threshold}
        if formulas:
            item["formulas"] = formulas[r.index - 1]
        if counts is not None:
            item["ops"], item["convention_params"] = counts[i].ops, counts[i].params
            if counts[i].acts is not None:  # a profile that counts activations (pycls)
                item["convention_acts"] = counts[i].acts
        layers.append(item)
    doc = {
        "network": evaluation.network.spec.name,
        "spec": evaluation.network.spec.file,
        "convention": conventions.get(convention).name,
        "defaults_of": evaluation.network.spec.defaults_of,
        "symbols": {name: _json_number(v) for name, v in evaluation.values.items()},
        **({"options": {name: _json_number(v) for name, v in evaluation.network.spec.option_values.items()}}
           if evaluation.network.spec.options else {}),
        "layers": layers,
        "totals": {"params": t.params, "params_non_trainable": t.params_non_trainable,
                   "params_with_statistics": t.params_with_statistics, "macs": t.macs, "flops": t.flops,
                   "floats_out": t.floats_out, "peak_floats_out": t.peak_floats_out,
                   "params_bytes": params_bytes(evaluation)},
        "formulas": total_formulas(evaluation),
        "breakdown": [{**g, "macs_percent": round(float(g["macs_percent"]), 4),
                       "params_percent": round(float(g["params_percent"]), 4)} for g in evaluation.breakdown()],
        "compression_threshold": threshold,
        "tree": tree(evaluation),
    }
    if evaluation.preset is not None:
        doc["preset"] = evaluation.preset
    if counts is not None:
        doc["convention_totals"] = conventions.totals(evaluation, convention)
    return doc


def _json_number(value: Fraction):
    if value.denominator == 1:
        return value.numerator
    as_float = float(value)
    return as_float if Fraction(repr(as_float)) == value else str(value)


def render_json(evaluation: Evaluation, *, symbolic: bool, threshold: float,
                convention: str = conventions.DEFAULT) -> str:
    """The whole document; the hierarchy is its `tree` (a `--depth` does not cut it)."""
    return json.dumps(to_dict(evaluation, symbolic=symbolic, threshold=threshold, convention=convention),
                      indent=2) + "\n"
