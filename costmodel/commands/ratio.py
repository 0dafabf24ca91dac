"""`costmodel ratio`: Hybrid MobileNet's alpha/delta cost ratio, exact and approximate."""

from __future__ import annotations

import json
import sys

from ..cli import add_format, add_values, chosen_values, examples, fraction
from ..errors import SpecError


def add_parser(sub):
    p = sub.add_parser("ratio", help="cost ratio of the alpha/delta depthwise-separable layer (Hybrid MobileNet)",
                       epilog=examples("costmodel ratio --alpha 0.5 --delta 2",
                                       "costmodel ratio --alpha 0.5 --delta 2 --spec mobilenet_cifar",
                                       "costmodel ratio --alpha 0.5 --delta 2 --format csv"))
    p.add_argument("--alpha", type=fraction, required=True, help="width multiplier")
    p.add_argument("--delta", type=fraction, required=True, help="depth multiplier")
    p.add_argument("--m", type=int, default=64, help="input channels M (default 64)")
    p.add_argument("--n", type=int, default=128, help="output channels N (default 128)")
    p.add_argument("--dk", type=int, default=3, help="kernel size D_K (default 3)")
    p.add_argument("--df", type=int, default=32, help="feature map size D_F (default 32)")
    p.add_argument("--spec", help="instead, ratio of a whole spec's totals against alpha = delta = 1")
    add_values(p, help="other symbol values for --spec")
    add_format(p)
    return p


def run(args) -> int:
    from ..analyses import ratio
    from ..outputs import tables
    from ..outputs.report import value_text

    if args.spec:
        from .. import load_network
        network = load_network(args.spec)
        ratios = ratio.network_ratio(network, args.alpha, args.delta, chosen_values(args, network.spec))
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
    if args.format == "csv":  # data: exact ratios as fractions and as numbers
        sys.stdout.write(tables.csv_text(
            ["quantity", "exact", "exact_value", "closed_form", "approximation", "relative_error"],
            [[r.quantity, str(r.exact), f"{float(r.exact):.6g}",
              "" if r.closed_form is None else f"{float(r.closed_form):.6g}", f"{float(r.approximation):.6g}",
              f"{r.relative_error:.6g}"] for r in ratios]))
        return 0
    headers = ["quantity", "exact ratio", "((a*Dk^2 + a^2*N)*d)/(Dk^2 + N)", "a^2*d", "error of a^2*d"]
    rows = [[r.quantity, f"{r.exact} = {float(r.exact):.4f}",
             "" if r.closed_form is None else f"{float(r.closed_form):.4f}",
             f"{float(r.approximation):.4f}", f"{100 * r.relative_error:+.2f}%"] for r in ratios]
    if args.spec:  # the paper's closed form is for one layer pair, not a whole network
        headers, rows = headers[:2] + headers[3:], [row[:2] + row[3:] for row in rows]
    table = tables.text_table(rows, headers, ["left"] * len(headers), args.format)
    rounded = ", ".join(f"{r.quantity} {float(r.exact):.2f}" for r in ratios)
    c = tables.comment(args.format)
    head = tables.latex_header() + "\n" if args.format == "latex" else ""
    sys.stdout.write(f"{head}{c}{title}\n\n{table}\n\n{c}to two decimals: {rounded}\n")
    return 0

