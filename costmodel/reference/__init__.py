"""The independent reference propagator: shapes and costs with plain ints and exact fractions.

`propagate(spec, values)` walks the layers in order, evaluates every expression with the symbol
values given (its own evaluator, no sympy), checks that every size fits, and counts parameters,
MACs and activation volumes per layer. It shares no code with the symbolic formulas in `ops`
and `network` on purpose (it imports only the expression node classes, the reserved name `in_channels` and SpecError), and it
applies its own defaults to every argument the spec did not write (DEFAULTS below), so a wrong
default in the layer registry shows up too: `check` compares the two sides.

One file per layer family, named as in `ops/`: each holds its types' numeric rules (RULES), their
defaults (DEFAULTS) and receptive-field steps (FIELDS, read by `reference.metrics`). This file
merges them and walks the graph.

Every problem is a SpecError located at the layer (or at `input` for the network input).
"""

from __future__ import annotations

import math
from fractions import Fraction

from ..errors import SpecError
from ..expr import IN_CHANNELS
from ..spec.model import MAX_REPEAT, flatten
from . import conv, elementwise, linear, merge, norm, pool
from .numbers import _channels, _costs, _fmt, _integer, _pair, evaluate  # noqa: F401 - the reference's API
from .spatial import _spatial  # noqa: F401

NETWORK_INPUT = "input"  # the name a spec uses for the network's input
FAMILIES = (conv, pool, linear, norm, elementwise, merge)


def _merged(table: str) -> dict:
    """One family table (RULES, DEFAULTS or FIELDS) over all families; a type in two is a bug."""
    merged: dict = {}
    for family in FAMILIES:
        for type_, entry in getattr(family, table).items():
            if type_ in merged:
                raise ValueError(f"reference: layer type {type_!r} is in two families' {table}")
            merged[type_] = entry
    return merged


# The value of every optional argument a spec may leave out, by layer type: the README's
# conventions, written in the family files independently of the registry's defaults
# (spec.LayerSpec.written says which arguments the spec gave).
DEFAULTS = _merged("DEFAULTS")


def _defaults_of(framework: str) -> dict:
    """The reference's defaults under a spec's `defaults_of:`: DEFAULTS with each family's
    FRAMEWORK_DEFAULTS for that framework over them."""
    table = {type_: dict(args) for type_, args in DEFAULTS.items()}
    for family in FAMILIES:
        for type_, args in getattr(family, "FRAMEWORK_DEFAULTS", {}).get(framework, {}).items():
            table[type_] = {**table.get(type_, {}), **args}
    return table


DEFAULTS_OF = {framework: _defaults_of(framework) for framework in ("costmodel", "pytorch", "keras")}
RULES = _merged("RULES")  # type -> (args, input shapes, values, rounding) -> costs
FIELDS = _merged("FIELDS")  # type -> (args, values, input shape, output shape) -> receptive-field step
MANY_INPUTS = merge.MANY_INPUTS
ELEMENTWISE = elementwise.ELEMENTWISE


# --- the walk --------------------------------------------------------------------------------


def _input_shape(spec, values) -> tuple[int, int, int]:
    try:
        axes = zip(spec.input, ("height", "width", "channels"))
        height, width, channels = (_integer(node, values, f"input {what}") for node, what in axes)
        shape = (height, width, channels)
        _bounded(shape, "input")
        return shape
    except SpecError as e:
        raise SpecError(e.message, file=spec.file, line=spec.input_line,
                        column=getattr(spec, "input_column", None)) from None


MAX_DIMENSION = 2**40  # height, width or channels; beyond this a spec is a mistake (and its numbers huge)


def _bounded(shape, what: str = "output") -> None:
    if max(shape) > MAX_DIMENSION:
        raise SpecError(f"{what} {_fmt(shape)} has a dimension above 2**40 (too large to be a real network)")


def arguments(layer, defaults_of: str) -> dict:
    """The layer's arguments: the reference's own defaults (those of the spec's `defaults_of:`)
    for what the spec left out."""
    if defaults_of not in DEFAULTS_OF:
        raise SpecError(f"reference: no defaults for defaults_of {defaults_of!r}")
    return {**DEFAULTS_OF[defaults_of].get(layer.type, {}),
            **{name: value for name, value in layer.args.items() if name in layer.written}}


def _count(repeat, values, spec) -> int:
    """How many times a repeat runs at these values: a whole number from 1 to MAX_REPEAT."""
    try:
        n = evaluate(repeat.count, values)
    except SpecError as e:
        raise SpecError(f"repeat {repeat.name!r}: {e.message}", file=spec.file, line=repeat.line,
                        column=repeat.column) from None
    if n.denominator != 1 or not 1 <= n <= MAX_REPEAT:
        raise SpecError(f"repeat {repeat.name!r}: the count must be a whole number from 1 to {MAX_REPEAT}, got {n} "
                        f"(round it in the spec, e.g. ceil(...))", file=spec.file, line=repeat.line, column=repeat.column)
    return int(n)


def layer_values(values: dict, layer, shapes: dict) -> dict:
    """The symbol values, plus `in_channels` (the channel count of the layer's one input) for the
    layer's own arguments: the reference reads it from its own shapes."""
    if len(layer.inputs) != 1:
        return values
    return {**values, IN_CHANNELS: Fraction(shapes[layer.inputs[0]][2])}


