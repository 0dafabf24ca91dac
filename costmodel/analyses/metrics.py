"""Metrics beyond params and MACs, as sympy closed forms over a `network.Network`.

- memory access: floats read (the layer's inputs, its weights and batch-norm statistics) plus
  floats written (its output), ShuffleNet v2's measure (a 1x1 conv without bias: h*w*(c1 + c2) + c1*c2);
- receptive field and jump (effective stride) per axis, max over branches;
- live activations per step of the spec's execution order and their peak (a sympy Max);
- storage: parameter and activation bytes per precision;
- roofline: arithmetic intensity and max(MACs / peak, bytes / bandwidth) for a device profile;
- multi-exit: the cost to reach each exit (its ancestors in the DAG), cumulative and incremental,
  and the expected cost per input for exit fractions.

`evaluate(...)` substitutes numbers and checks every field against `reference_metrics`, the
independent numeric implementation (plain ints and Fractions), refusing to answer on a mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from fractions import Fraction

import sympy
import yaml

from .. import shipped
from ..errors import CheckError, SpecError
from ..expr import ExprError, exact_number
from ..network import Network
from ..ops import lookup
from ..spec import NETWORK_INPUT
from ..dtypes import DTYPE_BYTES  # noqa: F401 - part of this module's API
from ..symbolic import as_sympy

# --- device profiles -------------------------------------------------------------------------

@dataclass(frozen=True)
class Device:
    """A roofline device: peak multiply-accumulates per second, memory bandwidth in bytes per
    second, bytes per activation/weight element moved."""

    name: str
    peak_macs_per_second: Fraction
    memory_bandwidth: Fraction
    bytes_per_element: int

    def __post_init__(self):
        for field_ in ("peak_macs_per_second", "memory_bandwidth", "bytes_per_element"):
            if not getattr(self, field_) > 0:
                raise ValueError(f"device {self.name!r}: {field_} must be positive")


DEVICE_KEYS = {"name": "a label", "description": "free text",
               "peak_macs_per_second": "multiply-accumulates per second",
               "memory_bandwidth_bytes_per_second": "bytes per second",
               "bytes_per_element": "bytes per value moved: 4 (fp32), 2 (fp16), 1 (int8)"}
REQUIRED_DEVICE_KEYS = ("peak_macs_per_second", "memory_bandwidth_bytes_per_second", "bytes_per_element")


MAX_DEVICE_BYTES = 100_000  # a device profile is a few lines


def load_device(path) -> Device:
    """A device profile from YAML (yaml.safe_load), validated; errors name the file and key.
    `path` may also name a shipped profile (`example_device`): a file at that path wins."""
    from ..files import read_text

    where = str(path)
    path = shipped.resolve_profile(path)
    text = read_text(path, "device profile", MAX_DEVICE_BYTES)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SpecError(f"device profile is not valid YAML: {str(e).splitlines()[0]}", file=where) from None
    return device_from_dict(data, where)


def device_from_dict(data, where: str = "<device>") -> Device:
    if not isinstance(data, dict):
        raise SpecError(f"a device profile is a mapping with keys {', '.join(REQUIRED_DEVICE_KEYS)}", file=where)
    unknown = sorted(str(k) for k in data if k not in DEVICE_KEYS)
    if unknown:
        raise SpecError(f"unknown key {unknown[0]!r} in device profile (known: {', '.join(DEVICE_KEYS)})", file=where)
    missing = [k for k in REQUIRED_DEVICE_KEYS if k not in data]
    if missing:
        raise SpecError(f"device profile needs {missing[0]!r} ({DEVICE_KEYS[missing[0]]})", file=where)
    numbers = {k: _positive_number(data[k], k, where) for k in REQUIRED_DEVICE_KEYS}
    if numbers["bytes_per_element"].denominator != 1:
        raise SpecError(f"bytes_per_element must be a whole number, got {numbers['bytes_per_element']}", file=where)
    name = data.get("name", where)
    if not isinstance(name, str):
        raise SpecError(f"device name must be text, got {name!r}", file=where)
    return Device(name, numbers["peak_macs_per_second"], numbers["memory_bandwidth_bytes_per_second"],
                  int(numbers["bytes_per_element"]))


def _positive_number(value, key: str, where: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = " (YAML reads 1e12 as text: write 1.0e+12 or 1_000_000_000_000)" if isinstance(value, str) else ""
        raise SpecError(f"{key} must be a number, got {value!r}{hint}", file=where)
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError(f"{key} must be a finite number, got {value!r}", file=where)
    number = Fraction(value) if isinstance(value, int) else Fraction(repr(value))  # 0.1 means 1/10
    if number <= 0:
        raise SpecError(f"{key} must be positive, got {value!r}", file=where)
    return number


# --- closed forms ----------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerMetrics:
    """One layer's closed forms. `live` is the floats held while the layer runs (its inputs and
    every earlier tensor still awaited by a later layer, plus its output)."""

    name: str
    type: str
    reads: sympy.Expr
    writes: sympy.Expr
    weights: sympy.Expr
    rf: tuple  # (height, width) in input pixels
    jump: tuple  # (height, width): input pixels between adjacent outputs
    whole_input: bool  # a global pooling or dense layer (or after one): sees the whole input
    live: sympy.Expr

    @property
    def memory_access(self) -> sympy.Expr:
        return self.reads + self.writes


def _max(*args):
    """sympy Max; left unevaluated over symbolic terms (comparing hundreds of floor-laden sums is
    slow), it evaluates as soon as numbers are substituted."""
    args = [as_sympy(a) for a in args]
    if len(args) == 1:
        return args[0]
    if all(a.is_number for a in args):
        return sympy.Max(*args)
    return sympy.Max(*args, evaluate=False)


class Metrics:
    """Closed forms of the metrics of one network."""

    def __init__(self, network: Network):
        self.network = network
        layers = network.layers
        shapes = {NETWORK_INPUT: network.input_shape, **{l.spec.name: l.shape for l in layers}}
        net_h, net_w = network.input_shape[0], network.input_shape[1]
        fields = {NETWORK_INPUT: ((sympy.Integer(1), sympy.Integer(1)), (sympy.Integer(1), sympy.Integer(1)), False)}
        live = self._live(network)
        self.layers: list[LayerMetrics] = []
        for layer, live_floats in zip(layers, live):
            spec = layer.spec
            rf, jump, whole = self._field(layer, [fields[n] for n in spec.inputs],
                                          [shapes[n] for n in spec.inputs], (net_h, net_w))
            fields[spec.name] = (rf, jump, whole)
            weights = layer.params + layer.params_non_trainable  # every stored value the layer reads
            self.layers.append(LayerMetrics(spec.name, spec.type, reads=layer.floats_in + weights,
                                            writes=layer.floats_out, weights=weights, rf=rf, jump=jump,
                                            whole_input=whole, live=live_floats))

    # memory access -----------------------------------------------------------------------

    def memory_access_total(self) -> sympy.Expr:
        return sympy.Add(*(m.memory_access for m in self.layers))

    # receptive field ---------------------------------------------------------------------

    def _field(self, layer, inputs, in_shapes, net_hw):
        """(rf, jump, whole_input) of a layer from those of its inputs, by its family's step
        (`OpDef.receptive` in ops/<family>.py). A 1x1 input broadcast over a larger output
        (multiply's channel weights) widens the field but does not set the grid's jump."""
        spec = layer.spec
        whole = any(f[2] for f in inputs)
        rf = tuple(_max(*(f[0][axis] for f in inputs)) for axis in (0, 1))
        out_hw = tuple(layer.shape[:2])
        grid = [f for f, s in zip(inputs, in_shapes) if tuple(s[:2]) != (1, 1) or out_hw == (1, 1)] or inputs
        jump = tuple(_max(*(f[1][axis] for f in grid)) for axis in (0, 1))
        in_shape = in_shapes[0]
        op = lookup(spec.type)
        if op is None or op.receptive is None:
            raise SpecError(f"no receptive-field rule for layer type {spec.type!r}", file=self.network.spec.file,
                            line=spec.line, layer=f"{spec.index} '{spec.name}' ({spec.type})")
        span, stride, sees_all = op.receptive(layer.args, in_shape, layer.shape)
        # each output sees `span` more input-grid steps than its input position did, `jump` pixels apart
        rf = tuple(rf[a] + span[a] * jump[a] for a in (0, 1))
        jump = tuple(jump[a] * stride[a] for a in (0, 1))
        whole = whole or sees_all
        if whole:
            rf = tuple(net_hw)
        return rf, jump, whole

    # peak activation memory --------------------------------------------------------------

    @staticmethod
    def _live(network: Network) -> list:
        """Floats live at each step: a tensor lives from the step that writes it (the network
        input: from the start) through its last reader; one nobody reads lives only in its step."""
        position = {NETWORK_INPUT: 0, **{l.spec.name: i for i, l in enumerate(network.layers, 1)}}
        last = dict(position)
        for i, layer in enumerate(network.layers, 1):
            for name in layer.spec.inputs:
                last[name] = max(last[name], i)
        h, w, c = network.input_shape
        size = {NETWORK_INPUT: h * w * c, **{l.spec.name: l.floats_out for l in network.layers}}
        steps = []
        for i, layer in enumerate(network.layers, 1):
            held = [name for name in size if (position[name] < i <= last[name]) or name == layer.spec.name]
            steps.append(sympy.Add(*(size[name] for name in held)))
        return steps

    def peak_live(self) -> sympy.Expr:
        """Peak activation floats of a forward pass: Max over the steps."""
        return _max(*(m.live for m in self.layers))

    # storage ----------------------------------------------------------------------------

    def param_bytes(self, bytes_per_element: int) -> sympy.Expr:
        return bytes_per_element * sympy.Add(*(m.weights for m in self.layers))

    # roofline ---------------------------------------------------------------------------

    def roofline(self, device: Device) -> list[tuple]:
        """Per layer (compute time, memory time, bound = Max of the two) in seconds."""
        peak = sympy.Rational(device.peak_macs_per_second.numerator, device.peak_macs_per_second.denominator)
        bandwidth = sympy.Rational(device.memory_bandwidth.numerator, device.memory_bandwidth.denominator)
        result = []
        for layer, m in zip(self.network.layers, self.layers):
            compute = layer.macs / peak
            memory = m.memory_access * device.bytes_per_element / bandwidth
            result.append((compute, memory, _max(compute, memory)))
        return result

    # multi-exit ---------------------------------------------------------------------------

    def ancestors(self, exit_name: str) -> list[int]:
        """Indices (0-based, in order) of the exit layer and every layer it depends on."""
        index = {l.spec.name: i for i, l in enumerate(self.network.layers)}
        if exit_name not in index:
            raise SpecError(f"exit {exit_name!r} is not a layer of {self.network.spec.name}",
                            file=self.network.spec.file)
        seen, todo = set(), [exit_name]
        while todo:
            name = todo.pop()
            if name == NETWORK_INPUT or name in seen:
                continue
            seen.add(name)
            todo.extend(self.network.layers[index[name]].spec.inputs)
        return sorted(index[n] for n in seen)

    def exit_costs(self, exits: list[str]) -> list[dict]:
        """Per exit: MACs and params to reach it alone, cumulatively (exits 1..k, each layer
        counted once) and incrementally (cumulative k minus cumulative k-1)."""
        layers = self.network.layers
        rows, reached = [], set()
        previous = {"macs": sympy.Integer(0), "params": sympy.Integer(0)}
        for name in exits:
            own = self.ancestors(name)
            reached |= set(own)
            row = {"name": name, "layers": len(own)}
            for metric in ("macs", "params"):
                row[metric] = sympy.Add(*(getattr(layers[i], metric) for i in own))
                row[f"cumulative_{metric}"] = sympy.Add(*(getattr(layers[i], metric) for i in sorted(reached)))
                row[f"incremental_{metric}"] = row[f"cumulative_{metric}"] - previous[metric]
                previous[metric] = row[f"cumulative_{metric}"]
            rows.append(row)
        return rows

    def expected_macs(self, exits: list[str], fractions: list[Fraction]) -> sympy.Expr:
        """Expected MACs per input when fraction f_k of the inputs leaves at exit k: every input
        runs everything up to its exit, earlier exits' classifiers included."""
        check_fractions(exits, fractions)
        rows = self.exit_costs(exits)
        return sympy.Add(*(sympy.Rational(f.numerator, f.denominator) * r["cumulative_macs"]
                           for f, r in zip(fractions, rows)))


def check_fractions(exits, fractions) -> None:
    if len(fractions) != len(exits):
        raise SpecError(f"{len(fractions)} exit fractions for {len(exits)} exits", file="--fractions")
    if any(f < 0 for f in fractions):
        raise SpecError("exit fractions must be non-negative", file="--fractions")
    if sum(fractions) != 1:
        raise SpecError(f"exit fractions must sum to 1, got {sum(fractions)}", file="--fractions")


# --- numbers, checked ----------------------------------------------------------------------

def _exact(value) -> Fraction:
    """An exit fraction as an exact number: 0.3 means 3/10 (`expr.exact_number`)."""
    try:
        return exact_number(value)
    except TypeError:
        raise TypeError(f"fractions: expected numbers, got {type(value).__name__}") from None
    except ExprError as e:
        raise SpecError(f"an exit fraction must be a finite number: {e}", file="--fractions") from None


def _number(expr, subs) -> Fraction:
    value = expr.xreplace(subs) if isinstance(expr, sympy.Basic) and expr.free_symbols else as_sympy(expr)
    if not value.is_Rational:
        value = value.doit()
    if not value.is_Rational:
        raise CheckError(f"closed form {expr} did not evaluate to a rational number (got {value})")
    return Fraction(int(value.p), int(value.q))


def _int_or_fraction(x: Fraction):
    return x.numerator if x.denominator == 1 else x


def numbers(metrics: Metrics, values: dict, *, dtype: str = "fp32", device: Device | None = None,
            exits: list[str] | None = None, fractions: list[Fraction] | None = None) -> dict:
    """The symbolic side's numbers, in the same layout as reference_metrics.compute."""
    if dtype not in DTYPE_BYTES:
        raise SpecError(f"unknown dtype {dtype!r} (known: {', '.join(DTYPE_BYTES)})")
    size = DTYPE_BYTES[dtype]
    moved = device.bytes_per_element if device else size
    net = metrics.network
    subs = {net.symbols[n]: sympy.Rational(v.numerator, v.denominator) for n, v in values.items()}
    num = lambda e: _int_or_fraction(_number(e, subs))  # noqa: E731
    roof: list = metrics.roofline(device) if device else [None] * len(metrics.layers)
    layers = []
    for layer, m, r in zip(net.layers, metrics.layers, roof):
        row = {"name": m.name, "type": m.type, "reads": num(m.reads), "writes": num(m.writes),
               "memory_access": num(m.memory_access),
               "rf": tuple(num(x) for x in m.rf), "jump": tuple(num(x) for x in m.jump),
               "whole_input": m.whole_input, "live": num(m.live),
               "param_bytes": num(size * m.weights), "activation_bytes": num(size * m.writes),
               "intensity": _int_or_fraction(_number(layer.macs / (m.memory_access * moved), subs))}
        if r is not None:
            compute, memory, bound = (_number(x, subs) for x in r)
            row.update(compute_time=compute, memory_time=memory, latency=bound,
                       bound="compute" if compute >= memory else "memory")
        layers.append(row)
    peak = num(metrics.peak_live())
    totals = {"memory_access": num(metrics.memory_access_total()), "peak_live": peak,
              "peak_layer": next(r["name"] for r in layers if r["live"] == peak),
              "param_bytes": num(metrics.param_bytes(size)),
              "activation_bytes": num(size * sympy.Add(*(m.writes for m in metrics.layers))),
              "peak_activation_bytes": num(size * metrics.peak_live())}
    if device:
        totals.update(compute_time=_number(sympy.Add(*(r[0] for r in roof)), subs),
                      memory_time=_number(sympy.Add(*(r[1] for r in roof)), subs),
                      latency=_number(sympy.Add(*(r[2] for r in roof)), subs),
                      compute_bound_layers=sum(r["bound"] == "compute" for r in layers),
                      memory_bound_layers=sum(r["bound"] == "memory" for r in layers))
    result = {"dtype": dtype, "bytes_per_element": size, "bytes_moved_per_element": moved,
              "layers": layers, "totals": totals}
    if exits:
        result["exits"] = [{k: (v if k in ("name", "layers") else num(v)) for k, v in row.items()}
                           for row in metrics.exit_costs(exits)]
        if fractions is not None:
            result["expected_macs"] = num(metrics.expected_macs(exits, fractions))
    return result


def compare(symbolic: dict, reference: dict) -> None:
    """Raise CheckError naming every field where the two sides differ."""
    problems = []
    for key in sorted(set(symbolic) | set(reference)):
        if key in ("layers", "exits"):
            a, b = symbolic.get(key, []), reference.get(key, [])
            if len(a) != len(b):
                problems.append(f"{key}: {len(a)} rows symbolic vs {len(b)} reference")
                continue
            for row_a, row_b in zip(a, b):
                for field_ in sorted(set(row_a) | set(row_b)):
                    if row_a.get(field_) != row_b.get(field_):
                        problems.append(f"{key} {row_a.get('name')!r} {field_}: symbolic {row_a.get(field_)!r} "
                                        f"!= reference {row_b.get(field_)!r}")
        elif key == "totals":
            for field_ in sorted(set(symbolic[key]) | set(reference.get(key, {}))):
                if symbolic[key].get(field_) != reference[key].get(field_):
                    problems.append(f"total {field_}: symbolic {symbolic[key].get(field_)!r} "
                                    f"!= reference {reference[key].get(field_)!r}")
        elif symbolic.get(key) != reference.get(key):
            problems.append(f"{key}: symbolic {symbolic.get(key)!r} != reference {reference.get(key)!r}")
    if problems:
        raise CheckError("metrics disagree: " + "; ".join(problems[:10])
                         + (f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""))


def evaluate(network: Network, values: dict | None = None, *, dtype: str = "fp32", device: Device | None = None,
             exits: list[str] | None = None, fractions: list[Fraction] | None = None,
             verify: bool = True) -> dict:
    """Every metric for one configuration (symbol defaults overridden by `values`), checked
    against reference_metrics unless `verify=False`. `network` may also be a path or a NetworkSpec."""
    from .. import load_network, reference_metrics

    network = load_network(network)
    if device is not None and not isinstance(device, Device):
        raise TypeError(f"device: expected a metrics.Device (see load_device), got {type(device).__name__}")
    if exits is not None and (isinstance(exits, str) or not all(isinstance(e, str) for e in exits)):
        raise TypeError(f"exits: expected a list of layer names, got {type(exits).__name__}")
    network = network.for_values(values)  # the tree of the options `values` choose
    resolved = network.values(values)
    network = network.at(resolved)  # repeat counts over symbols: the metrics of this configuration's network
    if fractions is not None and not exits:
        raise SpecError("exit fractions given without exits")
    if fractions is not None:
        fractions = [_exact(f) for f in fractions]
        check_fractions(exits, fractions)
    # the reference first: it refuses a configuration that does not fit with a located SpecError
    theirs = reference_metrics.compute(network.spec, resolved, dtype=dtype, device=device, exits=exits,
                                       fractions=fractions) if verify else None
    ours = numbers(Metrics(network), resolved, dtype=dtype, device=device, exits=exits, fractions=fractions)
    if theirs is not None:
        compare(ours, theirs)
    ours["values"] = resolved
    return ours
