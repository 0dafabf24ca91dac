"""A spec's costs: numbers for chosen symbol values, checked, and its closed forms.

`Network.evaluate(values)` runs each layer's formula from the ops registry on plain exact numbers
(no sympy), runs the independent reference propagator on the same spec and values, and refuses to
return unless the two agree field by field (check.py). The closed forms (closedform.py, sympy) are
derived when asked for: totals, formulas, sweeps, solve; `evaluate(..., closed_forms=True)`
substitutes them instead, which is how the tests hold every closed form to the reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from . import check, reference
from .errors import CheckError, SpecError
from .expr import IN_CHANNELS
from .ops import Kind, category_of, lookup
from .ops.arith import round_channels, value_of
from .spec import (MAX_REPEAT, MAX_SYMBOL_VALUE, NETWORK_INPUT, Instance, LayerSpec, NetworkSpec, check_choice, flatten,
                   parse_value)
from .spec.model import leaves_written
from .spec.source import collector_paused

METRICS = ("params", "params_non_trainable", "macs", "floats_out")


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
    """A spec's costs. Numbers (`evaluate`) come from the layer formulas run on plain exact numbers,
    checked against the reference propagator: no sympy. The closed forms (`total`, `nodes`,
    `layers`, ...) are derived with sympy the first time they are asked for (closedform.py), kept
    as the spec's tree: a repeat whose later iterations keep their input's shape is derived once
    per iteration kind and multiplied, first + (count - 1) * rest."""

    def __init__(self, spec: NetworkSpec, variants: dict | None = None):
        self.spec = spec
        self._derived = None
        self._totals: dict = {}
        self._forms: dict = {}  # the totals' smooth and display forms, as total/formula give them
        self._static: dict = {}
        self._evaluations = 0  # checked evaluations so far: the FAST_AFTER-th compiles the fast path
        self._fast = None  # fastpath.FastPath once compiled; False when this network cannot have one
        # the networks of the spec's other option values, shared by all of them: each tree built once
        self._variants = variants if variants is not None else {_key(spec.option_values): self}

    def for_values(self, values: Mapping[str, Any] | None = None, preset: str | None = None) -> "Network":
        """The network of the spec built for the options that `values` and `preset` choose (the
        preset's, then any option named in `values`; the others as this tree's): self when they
        are this one's, else that tree, built once and kept. Symbol values are not read."""
        if not self.spec.options:
            return self
        assignment = option_values(self.spec, values or {}, preset)
        key = _key(assignment)
        if key not in self._variants:
            self._variants[key] = Network(self.spec.with_options(assignment), self._variants)
        return self._variants[key]

    # --- the closed forms, derived on first use ---

    @property
    def _deriver(self):
        if self._derived is None:
            from .closedform import derive
            self._derived = derive(self.spec)
        return self._derived

    @property
    def symbols(self) -> dict:
        """The spec's symbols by name: the plain `sympy.Symbol(name)` the closed forms are given in
        (derived with positive and integer assumptions, then rebuilt in plain symbols), so
        `sympy.Symbol("alpha")`, `net.symbols["alpha"]` and the name "alpha" all substitute."""
        return self._deriver.symbols

    @property
    def input_shape(self) -> tuple:
        return self._deriver.input_shape

    @property
    def nodes(self) -> list:
        """The derived tree: closedform.LayerNode, GroupNode and RepeatNode."""
        return self._deriver.nodes

    @property
    def layers(self) -> list:
        """Every layer's closed forms in order, repeats unrolled (when no count depends on a symbol)."""
        if "layers" not in self._static:
            self._static["layers"] = [self.cost_of(leaf) for leaf in self.spec.unrolled.leaves()]
        return self._static["layers"]

    def _template_cost(self, leaf: Instance):
        modes = self._deriver.modes
        path = tuple((rid, k if modes[rid] == "unrolled" else min(k, 2)) for rid, k in leaf.path)
        return self._deriver.costs[(id(leaf.template), path)]

    def cost_of(self, leaf: Instance):
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
        from .closedform import LayerNode, RepeatNode, at_least_two
        import sympy

        def walk(node, presence):
            if isinstance(node, LayerNode):
                yield node.cost, presence
            elif isinstance(node, RepeatNode) and node.iterations is None:
                yield from walk(node.first, presence)
                yield from walk(node.rest, presence * at_least_two(node.count))
            else:
                for child in node.children():
                    yield from walk(child, presence)
        for top in self.nodes:
            yield from walk(top, sympy.Integer(1))

    def at(self, values: Mapping[str, Any] | None = None) -> "Network":
        """This network with every symbolic repeat count fixed at `values` (self when there is none)."""
        if not self.spec.symbolic_repeats:
            return self
        resolved = self.values(values)
        counts: dict = {}
        fixed = self.spec.at(lambda rep: counts.setdefault(id(rep), self.count_of(rep, resolved)))
        key = tuple(sorted(counts.items()))
        if key not in self._static:
            self._static[key] = Network(fixed)
        return self._static[key]

    def total(self, metric: str, values: Mapping[str, Any] | None = None, *, smooth_form: bool = False,
              preset: str | None = None, **symbol_values: Any):
        """Closed-form total of `params`, `params_non_trainable`, `macs`, `flops` or `floats_out`, a
        sympy expression in plain symbols (`sympy.Symbol("alpha")`; `.subs("alpha", 0.5)` works). The
        exact form carries channel rounding; `smooth_form=True` drops it.

        Given values (`total("macs", alpha=0.5)`, a mapping, or a preset), the number instead: the
        closed form at those values, the other symbols at their defaults, as an int checked against
        `evaluate` (the reference propagator) at the same values; with `smooth_form=True` the smooth
        form's exact value (an int or a Fraction: nothing to check it against)."""
        if not isinstance(metric, str):
            raise TypeError(f"metric: expected a str, got {type(metric).__name__}")
        if values is not None or symbol_values or preset is not None:
            if values is not None and not isinstance(values, Mapping):
                raise TypeError(f"values: expected a mapping of symbol name to number, got {type(values).__name__}")
            return self._total_at({**(values or {}), **symbol_values}, metric, smooth_form, preset)
        if metric == "flops":
            return 2 * self.total("macs", smooth_form=smooth_form)
        if metric not in METRICS:
            raise SpecError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}, flops")
        if metric not in self._totals:
            import sympy
            self._totals[metric] = sympy.Add(*(node.total(metric) for node in self.nodes))
        value = self._totals[metric]
        return self._smooth_total(metric) if smooth_form else value

    def _smooth_total(self, metric: str):
        """readable(smooth(total)), kept; the totals' smooth walks share one memo (and most nodes)."""
        from .symbolic import smooth
        memo = self._forms.setdefault("smooth memo", {})
        return self._readable_kept(("smooth", metric), lambda: smooth(self._totals[metric], memo))[0]

    def _readable_kept(self, key, make) -> tuple:
        """(symbolic.readable(value), whether it expanded) for the value `make()` gives, kept."""
        if key not in self._forms:
            import sympy
            from .symbolic import expand, expands
            value = make()
            expanded = isinstance(value, sympy.Basic) and expands(value)
            memo = self._forms.setdefault("expand memo", {})  # the totals share most nodes
            self._forms[key] = (expand(value, memo) if expanded else value, expanded)
        return self._forms[key]

    def _total_at(self, values: dict, metric: str, smooth_form: bool, preset: str | None):
        """A total's closed form at these values (others at a preset's or the defaults), checked."""
        form = self.total(metric, smooth_form=smooth_form)  # an unknown metric fails first
        resolved = self.values(values, preset)
        subs = self.substitutions(resolved)  # symbolic repeat counts too: first + (count - 1) * rest
        if smooth_form:
            number = form.xreplace(subs)
            return int(number) if number.is_Integer else Fraction(int(number.p), int(number.q))
        closed = check.as_int(form, subs)
        totals = self.evaluate(resolved).totals
        checked = 2 * totals.macs if metric == "flops" else getattr(totals, metric)
        if closed != checked:
            raise CheckError(f"total {metric}: closed form {closed} != {checked}, the reference's")
        return closed

    def formula(self, metric: str, *, smooth_form: bool = False, printer=None) -> str:
        """A total as readable text (expanded). `printer`, a symbolic.OncePrinter, may be shared by
        the formulas of one report (they share most subexpressions); by default one of its own."""
        from .symbolic import OncePrinter
        return (printer or OncePrinter()).doprint(self._shown(metric, smooth_form))

    def _shown(self, metric: str, smooth_form: bool):
        """readable(total(metric, smooth_form)), the form `formula` prints, without expanding twice:
        - a smooth total is readable already, and readable leaves it as it is: above the limit it
          is the same form (so the same count), and an expanded form expands to itself (sympy's
          expand repeats its hints until nothing changes);
        - the FLOPs are twice the MACs, and twice an expanded sum is expanded (sympy distributes a
          number over a sum's terms as it builds the product): 2 * expand(macs), which is
          expand(2 * macs), whenever the MACs' form expanded (the exact FLOPs' own count still
          decides whether they are shown expanded, as before)."""
        if metric != "flops":
            if smooth_form:
                return self.total(metric, smooth_form=True)
            return self._readable_kept(("shown", metric), lambda: self.total(metric))[0]
        if smooth_form:
            self.total("macs", smooth_form=True)
            macs, expanded = self._forms[("smooth", "macs")]
            return 2 * macs if expanded else self._readable_kept(("shown smooth", "flops"), lambda: 2 * macs)[0]
        macs, expanded = self._readable_kept(("shown", "macs"), lambda: self.total("macs"))
        if not expanded:
            return self._readable_kept(("shown", "flops"), lambda: self.total("flops"))[0]
        from .symbolic import expands
        key = ("shown", "flops")
        if key not in self._forms:
            flops = self.total("flops")
            self._forms[key] = (2 * macs, True) if expands(flops) else (flops, False)
        return self._forms[key][0]

    def substitutions(self, resolved: dict) -> dict:
        import sympy
        return {self.symbols[name]: sympy.Rational(v.numerator, v.denominator) for name, v in resolved.items()}

    # --- numbers ---

    def values(self, overrides: Mapping[str, Any] | None = None, preset: str | None = None) -> dict[str, Fraction]:
        return resolve_values(self.spec, overrides or {}, preset)

    def count_of(self, repeat, resolved: dict) -> int:
        """A repeat's count for these values: a whole number from 1 to MAX_REPEAT, or a located error."""
        try:
            value = value_of(repeat.count, resolved)
        except ZeroDivisionError:
            value = None
        return checked_count(repeat, value, self.spec)

    def evaluate(self, values: Mapping[str, Any] | None = None, *, verify: bool = True, preset: str | None = None,
                 closed_forms: bool = False) -> "Evaluation":
        """Numbers for the given symbol values (a preset's, then defaults, for the rest), checked against
        the reference propagator unless `verify=False`. The numbers come from the layer formulas on plain
        numbers; `closed_forms=True` takes them from the closed forms instead (substituted), which also
        checks the closed-form totals, repeat counts inside, against the sum of the rows."""
        fast = self._fast
        if fast and type(values) is dict and verify and not closed_forms and preset is None and not self.spec.options:
            resolved = _plain_values(self.spec, values)  # the warm loop's call, resolved as resolve_values does
            if resolved is not None:
                evaluation = fast.evaluate(resolved, None)
                if evaluation is not None:
                    return evaluation
        configured = self.for_values(values, preset)
        if configured is not self:  # an option chooses another tree
            return configured.evaluate(values, verify=verify, preset=preset, closed_forms=closed_forms)
        resolved = self.values(values, preset)
        if verify and not closed_forms:
            fast = self._fast_path()
            if fast:
                evaluation = fast.evaluate(resolved, preset)
                if evaluation is not None:
                    return evaluation
        with collector_paused():  # a 100,000-layer network makes a million objects, no cyclic garbage
            return self._evaluate(resolved, verify, preset, closed_forms)

    def _evaluate(self, resolved: dict, verify: bool, preset, closed_forms: bool) -> "Evaluation":
        expected = reference.propagate(self.spec, resolved) if verify else None  # validates; raises SpecError
        try:
            if closed_forms:
                subs = self.substitutions(resolved)
                unrolled = flatten(self.spec.tree, lambda rep: self.count_of(rep, resolved))
                evaluation = Evaluation(self, resolved, self._closed_rows(unrolled, subs, expected), unrolled, preset)
                if verify:
                    self._check_totals(evaluation, subs)
                return evaluation
            unrolled = self.spec.unrolled if not self.spec.symbolic_repeats else \
                flatten(self.spec.tree, lambda rep: self.count_of(rep, resolved))
            rows = _Numbers(self.spec, resolved).rows(unrolled, expected)
            if self.spec.symbolic_repeats:
                _shape_kept(self.spec, unrolled, rows)
            return Evaluation(self, resolved, rows, unrolled, preset)
        except RecursionError:
            raise SpecError("closed forms nested too deeply to evaluate", file=self.spec.file) from None

    def _fast_path(self):
        """The compiled fast path (fastpath.py), made at the FAST_AFTER-th checked evaluation of a
        network of at most fastpath.MAX_LAYERS layers; None before, False when there is none."""
        if self._fast is None:
            from . import fastpath
            self._evaluations += 1
            if self._evaluations < fastpath.FAST_AFTER:
                return None
            self._fast = False
            if sum(1 for _ in leaves_written(self.spec.tree)) <= fastpath.MAX_LAYERS and \
                    (self.spec.symbolic_repeats or len(self.spec.layers) <= fastpath.MAX_LAYERS):
                try:
                    self._fast = fastpath.FastPath(self)
                except (fastpath.Unsupported, SpecError, RecursionError):
                    self._fast = False  # the slow path decides, as before
        return self._fast

    def _closed_rows(self, unrolled: Instance, subs: dict, expected: list | None) -> list:
        rows, numbers = [], {}
        leaves = list(unrolled.leaves())
        _same_count(leaves, expected)
        for i, leaf in enumerate(leaves):
            template = self._template_cost(leaf)
            if id(template) not in numbers:  # one substitution per distinct closed form
                numbers[id(template)] = (
                    {"shape": tuple(check.as_int(v, subs) for v in template.shape),
                     **{m: check.as_int(getattr(template, m), subs) for m in (*METRICS, "floats_in")}},
                    template.category(subs))
            got, category = numbers[id(template)]
            rows.append(_row(leaf.layer, got, category, None if expected is None else expected[i]))
        return rows

    def _check_totals(self, evaluation: "Evaluation", subs: dict) -> None:
        """The closed-form totals (repeat counts inside) against the sum of the checked rows: a repeat
        unrolled a wrong number of times cannot pass."""
        for metric in METRICS:
            closed = check.as_int(self.total(metric), subs)
            summed = getattr(evaluation.totals, metric)
            if closed != summed:
                raise CheckError(f"total {metric}: closed form {closed} != sum of the layers {summed}")

    # --- in a notebook or a REPL (outputs/notebook.py): numbers only, no closed form derived ---

    def defaults_evaluation(self) -> "Evaluation":
        """The evaluation at the symbols' defaults, kept (what a notebook shows for the network)."""
        if "defaults" not in self._static:
            self._static["defaults"] = self.evaluate()
        return self._static["defaults"]

    def __repr__(self) -> str:
        from .outputs.notebook import network_summary
        return f"<{network_summary(self)}>"

    def _repr_markdown_(self) -> str:
        from .outputs.notebook import network_markdown
        return network_markdown(self)

    def _repr_html_(self) -> str:
        from .outputs.notebook import network_html
        return network_html(self)

    def to_records(self, values: Mapping[str, Any] | None = None, *, preset: str | None = None) -> list[dict[str, Any]]:
        """`evaluate(values, preset=...).to_records()`: one dict per layer."""
        return self.evaluate(values, preset=preset).to_records()

    def to_pandas(self, values: Mapping[str, Any] | None = None, *, preset: str | None = None):
        """`evaluate(values, preset=...).to_pandas()`: a DataFrame (needs the `pandas` extra)."""
        return self.evaluate(values, preset=preset).to_pandas()


