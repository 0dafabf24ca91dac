"""The closed forms: a spec's tree derived with sympy, once per distinct layer and input shape.

`derive(spec)` calls each layer's formula from the ops registry on sympy shapes and keeps the
spec's structure: LayerNode, GroupNode (block calls, stages) and RepeatNode, whose total is
first + (count - 1) * rest when the iterations after the first keep their input's shape. The
numbers of a report do not need this module (network.py evaluates the same formulas on plain
numbers); formulas, `--symbolic`, sweeps, solve and the metrics' closed forms do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sympy

from . import reference
from .errors import SpecError
from .expr import IN_CHANNELS
from .ops import Kind, category_of, lookup
from .spec import NETWORK_INPUT, BlockCall, LayerSpec, NetworkSpec, Repeat, Stage
from .symbolic import lattice, make_symbol, plain_symbol, round_channels, to_plain, to_sympy


@dataclass(frozen=True)
class LayerCost:
    """One layer's closed forms. `floats_in` sums the outputs of the layer's inputs."""

    spec: LayerSpec
    shape: tuple
    params: sympy.Expr
    params_non_trainable: sympy.Expr
    macs: sympy.Expr
    floats_out: sympy.Expr
    floats_in: sympy.Expr
    args: dict  # the layer's arguments as sympy (channel counts rounded)

    def category(self, subs: dict) -> str:
        """The row of the resource-per-layer-type breakdown, decided on the configuration's numbers
        (a kernel or groups count may be a symbol)."""
        return category_of(lookup(self.spec.type), {k: _substitute(v, subs) for k, v in self.args.items()})


@dataclass
class LayerNode:
    cost: LayerCost

    def children(self):
        return ()

    def total(self, metric: str):
        return getattr(self.cost, metric)


@dataclass
class GroupNode:
    """A block call or a stage: the sum of its children."""

    spec: Any
    parts: list

    def children(self):
        return self.parts

    def total(self, metric: str):
        return sympy.Add(*(child.total(metric) for child in self.parts))


@dataclass
class RepeatNode:
    """`count` iterations. Closed (`iterations` None): the template keeps its input's shape, so every
    iteration after the first costs the same: first + (count - 1) * rest. Otherwise (a constant count
    whose iterations change the shape) each iteration is derived: `iterations`."""

    spec: Any
    count: sympy.Expr
    first: Any
    rest: Any
    iterations: list | None = None

    def children(self):
        return self.iterations if self.iterations is not None else [self.first, self.rest]

    def total(self, metric: str):
        if self.iterations is not None:
            return sympy.Add(*(it.total(metric) for it in self.iterations))
        return self.first.total(metric) + (self.count - 1) * self.rest.total(metric)


def at_least_two(count: sympy.Expr) -> sympy.Expr:
    """1 when an integer count >= 1 is at least 2, else 0."""
    return sympy.Integer(1) if count.is_number and count >= 2 else lattice(sympy.Min, (sympy.Integer(1), count - 1))


class _Deriver:
    """Derives the closed forms of a spec's tree, once per distinct (layer arguments, input shapes)."""

    def __init__(self, spec: NetworkSpec, symbols: dict):
        self.spec = spec
        self.symbols = symbols
        self.costs: dict = {}
        self.modes: dict = {}
        self.memo: dict = {}
        self.closed: dict = {}  # a closed repeat's copy-name stem -> (the repeat, its count): copy k >= 3 is copy 2
        self.input_shape: tuple = ()  # set by derive()
        self.shapes: dict = {}
        self.nodes: list = []
        self.built: dict = {}  # the min and max built (symbolic.to_sympy)

    def shape(self, shapes: dict, name: str):
        """A layer's output shape; a name inside copy k >= 3 of a closed repeat is copy 2's."""
        if name in shapes:
            return shapes[name]
        parts = name.split("/")
        for i in range(1, len(parts) + 1):
            copy2 = self._copy_two(parts[i - 1], "/".join(parts[:i - 1] + [""]))
            if copy2 is not None:
                return self.shape(shapes, "/".join([copy2, *parts[i:]]))
        raise KeyError(name)

    def _copy_two(self, local: str, prefix: str):
        """Copy 2's full name when `prefix + local` names copy k >= 3 of a closed repeat, else None
        (a name is `stem.k` for a named repeat, `stemN` for numbered copies of an unnamed one)."""
        stem, digits = (local.rsplit(".", 1) + [""])[:2] if "." in local else (local.rstrip("0123456789"), "")
        digits = digits or local[len(stem):]
        found = self.closed.get(prefix + stem + ("." if "." in local else ""))
        if found is None or not digits.isdigit():
            return None
        repeat, count = found
        k = int(digits) if repeat.naming[0] == "dotted" else int(digits) - repeat.naming[3] + 1
        return repeat.copy_name(2) if 3 <= k <= count else None

    def node(self, node, template, shapes: dict, path: tuple):
        if isinstance(node, LayerSpec):
            cost = self.layer(node, [self.shape(shapes, name) for name in node.inputs])
            shapes[node.name] = cost.shape
            self.costs[(id(template), path)] = cost
            return LayerNode(cost)
        if isinstance(node, (BlockCall, Stage)):
            return GroupNode(node, [self.node(c, t, shapes, path) for c, t in zip(node.children, template.children)])
        return self.repeat(node, template, shapes, path)

    def repeat(self, node: Repeat, template: Repeat, shapes: dict, path: tuple) -> RepeatNode:
        count = to_sympy(node.count, self.symbols, self.built)
        first = self.node(node.first, template.first, shapes, (*path, (id(template), 1)))
        rest = self.node(node.rest, template.rest, shapes, (*path, (id(template), 2)))
        before, after = self.shape(shapes, node.first.output), self.shape(shapes, node.rest.output)
        if _same_shape(before, after):
            self.modes[id(template)] = "closed"
            if count.is_number and count >= 3:
                stem = node.naming[1] + "." if node.naming[0] == "dotted" else node.naming[1] + node.naming[2]
                self.closed[stem] = (node, int(count))
            return RepeatNode(node, count, first, rest)
        if not count.is_number:
            shown = lambda s: "x".join(str(v) for v in s)  # noqa: E731
            raise SpecError(f"repeat {node.name!r}: with a count that depends on symbols, every iteration after the "
                            f"first must keep its input's shape, but {shown(before)} becomes {shown(after)}",
                            file=self.spec.file, line=node.line, column=node.column)
        self.modes[id(template)] = "unrolled"
        iterations = [first, rest]
        for k in range(3, int(count) + 1):
            iterations.append(self.node(node.iteration(k), template.rest, shapes, (*path, (id(template), k))))
        return RepeatNode(node, count, first, rest, iterations)

    def layer(self, layer: LayerSpec, inputs: list) -> LayerCost:
        key = (layer.key, tuple(inputs))
        if key not in self.memo:
            self.memo[key] = self.derive(layer, inputs)
        cost = self.memo[key]
        return cost if cost.spec is layer else replace(cost, spec=layer)

    def derive(self, layer: LayerSpec, inputs: list) -> LayerCost:
        op = lookup(layer.type)
        symbols = self.symbols
        if len(inputs) == 1:  # `in_channels` in the layer's arguments: its input's channel count
            symbols = {**symbols, IN_CHANNELS: inputs[0][2]}
        args = {name: _sympy_arg(value, op.params[name].kind, layer.rounding, symbols, self.built)
                for name, value in layer.args.items()}
        where: dict[str, Any] = dict(file=self.spec.file, line=layer.line, column=layer.column,
                     layer=f"{layer.index} '{layer.name}' ({layer.type})")
        try:
            cost = op.formula(inputs if op.many_inputs else inputs[0], args)
        except RecursionError:  # e.g. hundreds of strided layers on a symbolic resolution
            raise SpecError("shape expressions nested too deeply for a closed form", **where) from None
        except ValueError as e:  # Cost refused a negative size: the spec cannot fit for any values
            if not self.spec.symbolic_repeats:
                reference.propagate(self.spec, self.spec.defaults())  # raises the located, specific SpecError
            raise SpecError(str(e), **where) from None
        floats_out = cost.shape[0] * cost.shape[1] * cost.shape[2]
        floats_in = sympy.Add(*(s[0] * s[1] * s[2] for s in inputs))
        return LayerCost(layer, cost.shape, cost.params, cost.params_non_trainable, cost.macs, floats_out, floats_in,
                         args)


