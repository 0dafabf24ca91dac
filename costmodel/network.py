"""Thread symbolic shapes through the layer graph and collect each layer's closed-form costs.

`build(spec)` calls each layer's formula from the ops registry on sympy shapes, giving a
`Network` whose per-layer fields and totals are expressions in the spec's symbols.
`Network.evaluate(values)` substitutes numbers, runs the independent reference propagator on the
same spec and values, and refuses to return unless the two agree field by field (check.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import sympy

from . import check, reference
from .errors import CheckError, SpecError
from .ops import Kind, category_of, lookup
from .spec import (MAX_REPEAT, NETWORK_INPUT, BlockCall, Instance, LayerSpec, NetworkSpec, Repeat, Stage, flatten,
                   parse_value)
from .symbolic import make_symbol, readable, round_channels, smooth, to_sympy

METRICS = ("params", "params_non_trainable", "macs", "floats_out")


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


@dataclass(frozen=True)
class LayerRow:
    """One layer's numbers for chosen symbol values."""

    index: int
    name: str
    type: str
    inputs: tuple
    stage: str | None
    category: str
    shape: tuple
    params: int
    params_non_trainable: int
    macs: int
    floats_out: int
    floats_in: int

    def __post_init__(self):
        for field_ in ("params", "params_non_trainable", "macs", "floats_out", "floats_in"):
            value = getattr(self, field_)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"layer {self.name!r}: {field_} must be a non-negative int, got {value!r}")
        if len(self.shape) != 3 or any(not isinstance(v, int) or v < 1 for v in self.shape):
            raise ValueError(f"layer {self.name!r}: shape must be three positive ints, got {self.shape!r}")

    @property
    def compression(self) -> Fraction:
        """Floats in / floats out: EffNet's data-compression factor."""
        return Fraction(self.floats_in, self.floats_out)


@dataclass(frozen=True)
class Totals:
    params: int
    params_non_trainable: int
    macs: int
    floats_out: int
    peak_floats_out: int

    @property
    def flops(self) -> int:
        """FLOPs = 2 x MACs (one multiply and one add per multiply-accumulate)."""
        return 2 * self.macs

    @property
    def params_with_statistics(self) -> int:
        """Parameters as Keras counts them: trainable plus batch-norm running statistics."""
        return self.params + self.params_non_trainable