class _Numbers:
    """The layer formulas on plain exact numbers, once per distinct (layer, input shapes)."""

    def __init__(self, spec: NetworkSpec, values: dict):
        self.spec = spec
        self.values = values
        self.memo: dict = {}
        self.tokens: dict = {}  # id of a layer's key -> (the key, kept alive; a small int equal keys share)
        self.kinds: dict = {}  # layer key -> that int

    def token(self, key: tuple) -> int:
        """A small int for a layer's key: copies of one layer share the key object, so it is hashed
        once, not once per copy (a key's expressions hash their Fractions, a modular inverse each)."""
        held = self.tokens.get(id(key))
        if held is None:
            held = self.tokens[id(key)] = (key, self.kinds.setdefault(key, len(self.kinds)))
        return held[1]

    def rows(self, unrolled: Instance, expected: list | None) -> list:
        leaves = list(unrolled.leaves())
        _same_count(leaves, expected)
        shapes = {NETWORK_INPUT: tuple(Fraction(value_of(node, self.values)) for node in self.spec.input)}
        # each output shape also as a key, whole sizes as ints (a Fraction's hash costs a modular
        # inverse), made once per distinct layer rather than once per layer that reads it
        keys = {NETWORK_INPUT: _shape_key(shapes[NETWORK_INPUT])}
        rows = []
        for i, leaf in enumerate(leaves):
            layer = leaf.layer
            key = (self.token(layer.key), tuple(keys[name] for name in layer.inputs))
            known = self.memo.get(key)
            if known is None:
                inputs = tuple(shapes[name] for name in layer.inputs)
                got, category, out = self.derive(layer, inputs)
                known = self.memo[key] = (got, category, out, _shape_key(out))
            got, category, shapes[layer.name], keys[layer.name] = known
            rows.append(_row(layer, got, category, None if expected is None else expected[i]))
        return rows

    def derive(self, layer: LayerSpec, inputs: tuple):
        op = lookup(layer.type)
        values = self.values
        if len(inputs) == 1:  # `in_channels` in the layer's arguments: its input's channel count
            values = {**values, IN_CHANNELS: inputs[0][2]}
        args = {name: _number_arg(value, op.params[name].kind, layer.rounding, values)
                for name, value in layer.args.items()}
        cost = op.formula(list(inputs) if op.many_inputs else inputs[0], args)
        out = tuple(Fraction(v) for v in cost.shape)
        got = {"shape": tuple(_whole(v) for v in cost.shape), "params": _whole(cost.params),
               "params_non_trainable": _whole(cost.params_non_trainable), "macs": _whole(cost.macs),
               "floats_out": _whole(out[0] * out[1] * out[2]),
               "floats_in": _whole(sum(s[0] * s[1] * s[2] for s in inputs))}
        return got, category_of(op, args), out