def _same_shape(a: tuple, b: tuple) -> bool:
    return all(x == y or sympy.simplify(x - y) == 0 for x, y in zip(a, b))


def derive(spec: NetworkSpec) -> "_Deriver":
    """Closed-form costs of a spec's tree, derived once per distinct layer and input shape: the
    deriver holds them (`nodes`, `costs`, `modes`, `shapes`, `symbols`, `input_shape`).

    The forms are derived with symbols that carry assumptions (positive, integer: sympy simplifies
    `floor(resolution)` to `resolution`), then given in plain symbols, `sympy.Symbol("alpha")` as a
    user writes it (symbolic.plain_symbol)."""
    deriver = _Deriver(spec, {name: make_symbol(name, s.integer) for name, s in spec.symbols.items()})
    deriver.input_shape = tuple(to_sympy(node, deriver.symbols, deriver.built) for node in spec.input)
    deriver.shapes = {NETWORK_INPUT: deriver.input_shape}
    deriver.nodes = [deriver.node(node, node, deriver.shapes, ()) for node in spec.tree]
    _to_plain(deriver)
    return deriver


def _to_plain(deriver: _Deriver) -> None:
    """Every closed form of the deriver in plain symbols; each distinct form replaced once."""
    plain = {symbol: plain_symbol(name) for name, symbol in deriver.symbols.items()}
    memo: dict = {}
    costs: dict = {}  # id of a LayerCost -> the same in plain symbols

    def cost(c: LayerCost) -> LayerCost:
        if id(c) not in costs:
            costs[id(c)] = (c, replace(c, **{f: to_plain(getattr(c, f), plain, memo) for f in _COST_FIELDS},
                                       args={k: to_plain(v, plain, memo) for k, v in c.args.items()}))
        return costs[id(c)][1]

    def node(n) -> None:
        if isinstance(n, LayerNode):
            n.cost = cost(n.cost)
            return
        if isinstance(n, RepeatNode):
            n.count = to_plain(n.count, plain, memo)
        for child in n.children():  # a repeat's iterations begin with its first and rest
            node(child)

    for top in deriver.nodes:
        node(top)
    deriver.costs = {k: cost(c) for k, c in deriver.costs.items()}
    deriver.memo = {k: cost(c) for k, c in deriver.memo.items()}
    deriver.shapes = {k: to_plain(v, plain, memo) for k, v in deriver.shapes.items()}
    deriver.input_shape = to_plain(deriver.input_shape, plain, memo)
    deriver.symbols = dict(zip(deriver.symbols, plain.values()))


_COST_FIELDS = ("shape", "params", "params_non_trainable", "macs", "floats_out", "floats_in")


def _substitute(value, subs: dict):
    if isinstance(value, tuple):
        return tuple(_substitute(v, subs) for v in value)
    return value.xreplace(subs) if isinstance(value, sympy.Basic) else value


def _sympy_arg(value, kind: Kind, rounding: str, symbols: dict, built: dict):
    if value is None or isinstance(value, (bool, str)):
        return value
    if kind is Kind.CHANNELS:
        return round_channels(to_sympy(value, symbols, built), rounding)
    if isinstance(value, tuple):
        return tuple(to_sympy(v, symbols, built) for v in value)
    return to_sympy(value, symbols, built)
