"""`costmodel sweep SPEC --range alpha=0.1:1.0:0.05 --grid delta=1,2,4`: every combination,
from the compiled closed forms, with an optional Pareto front."""

from __future__ import annotations

import csv
import io
import json
import sys
import time

from ..cli import add_values, assignment, chosen_values, examples, output_file
from ..errors import SpecError

FORMATS = ("table", "csv", "json")
TABLE_ROWS = 200  # more rows than this on stdout: write them with --out
VERIFY = 5  # rows checked as `report` does (first, last, 3 random), see explore.sweep


def add_parser(sub):
    p = sub.add_parser("sweep", help="every combination of symbol values, from the compiled closed forms",
                       epilog=examples("costmodel sweep mobilenet_cifar --range alpha=0.25:1:0.25 --grid delta=1,2",
                                       "costmodel sweep mobilenet_cifar --grid alpha=0.5,1 --out sweep.csv"))
    p.add_argument("spec", help="network spec (YAML)")
    p.add_argument("--range", dest="ranges", metavar="NAME=START:STOP:STEP", type=assignment, action="append",
                   default=[], help="values START, START+STEP, ... up to STOP included (repeatable)")
    p.add_argument("--grid", metavar="NAME=V1,V2,...", type=assignment, action="append", default=[],
                   help="listed values of one symbol (repeatable)")
    add_values(p, help="fixed symbol value (repeatable); others keep their defaults")
    p.add_argument("--pareto", metavar="M1,M2", help="mark the Pareto front of two metrics, both minimised "
                   "(macs, flops, params, params_with_statistics, floats_out, peak_floats_out ...)")
    p.add_argument("--out", metavar="FILE.csv|.json", type=output_file(".csv", ".json"), help="write every row to a file (format from the extension)")
    p.add_argument("--format", choices=FORMATS, default="table", help="stdout format without --out")
    p.add_argument("--plot", metavar="FILE.png|svg", type=output_file(".png", ".svg", ".pdf"), help="scatter of the two --pareto metrics (needs matplotlib)")
    return p


def run(args) -> int:
    from ..analyses import explore
    from .. import load_network

    net = load_network(args.spec)
    axes = {}
    for name, text in args.ranges:
        axes[name] = explore.parse_range(text, f"--range {name}")
    for name, text in args.grid:
        if name in axes:
            raise SpecError(f"{name} is given twice (--range/--grid)")
        axes[name] = explore.parse_list(text, f"--grid {name}")
    if len(axes) != len(args.ranges) + len(args.grid):
        raise SpecError("--range: a symbol is given twice")
    if set(dict(args.values)) & set(axes):
        raise SpecError(f"--set and --range/--grid both give {', '.join(sorted(set(dict(args.values)) & set(axes)))}")
    fixed = {n: v for n, v in chosen_values(args, net.spec).items() if n not in axes}  # the axes win over a preset
    net = net.for_values(fixed)  # the tree of the options fixed (an option among the axes is refused)
    pareto = tuple(m.strip() for m in args.pareto.split(",")) if args.pareto else None
    if args.plot and not pareto:
        pareto = ("macs", "params")
    started = time.perf_counter()
    rows, values, total, divide_by_zero = explore._sweep(net, axes, fixed, pareto, verify=VERIFY)
    elapsed = time.perf_counter() - started
    skipped = total - len(rows)
    from ..network import options_text
    built = options_text(net.spec)
    summary = (f"{net.spec.name}{f' ({built})' if built else ''}: {total:,} configurations in {elapsed:.3f} s "
               f"({min(VERIFY, len(rows))} rows checked as report does)"
               + (f"; {skipped:,} left out (the network does not fit: a size below 1 or above 2**40, groups that do not divide, "
                  f"or a count that is not whole{_zero_divisions(divide_by_zero)})" if skipped else ""))
    if args.out:
        write(rows, args.out)
        front = f"; {int(rows['pareto'].sum()):,} on the Pareto front of {' and '.join(pareto)}" if pareto else ""
        sys.stdout.write(f"{summary}\nwrote {len(rows):,} rows to {args.out}{front}\n")
        if pareto:
            sys.stdout.write(render(rows[rows["pareto"]], "table", list(axes)))
    else:
        if args.format == "table" and len(rows) > TABLE_ROWS:
            raise SpecError(f"{len(rows):,} rows: too many for a table on stdout; use --out FILE.csv "
                            f"or --format csv")
        (sys.stdout if args.format == "table" else sys.stderr).write(summary + "\n")
        sys.stdout.write(render(rows, args.format, list(axes)))
    if args.plot:
        from ..outputs import plot
        plot.sweep_scatter(rows, args.plot, pareto, list(axes), title=net.spec.name)
    return 0


def _zero_divisions(count: int) -> str:
    """The part of the summary for configurations `report` refuses with "division by zero"."""
    if not count:
        return ""
    return f"; {count:,} of them divide by zero, which report refuses as 'division by zero'"


def _float_text(value: float) -> str:
    """1.0 -> '1', 0.15 -> '0.15' (the shortest text that reads back as the same float)."""
    return str(int(value)) if value.is_integer() else repr(value)


def _cell(rows, name, i):
    value = rows[name][i]
    return _float_text(float(value)) if rows.dtype[name].kind == "f" else int(value)


def render(rows, fmt: str, swept: list[str]) -> str:
    names = list(rows.dtype.names)
    if fmt == "json":
        return json.dumps([{n: (bool(r[n]) if n == "pareto" else float(r[n]) if rows.dtype[n].kind == "f"
                                else int(r[n])) for n in names} for r in rows], indent=1) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        _write_csv(rows, out)
        return out.getvalue()
    from tabulate import tabulate
    shown = swept + [m for m in ("macs", "params", "params_with_statistics", "peak_floats_out", "pareto") if m in names]
    table = [[_text(rows, n, i) for n in shown] for i in range(len(rows))]
    headers = [{"params_with_statistics": "params + BN stats", "peak_floats_out": "peak floats out",
                "macs": "MACs"}.get(n, n) for n in shown]
    return tabulate(table, headers=headers, tablefmt="simple", colalign=["right"] * len(shown),
                    disable_numparse=True) + "\n"


def _text(rows, name, i) -> str:
    if name == "pareto":
        return "*" if rows["pareto"][i] else ""
    value = _cell(rows, name, i)
    return value if isinstance(value, str) else f"{value:,}"


def _write_csv(rows, out) -> None:
    names = list(rows.dtype.names)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    columns = []
    for n in names:
        kind = rows.dtype[n].kind
        if kind == "f":
            columns.append([_float_text(v) for v in rows[n].tolist()])
        elif kind == "b":
            columns.append(rows[n].astype(int).tolist())
        else:
            columns.append(rows[n].tolist())
    writer.writerows(zip(*columns))


def write(rows, path: str) -> None:
    if not path.endswith((".csv", ".json")):
        raise SpecError(f"--out {path}: expected a .csv or .json file")
    try:
        with open(path, "w", newline="") as f:
            if path.endswith(".csv"):
                _write_csv(rows, f)
            else:
                f.write(render(rows, "json", []))
    except OSError as e:
        raise SpecError(f"cannot write {path}: {e.strerror or e}") from None