def _shape_key(shape: tuple) -> tuple:
    return tuple(v.numerator if v.denominator == 1 else v for v in shape)


def _shape_kept(spec: NetworkSpec, unrolled: Instance, rows: list) -> None:
    """A repeat whose count depends on symbols has a closed form only if every iteration after the
    first keeps its input's shape; the numbers say the same as the closed forms would."""
    from .spec import Repeat
    shapes = {row.name: row.shape for row in rows}

    def walk(inst):
        template = inst.template
        if inst.kind == "repeat" and isinstance(template, Repeat) and template.symbolic and inst.count >= 2:
            before, after = (shapes[name] if name in shapes else shapes[unrolled.alias[name]]  # a nested repeat's
                             for name in (template.first.output, template.rest.output))  # output: its last layer
            if before != after:
                shown = lambda s: "x".join(str(v) for v in s)  # noqa: E731
                raise SpecError(f"repeat {template.name!r}: with a count that depends on symbols, every iteration after "
                                f"the first must keep its input's shape, but {shown(before)} becomes {shown(after)}",
                                file=spec.file, line=template.line, column=template.column)
        for child in inst.children:
            walk(child)

    walk(unrolled)


def _number_arg(value, kind: Kind, rounding: str, values: dict):
    """A layer argument as plain numbers (symbolic.to_sympy's twin on numbers: arith.value_of)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if kind is Kind.CHANNELS:
        return Fraction(round_channels(value_of(value, values), rounding))
    if isinstance(value, tuple):
        return tuple(value_of(v, values) for v in value)
    return value_of(value, values)


def _whole(value):
    """An exact number as an int when it is whole; anything else stays as it is and fails the check."""
    return int(value) if isinstance(value, (int, Fraction)) and value == int(value) else value


def _same_count(leaves: list, expected: list | None) -> None:
    if expected is not None and len(leaves) != len(expected):
        raise CheckError(f"this side unrolls {len(leaves)} layers, the reference {len(expected)}")


def _row(spec: LayerSpec, got: dict, category: str, ref: dict | None) -> "LayerRow":
    if ref is not None:
        if ref["name"] != spec.name:
            raise CheckError(f"layer {spec.index}: named {spec.name!r} here, {ref['name']!r} by the reference")
        check.compare(spec, got, ref)
    return LayerRow(index=spec.index, name=spec.name, type=spec.type, inputs=spec.inputs, stage=spec.stage,
                    category=category, **got)


class Evaluation:
    """Per-layer rows and totals for one choice of symbol values."""

    def __init__(self, network: Network, values: dict, rows: list[LayerRow], unrolled: Instance | None = None,
                 preset: str | None = None):
        self.network = network
        self.values = values
        self._rows: list[LayerRow] | None = rows
        self._pending: tuple | None = None  # the fast path's numbers, made into rows when first read
        self.preset = preset
        self.unrolled = unrolled if unrolled is not None else network.spec.unrolled
        self.totals = Totals(
            params=sum(r.params for r in rows),
            params_non_trainable=sum(r.params_non_trainable for r in rows),
            macs=sum(r.macs for r in rows),
            floats_out=sum(r.floats_out for r in rows),
            peak_floats_out=max(r.floats_out for r in rows),
        )

    @classmethod
    def checked(cls, network: Network, values: dict, numbers: tuple, totals: tuple, layout, fast,
                preset: str | None = None, source=None) -> "Evaluation":
        """An evaluation from the fast path (fastpath.py): `numbers` are the rows' fields, flat (or,
        with `source`, the reference's recording that returned them, its distinct numbers: its
        `expand` makes the rows), and `totals` their sums, all already agreed by the two sides;
        the rows are made when first read."""
        self = cls.__new__(cls)
        self.network, self.values, self.preset, self.unrolled = network, values, preset, layout.unrolled
        self._rows = None
        self._pending = (numbers, source, layout, fast)
        params, params_non_trainable, macs, floats_out = totals
        peak = max(numbers[6::8]) if source is None else max(source.peak(numbers))  # of the distinct floats out
        self.totals = Totals(params=params, params_non_trainable=params_non_trainable, macs=macs, floats_out=floats_out,
                             peak_floats_out=peak)
        return self

    @property
    def rows(self) -> list[LayerRow]:
        if self._rows is None:
            assert self._pending is not None  # made by `checked`
            numbers, source, layout, fast = self._pending
            if source is not None:
                numbers = source.expand(numbers)
            rows = []
            for i, (leaf, template) in enumerate(zip(layout.leaves, layout.templates)):
                n, layer = numbers[8 * i:8 * i + 8], leaf.layer
                rows.append(LayerRow(index=layer.index, name=layer.name, type=layer.type, inputs=layer.inputs,
                                     stage=layer.stage, category=fast.category(template, self.values),
                                     shape=tuple(n[:3]), params=n[3], params_non_trainable=n[4], macs=n[5],
                                     floats_out=n[6], floats_in=n[7]))
            self._rows = rows
        return self._rows

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

    # --- in a notebook or a REPL (outputs/notebook.py) ---

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per layer: index, name, type, inputs, stage, category, height, width, channels,
        params, params_non_trainable, macs, floats_out, floats_in (ints). No total row."""
        from .outputs.notebook import records
        return records(self)

    def to_pandas(self):
        """The records as a pandas DataFrame indexed by layer name (the `pandas` extra:
        pip install 'cnn-costmodel[pandas]'); its column sums are the totals."""
        from .outputs.notebook import to_pandas
        return to_pandas(self)

    def __repr__(self) -> str:
        from .outputs.notebook import text
        return text(self)

    def _repr_markdown_(self) -> str:
        from .outputs.notebook import markdown
        return markdown(self)

    def _repr_html_(self) -> str:
        from .outputs.notebook import html_table
        return html_table(self)


