"""`costmodel verify SPEC`: cross-check every layer against PyTorch's own counters (needs torch)."""

from __future__ import annotations

import sys

from ..cli import add_format, add_values, chosen_values, examples
from ..errors import install_hint


def add_parser(sub):
    from ..analyses.conventions import DEFAULT, VERIFIABLE

    p = sub.add_parser("verify", help=f"check shapes, params and MACs against PyTorch ({install_hint('torch')})",
                       epilog=examples("costmodel verify mobilenet_cifar --set alpha=0.5",
                                       "costmodel verify imagenet/resnet50 --convention thop",
                                       "costmodel verify mobilenet_cifar --format json"))
    p.add_argument("spec", help="network spec (YAML)")
    add_values(p, help="symbol value (repeatable); others keep their defaults")
    p.add_argument("--convention", choices=VERIFIABLE, default=DEFAULT,
                   help="count MACs as this profile; fvcore/ptflops/thop also run that tool (default %(default)s)")
    add_format(p)
    return p


def run(args) -> int:
    from .. import load
    from ..bridges.crosscheck import render, verify

    spec = load(args.spec)
    result = verify(spec, chosen_values(args, spec), convention=args.convention)
    sys.stdout.write(render(result, args.format))
    return 0 if result.ok else 1
