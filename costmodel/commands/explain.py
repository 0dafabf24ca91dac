"""`costmodel explain SPEC --convention A --vs B`: per layer type, why two conventions differ."""

from __future__ import annotations

import sys

from ..cli import add_values, examples


def add_parser(sub):
    from ..analyses.conventions import NAMES

    p = sub.add_parser("explain", help="per layer type, why two counting conventions give different totals",
                       epilog=examples("costmodel explain mobilenet_cifar --vs ptflops",
                                       "costmodel explain imagenet/resnet50 --convention fvcore --vs thop"))
    p.add_argument("spec", help="network spec (YAML)")
    p.add_argument("--convention", choices=NAMES, default="macs", help="first convention (default %(default)s)")
    p.add_argument("--vs", choices=NAMES, required=True, help="second convention")
    add_values(p, help="symbol value (repeatable); others keep their defaults")
    return p


def run(args) -> int:
    from tabulate import tabulate

    from .. import analyze
    from ..analyses import conventions
    from ..outputs.report import values_header

    evaluation = analyze(args.spec, dict(args.values), preset=args.preset)
    a, b = conventions.get(args.convention), conventions.get(args.vs)
    groups_a, groups_b = conventions.by_type(evaluation, a), conventions.by_type(evaluation, b)
    counting_acts = [p for p in (a, b) if p.acts is not None]  # pycls counts activations too: a column each
    rows = []
    for type_, ga in groups_a.items():
        gb = groups_b[type_]
        family = conventions.FAMILY_OF.get(type_, "other")
        why = []
        if ga["ops"] != gb["ops"]:
            why.append(f"{a.name}: {a.rules[family]}; {b.name}: {b.rules[family]}")
            bias = any(layer.bias for layer in conventions.layers(evaluation) if layer.type == type_)
            if bias and a.rules["bias"] != b.rules["bias"]:
                why.append(f"bias: {a.name} {a.rules['bias']}, {b.name} {b.rules['bias']}")
        if ga["params"] != gb["params"]:
            why.append("params: " + "; ".join(note for note in (a.params_note(family), b.params_note(family)) if note))
        groups = {a.name: ga, b.name: gb}
        rows.append([type_, ga["layers"], f"{ga['ops']:,}", f"{gb['ops']:,}", f"{gb['ops'] - ga['ops']:+,}",
                     f"{ga['params']:,}", f"{gb['params']:,}", *(f"{groups[p.name]['acts']:,}" for p in counting_acts),
                     "; ".join(why) or "same"])
    ta, tb = conventions.totals(evaluation, a), conventions.totals(evaluation, b)
    totals = {a.name: ta, b.name: tb}
    rows.append(["total", len(evaluation.rows), f"{ta['ops']:,}", f"{tb['ops']:,}", f"{tb['ops'] - ta['ops']:+,}",
                 f"{ta['params']:,}", f"{tb['params']:,}", *(f"{totals[p.name]['acts']:,}" for p in counting_acts), ""])
    acts_headers = [f"{p.name} acts" for p in counting_acts]
    out = [values_header(evaluation), a.header(), b.header(), "",
           tabulate(rows, headers=["type", "layers", f"{a.name} {a.unit}", f"{b.name} {b.unit}", "difference",
                                   f"{a.name} params", f"{b.name} params", *acts_headers, "why"],
                    tablefmt="simple",
                    colalign=["left", "right", "right", "right", "right", "right", "right",
                              *["right"] * len(acts_headers), "left"],
                    disable_numparse=True)]
    out += [f"{p.name} acts: {p.acts_rule}" for p in counting_acts]
    if ta["ops"]:
        out.append(f"\n{b.name} / {a.name}: {tb['ops'] / ta['ops']:.4f} x the {a.unit} total")
    sys.stdout.write("\n".join(out) + "\n")
    return 0