def checked_count(repeat, value: Fraction | None, spec) -> int:
    """A repeat count as an int: a whole number from 1 to MAX_REPEAT, else a located SpecError."""
    if value is None or value.denominator != 1 or not 1 <= value <= MAX_REPEAT:
        shown = "not a number" if value is None else str(value)
        raise SpecError(f"repeat {repeat.name!r}: the count must be a whole number from 1 to {MAX_REPEAT}, got {shown} "
                        f"(round it in the spec, e.g. ceil(...))", file=spec.file, line=repeat.line, column=repeat.column)
    return int(value)


def preset_values(spec: NetworkSpec, preset: str) -> dict[str, Fraction]:
    """A preset's symbol values and option values (`presets:` in the spec)."""
    if preset not in spec.presets:
        known = ", ".join(spec.presets) or "none"
        raise SpecError(f"unknown preset {preset!r} (presets: {known})", file=spec.file)
    return {**spec.presets[preset].values, **spec.presets[preset].options}


def option_values(spec: NetworkSpec, values: Mapping[str, Any], preset: str | None = None) -> dict[str, Fraction]:
    """The option values chosen: the tree's own (the defaults, for a spec as loaded), then the
    preset's, then any option named in `values` (each one of its choices, else a SpecError at the
    option's declaration)."""
    chosen = dict(spec.option_values)
    if preset is not None:
        chosen.update(preset_values(spec, preset))
        chosen = {name: value for name, value in chosen.items() if name in spec.options}
    for name, raw in values.items():
        if name in spec.options:
            try:
                chosen[name] = check_choice(spec.options[name], raw)
            except SpecError as e:
                raise e.located(file=spec.file) from None
    return chosen


