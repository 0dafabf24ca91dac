"""`costmodel check SPEC... [--max-macs N] [--max-params N] [--max-peak-memory BYTES]`: a gate for
pre-commit and CI.

Every spec is loaded and evaluated (at its defaults and `--set` values, checked against the
reference propagator) and held to each budget given. Exit 0: every spec valid and within every
budget; 1: a budget exceeded (one line per spec and budget says which, by how much, in the
budget's units); 2: invalid input (every spec is still checked, so each problem is shown as the
usual located line on stderr).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from fractions import Fraction

from ..cli import EXIT_BAD_INPUT, add_values, budget, examples

OK, OVER_BUDGET = 0, 1


@dataclass(frozen=True)
class Budget:
    key: str     # the option's dest and the JSON name
    option: str  # how a line names it
    metavar: str
    doc: str


BUDGETS = (
    Budget("macs", "--max-macs", "N",
           "at most N MACs (with --convention: that convention's ops total, in its unit)"),
    Budget("params", "--max-params", "N",
           "at most N trainable params (with --convention: that convention's params)"),
    Budget("peak_memory", "--max-peak-memory", "BYTES",
           "at most BYTES of peak live activations at --dtype, as `costmodel metrics` computes it"),
)


def add_parser(sub):
    from ..analyses.conventions import NAMES
    from ..dtypes import DTYPE_BYTES

    p = sub.add_parser("check", help="validate specs and hold them to budgets (exit 1 over budget, 2 invalid)",
                       epilog=examples("costmodel check specs/*.yaml",
                                       "costmodel check mobilenet_cifar --max-macs 6e6 --max-params 2e6",
                                       "costmodel check imagenet/resnet_bottleneck --preset resnet50 --max-macs 4.5e9"))
    p.add_argument("specs", nargs="+", metavar="SPEC", help="network specs (YAML)")
    add_values(p, help="symbol value (repeatable), for every spec that declares NAME")
    for b in BUDGETS:
        p.add_argument(b.option, dest=b.key, type=budget, metavar=b.metavar, help=b.doc + "; exact, 6e6 = 6,000,000")
    p.add_argument("--dtype", choices=tuple(DTYPE_BYTES), default="fp32",
                   help="bytes per activation for --max-peak-memory (default fp32)")
    p.add_argument("--convention", choices=NAMES, default=None,
                   help="count MACs and params as this counter does (see `costmodel explain`)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    return p


def run(args) -> int:
    limits = {b.key: getattr(args, b.key) for b in BUDGETS if getattr(args, b.key) is not None}
    results = [_load(path) for path in args.specs]
    unknown = _unknown_symbols(results, dict(args.values))
    if unknown:
        from ..errors import SpecError
        raise SpecError(f"unknown symbol {unknown[0]!r}: no spec declares it", file="--set")
    for result in results:
        if "network" in result:
            _measure(result, dict(args.values), args.preset, limits, args.convention, args.dtype)
    status = _status(results)
    for result in results:
        sys.stderr.write("".join(f"costmodel: {line}\n" for line in result["errors"]))
    sys.stdout.write(render_json(results, args, status) if args.format == "json" else render_text(results, args))
    return status


# --- one spec ------------------------------------------------------------------------------------

def _load(path: str) -> dict:
    from .. import load_network
    from ..errors import SpecError

    try:
        network = load_network(path)
    except SpecError as e:
        return _invalid({"file": path, "name": None, "checks": []}, e)
    return {"file": path, "name": network.spec.name, "network": network, "errors": [], "located": [], "checks": []}


def _invalid(result: dict, error) -> dict:
    result.pop("network", None)
    result.update(errors=error.lines(), located=error.errors)
    return result


def _unknown_symbols(results, values: dict) -> list[str]:
    """`--set` names that no loaded spec declares (none loaded: nothing to tell)."""
    loaded = [r["network"].spec for r in results if "network" in r]
    return [n for n in values if loaded and not any(n in spec.symbols or n in spec.options for spec in loaded)]


def _measure(result: dict, values: dict, preset: str | None, limits: dict, convention: str | None,
             dtype: str) -> None:
    """Evaluate one spec and compare each measured cost with its budget, in place."""
    from ..errors import SpecError

    network = result["network"]
    own = {n: v for n, v in values.items() if n in network.spec.symbols or n in network.spec.options}
    try:
        if preset is not None and preset not in network.spec.presets:
            raise SpecError(f"unknown preset {preset!r} (presets: {', '.join(network.spec.presets) or 'none'})",
                            file=network.spec.file)
        evaluation = network.evaluate(own, preset=preset)  # shapes, checked against the reference propagator
        measured = _costs(evaluation.network, evaluation, set(limits), convention, dtype)  # the options' tree
    except SpecError as e:
        _invalid(result, e.located(file=result["file"]))
        return
    result["values"] = evaluation.values
    result["checks"] = [_compare(key, limits[key], *measured[key]) for key in limits]


def _costs(network, evaluation, wanted: set, convention: str | None, dtype: str) -> dict:
    """{budget key: (measured, unit)} for the budgets asked."""
    costs: dict[str, tuple] = {}
    if wanted & {"macs", "params"}:
        if convention:
            from ..analyses.conventions import totals
            counted = totals(evaluation, convention)
            costs.update(macs=(counted["ops"], counted["unit"]), params=(counted["params"], "params"))
        else:
            costs.update(macs=(evaluation.totals.macs, "MACs"), params=(evaluation.totals.params, "params"))
    if "peak_memory" in wanted:
        from ..analyses.metrics import evaluate
        peak = evaluate(network, evaluation.values, dtype=dtype)["totals"]["peak_activation_bytes"]
        costs["peak_memory"] = (peak, "bytes")
    return costs


def _compare(key: str, limit: Fraction, measured: int, unit: str) -> dict:
    return {"budget": key, "unit": unit, "measured": measured, "limit": limit, "excess": measured - limit,
            "within": measured <= limit}


def _status(results) -> int:
    if any(r["errors"] for r in results):
        return EXIT_BAD_INPUT
    return OVER_BUDGET if any(not c["within"] for r in results for c in r["checks"]) else OK


# --- rendering -----------------------------------------------------------------------------------

OPTIONS = {b.key: b.option for b in BUDGETS}


def _n(value) -> str:
    """12,345 for a whole number, 7/3 otherwise (budgets are exact)."""
    value = Fraction(value)
    return f"{value.numerator:,}" if value.denominator == 1 else str(value)


def check_line(file: str, check: dict, args) -> str:
    """One line per spec and budget: which budget, the measured cost, by how much, in its units."""
    measured, limit = check["measured"], check["limit"]
    counted_as = args.dtype if check["budget"] == "peak_memory" else args.convention
    unit = check["unit"]
    cost = f"{_n(measured)} {unit}" + (f" ({counted_as})" if counted_as else "")
    used = f"{float(Fraction(measured) / limit) * 100:,.2f} % of the budget"
    option = OPTIONS[check["budget"]]
    if check["within"]:
        return f"{file}: ok {option}: {cost} within {_n(limit)} ({used}, {_n(-check['excess'])} {unit} to spare)"
    return f"{file}: OVER BUDGET {option}: {cost} exceed {_n(limit)} by {_n(check['excess'])} {unit} ({used})"


def render_text(results, args) -> str:
    lines = []
    for r in results:
        if r["errors"]:
            lines.append(f"{r['file']}: invalid ({len(r['located'])} error{'s' if len(r['located']) != 1 else ''}"
                         f"{', more not shown' if len(r['errors']) > len(r['located']) else ''}, on stderr)")
        elif not r["checks"]:
            lines.append(f"{r['file']}: ok: valid ({r['name']})")
        lines += [check_line(r["file"], c, args) for c in r["checks"]]
    over = sum(1 for r in results if any(not c["within"] for c in r["checks"]))
    invalid = sum(1 for r in results if r["errors"])
    lines.append(f"{len(results)} spec{'s' if len(results) != 1 else ''} checked: {invalid} invalid, "
                 f"{over} over budget")
    return "\n".join(lines) + "\n"


def to_dict(results, args, status: int) -> dict:
    from ..outputs.report import _json_number

    def spec(r):
        doc = {"file": r["file"], "network": r["name"],
               "valid": not r["errors"],
               "values": {n: _json_number(v) for n, v in r.get("values", {}).items()},
               "errors": [{"file": e.file, "line": e.line, "column": e.column, "layer": e.layer,
                           "message": e.message, "text": e.line_text()} for e in r["located"]],
               "checks": [{**c, "limit": _json_number(c["limit"]), "excess": _json_number(Fraction(c["excess"]))}
                          for c in r["checks"]]}
        return doc

    budgets = {b.key: _json_number(getattr(args, b.key)) for b in BUDGETS if getattr(args, b.key) is not None}
    return {"status": {OK: "ok", OVER_BUDGET: "over_budget", EXIT_BAD_INPUT: "invalid"}[status],
            "exit_status": status, "convention": args.convention, "dtype": args.dtype, "budgets": budgets,
            "specs": [spec(r) for r in results]}


def render_json(results, args, status: int) -> str:
    return json.dumps(to_dict(results, args, status), indent=2) + "\n"