class Network:
    """A spec's closed-form costs, kept as the spec's tree: `nodes` (LayerNode, GroupNode,
    RepeatNode), totals (`total`) derived from it. A repeat whose later iterations keep their input's
    shape is derived once per iteration kind and multiplied: first + (count - 1) * rest."""

    def __init__(self, spec: NetworkSpec, symbols: dict, input_shape: tuple, nodes: list, deriver: "_Deriver"):
        self.spec = spec
        self.symbols = symbols
        self.input_shape = input_shape
        self.nodes = nodes
        self._costs = deriver.costs  # (id of the written layer, normalised repeat path) -> LayerCost
        self._modes = deriver.modes  # id of a written Repeat -> "closed" | "unrolled"
        self._deriver = deriver
        self._totals: dict = {}
        self._static: dict = {}

    @property
    def layers(self) -> list[LayerCost]:
        """Every layer's closed forms in order, repeats unrolled (when no count depends on a symbol)."""
        if "layers" not in self._static:
            self._static["layers"] = [self.cost_of(leaf) for leaf in self.spec.unrolled.leaves()]
        return self._static["layers"]

    def _template_cost(self, leaf: Instance) -> LayerCost:
        path = tuple((rid, k if self._modes[rid] == "unrolled" else min(k, 2)) for rid, k in leaf.path)
        return self._costs[(id(leaf.template), path)]

    def cost_of(self, leaf: Instance) -> LayerCost:
        """The closed forms of one unrolled layer (shared by every iteration of a closed repeat)."""
        cost = self._template_cost(leaf)
        return cost if cost.spec is leaf.layer else replace(cost, spec=leaf.layer)

    def shape_of(self, name: str) -> tuple:
        """The closed-form output shape of a layer (or `input`) by its full name."""
        return self._deriver.shape(self._deriver.shapes, name)

    def distinct_layers(self):
        """(LayerCost, presence) for each layer derived, once per iteration kind: `presence` is 1, or an
        expression that is 1 when the layer exists and 0 when it does not (the template iteration of a
        repeat whose count may be 1)."""
        def walk(node, presence):
            if isinstance(node, LayerNode):
                yield node.cost, presence
            elif isinstance(node, RepeatNode) and node.iterations is None:
                yield from walk(node.first, presence)
                yield from walk(node.rest, presence * _at_least_two(node.count))
            else:
                for child in node.children():
                    yield from walk(child, presence)
        for top in self.nodes:
            yield from walk(top, sympy.Integer(1))

    def at(self, values: dict | None = None) -> "Network":
        """This network with every symbolic repeat count fixed at `values` (self when there is none)."""
        if not self.spec.symbolic_repeats:
            return self
        subs = self.substitutions(self.values(values))
        counts: dict = {}
        fixed = self.spec.at(lambda rep: counts.setdefault(id(rep), self.count_at(rep, subs)))
        key = tuple(sorted(counts.items()))
        if key not in self._static:
            self._static[key] = build(fixed)
        return self._static[key]

    def total(self, metric: str, *, smooth_form: bool = False) -> sympy.Expr:
        """Closed-form total of `params`, `params_non_trainable`, `macs`, `flops` or `floats_out`.
        The exact form carries channel rounding; `smooth_form=True` drops it."""
        if metric == "flops":
            return 2 * self.total("macs", smooth_form=smooth_form)
        if metric not in METRICS:
            raise SpecError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}, flops")
        if metric not in self._totals:
            self._totals[metric] = sympy.Add(*(node.total(metric) for node in self.nodes))
        value = self._totals[metric]
        return readable(smooth(value)) if smooth_form else value

    def formula(self, metric: str, *, smooth_form: bool = False) -> str:
        """A total as readable text (expanded)."""
        return str(readable(self.total(metric, smooth_form=smooth_form)))

    def values(self, overrides: dict | None = None, preset: str | None = None) -> dict[str, Fraction]:
        return resolve_values(self.spec, overrides or {}, preset)

    def substitutions(self, resolved: dict) -> dict:
        return {self.symbols[name]: sympy.Rational(v.numerator, v.denominator) for name, v in resolved.items()}

    def count_at(self, repeat, subs: dict) -> int:
        """A repeat's count for these values: a whole number from 1 to MAX_REPEAT, or a located error."""
        value = to_sympy(repeat.count, self.symbols).xreplace(subs)
        return checked_count(repeat, Fraction(int(value.p), int(value.q)) if value.is_Rational else None, self.spec)

    def evaluate(self, values: dict | None = None, *, verify: bool = True, preset: str | None = None) -> "Evaluation":
        """Numbers for the given symbol values (a preset's, then defaults, for the rest), checked against
        the reference propagator unless `verify=False`."""
        resolved = self.values(values, preset)
        subs = self.substitutions(resolved)
        expected = reference.propagate(self.spec, resolved)  # also validates shapes; raises SpecError
        try:
            unrolled = flatten(self.spec.tree, lambda rep: self.count_at(rep, subs))
            evaluation = Evaluation(self, resolved, self._rows(unrolled, subs, expected, verify), unrolled, preset)
            if verify:
                self._check_totals(evaluation, subs)
            return evaluation
        except RecursionError:
            raise SpecError("closed forms nested too deeply to evaluate", file=self.spec.file) from None

    def _rows(self, unrolled: Instance, subs: dict, expected: list, verify: bool) -> list:
        rows, numbers = [], {}
        leaves = list(unrolled.leaves())
        if len(leaves) != len(expected):
            raise CheckError(f"the symbolic side unrolls {len(leaves)} layers, the reference {len(expected)}")
        for leaf, ref in zip(leaves, expected):
            template = self._template_cost(leaf)
            if id(template) not in numbers:  # one substitution per distinct closed form
                numbers[id(template)] = (
                    {"shape": tuple(check.as_int(v, subs) for v in template.shape),
                     **{m: check.as_int(getattr(template, m), subs) for m in (*METRICS, "floats_in")}},
                    template.category(subs))
            got, category = numbers[id(template)]
            spec = leaf.layer
            if verify:
                if ref["name"] != spec.name:
                    raise CheckError(f"layer {spec.index}: the symbolic side names it {spec.name!r}, the reference "
                                     f"{ref['name']!r}")
                check.compare(spec, got, ref)
            rows.append(LayerRow(index=spec.index, name=spec.name, type=spec.type, inputs=spec.inputs,
                                 stage=spec.stage, category=category, **got))
        return rows

    def _check_totals(self, evaluation: "Evaluation", subs: dict) -> None:
        """The closed-form totals (repeat counts inside) against the sum of the checked rows: a repeat
        unrolled a wrong number of times cannot pass."""
        for metric in METRICS:
            closed = check.as_int(self.total(metric), subs)
            summed = getattr(evaluation.totals, metric)
            if closed != summed:
                raise CheckError(f"total {metric}: closed form {closed} != sum of the layers {summed}")


