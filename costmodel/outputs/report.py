"""Rows and totals -> text: table, markdown, csv, json, latex.

Records (network.py), totals and formatting live apart: this module only lays out what an
Evaluation already holds. Columns are an enum so every format shows the same ones.
"""

from __future__ import annotations

import csv
import io
import json
from enum import Enum
from fractions import Fraction

from tabulate import tabulate

from ..analyses import conventions
from ..analyses.conventions import MACS_HEADER as CONVENTION  # noqa: F401  (dataflow and compare print it)
from ..errors import SpecError
from ..network import Evaluation, LayerRow

FORMATS = ("table", "markdown", "csv", "json", "latex")
DEFAULT_THRESHOLD = 4


class Column(Enum):
    INDEX = ("#", "right")
    NAME = ("layer", "left")
    TYPE = ("type", "left")
    SHAPE = ("output HxWxC", "left")
    PARAMS = ("params", "right")
    MACS = ("MACs", "right")
    FLOATS_OUT = ("floats out", "right")
    COMPRESSION = ("compression", "right")
    PARAMS_FORMULA = ("params formula", "left")
    MACS_FORMULA = ("MACs formula", "left")

    @property
    def header(self) -> str:
        return self.value[0]

    @property
    def align(self) -> str:
        return self.value[1]


def columns(symbolic: bool) -> list[Column]:
    base = [Column.INDEX, Column.NAME, Column.TYPE, Column.SHAPE, Column.PARAMS, Column.MACS,
            Column.FLOATS_OUT, Column.COMPRESSION]
    return base + ([Column.PARAMS_FORMULA, Column.MACS_FORMULA] if symbolic else [])


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
    values = ", ".join(f"{name}={value_text(v)}" for name, v in evaluation.values.items())
    preset = getattr(evaluation, "preset", None)
    name = evaluation.network.spec.name + (f", preset {preset}" if preset else "")
    return name + (f" ({values})" if values else "")


def _cells(row: LayerRow, cols, threshold, formulas, thousands: bool, count=None) -> list:
    number = (lambda n: f"{n:,}") if thousands else (lambda n: n)
    cell = {
        Column.INDEX: row.index, Column.NAME: row.name, Column.TYPE: row.type,
        Column.SHAPE: shape_text(row.shape), Column.PARAMS: number(row.params if count is None else count.params),
        Column.MACS: number(row.macs if count is None else count.ops), Column.FLOATS_OUT: number(row.floats_out),
        Column.COMPRESSION: compression_text(row.compression, threshold),
    }
    if formulas is not None:
        cell[Column.PARAMS_FORMULA] = formulas[row.index - 1]["params"]
        cell[Column.MACS_FORMULA] = formulas[row.index - 1]["macs"]
    return [cell[c] for c in cols]


def layer_formulas(evaluation: Evaluation) -> list[dict]:
    """Each row's closed forms (the iterations of a repeat share their template's)."""
    net, shown = evaluation.network, {}
    result = []
    for leaf in evaluation.unrolled.leaves():
        layer = net.cost_of(leaf)
        key = (id(layer.params), id(layer.macs), id(layer.shape))
        if key not in shown:
            shown[key] = {"params": str(layer.params), "macs": str(layer.macs),
                          "output_shape": [str(v) for v in layer.shape]}
        result.append(shown[key])
    return result


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


def _tree_cells(node: dict, thousands: bool) -> list:
    number = (lambda n: f"{n:,}") if thousands else (lambda n: n)
    kind = node["type"] if node["kind"] in ("layer", "stage") else \
        f"{node['kind']} {node['type']} x{node['count']}" if node["kind"] == "repeat" else f"{node['kind']} {node['type']}"
    times = f" (x{node['times']})" if node.get("times") else ""
    indent = node["indent"]
    return [indent + node["name"] + times, kind, shape_text(node["output_shape"]),
            number(node["params"]), number(node["macs"]), number(node["floats_out"])]


TREE_HEADERS = ["layer", "kind", "output HxWxC", "params", "MACs", "floats out"]


def total_formulas(evaluation: Evaluation) -> dict:
    """The closed-form totals as text (from the cache of closed-form text when this spec's are there)."""
    from .. import cache
    net = evaluation.network
    return cache.formulas(net.spec, lambda: {
        metric: {"exact": net.formula(metric), "smooth": net.formula(metric, smooth_form=True)}
        for metric in ("params", "params_non_trainable", "macs", "flops")})