_FLAT: dict = {}  # id(spec) -> (spec, [(repeat, count) asked in order], layers): the last unrolling per spec


def _layers(spec, values) -> list:
    """The spec's layers unrolled at the counts these values give (the reference's own `_count`).
    The last unrolling of a spec is kept with the counts flatten asked for, in order: when each
    of those repeats counts the same again, flatten would ask the same and build the same, so its
    layers are reused (a quarter of a MobileNet-CIFAR walk)."""
    kept = _FLAT.get(id(spec))
    if kept is not None and kept[0] is spec and all(_count(rep, values, spec) == n for rep, n in kept[1]):
        return kept[2]
    reused = _unrolled_as_counted(spec, values)
    if reused is not None:
        return reused
    asked = []

    def count_of(repeat):
        n = _count(repeat, values, spec)
        asked.append((repeat, n))
        return n
    layers = [leaf.layer for leaf in flatten(spec.tree, count_of).leaves()]
    if len(layers) <= 5_000:  # bounded memory: at most 16 small specs kept
        if len(_FLAT) >= 16:
            _FLAT.clear()
        _FLAT[id(spec)] = (spec, asked, layers)
    return layers


def _unrolled_as_counted(spec, values) -> list | None:
    """The layers of the spec's own unrolling (made once by its builder, read by the rows) when each
    of its repeats ran as many times as the reference counts at these values: flatten would make
    the same from those counts, so the layers are not unrolled twice. None when a count differs
    (the reference then unrolls at its own counts, and the rows' check sees the difference) or
    when counts depend on symbols."""
    if spec.symbolic_repeats:
        return None
    unrolled = spec.unrolled
    counted: dict = {}  # id of a written repeat -> the reference's count
    stack = [unrolled]
    while stack:
        node = stack.pop()
        if node.kind == "repeat":
            template = node.template
            if id(template) not in counted:
                counted[id(template)] = _count(template, values, spec)
            if node.count != counted[id(template)] or len(node.children) != node.count:
                return None
        stack.extend(child for child in node.children if child.children)  # a leaf holds no repeat
    return [leaf.layer for leaf in unrolled.leaves()]


def _where(layer) -> str:
    return f"{layer.index} '{layer.name}' ({layer.type})"


def propagate(spec, values: dict) -> list[dict]:
    """One dict per layer, in spec order: name, shape, params, params_non_trainable, macs,
    floats_out, floats_in (all ints). Raises SpecError for anything that does not fit."""
    values = {name: Fraction(v) for name, v in values.items()}
    shapes = {NETWORK_INPUT: _input_shape(spec, values)}
    volume = {NETWORK_INPUT: math.prod(shapes[NETWORK_INPUT])}
    try:
        layers = _layers(spec, values)
    except SpecError as e:  # the layer limit, found at the layer past it: located in this file
        if e.file is not None:
            raise
        raise SpecError(e.message, file=spec.file, line=e.line, column=e.column) from None
    rows = []
    # a layer's costs depend on its type, arguments, rounding, which arguments the spec wrote and its
    # input shapes (the values are this walk's): computed once per distinct such layer. Layers share
    # an arguments dict only when they are made from the same written values (a repeat's copies, the
    # same line written twice); the dict is alive for the walk, so its id cannot be reused
    derived: dict = {}
    for layer in layers:
        try:
            rule = RULES.get(layer.type)
            if rule is None:
                raise SpecError(f"reference propagator has no rule for layer type {layer.type}")
            missing = [name for name in layer.inputs if name not in shapes]
            if missing:
                raise SpecError(f"input {missing[0]!r} is not an earlier layer")
            if layer.type in MANY_INPUTS and len(layer.inputs) < 2:
                raise SpecError(f"{layer.type} needs two or more inputs, got {len(layer.inputs)}")
            if layer.type not in MANY_INPUTS and len(layer.inputs) != 1:
                raise SpecError(f"{layer.type} takes one input, got {len(layer.inputs)}")
            inputs = [shapes[name] for name in layer.inputs]
            key = (id(layer.args), layer.type, layer.rounding, layer.written, *inputs)
            row = derived.get(key)
            if row is None:
                row = rule(arguments(layer, spec.defaults_of), inputs, layer_values(values, layer, shapes),
                           layer.rounding)
                _bounded(row["shape"])
                derived[key] = row
        except SpecError as e:
            raise SpecError(e.message, file=spec.file, line=layer.line, column=layer.column,
                            layer=_where(layer)) from None
        except (ZeroDivisionError, OverflowError) as e:  # huge or degenerate values in an argument
            raise SpecError(f"cannot evaluate the layer's arguments ({type(e).__name__}: {e})", file=spec.file,
                            line=layer.line, column=layer.column, layer=_where(layer)) from None
        shapes[layer.name] = row["shape"]
        volume[layer.name] = math.prod(row["shape"])
        rows.append({"name": layer.name, **row, "floats_out": volume[layer.name],
                     "floats_in": sum(volume[name] for name in layer.inputs)})  # each occurrence counts
    return rows


# The numeric side of `costmodel.analyses.metrics` (after propagate: it builds on it).
from .metrics import BYTES, compute, depends_on, live_floats, receptive_fields  # noqa: E402,F401
