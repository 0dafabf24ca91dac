"""`costmodel solve SPEC --for alpha --max-macs 6e6`: the largest value of a symbol within budget."""

from __future__ import annotations

import json
import sys
from fractions import Fraction

from ..cli import add_values, budget, chosen_values, examples
from ..errors import SpecError
from ..spec import MAX_SYMBOL_VALUE

BUDGETS = ("macs", "flops", "params", "params_with_statistics", "floats_out", "peak_floats_out")


def add_parser(sub):
    p = sub.add_parser("solve", help="largest value of one symbol whose costs meet every budget",
                       epilog=examples("costmodel solve mobilenet_cifar --for alpha --max-macs 6e6 --set delta=2",
                                       "costmodel solve imagenet/mobilenet_v1 --for alpha --max-params 2e6"))
    p.add_argument("spec", help="network spec (YAML)")
    p.add_argument("--for", dest="symbol", required=True, metavar="SYMBOL", help="the free symbol (e.g. alpha)")
    for metric in BUDGETS:
        p.add_argument(f"--max-{metric.replace('_', '-')}", dest=metric, type=budget, metavar="N",
                       help=f"budget: {metric} at most N")
    add_values(p, help="other symbol values (repeatable); others keep their defaults")
    p.add_argument("--format", choices=("table", "json"), default="table")
    return p


def run(args) -> int:
    from ..analyses import explore
    from .. import load_network

    net = load_network(args.spec)
    budgets = {m: getattr(args, m) for m in BUDGETS if getattr(args, m) is not None}
    if args.symbol in dict(args.values):
        raise SpecError(f"--set gives {args.symbol}, the symbol to solve for", file="--set")
    fixed = {n: v for n, v in chosen_values(args, net.spec).items() if n != args.symbol}  # a preset's value is solved for
    net = net.for_values(fixed)  # the tree of the options fixed (the header names them)
    result = explore.solve(net, args.symbol, budgets, fixed=fixed)
    sys.stdout.write(render(net, result, args.format))
    return 0


def _n(value: Fraction) -> str:
    return f"{int(value):,}" if value.denominator == 1 else str(value)


def _exact_and_float(value: Fraction) -> str:
    """257/512 = 0.501953125; 2 -> 2."""
    return str(value) if value.denominator == 1 else f"{value} = {float(value):.10g}"


def _exact(value: Fraction | None) -> str | None:
    """An exact number as text: "501/1000", "2"."""
    return None if value is None else str(value)


def render(net, result: dict, fmt: str) -> str:
    from ..outputs.report import _json_number, value_text

    x = result["symbol"]
    if fmt == "json":
        low, high = result["step"]
        sup = result["supremum"]
        doc = {"network": net.spec.name, "symbol": x, "value": _json_number(result["value"]),
               "value_exact": _exact(result["value"]), "kind": result["kind"], "attained": result["attained"],
               "supremum": None if sup is None else _json_number(sup), "supremum_exact": _exact(sup),
               "capped": result["capped"], "bound": MAX_SYMBOL_VALUE,
               "step": [_json_number(low), _json_number(high)], "step_exact": [_exact(low), _exact(high)],
               "step_closed": list(result["step_closed"]), "example": _json_number(result["example"]),
               "values": {n: _json_number(v) for n, v in result["values"].items()},
               "costs": result["costs"], "budgets": {m: _json_number(b) for m, b in result["budgets"].items()},
               "smooth": result["smooth"]}
        if net.spec.options:
            doc["options"] = {n: _json_number(v) for n, v in net.spec.option_values.items()}
        return json.dumps(doc, indent=2) + "\n"
    from ..network import options_text
    others = ", ".join([options_text(net.spec)] * bool(net.spec.options)
                       + [f"{n}={value_text(v)}" for n, v in result["values"].items() if n != x])
    limits = ", ".join(f"{explore_text(m)} <= {_n(b)}" for m, b in result["budgets"].items())
    lines = [f"{net.spec.name}: largest {x}" + (f" with {others}" if others else "") + f" under {limits}", ""]
    value = _exact_and_float(result["value"])
    if result["capped"]:
        lines.append(f"  {x} = {value}  (the largest value a symbol may take, README \"Limits\": "
                     f"every budget still holds there)")
    elif result["attained"]:
        lines.append(f"  {x} = {value}  (maximum: it fits, the next value up does not)")
    else:
        low, high = result["step"]
        bracket = "[" if result["step_closed"][0] else "("
        lines.append(f"  {x} = {value}  (within every budget; every {x} in {bracket}{low}, {high}) "
                     f"gives the same costs)")
        lines.append(f"  supremum {_exact_and_float(high)}, not attained: there a rounded channel count steps up "
                     f"and a budget breaks")
    lines.append(f"  at {x} = {value_text(result['value'])} (checked as `report` does):")
    costs = result["costs"]
    for metric in ("macs", "flops", "params", "params_with_statistics", "floats_out", "peak_floats_out"):
        limit = result["budgets"].get(metric)
        tail = f"   budget {_n(limit)}, {100 * costs[metric] / float(limit):.2f} % used" if limit else ""
        lines.append(f"    {explore_text(metric):<32} {costs[metric]:>14,}{tail}")
    if result["smooth"] is not None:
        lines.append(f"  smooth estimate (channel rounding dropped): {x} = {result['smooth']:.6g}")
    return "\n".join(lines) + "\n"


def explore_text(metric: str) -> str:
    from ..analyses.explore import metric_text
    return metric_text(metric)
