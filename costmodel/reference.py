"""The independent reference propagator: shapes and costs with plain ints and exact fractions.

`propagate(spec, values)` walks the layers in order, evaluates every expression with the symbol
values given (its own evaluator, no sympy), checks that every size fits, and counts parameters,
MACs and activation volumes per layer. It shares no code with the symbolic formulas in `ops`
and `network` on purpose (it imports only the expression node classes and SpecError), and it
applies its own defaults to every argument the spec did not write (DEFAULTS below), so a wrong
default in the layer registry shows up too: `check` compares the two sides.

Every problem is a SpecError located at the layer (or at `input` for the network input).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from .errors import SpecError
from .expr import BinOp, Call, Name, Neg, Num
from .spec.model import MAX_REPEAT, flatten

NETWORK_INPUT = "input"  # the name a spec uses for the network's input
_ONE, _PAIR_ONE = Num(Fraction(1)), (Num(Fraction(1)), Num(Fraction(1)))

# The value of every optional argument a spec may leave out, by layer type: the README's
# conventions, written here independently of the registry's defaults (spec.LayerSpec.written
# says which arguments the spec gave).
DEFAULTS = {
    "conv": {"stride": _PAIR_ONE, "padding": "same", "dilation": _PAIR_ONE, "groups": _ONE, "bias": True},
    "pointwise": {"stride": _PAIR_ONE, "groups": _ONE, "bias": True},
    "dwconv": {"stride": _PAIR_ONE, "padding": "same", "dilation": _PAIR_ONE, "multiplier": _ONE, "bias": True},
    "maxpool": {"stride": None, "padding": "valid"},
    "avgpool": {"stride": None, "padding": "valid"},
    "fractional_maxpool": {"ratio": None, "output_size": None},
    "dense": {"bias": True},
    "batchnorm": {"affine": True},
    "leaky_relu": {"slope": Num(Fraction(3, 10))},
    "dropout": {"rate": Num(Fraction(0))},
    "split": {"parts": Num(Fraction(2)), "index": Num(Fraction(0))},
}

# --- expressions -----------------------------------------------------------------------------


def evaluate(node, values: dict) -> Fraction:
    """An expression node as an exact Fraction, with `values` for the symbols."""
    if isinstance(node, Num):
        return Fraction(node.value)
    if isinstance(node, Name):
        if node.name not in values:
            raise SpecError(f"no value for symbol {node.name!r}")
        return Fraction(values[node.name])
    if isinstance(node, Neg):
        return -evaluate(node.operand, values)
    if isinstance(node, BinOp):
        a, b = evaluate(node.left, values), evaluate(node.right, values)
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        if node.op in ("/", "//"):
            if b == 0:
                raise SpecError(f"division by zero ({a} {node.op} 0)")
            return a / b if node.op == "/" else Fraction(math.floor(a / b))
        if node.op == "**":
            if b.denominator != 1:
                raise SpecError(f"exponent must be an integer, got {b}")
            if a == 0 and b < 0:
                raise SpecError(f"division by zero (0 ** {b})")
            return a ** int(b)
    if isinstance(node, Call):
        args = [evaluate(arg, values) for arg in node.args]
        if node.func == "floor":
            return Fraction(math.floor(args[0]))
        if node.func == "ceil":
            return Fraction(math.ceil(args[0]))
        if node.func == "min":
            return min(args)
        if node.func == "max":
            return max(args)
    raise SpecError(f"cannot evaluate expression node {node!r}")


def _integer(node, values, what: str, minimum: int = 1) -> int:
    """A non-channel integer arg (kernel, stride, groups, ...): an integer >= minimum (1 or 0)."""
    v = evaluate(node, values)
    if v.denominator != 1:
        raise SpecError(f"{what} must be an integer, got {v}")
    if v < minimum:
        raise SpecError(f"{what} must be a {'positive' if minimum == 1 else 'non-negative'} integer, got {v}")
    return int(v)


def _pair(pair, values, what: str, minimum: int = 1) -> tuple[int, int]:
    return tuple(_integer(node, values, what, minimum) for node in pair)


def _channels(node, values, rule: str, what: str) -> int:
    """A channel count rounded by the layer's rounding rule (Keras floor, torchvision multiples...)."""
    v = evaluate(node, values)
    if v <= 0:
        raise SpecError(f"{what} must be a positive channel count, got {v}")
    if rule == "floor":
        c = math.floor(v)  # Keras: int(c * alpha)
    elif rule == "ceil":
        c = math.ceil(v)
    elif rule == "nearest":
        c = math.floor(v + Fraction(1, 2))  # halves round up
    elif re.fullmatch(r"multiple_of_[1-9][0-9]*", rule):
        n = int(rule[len("multiple_of_"):])  # torchvision _make_divisible(v, n), min_value n
        c = max(n, math.floor(v + Fraction(n, 2)) // n * n)
        if c < Fraction(9, 10) * v:  # never round down by more than 10 %
            c += n
    elif rule == "none":
        if v.denominator != 1:
            raise SpecError(f"{what}: fractional channel count {v} with no rounding rule")
        c = int(v)
    else:
        raise SpecError(f"unknown rounding rule {rule!r}")
    if c < 1:
        raise SpecError(f"{what} must be a positive integer, got {c} (from {v} rounded by {rule})")
    return int(c)


# --- shared pieces ---------------------------------------------------------------------------


def _fmt(shape) -> str:
    return "x".join(str(x) for x in shape)


def _costs(shape, params=0, non_trainable=0, macs=0) -> dict:
    return {"shape": tuple(shape), "params": params, "params_non_trainable": non_trainable, "macs": macs}


def _spatial(n_hw, kernel, stride, padding, dilation, values) -> tuple[int, int]:
    """Output (H, W) of a sliding window: TF 'same' is ceil(n/s); 'valid'/explicit floor formula."""
    if padding == "same":
        return tuple(-(-n // s) for n, s in zip(n_hw, stride))
    if padding == "valid":
        pads = (0, 0, 0, 0)
    else:
        pads = tuple(_integer(p, values, "padding", minimum=0) for p in padding)
    padded = (n_hw[0] + pads[0] + pads[1], n_hw[1] + pads[2] + pads[3])
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))  # dilated kernel extent
    if span[0] > padded[0] or span[1] > padded[1]:
        dilated = f" (dilated from {_fmt(kernel)})" if span != tuple(kernel) else ""
        raise SpecError(f"kernel {_fmt(span)}{dilated} is larger than the padded input {_fmt(padded)}")
    return tuple((p - e) // s + 1 for p, e, s in zip(padded, span, stride))


# --- layer families: each takes (args, input shapes, values, rounding) -> costs ---------------


def _conv(args, shapes, values, rounding):
    h, w, cin = shapes[0]
    cout = _channels(args["filters"], values, rounding, "filters")
    kernel = _pair(args["kernel"], values, "kernel")
    stride = _pair(args["stride"], values, "stride")
    dilation = _pair(args["dilation"], values, "dilation")
    groups = _integer(args["groups"], values, "groups")
    return _grouped_conv(h, w, cin, cout, kernel, stride, args["padding"], dilation, groups, args["bias"], values)


def _pointwise(args, shapes, values, rounding):
    h, w, cin = shapes[0]
    cout = _channels(args["filters"], values, rounding, "filters")
    stride = _pair(args["stride"], values, "stride")
    groups = _integer(args["groups"], values, "groups")
    return _grouped_conv(h, w, cin, cout, (1, 1), stride, "valid", (1, 1), groups, args["bias"], values)


def _grouped_conv(h, w, cin, cout, kernel, stride, padding, dilation, groups, bias, values):
    if cin % groups:
        raise SpecError(f"groups {groups} does not divide input channels {cin}")
    if cout % groups:
        raise SpecError(f"groups {groups} does not divide filters {cout}")
    ho, wo = _spatial((h, w), kernel, stride, padding, dilation, values)
    per_filter = kernel[0] * kernel[1] * (cin // groups)  # weights seen by one output channel
    params = per_filter * cout + (cout if bias else 0)  # weights + one bias per filter
    macs = ho * wo * cout * per_filter  # one MAC per weight per output position
    return _costs((ho, wo, cout), params, 0, macs)


def _dwconv(args, shapes, values, rounding):
    h, w, cin = shapes[0]
    kernel = _pair(args["kernel"], values, "kernel")
    stride = _pair(args["stride"], values, "stride")
    dilation = _pair(args["dilation"], values, "dilation")
    cout = cin * _integer(args["multiplier"], values, "multiplier")
    ho, wo = _spatial((h, w), kernel, stride, args["padding"], dilation, values)
    params = kernel[0] * kernel[1] * cout + (cout if args["bias"] else 0)  # one kh x kw filter per output channel
    macs = ho * wo * cout * kernel[0] * kernel[1]  # each output sees one kh x kw window of one channel
    return _costs((ho, wo, cout), params, 0, macs)


def _pool(args, shapes, values, rounding):
    h, w, c = shapes[0]
    kernel = _pair(args["kernel"], values, "kernel")
    stride = kernel if args.get("stride") is None else _pair(args["stride"], values, "stride")
    padding = args.get("padding") or "valid"
    ho, wo = _spatial((h, w), kernel, stride, padding, (1, 1), values)
    return _costs((ho, wo, c))  # no weights; comparisons/additions are not MACs


def _global_pool(args, shapes, values, rounding):
    return _costs((1, 1, shapes[0][2]))


def _fractional_maxpool(args, shapes, values, rounding):
    h, w, c = shapes[0]
    ratio, size = args.get("ratio"), args.get("output_size")
    if (ratio is None) == (size is None):
        raise SpecError("fractional_maxpool needs exactly one of ratio and output_size")
    if ratio is not None:
        r = evaluate(ratio, values)
        if r <= 1:
            raise SpecError(f"ratio must be greater than 1, got {r}")
        ho, wo = math.floor(h / r), math.floor(w / r)
        if ho < 1 or wo < 1:
            raise SpecError(f"ratio {r} leaves no output from a {h}x{w} input")
    else:
        ho, wo = _pair(size, values, "output_size")
        if ho > h or wo > w:
            raise SpecError(f"output_size {ho}x{wo} is larger than the input {h}x{w}")
    return _costs((ho, wo, c))


def _dense(args, shapes, values, rounding):
    h, w, c = shapes[0]
    units = _channels(args["units"], values, rounding, "units")
    features = h * w * c  # implicit flatten
    params = features * units + (units if args["bias"] else 0)  # weight matrix + bias vector
    return _costs((1, 1, units), params, 0, features * units)  # one MAC per weight


def _batchnorm(args, shapes, values, rounding):
    c = shapes[0][2]
    trainable = 2 * c if args["affine"] else 0  # gamma, beta
    return _costs(shapes[0], trainable, 2 * c, 0)  # running mean and variance are not trained


def _elementwise(args, shapes, values, rounding):
    for value in args.values():  # slope, rate...: only checked to evaluate
        if isinstance(value, (Num, Name, Neg, BinOp, Call)):
            evaluate(value, values)
    return _costs(shapes[0])


def _shuffle(args, shapes, values, rounding):
    c = shapes[0][2]
    groups = _integer(args["groups"], values, "groups")
    if c % groups:
        raise SpecError(f"groups {groups} does not divide input channels {c}")
    return _costs(shapes[0])


def _flatten(args, shapes, values, rounding):
    h, w, c = shapes[0]
    return _costs((1, 1, h * w * c))


def _split(args, shapes, values, rounding):
    h, w, c = shapes[0]
    parts = _integer(args["parts"], values, "parts")
    index = _integer(args["index"], values, "index", minimum=0)
    if c % parts:
        raise SpecError(f"parts {parts} does not divide input channels {c}")
    if index >= parts:
        raise SpecError(f"index must be from 0 to {parts - 1}, got {index}")
    return _costs((h, w, c // parts))


def _channel_pad(args, shapes, values, rounding):
    h, w, c = shapes[0]
    channels = _channels(args["channels"], values, rounding, "channels")
    if channels < c:
        raise SpecError(f"channels {channels} is fewer than the input channels {c}")
    return _costs((h, w, channels))


def _add(args, shapes, values, rounding):
    for other in shapes[1:]:
        if other != shapes[0]:
            raise SpecError(f"add: input shapes differ: {_fmt(shapes[0])} vs {_fmt(other)}")
    return _costs(shapes[0])


def _concat(args, shapes, values, rounding):
    for other in shapes[1:]:
        if other[:2] != shapes[0][:2]:
            raise SpecError(f"concat: input heights/widths differ: {_fmt(shapes[0])} vs {_fmt(other)}")
    return _costs((shapes[0][0], shapes[0][1], sum(s[2] for s in shapes)))


ELEMENTWISE = ("relu", "relu6", "leaky_relu", "sigmoid", "tanh", "hard_swish", "hard_sigmoid", "swish",
               "elu", "gelu", "softmax", "dropout", "identity")
MANY_INPUTS = {"add", "concat"}
RULES = {
    "conv": _conv, "pointwise": _pointwise, "dwconv": _dwconv,
    "maxpool": _pool, "avgpool": _pool,
    "global_avgpool": _global_pool, "global_maxpool": _global_pool,
    "fractional_maxpool": _fractional_maxpool,
    "dense": _dense, "batchnorm": _batchnorm,
    **{t: _elementwise for t in ELEMENTWISE},
    "shuffle": _shuffle, "flatten": _flatten, "split": _split, "channel_pad": _channel_pad,
    "add": _add, "concat": _concat,
}


# --- the walk --------------------------------------------------------------------------------


def _input_shape(spec, values) -> tuple[int, int, int]:
    try:
        axes = zip(spec.input, ("height", "width", "channels"))
        shape = tuple(_integer(node, values, f"input {what}") for node, what in axes)
        _bounded(shape, "input")
        return shape
    except SpecError as e:
        raise SpecError(e.message, file=spec.file, line=spec.input_line,
                        column=getattr(spec, "input_column", None)) from None


MAX_DIMENSION = 2**40  # height, width or channels; beyond this a spec is a mistake (and its numbers huge)


def _bounded(shape, what: str = "output") -> None:
    if max(shape) > MAX_DIMENSION:
        raise SpecError(f"{what} {_fmt(shape)} has a dimension above 2**40 (too large to be a real network)")


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


def propagate(spec, values: dict) -> list[dict]:
    """One dict per layer, in spec order: name, shape, params, params_non_trainable, macs,
    floats_out, floats_in (all ints). Raises SpecError for anything that does not fit."""
    values = {name: Fraction(v) for name, v in values.items()}
    shapes = {NETWORK_INPUT: _input_shape(spec, values)}
    layers = [leaf.layer for leaf in flatten(spec.tree, lambda repeat: _count(repeat, values, spec)).leaves()]
    volume = {NETWORK_INPUT: math.prod(shapes[NETWORK_INPUT])}
    rows = []
    for layer in layers:
        where = f"{layer.index} '{layer.name}' ({layer.type})"
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
            args = {**DEFAULTS.get(layer.type, {}),
                    **{name: value for name, value in layer.args.items() if name in layer.written}}
            row = rule(args, [shapes[name] for name in layer.inputs], values, layer.rounding)
            _bounded(row["shape"])
        except SpecError as e:
            raise SpecError(e.message, file=spec.file, line=layer.line, column=layer.column, layer=where) from None
        except (ZeroDivisionError, OverflowError) as e:  # huge or degenerate values in an argument
            raise SpecError(f"cannot evaluate the layer's arguments ({type(e).__name__}: {e})", file=spec.file,
                            line=layer.line, column=layer.column, layer=where) from None
        shapes[layer.name] = row["shape"]
        volume[layer.name] = math.prod(row["shape"])
        rows.append({"name": layer.name, **row, "floats_out": volume[layer.name],
                     "floats_in": sum(volume[name] for name in layer.inputs)})  # each occurrence counts
    return rows
