"""`costmodel dataflow SPEC [SPEC ...]`: EffNet's Table 1, floats out per row, networks side by side."""

from __future__ import annotations

import sys

from ..cli import add_format, add_values, examples, output_file, positive


def add_parser(sub):
    from ..outputs.report import DEFAULT_THRESHOLD

    p = sub.add_parser("dataflow", help="data-flow table (EffNet's Table 1): floats out per row, side by side",
                       epilog=examples("costmodel dataflow effnet/baseline effnet/mobilenet effnet/effnet",
                                       "costmodel dataflow effnet/effnet --format markdown --threshold 2"))
    p.add_argument("specs", nargs="+", metavar="SPEC", help="network specs (YAML), one column pair each")
    add_values(p, help="symbol value (repeatable), for every spec that declares NAME")
    add_format(p)
    p.add_argument("--threshold", type=positive, default=DEFAULT_THRESHOLD,
                   help="flag compression factors at or above this (default %(default)s)")
    p.add_argument("--plot", metavar="FILE.png|svg", type=output_file(".png", ".svg", ".pdf"),
                   help="also draw floats out per layer for each network (needs matplotlib)")
    return p


def run(args) -> int:
    from .. import analyze, load
    from ..analyses.dataflow import build, render
    from ..errors import SpecError

    specs = [load(path) for path in args.specs]
    values = dict(args.values)
    for name in values:
        if not any(name in spec.symbols or name in spec.options for spec in specs):
            raise SpecError(f"unknown symbol {name!r}: no spec declares it", file="--set")
    if args.preset is not None and not any(args.preset in spec.presets for spec in specs):
        raise SpecError(f"unknown preset {args.preset!r}: no spec declares it", file="--preset")
    evaluations = [analyze(spec, {n: v for n, v in values.items() if n in spec.symbols or n in spec.options},
                           preset=args.preset if args.preset in spec.presets else None) for spec in specs]
    sys.stdout.write(render(build(evaluations, args.threshold), args.format))
    if args.plot:
        from ..outputs import plot
        plot.dataflow(evaluations, args.plot, threshold=args.threshold)
    return 0
