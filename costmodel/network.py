"""Thread symbolic shapes through the layer graph and collect each layer's closed-form costs.

`build(spec)` calls each layer's formula from the ops registry on sympy shapes, giving a
`Network` whose per-layer fields and totals are expressions in the spec's symbols.
`Network.evaluate(values)` substitutes numbers, runs the independent reference propagator on the
same spec and values, and refuses to return unless the two agree field by field (check.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy

from . import check, reference
from .errors import SpecError
from .ops import Kind, category_of, lookup
from .spec import NETWORK_INPUT, LayerSpec, NetworkSpec, parse_value
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
    """A spec's closed-form costs: per layer (`layers`) and in total (`total`)."""

    def __init__(self, spec: NetworkSpec, symbols: dict, input_shape: tuple, layers: list[LayerCost]):
        self.spec = spec
        self.symbols = symbols
        self.input_shape = input_shape
        self.layers = layers
        self._totals: dict = {}

    def total(self, metric: str, *, smooth_form: bool = False) -> sympy.Expr:
        """Closed-form total of `params`, `params_non_trainable`, `macs`, `flops` or `floats_out`.
        The exact form carries channel rounding; `smooth_form=True` drops it."""
        if metric == "flops":
            return 2 * self.total("macs", smooth_form=smooth_form)
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}, flops")
        if metric not in self._totals:
            self._totals[metric] = sympy.Add(*(getattr(layer, metric) for layer in self.layers))
        value = self._totals[metric]
        return readable(smooth(value)) if smooth_form else value

    def formula(self, metric: str, *, smooth_form: bool = False) -> str:
        """A total as readable text (expanded)."""
        return str(readable(self.total(metric, smooth_form=smooth_form)))

    def values(self, overrides: dict | None = None) -> dict[str, Fraction]:
        return resolve_values(self.spec, overrides or {})

    def evaluate(self, values: dict | None = None, *, verify: bool = True) -> "Evaluation":
        """Numbers for the given symbol values (defaults for the rest), checked against the
        reference propagator unless `verify=False`."""
        resolved = self.values(values)
        subs = {self.symbols[name]: sympy.Rational(v.numerator, v.denominator) for name, v in resolved.items()}
        expected = reference.propagate(self.spec, resolved)  # also validates shapes; raises SpecError
        try:
            return Evaluation(self, resolved, self._rows(subs, expected, verify))
        except RecursionError:
            raise SpecError("closed forms nested too deeply to evaluate", file=self.spec.file) from None

    def _rows(self, subs: dict, expected: list, verify: bool) -> list:
        rows = []
        for layer, ref in zip(self.layers, expected, strict=True):
            got = {
                "shape": tuple(check.as_int(v, subs) for v in layer.shape),
                **{m: check.as_int(getattr(layer, m), subs) for m in (*METRICS, "floats_in")},
            }
            if verify:
                check.compare(layer.spec, got, ref)
            rows.append(LayerRow(index=layer.spec.index, name=layer.spec.name, type=layer.spec.type,
                                 inputs=layer.spec.inputs, stage=layer.spec.stage, category=layer.category(subs),
                                 **got))
        return rows


class Evaluation:
    """Per-layer rows and totals for one choice of symbol values."""

    def __init__(self, network: Network, values: dict, rows: list[LayerRow]):
        self.network = network
        self.values = values
        self.rows = rows
        self.totals = Totals(
            params=sum(r.params for r in rows),
            params_non_trainable=sum(r.params_non_trainable for r in rows),
            macs=sum(r.macs for r in rows),
            floats_out=sum(r.floats_out for r in rows),
            peak_floats_out=max(r.floats_out for r in rows),
        )

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


def build(spec: NetworkSpec) -> Network:
    """Closed-form costs of every layer of a spec."""
    symbols = {name: make_symbol(name, s.integer) for name, s in spec.symbols.items()}
    input_shape = tuple(to_sympy(node, symbols) for node in spec.input)
    shapes = {NETWORK_INPUT: input_shape}
    layers = []
    for layer in spec.layers:
        op = lookup(layer.type)
        inputs = [shapes[name] for name in layer.inputs]
        args = {name: _sympy_arg(value, op.params[name].kind, layer.rounding, symbols)
                for name, value in layer.args.items()}
        try:
            cost = op.formula(inputs if op.many_inputs else inputs[0], args)
        except RecursionError:  # e.g. hundreds of strided layers on a symbolic resolution
            raise SpecError("shape expressions nested too deeply for a closed form", file=spec.file, line=layer.line,
                            column=layer.column, layer=f"{layer.index} '{layer.name}' ({layer.type})") from None
        except ValueError as e:  # Cost refused a negative size: the spec cannot fit for any values
            reference.propagate(spec, spec.defaults())  # raises the located, specific SpecError
            raise SpecError(str(e), file=spec.file, line=layer.line, column=layer.column,
                            layer=f"{layer.index} '{layer.name}' ({layer.type})") from None
        shapes[layer.name] = cost.shape
        floats_out = cost.shape[0] * cost.shape[1] * cost.shape[2]
        floats_in = sympy.Add(*(s[0] * s[1] * s[2] for s in inputs))
        layers.append(LayerCost(layer, cost.shape, cost.params, cost.params_non_trainable, cost.macs,
                                floats_out, floats_in, args))
    return Network(spec, symbols, input_shape, layers)


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


def resolve_values(spec: NetworkSpec, overrides: dict) -> dict[str, Fraction]:
    """Symbol values: the spec's defaults, overridden by `overrides` (numbers or number text)."""
    values = spec.defaults()
    for name, raw in overrides.items():
        if name not in spec.symbols:
            declared = ", ".join(spec.symbols) or "none"
            raise SpecError(f"unknown symbol {name!r} (declared symbols: {declared})", file=spec.file)
        value = raw if isinstance(raw, Fraction) else parse_value(raw, f"value of {name}")
        if value <= 0:
            raise SpecError(f"{name} must be positive, got {value}", file=spec.file)
        if spec.symbols[name].integer and value.denominator != 1:
            raise SpecError(f"{name} is an integer symbol, got {value}", file=spec.file)
        values[name] = value
    return values
