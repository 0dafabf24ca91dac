"""`costmodel metrics SPEC`: memory access, receptive field, live memory, storage, roofline, exits."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from fractions import Fraction

from ..cli import add_format, add_units, add_values, chosen_values, examples


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected NAME,NAME,..., got {text!r}")
    return names


def _fractions(text: str) -> list[Fraction]:
    from ..cli import fraction
    return [fraction(part.strip()) for part in text.split(",")]


def add_parser(sub):
    p = sub.add_parser("metrics", help="memory access, receptive field, peak memory, storage, roofline, exits",
                       epilog=examples("costmodel metrics mobilenet_cifar --dtype int8 --device example_device",
                                       "costmodel metrics multi_exit_cifar --exits --fractions 0.5,0.3,0.2",
                                       "costmodel metrics imagenet/resnet50 --units si --format markdown"))
    p.add_argument("spec", help="network spec (YAML)")
    add_values(p, help="symbol value (repeatable); others keep their defaults")
    add_metric_options(p)
    add_format(p)
    add_units(p)
    return p


def add_metric_options(p):
    """The options shared by `metrics` and `report` (where they add these sections)."""
    from ..dtypes import DTYPE_BYTES

    p.add_argument("--dtype", choices=tuple(DTYPE_BYTES), default=None,
                   help="precision of the storage columns (default fp32)")
    p.add_argument("--device", metavar="PROFILE.yaml",
                   help="device profile for the roofline latency (e.g. profiles/example_device.yaml)")
    p.add_argument("--exits", type=_names, nargs="?", const=[], metavar="NAME,NAME,...",
                   help="exit (classifier) layers, in order; alone: the spec's `exits:`")
    p.add_argument("--fractions", type=_fractions, metavar="F,F,...",
                   help="fraction of inputs leaving at each exit (sum 1): expected MACs per input")


def wanted(args) -> bool:
    """Did the command line ask for any of these metrics?"""
    return any(v is not None for v in (args.dtype, args.device, args.exits, args.fractions))


def compute(network, args) -> dict:
    from ..errors import SpecError
    from ..analyses.metrics import evaluate, load_device

    exits = args.exits or list(network.spec.exits) or None  # `--exits` alone: the spec's `exits:`
    if args.exits is not None and not exits:
        raise SpecError("the spec declares no `exits:`; name them: --exits NAME,NAME,...", file=network.spec.file)
    if args.fractions is not None and not exits:
        raise SpecError("--fractions needs --exits", file="--fractions")
    device = load_device(args.device) if args.device else None
    network = network.for_values(chosen_values(args, network.spec))  # the tree of the options chosen
    result = evaluate(network, chosen_values(args, network.spec), dtype=args.dtype or "fp32", device=device, exits=exits,
                      fractions=args.fractions)
    result["spec"] = network.spec.name
    result["per_configuration"] = network.spec.symbolic_repeats  # no closed form of RF and peak over a count
    result["device"] = device.name if device else None
    return result


def check_units(fmt: str, units: str) -> None:
    """--units si is for people: csv and json keep whole numbers."""
    if fmt in ("json", "csv") and units != "raw":
        from ..errors import SpecError
        raise SpecError(f"--units si shapes the table, markdown and latex formats; {fmt} is data (whole numbers)",
                        file="--units")


def render(result, fmt, units: str = "raw") -> str:
    check_units(fmt, units)
    if fmt in ("json", "csv"):
        return {"json": render_json, "csv": render_csv}[fmt](result, fmt)
    return render_text(result, fmt, units)


def run(args) -> int:
    from .. import load_network

    check_units(args.format, args.units)  # before any work
    sys.stdout.write(render(compute(load_network(args.spec), args), args.format, args.units))
    return 0


# --- rendering -----------------------------------------------------------------------------

def _pair(p) -> str:
    return "x".join(f"{float(v):.2f}" if isinstance(v, Fraction) else str(v) for v in p)


def _micro(seconds: Fraction) -> str:
    return f"{float(seconds) * 1e6:,.3f}"


def _columns(result, units: str = "raw") -> list[tuple]:
    """(header, align, cell function) per column."""
    from ..outputs.tables import count, size
    n, b = (lambda v: count(v, units)), (lambda v: size(v, units))
    cols = [("#", "right", lambda i, r: str(i)), ("layer", "left", lambda i, r: r["name"]),
            ("type", "left", lambda i, r: r["type"]),
            ("reads", "right", lambda i, r: n(r['reads'])), ("writes", "right", lambda i, r: n(r['writes'])),
            ("memory access", "right", lambda i, r: n(r['memory_access'])),
            ("RF HxW", "left", lambda i, r: _pair(r["rf"]) + (" (all)" if r["whole_input"] else "")),
            ("jump", "left", lambda i, r: _pair(r["jump"])),
            ("live floats", "right", lambda i, r: n(r['live'])),
            (f"param bytes {result['dtype']}", "right", lambda i, r: b(r['param_bytes'])),
            (f"act bytes {result['dtype']}", "right", lambda i, r: b(r['activation_bytes'])),
            ("MACs/byte", "right", lambda i, r: f"{float(r['intensity']):.2f}")]
    if result["totals"].get("latency") is not None:
        cols += [("latency us", "right", lambda i, r: _micro(r["latency"])), ("bound", "left", lambda i, r: r["bound"])]
    return cols


def _exit_rows(result, n) -> list[list]:
    return [[e["name"], e["layers"], n(e['macs']), n(e['cumulative_macs']), n(e['incremental_macs']),
             n(e['params']), n(e['cumulative_params']), n(e['incremental_params'])]
            for e in result["exits"]]


EXIT_HEADERS = ["exit", "layers", "MACs", "cumulative MACs", "incremental MACs", "params", "cumulative params",
                "incremental params"]


def render_text(result, fmt, units: str = "raw") -> str:
    from ..outputs import tables
    from ..outputs.report import value_text

    n, b = (lambda v: tables.count(v, units)), (lambda v: tables.size(v, units))
    bytes_ = "" if units == "si" else " bytes"
    cols = _columns(result, units)
    rows = [[cell(i, r) for _, _, cell in cols] for i, r in enumerate(result["layers"], 1)]
    t = result["totals"]
    total = {"layer": "total", "memory access": n(t['memory_access']),
             "live floats": f"{n(t['peak_live'])} peak",
             f"param bytes {result['dtype']}": b(t['param_bytes']),
             f"act bytes {result['dtype']}": b(t['activation_bytes'])}
    if "latency" in t:
        total["latency us"] = _micro(t["latency"])
    rows.append([total.get(h, "") for h, _, _ in cols])
    values = ", ".join(f"{name}={value_text(v)}" for name, v in result["values"].items())
    c = tables.comment(fmt)
    lines = ([tables.latex_header()] if fmt == "latex" else []) + [
             c + result["spec"] + (f" ({values})" if values else ""),
             c + "memory access = floats read (inputs + weights + batch-norm statistics) + floats written (output); "
             "RF and jump in input pixels; live floats = activations held while the layer runs"
             + ("; repeat counts depend on symbols, so these metrics are computed per configuration (no closed form)"
                if result.get("per_configuration") else ""), "",
             tables.text_table(rows, [h for h, _, _ in cols], [a for _, a, _ in cols], fmt), "",
             f"{c}memory access: {n(t['memory_access'])} floats",
             f"{c}peak activation memory: {n(t['peak_live'])} floats = {b(t['peak_activation_bytes'])}{bytes_} "
             f"({result['dtype']}), while running {t['peak_layer']}",
             f"{c}storage ({result['dtype']}, {result['bytes_per_element']} bytes/value): parameters "
             f"{b(t['param_bytes'])}{bytes_}, all activations {b(t['activation_bytes'])}{bytes_}"]
    if "latency" in t:
        lines.append(f"{c}roofline on {result['device']} ({result['bytes_moved_per_element']} bytes/element moved): "
                     f"{_micro(t['latency'])} us (sum of per-layer max(compute, memory)); compute "
                     f"{_micro(t['compute_time'])} us, memory {_micro(t['memory_time'])} us; "
                     f"{t['compute_bound_layers']} layers compute-bound, {t['memory_bound_layers']} memory-bound")
    if "exits" in result:
        lines += ["", tables.text_table(_exit_rows(result, n), EXIT_HEADERS, ["left"] + ["right"] * 7, fmt)]
        if "expected_macs" in result:
            lines.append(f"{c}expected MACs per input: {float(result['expected_macs']):,.1f}")
    return "\n".join(lines) + "\n"


def render_csv(result, fmt) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    keys = [k for k in result["layers"][0] if k not in ("rf", "jump")]
    writer.writerow(keys[:2] + ["rf_h", "rf_w", "jump_h", "jump_w"] + keys[2:])
    for r in result["layers"]:
        writer.writerow([r[k] for k in keys[:2]] + [*map(_plain, r["rf"]), *map(_plain, r["jump"])]
                        + [_plain(r[k]) for k in keys[2:]])
    return out.getvalue()


def _plain(value):
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def to_dict(result) -> dict:
    return _plain(result)


def render_json(result, fmt) -> str:
    return json.dumps(to_dict(result), indent=2) + "\n"
