"""`costmodel report SPEC`: per-layer table of shape, params, MACs, floats out."""

from __future__ import annotations

import sys

from ..cli import assignment, positive


def add_parser(sub):
    from ..report import DEFAULT_THRESHOLD, FORMATS
    from ..conventions import DEFAULT, NAMES

    p = sub.add_parser("report", help="per-layer table: shape, params, MACs, floats out")
    p.add_argument("spec", help="network spec (YAML)")
    p.add_argument("--set", dest="values", metavar="NAME=VALUE", type=assignment, action="append",
                   default=[], help="symbol value (repeatable); others keep their defaults")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--symbolic", action="store_true", help="add per-layer formulas and closed-form totals")
    p.add_argument("--threshold", type=positive, default=DEFAULT_THRESHOLD,
                   help="flag compression factors at or above this (default %(default)s)")
    p.add_argument("--convention", choices=NAMES, default=DEFAULT,
                   help="counting convention of the MACs and params columns (default %(default)s)")
    return p


def run(args) -> int:
    from .. import analyze
    from ..report import render

    evaluation = analyze(args.spec, **dict(args.values))
    sys.stdout.write(render(evaluation, args.format, symbolic=args.symbolic, threshold=args.threshold,
                            convention=args.convention))
    return 0