def render(evaluation: Evaluation, fmt: str = "table", *, symbolic: bool = False,
           threshold: float = DEFAULT_THRESHOLD, convention: str = conventions.DEFAULT, depth: int | None = None,
           collapse_repeats: bool = False) -> str:
    """`convention` (conventions.py) sets the header and, unless it is the default `macs`, replaces
    the MACs and params columns and totals by that profile's counts. `depth` (torchinfo's: 0 totals
    only, 1 the top-level layers, blocks, repeats and stages, ...) shows the hierarchy with subtotals."""
    profile = conventions.get(convention)
    if symbolic and profile.name != conventions.DEFAULT:
        raise SpecError("--symbolic shows the macs convention's closed forms; drop it or use --convention macs")
    if depth is not None and fmt != "json":
        if profile.name != conventions.DEFAULT or symbolic:
            raise SpecError("--depth shows the macs convention's numbers without formulas; drop --convention or "
                            "--symbolic", file="--depth")
        return render_tree(evaluation, fmt, depth=depth, collapse_repeats=collapse_repeats, threshold=threshold)
    if fmt == "json":
        return render_json(evaluation, symbolic=symbolic, threshold=threshold, convention=profile.name)
    if fmt == "csv":
        return render_csv(evaluation, symbolic=symbolic, threshold=threshold, convention=profile.name)
    return render_text(evaluation, fmt, symbolic=symbolic, threshold=threshold, convention=profile.name)


def _profile_counts(evaluation: Evaluation, convention: str):
    """None for the default convention (the rows' own params and MACs), else per-layer counts."""
    if convention == conventions.DEFAULT:
        return None
    return conventions.layer_counts(evaluation, convention)


_TABLEFMT = {"table": "simple", "markdown": "github", "latex": "latex_booktabs"}


def render_text(evaluation: Evaluation, fmt: str, *, symbolic: bool, threshold: float,
                convention: str = conventions.DEFAULT) -> str:
    cols = columns(symbolic)
    formulas = layer_formulas(evaluation) if symbolic else None
    counts = _profile_counts(evaluation, convention)
    rows = [_cells(r, cols, threshold, formulas, thousands=True, count=None if counts is None else counts[i])
            for i, r in enumerate(evaluation.rows)]
    t = evaluation.totals
    profile = conventions.get(convention)
    params, ops = (t.params, t.macs) if counts is None else (sum(c.params for c in counts), sum(c.ops for c in counts))
    total = {Column.NAME: "total", Column.PARAMS: f"{params:,}", Column.MACS: f"{ops:,}",
             Column.FLOATS_OUT: f"{t.floats_out:,}"}
    rows.append([total.get(c, "") for c in cols])
    headers = {Column.MACS: f"{profile.unit} ({profile.name})"} if counts is not None else {}
    table = tabulate(rows, headers=[headers.get(c, c.header) for c in cols], tablefmt=_TABLEFMT[fmt],
                     colalign=[c.align for c in cols], disable_numparse=True)
    comment = "%" if fmt == "latex" else ""
    lines = [f"{comment}{values_header(evaluation)}", f"{comment}{profile.header()}",
             f"{comment}{defaults_header(evaluation.network.spec)}", "", table, ""]
    if counts is not None:
        lines.append(f"{comment}{profile.name}: {ops:,} {profile.unit}, {params:,} params")
    lines += [f"{comment}{line}" for line in summary_lines(evaluation, threshold)]
    breakdown = [[g["category"], g["layers"], f"{g['macs']:,}", f"{float(g['macs_percent']):.2f}%",
                  f"{g['params']:,}", f"{float(g['params_percent']):.2f}%"] for g in evaluation.breakdown()]
    lines += ["", f"{comment}resource per layer type", tabulate(
        breakdown, headers=["type", "layers", "MACs", "MACs %", "params", "params %"], tablefmt=_TABLEFMT[fmt],
        colalign=["left", "right", "right", "right", "right", "right"], disable_numparse=True)]
    if symbolic:
        lines += ["", f"{comment}closed forms (exact: with channel rounding; smooth: rounding dropped)"]
        for metric, forms in total_formulas(evaluation).items():
            lines.append(f"{comment}  {metric} exact  = {forms['exact']}")
            lines.append(f"{comment}  {metric} smooth = {forms['smooth']}")
    return "\n".join(lines) + "\n"


