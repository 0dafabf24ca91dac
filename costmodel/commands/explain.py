"""`costmodel explain SPEC --convention A --vs B`: per layer type, why two conventions differ."""

from __future__ import annotations

import sys

from ..cli import add_format, add_values, examples


def add_parser(sub):
    from ..analyses.conventions import NAMES

    p = sub.add_parser("explain", help="per layer type, why two counting conventions give different totals",
                       epilog=examples("costmodel explain mobilenet_cifar --vs ptflops",
                                       "costmodel explain imagenet/resnet50 --convention fvcore --vs thop",
                                       "costmodel explain mobilenet_cifar --vs ptflops --format json"))
    p.add_argument("spec", help="network spec (YAML)")
    p.add_argument("--convention", choices=NAMES, default="macs", help="first convention (default %(default)s)")
    p.add_argument("--vs", choices=NAMES, required=True, help="second convention")
    add_values(p, help="symbol value (repeatable); others keep their defaults")
    add_format(p)
    return p


def run(args) -> int:
    from .. import analyze
    from ..analyses import conventions

    evaluation = analyze(args.spec, dict(args.values), preset=args.preset)
    a, b = conventions.get(args.convention), conventions.get(args.vs)
    sys.stdout.write(render(evaluation, a, b, explain(evaluation, a, b), args.format))
    return 0


def explain(evaluation, a, b) -> list[dict]:
    """Per layer type: the layers, each convention's ops and params, and why they differ."""
    from ..analyses import conventions

    groups_a, groups_b = conventions.by_type(evaluation, a), conventions.by_type(evaluation, b)
    counting_acts = _counting_acts(a, b)
    result = []
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
        result.append({"type": type_, "layers": ga["layers"], "ops": ga["ops"], "vs_ops": gb["ops"],
                       "difference": gb["ops"] - ga["ops"], "params": ga["params"], "vs_params": gb["params"],
                       **{f"{p.name}_acts": {a.name: ga, b.name: gb}[p.name]["acts"] for p in counting_acts},
                       "why": "; ".join(why) or "same"})
    return result


def _counting_acts(a, b) -> list:
    """The profiles that count activations too (pycls): a column each."""
    return [p for p in ((a,) if a.name == b.name else (a, b)) if p.acts is not None]


KEYS = ("type", "layers", "ops", "vs_ops", "difference", "params", "vs_params", "why")


def render(evaluation, a, b, rows: list[dict], fmt: str) -> str:
    import json

    from ..analyses import conventions
    from ..outputs import tables
    from ..outputs.report import _json_number, defaults_header, values_header

    ta, tb = conventions.totals(evaluation, a), conventions.totals(evaluation, b)
    counting_acts = _counting_acts(a, b)
    acts_keys = [f"{p.name}_acts" for p in counting_acts]
    acts_totals = {f"{p.name}_acts": {a.name: ta, b.name: tb}[p.name]["acts"] for p in counting_acts}
    keys = (*KEYS[:-1], *acts_keys, KEYS[-1])
    if fmt == "json":
        doc = {"network": evaluation.network.spec.name, "spec": evaluation.network.spec.file,
               "symbols": {n: _json_number(v) for n, v in evaluation.values.items()},
               "defaults_of": evaluation.network.spec.defaults_of, "convention": a.name, "vs": b.name, "unit": a.unit, "vs_unit": b.unit, "types": rows,
               "totals": {"layers": len(evaluation.rows), "ops": ta["ops"], "vs_ops": tb["ops"],
                          "difference": tb["ops"] - ta["ops"], "params": ta["params"], "vs_params": tb["params"],
                          **acts_totals}}
        return json.dumps(doc, indent=2) + "\n"
    if fmt == "csv":  # data: one row per layer type, no total row (the columns sum to the totals)
        return tables.csv_text(keys, [[row[k] for k in keys] for row in rows])
    cells = [[r["type"], r["layers"], f"{r['ops']:,}", f"{r['vs_ops']:,}", f"{r['difference']:+,}",
              f"{r['params']:,}", f"{r['vs_params']:,}", *(f"{r[k]:,}" for k in acts_keys), r["why"]] for r in rows]
    cells.append(["total", len(evaluation.rows), f"{ta['ops']:,}", f"{tb['ops']:,}", f"{tb['ops'] - ta['ops']:+,}",
                  f"{ta['params']:,}", f"{tb['params']:,}", *(f"{acts_totals[k]:,}" for k in acts_keys), ""])
    c = tables.comment(fmt)
    out = ([tables.latex_header()] if fmt == "latex" else []) + [
        c + values_header(evaluation), c + a.header(), c + b.header(), c + defaults_header(evaluation.network.spec), "",
        tables.text_table(cells, ["type", "layers", f"{a.name} {a.unit}", f"{b.name} {b.unit}", "difference",
                                  f"{a.name} params", f"{b.name} params",
                                  *(f"{p.name} acts" for p in counting_acts), "why"],
                          ["left", "right", "right", "right", "right", "right", "right",
                           *["right"] * len(counting_acts), "left"], fmt)]
    out += [f"{c}{p.name} acts: {p.acts_rule}" for p in counting_acts]
    if ta["ops"]:
        out.append(f"\n{c}{b.name} / {a.name}: {tb['ops'] / ta['ops']:.4f} x the {a.unit} total")
    return "\n".join(out) + "\n"