def options_text(spec: NetworkSpec) -> str:
    """`use_bn=1`: the option values a tree is built for, for headers ('' without options)."""
    return ", ".join(f"{name}={value}" for name, value in spec.option_values.items())


def _key(assignment: dict) -> tuple:
    return tuple(sorted(assignment.items()))


def resolve_values(spec: NetworkSpec, overrides: Mapping[str, Any], preset: str | None = None) -> dict[str, Fraction]:
    """Symbol values: the spec's defaults, then a preset's values, overridden by `overrides`
    (symbol name -> a Python number or number text; a float is the exact decimal of its shortest
    repr, see `expr.exact_number`). A bad value raises SpecError, a value or mapping of the wrong
    type TypeError."""
    from collections.abc import Mapping

    if preset is None and type(overrides) is dict and not spec.options:
        plain = _plain_values(spec, overrides)
        if plain is not None:
            return plain
    if type(overrides) is not dict and not isinstance(overrides, Mapping):
        raise TypeError(f"values: expected a mapping of symbol name to number, got {type(overrides).__name__}")
    chosen = option_values(spec, overrides, preset)
    if chosen != spec.option_values:  # an option's value is this tree's, or the numbers would be another's
        other = ", ".join(f"{n}={v}" for n, v in chosen.items() if v != spec.option_values[n])
        raise SpecError(f"option {other}: this tree is built for {options_text(spec)}; an option selects the "
                        f"structure (Network.for_values builds the tree it chooses)", file=spec.file)
    values = {**spec.defaults(), **(preset_values(spec, preset) if preset is not None else {})}
    values = {name: value for name, value in values.items() if name in spec.symbols}
    for name, raw in overrides.items():
        if name in spec.options:
            continue  # checked above
        if name not in spec.symbols:
            declared = ", ".join(spec.symbols) or "none"
            also = f"; options: {', '.join(spec.options)}" if spec.options else ""
            raise SpecError(f"unknown symbol {name!r} (declared symbols: {declared}{also})", file=spec.file)
        if type(raw) in (int, Fraction) and abs(raw) <= MAX_SYMBOL_VALUE and raw.denominator.bit_length() <= 64:
            value = Fraction(raw)  # what parse_value gives for a plain exact number in range, 3x faster
        else:
            value = parse_value(raw, f"value of {name}", program=True)
        if value <= 0:
            raise SpecError(f"{name} must be positive, got {value}", file=spec.file)
        if spec.symbols[name].integer and value.denominator != 1:
            raise SpecError(f"{name} is an integer symbol, got {value}", file=spec.file)
        values[name] = value
    return values


def _plain_values(spec: NetworkSpec, overrides: dict) -> dict[str, Fraction] | None:
    """`resolve_values` for the common call of a warm loop: no preset, no options, each value an
    int or a Fraction of a declared symbol, in range and positive (an integer symbol's whole), as
    integer comparisons (a Fraction's own comparisons are Python code). None for anything else:
    `resolve_values` then decides, and refuses what it refuses."""
    symbols = spec.symbols
    values = {name: s.default for name, s in symbols.items()}
    for name, raw in overrides.items():
        kind = type(raw)
        if kind is int:
            if not 0 < raw <= MAX_SYMBOL_VALUE or name not in symbols:
                return None
            values[name] = Fraction(raw)
        elif kind is Fraction:
            n, d = raw.numerator, raw.denominator  # d > 0: a Fraction keeps its sign in n
            if not 0 < n <= MAX_SYMBOL_VALUE * d or d.bit_length() > 64 or name not in symbols or \
                    (d != 1 and symbols[name].integer):
                return None
            values[name] = raw  # a Fraction is immutable: the same value
        else:
            return None
    return values


def build(spec: NetworkSpec) -> Network:
    """A spec's Network (closed forms derived when first asked for)."""
    return Network(spec)
