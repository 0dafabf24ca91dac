"""`costmodel report SPEC`: per-layer table of shape, params, MACs, floats out."""

from __future__ import annotations

import sys

from ..errors import SpecError

from ..cli import add_display, add_format, add_units, add_values, examples, output_file, positive
from .metrics import add_metric_options, wanted


def add_parser(sub):
    from ..outputs.report import DEFAULT_THRESHOLD
    from ..analyses.conventions import DEFAULT, NAMES

    p = sub.add_parser("report", help="per-layer table: shape, params, MACs, floats out",
                       epilog=examples("costmodel report mobilenet_cifar --set alpha=0.5 --set delta=2",
                                       "costmodel report imagenet/resnet_bottleneck --preset resnet101 --depth 1",
                                       "costmodel report imagenet/resnet50 --format csv --totals totals.csv",
                                       "costmodel report imagenet/resnet50 --units si --columns name,inputs,shape,macs",
                                       "costmodel report mobilenet_cifar --format latex > table.tex"))
    p.add_argument("spec", help="network spec (YAML)")
    add_values(p, help="symbol value (repeatable); others keep their defaults")
    add_format(p)
    add_units(p)
    p.add_argument("--columns", metavar="KEY,KEY,...", default=None,
                   help="the table's columns, in order: index, name, type, inputs (input shapes), shape (output), "
                        "params, params_non_trainable, macs, floats_out, compression, params_formula, macs_formula")
    add_display(p)
    p.add_argument("--totals", metavar="FILE.csv", type=output_file(".csv"), default=None,
                   help="also write the totals to FILE.csv (one row; the per-layer CSV has no total row)")
    p.add_argument("--symbolic", action="store_true", help="add per-layer formulas and closed-form totals")
    p.add_argument("--threshold", type=positive, default=DEFAULT_THRESHOLD,
                   help="flag compression factors at or above this (default %(default)s)")
    p.add_argument("--convention", choices=NAMES, default=DEFAULT,
                   help="counting convention of the MACs and params columns (default %(default)s)")
    p.add_argument("--depth", type=_depth, default=None, metavar="N",
                   help="show blocks, repeats and stages to depth N with subtotals (0: totals only; default: "
                        "every layer, flat)")
    p.add_argument("--collapse-repeats", action="store_true",
                   help="with --depth: show a repeat's first iteration and one for all the rest (xN); always so "
                        "when its count depends on symbols")
    p.add_argument("--metrics", action="store_true",
                   help="add memory access, receptive field, peak memory and storage (as `costmodel metrics`)")
    add_metric_options(p)
    return p


def _depth(text: str) -> int:
    import argparse
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a depth 0, 1, 2, ..., got {text!r}")
    return int(text)


def run(args) -> int:
    from ..spec import collector_paused

    # loading, checking and printing 100,000 layers makes millions of objects, no cycles; frozen
    # after the command, so that the collection at exit does not walk them all
    with collector_paused(frozen=True):
        return _run(args)


def _run(args) -> int:
    import json

    from .. import analyze
    from ..outputs.report import render, to_dict
    from . import metrics

    display = _display(args)
    evaluation = analyze(args.spec, dict(args.values), preset=args.preset)
    if args.totals:
        _write_totals(evaluation, args)
    if not (args.metrics or wanted(args)):
        sys.stdout.write(render(evaluation, args.format, symbolic=args.symbolic, threshold=args.threshold,
                                convention=args.convention, depth=args.depth, collapse_repeats=args.collapse_repeats,
                                display=display))
        return 0
    extra = metrics.compute(evaluation.network, args)
    if args.format == "json":
        doc = to_dict(evaluation, symbolic=args.symbolic, threshold=args.threshold, convention=args.convention)
        sys.stdout.write(json.dumps({**doc, "metrics": metrics.to_dict(extra)}, indent=2) + "\n")
    elif args.format == "csv":
        raise SpecError("--metrics, --exits, --dtype and --device print with --format table, markdown, latex or "
                        "json, not csv (`costmodel metrics --format csv` is their CSV)", file="--format")
    else:
        sys.stdout.write(render(evaluation, args.format, symbolic=args.symbolic, threshold=args.threshold,
                                convention=args.convention, display=display))
        sys.stdout.write("\n" + metrics.render(extra, args.format, units=args.units))
    return 0


def _display(args):
    """Units, columns, width and colour, read before any work (a bad --columns fails at once)."""
    from ..outputs import tables
    from ..outputs.report import Display, parse_columns

    table = args.format == "table"
    return Display(units=args.units, columns=None if args.columns is None else tuple(parse_columns(args.columns)),
                   width=tables.terminal_width(args.width) if table else None,
                   colour=table and tables.colour_wanted(args.colour))


def _write_totals(evaluation, args) -> None:
    from ..outputs.report import totals_csv
    try:
        with open(args.totals, "w", newline="") as f:
            f.write(totals_csv(evaluation, args.convention))
    except OSError as e:
        raise SpecError(f"cannot write {args.totals}: {e.strerror or e}") from None
