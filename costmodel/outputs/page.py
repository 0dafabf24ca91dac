"""`costmodel explore`: one self-contained HTML page computing a spec's costs in the browser.

The page holds the spec's closed forms compiled to JavaScript (jsprint.py, exact rationals over
BigInt), the derived tree (network.nodes: layers, block calls and stages, repeats with their count's
closed form; iterations k >= 3 of a repeat reuse iteration 2's closed forms), and the refusals of
the reference propagator as closed-form conditions (guards.py). Its script (page.js) and style
(page.css) are inlined: no network, no server; it opens from file://.

    html = page(costmodel.load_network("mobilenet_cifar"))
"""

from __future__ import annotations

import html
import json
from fractions import Fraction
from pathlib import Path

from ..ops import lookup
from ..closedform import GroupNode, LayerNode, RepeatNode
from ..network import Network
from ..spec import MAX_REPEAT
from ..spec.model import MAX_LAYERS
from . import guards as g
from .jsprint import Table, runtime

HERE = Path(__file__).resolve().parent
CATEGORY_ARGS = ("kernel", "groups")  # what the layer categories of a breakdown read (ops/conv.py)
FRACTION_STEPS = 16  # a fractional symbol's slider: default * k / 8, k = 1 .. 16


def page(network: Network, preset: str | None = None) -> str:
    """The whole HTML page for `network` (the preset's values shown first when given). A spec with
    options gets the page of one tree, the preset's (or the network's own): its picker lists the
    presets of that tree, and the description names the others, each of which needs its own page."""
    if preset is not None:
        network = network.for_values(preset=preset)
    model = Model(network).as_dict()
    if preset is not None:
        model["start"] = {k: _text(v) for k, v in network.values(preset=preset).items()}
    script = runtime() + model.pop("functions") + "const MODEL = " + json.dumps(model) + ";\n" + \
        (HERE / "page.js").read_text(encoding="utf-8")
    title = html.escape(f"{network.spec.name}: costs explorer")
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n"
            f"<style>\n{(HERE / 'page.css').read_text(encoding='utf-8')}</style>\n</head>\n<body>\n"
            f"<script>\n{_script_safe(script)}</script>\n</body>\n</html>\n")


class Model:
    """The data the page's script reads: symbols, presets, compiled closed forms, the tree."""

    def __init__(self, network: Network):
        self.network = network
        self.spec = network.spec
        self.table = Table(self.spec.symbols)
        self.costs: list[dict] = []
        self.cost_index: dict = {}

    def as_dict(self) -> dict:
        spec = self.spec
        tree = [self.node(n) for n in self.network.nodes]
        inputs = g.input_guards(spec, self.network.symbols)
        return {
            "name": spec.name, "description": self.description(), "file": spec.file or "<spec>",
            "maxRepeat": MAX_REPEAT, "maxLayers": MAX_LAYERS,
            "symbols": [self.symbol(s) for s in spec.symbols.values()],
            "presets": [{"name": p.name, "description": p.description,
                         "values": {k: _text(v) for k, v in p.values.items()}} for p in self.presets()],
            "input": {"line": spec.input_line, "column": getattr(spec, "input_column", None),
                      "guards": [self.guard(x) for x in inputs],
                      "shape": [self.table.add(v) for v in self.network.input_shape]},
            "costs": self.costs, "tree": tree, "functions": self.table.javascript(),
        }

    def presets(self) -> list:
        """The presets of this tree: with options, those whose option values are this tree's."""
        chosen = self.spec.option_values
        return [p for p in self.spec.presets.values() if {**chosen, **p.options} == chosen]

    def description(self) -> str:
        spec, text = self.spec, self.spec.description or ""
        if not spec.options:
            return text
        built = ", ".join(f"{n}={_text(v)}" for n, v in spec.option_values.items())
        others = [p.name for p in spec.presets.values() if p not in self.presets()]
        note = f"This page is the tree of the options {built} (an option selects the structure)"
        if others:
            note += f"; the presets {', '.join(others)} choose other options: each has its own page " \
                    f"(costmodel explore SPEC --preset NAME)"
        return f"{text}. {note}" if text else note

    def symbol(self, s) -> dict:
        default = Fraction(s.default)
        low: int | Fraction
        high: int | Fraction
        step: Fraction | None
        if s.integer:
            low, high, step = 1, max(2 * int(default), int(default) + 8), None
        else:
            low, high, step = default / 8, default * FRACTION_STEPS / 8, default / 8
        return {"name": s.name, "default": _text(default), "integer": bool(s.integer),
                "description": s.description or "", "min": _text(Fraction(low)), "max": _text(Fraction(high)),
                "step": None if step is None else _text(step)}

    def guard(self, guard: g.Guard) -> dict:
        return {"t": guard.test, "v": [self.table.add(v) for v in guard.values], "m": guard.message}

    def cost(self, node: LayerNode) -> int:
        cost = node.cost
        key = (id(cost.params), id(cost.macs), id(cost.shape), id(cost.floats_in))
        if key not in self.cost_index:
            self.cost_index[key] = len(self.costs)
            self.costs.append(self.compiled(cost))
        return self.cost_index[key]

    def compiled(self, cost) -> dict:
        layer, add = cost.spec, self.table.add
        inputs = [self.network.shape_of(name) for name in layer.inputs]
        symbolic = {name: cost.args[name] for name in CATEGORY_ARGS
                    if name in cost.args and _has_symbols(cost.args[name])}
        entry = {"shape": [add(v) for v in cost.shape], "params": add(cost.params),
                 "pnt": add(cost.params_non_trainable), "macs": add(cost.macs), "floats": add(cost.floats_out),
                 "guards": [self.guard(x) for x in g.layer_guards(layer, inputs, cost.shape, self.network.symbols)]}
        if symbolic:
            entry["type"] = lookup(layer.type).type
            entry["categoryArgs"] = {name: [add(v) for v in (value if isinstance(value, tuple) else (value,))]
                                     for name, value in cost.args.items() if name in CATEGORY_ARGS}
        else:
            entry["category"] = cost.category({})
        return entry

    def node(self, node) -> dict:
        if isinstance(node, LayerNode):
            layer = node.cost.spec
            return {"k": "layer", "name": layer.name, "type": layer.type, "line": layer.line,
                    "column": layer.column, "cost": self.cost(node), "inputs": list(layer.inputs)}
        if isinstance(node, GroupNode):
            spec = node.spec
            return {"k": spec.kind, "name": spec.name, "type": getattr(spec, "block", "stage"),
                    "output": spec.output, "children": [self.node(c) for c in node.parts]}
        return self.repeat(node)

    def repeat(self, node: RepeatNode) -> dict:
        spec = node.spec
        rest = spec.rest or spec.first
        symbols = self.network.symbols
        return {"k": "repeat", "name": spec.name, "type": getattr(rest, "block", getattr(rest, "type", "")),
                "count": self.table.add(node.count), "line": spec.line, "column": spec.column,
                "countGuards": [self.guard(x) for x in g.count_guards(spec, symbols)],
                "naming": list(spec.naming), "output": spec.output, "firstOutput": spec.first.output,
                "restOutput": rest.output,
                "first": self.node(node.first), "rest": self.node(node.rest),
                "iterations": None if node.iterations is None else [self.node(i) for i in node.iterations]}


def _has_symbols(value) -> bool:
    values = value if isinstance(value, tuple) else (value,)
    return any(getattr(v, "free_symbols", None) for v in values)


def _text(value) -> str:
    value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _script_safe(text: str) -> str:
    """Inline script text cannot hold `</script`: spec names and descriptions are the user's."""
    return text.replace("</", "<\\/")