def render_tree(evaluation: Evaluation, fmt: str, *, depth: int, collapse_repeats: bool, threshold: float) -> str:
    """The report at a depth: block, repeat and stage rows carry their subtotals; names are indented."""
    nodes = tree_rows(evaluation, depth, collapse_repeats)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["level", "name", "kind", "type", "count", "times", "height", "width", "channels",
                         *TREE_METRICS])
        for n in nodes:
            writer.writerow([n["level"], n["name"], n["kind"], n["type"], n["count"], n["times"] or "",
                             *n["output_shape"], *(n[m] for m in TREE_METRICS)])
        return out.getvalue()
    t = evaluation.totals
    rows = [_tree_cells(n, thousands=True) for n in nodes]
    rows.append(["total", "", "", f"{t.params:,}", f"{t.macs:,}", f"{t.floats_out:,}"])
    comment = "%" if fmt == "latex" else ""
    table = _keeping_whitespace(rows, headers=TREE_HEADERS, tablefmt=_TABLEFMT[fmt],
                                colalign=["left", "left", "left", "right", "right", "right"], disable_numparse=True)
    lines = [f"{comment}{values_header(evaluation)}", f"{comment}{conventions.get(conventions.DEFAULT).header()}",
             f"{comment}{defaults_header(evaluation.network.spec)}",
             f"{comment}depth {depth}: a block, repeat or stage row holds the sums of its layers"
             + ("; (xN) marks an iteration that stands for N equal ones" if any(n["times"] for n in nodes) else ""),
             "", table, ""]
    lines += [f"{comment}{line}" for line in summary_lines(evaluation, threshold)[:3]]
    return "\n".join(lines) + "\n"


def _keeping_whitespace(rows, **options) -> str:
    """tabulate that keeps a cell's leading spaces (the tree's rails): an argument since tabulate
    0.10, a module setting before."""
    import inspect

    import tabulate as tabulate_module
    if "preserve_whitespace" in inspect.signature(tabulate).parameters:
        return tabulate(rows, preserve_whitespace=True, **options)
    keep, tabulate_module.PRESERVE_WHITESPACE = tabulate_module.PRESERVE_WHITESPACE, True
    try:
        return tabulate(rows, **options)
    finally:
        tabulate_module.PRESERVE_WHITESPACE = keep


def summary_lines(evaluation: Evaluation, threshold: float) -> list[str]:
    t = evaluation.totals
    return [
        f"params: {t.params:,} trainable + {t.params_non_trainable:,} batch-norm statistics "
        f"= {t.params_with_statistics:,} (as Keras counts)",
        f"MACs: {t.macs:,}   FLOPs (2 x MACs): {t.flops:,}",
        f"floats out: {t.floats_out:,} in all, largest layer {t.peak_floats_out:,}",
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
    t = evaluation.totals
    totals = [] if counts is None else [convention, sum(c.ops for c in counts), sum(c.params for c in counts)]
    writer.writerow(["", "total", "", "", "", "", "", t.params, t.params_non_trainable, t.macs, t.floats_out, "", ""]
                    + (["", ""] if symbolic else []) + totals)
    return out.getvalue()


def to_dict(evaluation: Evaluation, *, symbolic: bool = False, threshold: float = DEFAULT_THRESHOLD,
            convention: str = conventions.DEFAULT) -> dict:
    """The complete, stable JSON document of a report. A convention other than the default adds
    `ops` and `convention_params` per layer and a `convention_totals` object."""
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
        layers.append(item)
    doc = {
        "network": evaluation.network.spec.name,
        "spec": evaluation.network.spec.file,
        "convention": conventions.get(convention).name,
        "defaults_of": evaluation.network.spec.defaults_of,
        "symbols": {name: _json_number(v) for name, v in evaluation.values.items()},
        "layers": layers,
        "totals": {"params": t.params, "params_non_trainable": t.params_non_trainable,
                   "params_with_statistics": t.params_with_statistics, "macs": t.macs, "flops": t.flops,
                   "floats_out": t.floats_out, "peak_floats_out": t.peak_floats_out},
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