class Evaluation:
    """Per-layer rows and totals for one choice of symbol values."""

    def __init__(self, network: Network, values: dict, rows: list[LayerRow], unrolled: Instance | None = None,
                 preset: str | None = None):
        self.network = network
        self.values = values
        self.rows = rows
        self.preset = preset
        self.unrolled = unrolled if unrolled is not None else network.spec.unrolled
        self.totals = Totals(
            params=sum(r.params for r in rows),
            params_non_trainable=sum(r.params_non_trainable for r in rows),
            macs=sum(r.macs for r in rows),
            floats_out=sum(r.floats_out for r in rows),
            peak_floats_out=max(r.floats_out for r in rows),
        )

    @property
    def layer_specs(self) -> tuple:
        """The flat layers these rows are (repeats unrolled at these values)."""
        return tuple(leaf.layer for leaf in self.unrolled.leaves())

    @property
    def spec(self) -> NetworkSpec:
        """The spec with every repeat count fixed at these values (its flat `layers` exist)."""
        return self.network.at(self.values).spec

    def breakdown(self) -> list[dict]:
        """Share of MACs and parameters per layer category (MobileNet's resource per layer type)."""
        groups: dict[str, list] = {}
        for row in self.rows:
            groups.setdefault(row.category, []).append(row)
        result = []
        for category, rows in groups.items():
            macs, params = sum(r.macs for r in rows), sum(r.params for r in rows)
            result.append({"category": category, "layers": len(rows), "macs": macs, "params": params,
                           "macs_percent": 100 * Fraction(macs, self.totals.macs or 1),
                           "params_percent": 100 * Fraction(params, self.totals.params or 1)})
        return sorted(result, key=lambda g: (-g["macs"], -g["params"], g["category"]))


# --- the derived tree --------------------------------------------------------------------------

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

    spec: object
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

    spec: object
    count: sympy.Expr
    first: object
    rest: object
    iterations: list | None = None

    def children(self):
        return self.iterations if self.iterations is not None else [self.first, self.rest]

    def total(self, metric: str):
        if self.iterations is not None:
            return sympy.Add(*(it.total(metric) for it in self.iterations))
        return self.first.total(metric) + (self.count - 1) * self.rest.total(metric)


def _at_least_two(count: sympy.Expr) -> sympy.Expr:
    """1 when an integer count >= 1 is at least 2, else 0."""
    return sympy.Integer(1) if count.is_number and count >= 2 else sympy.Min(1, count - 1)


def checked_count(repeat, value: Fraction | None, spec) -> int:
    """A repeat count as an int: a whole number from 1 to MAX_REPEAT, else a located SpecError."""
    if value is None or value.denominator != 1 or not 1 <= value <= MAX_REPEAT:
        shown = "not a number" if value is None else str(value)
        raise SpecError(f"repeat {repeat.name!r}: the count must be a whole number from 1 to {MAX_REPEAT}, got {shown} "
                        f"(round it in the spec, e.g. ceil(...))", file=spec.file, line=repeat.line, column=repeat.column)
    return int(value)


