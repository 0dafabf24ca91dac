"""`costmodel compare SPEC --grid alpha=1,0.5 --grid delta=1,2`: configurations side by side,
each against a baseline row (the layout of Tables 4-6 of Chen & Su's Hybrid MobileNet)."""

from __future__ import annotations

import csv
import io
import json
import sys

from ..cli import add_format, add_units, add_values, assignment, chosen_values, examples, output_file
from ..errors import SpecError


def add_parser(sub):
    p = sub.add_parser("compare", help="configurations side by side, with factors against a baseline",
                       epilog=examples("costmodel compare mobilenet_cifar --grid alpha=0.5,1 --grid delta=1,2",
                                       "costmodel compare mobilenet_cifar --grid alpha=0.5,1 --baseline alpha=1",
                                       "costmodel compare mobilenet_cifar --grid alpha=0.25,0.5,1 --convention ptflops "
                                       "--units si",
                                       "costmodel compare mobilenet_cifar --grid alpha=0.5,1 --format csv > compare.csv"))
    p.add_argument("spec", help="network spec (YAML)")
    p.add_argument("--grid", metavar="NAME=V1,V2,...", type=assignment, action="append", default=[],
                   help="values of one symbol (repeatable; every combination is a row)")
    add_values(p, help="fixed symbol value (repeatable); others keep their defaults")
    p.add_argument("--baseline", metavar="NAME=V,NAME=V", default=None,
                   help="the configuration factors are taken against (default: the first row)")
    add_format(p)
    add_units(p)
    p.add_argument("--convention", choices=_convention_names(), default="macs",
                   help="add the totals as this counter reports them (default %(default)s: the MACs columns only)")
    p.add_argument("--plot", metavar="FILE.png|svg", type=output_file(".png", ".svg", ".pdf"), help="grouped bar chart of MACs and params (needs matplotlib)")
    return p


def _convention_names():
    from ..analyses.conventions import NAMES
    return NAMES


def parse_baseline(text: str | None) -> dict | None:
    if text is None:
        return None
    result = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise SpecError(f"--baseline: expected NAME=VALUE,NAME=VALUE, got {text!r}")
        result[name.strip()] = value.strip()
    return result


def run(args) -> int:
    from ..analyses import explore
    from .. import load_network

    from .metrics import check_units
    check_units(args.format, args.units)
    net = load_network(args.spec)
    grid = {name: explore.parse_list(text, f"--grid {name}") for name, text in args.grid}
    if len(grid) != len(args.grid):
        raise SpecError("--grid: a symbol is given twice")
    if set(dict(args.values)) & set(grid):
        raise SpecError(f"--set and --grid both give {', '.join(sorted(set(dict(args.values)) & set(grid)))}")
    fixed = {n: v for n, v in chosen_values(args, net.spec).items() if n not in grid}  # the grid wins over a preset
    convention = None if args.convention == "macs" else args.convention
    rows = explore.compare(net, grid, fixed=fixed, baseline=parse_baseline(args.baseline), convention=convention)
    shown = list(grid) or list(net.spec.symbols)
    sys.stdout.write(render(net, rows, shown, args.format, args.units))
    if args.plot:
        from ..outputs import plot
        plot.compare_bars(rows, args.plot, shown, title=net.spec.name)
    return 0


def _factor(value) -> str:
    return "" if value is None else f"{float(value):.3f}"


def render(net, rows: list[dict], shown: list[str], fmt: str, units: str = "raw") -> str:
    from ..outputs.report import CONVENTION, _json_number, value_text

    if fmt == "json":
        doc = {"network": net.spec.name, "spec": net.spec.file,
               "convention": rows[0]["convention"]["convention"] if "convention" in rows[0] else "macs",
               "rows": [{**row, "values": {n: _json_number(v) for n, v in row["values"].items()},
                         **{k: (None if row[k] is None else round(float(row[k]), 6))
                            for k in row if k.endswith("_factor")}} for row in rows]}
        return json.dumps(doc, indent=2) + "\n"
    metrics = ("macs", "flops", "params", "params_non_trainable", "params_with_statistics", "floats_out",
               "peak_floats_out")
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        names = list(rows[0]["values"])
        factors = ("macs_factor", "params_factor", "params_with_statistics_factor")
        writer.writerow([*names, *metrics, *factors, "baseline"])
        for row in rows:
            writer.writerow([*(value_text(row["values"][n]) for n in names), *(row[m] for m in metrics),
                             *(f"{float(row[f]):.6g}" if row[f] is not None else "" for f in factors),
                             int(row["baseline"])])
        return out.getvalue()
    from ..outputs import tables

    n = (lambda value: tables.count(value, units))
    headers = [*shown, "", "MACs", "params", "params + BN stats", "peak floats out", "MACs x", "params x"]
    table = [[*(value_text(row["values"][name]) for name in shown), "baseline" if row["baseline"] else "",
              n(row['macs']), n(row['params']), n(row['params_with_statistics']),
              n(row['peak_floats_out']), _factor(row["macs_factor"]), _factor(row["params_factor"])]
             for row in rows]
    if "convention" in rows[0]:  # the same totals as another counter reports them
        c = rows[0]["convention"]
        headers += [f"{c['unit']} ({c['convention']})", f"params ({c['convention']})",
                    f"{c['unit']} x ({c['convention']})"]  # ptflops' unit is MACs too: name the counter
        for line, row in zip(table, rows):
            line += [n(row['convention']['ops']), n(row['convention']['params']),
                     _factor(row["convention_ops_factor"])]
    base = rows[0]["values"]
    others = [name for name in base if name not in shown]
    fixed = ", ".join(f"{name}={value_text(base[name])}" for name in others)
    title = (f"{net.spec.name}: {len(rows)} configurations" + (f" ({fixed})" if fixed else "")
             + "; factors x = row / baseline (" + ", ".join(f"{name}={value_text(base[name])}" for name in shown) + ")")
    text = tables.text_table(table, headers,
                             ["right"] * len(shown) + ["left"] + ["right"] * (len(headers) - len(shown) - 1), fmt)
    note = "params: trainable; params + BN stats: with batch-norm running statistics (as Keras counts)"
    c = tables.comment(fmt)
    head = [tables.latex_header()] if fmt == "latex" else []
    return "\n".join([*head, c + title, c + CONVENTION, "", text, "", c + note]) + "\n"
