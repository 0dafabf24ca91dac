"""Command line: a thin argparse front end, one function per sub-command.

Exit status: 0 success; 2 bad input (spec, option or value), one line on stderr, no traceback;
3 the symbolic analysis disagreed with the reference propagator (a costmodel bug: please report).
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction

from .errors import CheckError, SpecError

EXIT_BAD_INPUT = 2
EXIT_CHECK_FAILED = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, as for every other bad input
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


def _fraction(text: str) -> Fraction:
    from .spec import parse_value
    try:
        return parse_value(text, "value")
    except SpecError as e:
        raise argparse.ArgumentTypeError(e.message) from None


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    from .report import DEFAULT_THRESHOLD, FORMATS

    top = _Parser(prog="costmodel", description="Closed-form cost model of convolutional networks.")
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)

    report = sub.add_parser("report", help="per-layer table: shape, params, MACs, floats out")
    report.add_argument("spec", help="network spec (YAML)")
    report.add_argument("--set", dest="values", metavar="NAME=VALUE", type=_assignment, action="append",
                        default=[], help="symbol value (repeatable); others keep their defaults")
    report.add_argument("--format", choices=FORMATS, default="table")
    report.add_argument("--symbolic", action="store_true", help="add per-layer formulas and closed-form totals")
    report.add_argument("--threshold", type=_positive, default=DEFAULT_THRESHOLD,
                        help="flag compression factors at or above this (default %(default)s)")
    report.set_defaults(run=run_report)

    ratio = sub.add_parser("ratio", help="cost ratio of the alpha/delta depthwise-separable layer (Hybrid MobileNet)")
    ratio.add_argument("--alpha", type=_fraction, required=True, help="width multiplier")
    ratio.add_argument("--delta", type=_fraction, required=True, help="depth multiplier")
    ratio.add_argument("--m", type=int, default=64, help="input channels M (default 64)")
    ratio.add_argument("--n", type=int, default=128, help="output channels N (default 128)")
    ratio.add_argument("--dk", type=int, default=3, help="kernel size D_K (default 3)")
    ratio.add_argument("--df", type=int, default=32, help="feature map size D_F (default 32)")
    ratio.add_argument("--spec", help="instead, ratio of a whole spec's totals against alpha = delta = 1")
    ratio.add_argument("--set", dest="values", metavar="NAME=VALUE", type=_assignment, action="append",
                       default=[], help="other symbol values for --spec")
    ratio.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    ratio.set_defaults(run=run_ratio)
    return top


def run_report(args) -> int:
    from . import analyze
    from .report import render

    evaluation = analyze(args.spec, **dict(args.values))
    sys.stdout.write(render(evaluation, args.format, symbolic=args.symbolic, threshold=args.threshold))
    return 0


def run_ratio(args) -> int:
    from tabulate import tabulate

    from . import ratio
    from .report import value_text

    if args.spec:
        from . import load_network
        network = load_network(args.spec)
        ratios = ratio.network_ratio(network, args.alpha, args.delta, dict(args.values))
        title = f"{network.spec.name}: totals at alpha={value_text(args.alpha)}, delta={value_text(args.delta)} " \
                f"against alpha=1, delta=1"
    else:
        for name in ("m", "n", "dk", "df"):
            if getattr(args, name) < 1:
                raise SpecError(f"--{name} must be a positive integer, got {getattr(args, name)}")
        ratios = ratio.layer_ratio(args.alpha, args.delta, args.m, args.n, args.dk, args.df)
        title = (f"depthwise-separable layer, M={args.m}, N={args.n}, D_K={args.dk}, D_F={args.df}: "
                 f"alpha={value_text(args.alpha)}, delta={value_text(args.delta)} against alpha=1, delta=1")
    if args.format == "json":
        doc = {"title": title, "alpha": float(args.alpha), "delta": float(args.delta), "ratios": [
            {"quantity": r.quantity, "exact": str(r.exact), "exact_value": round(float(r.exact), 6),
             "closed_form": None if r.closed_form is None else round(float(r.closed_form), 6),
             "approximation": round(float(r.approximation), 6),
             "relative_error": round(r.relative_error, 6)} for r in ratios]}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return 0
    headers = ["quantity", "exact ratio", "((a*Dk^2 + a^2*N)*d)/(Dk^2 + N)", "a^2*d", "error of a^2*d"]
    rows = [[r.quantity, f"{r.exact} = {float(r.exact):.4f}",
             "" if r.closed_form is None else f"{float(r.closed_form):.4f}",
             f"{float(r.approximation):.4f}", f"{100 * r.relative_error:+.2f}%"] for r in ratios]
    if args.spec:  # the paper's closed form is for one layer pair, not a whole network
        headers, rows = headers[:2] + headers[3:], [row[:2] + row[3:] for row in rows]
    table = tabulate(rows, headers=headers, tablefmt="github" if args.format == "markdown" else "simple",
                     disable_numparse=True)
    rounded = ", ".join(f"{r.quantity} {float(r.exact):.2f}" for r in ratios)
    sys.stdout.write(f"{title}\n\n{table}\n\nto two decimals: {rounded}\n")
    return 0


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except SpecError as e:
        sys.stderr.write(f"costmodel: {e}\n")
        return EXIT_BAD_INPUT
    except CheckError as e:
        sys.stderr.write(f"costmodel: internal check failed (symbolic != reference), please report: {e}\n")
        return EXIT_CHECK_FAILED
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