class _Deriver:
    """Derives the closed forms of a spec's tree, once per distinct (layer arguments, input shapes)."""

    def __init__(self, spec: NetworkSpec, symbols: dict):
        self.spec = spec
        self.symbols = symbols
        self.costs: dict = {}
        self.modes: dict = {}
        self.memo: dict = {}
        self.renamed: dict = {}  # name of copy k >= 3 of a closed repeat -> copy 2's (same shapes)

    def shape(self, shapes: dict, name: str):
        """A layer's output shape; a name inside copy k >= 3 of a closed repeat is copy 2's."""
        if name in shapes:
            return shapes[name]
        parts = name.split("/")
        for i in range(1, len(parts) + 1):
            head = "/".join(parts[:i])
            if head in self.renamed:
                return self.shape(shapes, "/".join([self.renamed[head], *parts[i:]]))
        raise KeyError(name)

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
        count = to_sympy(node.count, self.symbols)
        first = self.node(node.first, template.first, shapes, (*path, (id(template), 1)))
        rest = self.node(node.rest, template.rest, shapes, (*path, (id(template), 2)))
        before, after = self.shape(shapes, node.first.output), self.shape(shapes, node.rest.output)
        if _same_shape(before, after):
            self.modes[id(template)] = "closed"
            if count.is_number:
                for k in range(3, int(count) + 1):
                    self.renamed[node.copy_name(k)] = node.copy_name(2)
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
        args = {name: _sympy_arg(value, op.params[name].kind, layer.rounding, self.symbols)
                for name, value in layer.args.items()}
        where = dict(file=self.spec.file, line=layer.line, column=layer.column,
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


def build(spec: NetworkSpec) -> Network:
    """Closed-form costs of a spec's tree, derived once per distinct layer and input shape."""
    symbols = {name: make_symbol(name, s.integer) for name, s in spec.symbols.items()}
    input_shape = tuple(to_sympy(node, symbols) for node in spec.input)
    deriver = _Deriver(spec, symbols)
    deriver.shapes = {NETWORK_INPUT: input_shape}
    nodes = [deriver.node(node, node, deriver.shapes, ()) for node in spec.tree]
    return Network(spec, symbols, input_shape, nodes, deriver)


def _substitute(value, subs: dict):
    if isinstance(value, tuple):
        return tuple(_substitute(v, subs) for v in value)
    return value.xreplace(subs) if isinstance(value, sympy.Basic) else value


def _sympy_arg(value, kind: Kind, rounding: str, symbols: dict):
    if value is None or isinstance(value, (bool, str)):
        return value
    if kind is Kind.CHANNELS:
        return round_channels(to_sympy(value, symbols), rounding)
    if isinstance(value, tuple):
        return tuple(to_sympy(v, symbols) for v in value)
    return to_sympy(value, symbols)


def preset_values(spec: NetworkSpec, preset: str) -> dict[str, Fraction]:
    """A preset's symbol values (`presets:` in the spec)."""
    if preset not in spec.presets:
        known = ", ".join(spec.presets) or "none"
        raise SpecError(f"unknown preset {preset!r} (presets: {known})", file=spec.file)
    return dict(spec.presets[preset].values)


def resolve_values(spec: NetworkSpec, overrides: dict, preset: str | None = None) -> dict[str, Fraction]:
    """Symbol values: the spec's defaults, then a preset's values, overridden by `overrides`
    (symbol name -> a Python number or number text; a float is the exact decimal of its shortest
    repr, see `expr.exact_number`). A bad value raises SpecError, a value or mapping of the wrong
    type TypeError."""
    from collections.abc import Mapping

    if not isinstance(overrides, Mapping):
        raise TypeError(f"values: expected a mapping of symbol name to number, got {type(overrides).__name__}")
    values = {**spec.defaults(), **(preset_values(spec, preset) if preset is not None else {})}
    for name, raw in overrides.items():
        if name not in spec.symbols:
            declared = ", ".join(spec.symbols) or "none"
            raise SpecError(f"unknown symbol {name!r} (declared symbols: {declared})", file=spec.file)
        value = parse_value(raw, f"value of {name}", program=True)
        if value <= 0:
            raise SpecError(f"{name} must be positive, got {value}", file=spec.file)
        if spec.symbols[name].integer and value.denominator != 1:
            raise SpecError(f"{name} is an integer symbol, got {value}", file=spec.file)
        values[name] = value
    return values
