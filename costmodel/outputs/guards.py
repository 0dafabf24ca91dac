"""The refusals of the reference propagator as closed-form conditions, for the explorer page.

Python refuses a configuration in `reference.propagate` (a size below 1, groups that do not divide,
a channel count that rounds to 0). The page has no Python: each layer's conditions are written here
as closed forms over the symbols, with the reference's message, in the reference's order, so the
page refuses the same configurations with the same text. A condition that holds for every value
(its closed forms are numbers) is dropped.

A guard is (test, values, message): `values` are closed forms, `message` a template whose {0},
{1}, ... are the values as Python prints a Fraction. Tests (their JavaScript is in page.py):
positive v0 > 0 · integer v0 whole · atleast v0 >= v1 · divides v0 | v1 · below v0 < v1 ·
fits (v0 <= v2 and v1 <= v3) · equal (first half == second half) · bounded (each <= 2**40) ·
nonzero v0 != 0 · broadcast (per axis of the two halves: equal, or one of them 1).

Every expression a check reads is first guarded against a division by zero (`divisions`), as the
reference's evaluator refuses one before it returns a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy

from .. import expr as ex
from ..expr import IN_CHANNELS
from ..ops import Kind, lookup
from ..symbolic import as_sympy, round_channels, to_sympy

MAX_DIMENSION = 2**40  # reference.MAX_DIMENSION
MAX_ADAPTIVE = 2**16  # reference.pool.MAX_ADAPTIVE


@dataclass(frozen=True)
class Guard:
    test: str
    values: tuple
    message: str


def layer_guards(layer, inputs: list, shape: tuple, symbols: dict) -> list[Guard]:
    """Every condition the reference checks for `layer` (a LayerSpec) on input shapes `inputs`
    (closed forms) whose output is `shape`, in the reference's order, constant ones dropped."""
    op = lookup(layer.type)
    if len(inputs) == 1:  # `in_channels` in a channel count or groups: the input's channel count
        symbols = {**symbols, IN_CHANNELS: inputs[0][2]}
    args = {name: layer.args.get(name) for name in op.params}
    found = []
    for name, param in op.params.items():
        value = args[name]
        if param.kind in (Kind.CHANNELS, Kind.INT, Kind.PAIR, Kind.NUMBER) and value is not None:
            for node in (value if isinstance(value, tuple) else (value,)):
                found += divisions(node, symbols)
        if param.kind is Kind.CHANNELS and value is not None:
            found += _channel(name, to_sympy(value, symbols), layer.rounding)
        elif param.kind in (Kind.INT, Kind.PAIR) and value is not None:
            minimum = 0 if name == "index" else 1
            for node in (value if isinstance(value, tuple) else (value,)):
                found += _integer(name, to_sympy(node, symbols), minimum)
    sympy_args = {name: _as_sympy(value, symbols) for name, value in args.items()}
    found += SPECIFIC.get(layer.type, lambda a, x, r: [])(sympy_args, inputs, layer.rounding)
    if layer.type in ("maxpool", "avgpool") and args.get("ceil_mode"):
        found += _ceil_window(sympy_args, inputs[0], args["padding"], symbols)
    elif "kernel" in op.params and "padding" in op.params:
        found += _window(sympy_args, inputs[0], args["padding"], symbols)
    found.append(Guard("bounded", tuple(shape), "output {0}x{1}x{2} has a dimension above 2**40 "
                                                "(too large to be a real network)"))
    found.append(Guard("atleast", (sympy.Min(*shape), sympy.Integer(1)),
                       "output size below 1 ({0}): this configuration does not fit"))
    return [g for g in found if not _always(g)]


def input_guards(spec, symbols: dict) -> list[Guard]:
    """The network input: three positive integers, none above 2**40 (reference._input_shape)."""
    found = []
    for node, what in zip(spec.input, ("height", "width", "channels")):
        found += divisions(node, symbols) + _integer(f"input {what}", to_sympy(node, symbols), 1)
    found.append(Guard("bounded", tuple(to_sympy(node, symbols) for node in spec.input),
                       "input {0}x{1}x{2} has a dimension above 2**40 (too large to be a real network)"))
    return [g for g in found if not _always(g)]


def count_guards(repeat, symbols: dict) -> list[Guard]:
    """A repeat's count: its divisions (reference._count, whose message the page prefixes with the
    repeat's name); the count's own test (whole, 1 to MAX_REPEAT) is page.js's countOf."""
    return [g for g in divisions(repeat.count, symbols) if not _always(g)]


def divisions(node, symbols: dict) -> list[Guard]:
    """reference.numbers.evaluate refuses a division by zero, "division by zero (A / 0)" with A the
    dividend's value: one guard per `/` and `//` (and per negative power), in the order it meets
    them (operands first, left to right)."""
    found = []
    for child in ex._children(node):
        found += divisions(child, symbols)
    if isinstance(node, ex.BinOp) and node.op in ("/", "//"):
        found.append(Guard("nonzero", (to_sympy(node.right, symbols), to_sympy(node.left, symbols)),
                           f"division by zero ({{1}} {node.op} 0)"))
    elif isinstance(node, ex.BinOp) and node.op == "**":
        exponent = ex.constant_value(node.right)
        if exponent is not None and exponent < 0:
            found.append(Guard("nonzero", (to_sympy(node.left, symbols),), f"division by zero (0 ** {exponent})"))
    return found


def _as_sympy(value, symbols):
    if isinstance(value, tuple):
        return tuple(_as_sympy(v, symbols) for v in value)
    if value is None or isinstance(value, (bool, str)):
        return value
    return to_sympy(value, symbols)


def _channel(what: str, v, rule: str) -> list[Guard]:
    """reference.numbers._channels: positive, then whole (rule none) or at least 1 once rounded."""
    found = [Guard("positive", (v,), f"{what} must be a positive channel count, got {{0}}")]
    if rule == "none":
        return found + [Guard("integer", (v,), f"{what}: fractional channel count {{0}} with no rounding rule")]
    return found + [Guard("atleast", (round_channels(v, rule), sympy.Integer(1), v),
                          f"{what} must be a positive integer, got {{0}} (from {{2}} rounded by {rule})")]


def _integer(what: str, v, minimum: int) -> list[Guard]:
    """reference.numbers._integer: a whole number, at least `minimum`."""
    kind = "positive" if minimum == 1 else "non-negative"
    return [Guard("integer", (v,), f"{what} must be an integer, got {{0}}"),
            Guard("atleast", (v, sympy.Integer(minimum)), f"{what} must be a {kind} integer, got {{0}}")]


def _grouped(a, inputs, rounding) -> list[Guard]:
    """reference.conv._grouped_conv: groups divide the input channels and the filters."""
    cin, groups = inputs[0][2], a["groups"]
    cout = round_channels(a["filters"], rounding)
    return [Guard("divides", (groups, cin), "groups {0} does not divide input channels {1}"),
            Guard("divides", (groups, cout), "groups {0} does not divide filters {1}")]


def _shuffle(a, inputs, rounding) -> list[Guard]:
    return [Guard("divides", (a["groups"], inputs[0][2]), "groups {0} does not divide input channels {1}")]


def _split(a, inputs, rounding) -> list[Guard]:
    return [Guard("divides", (a["parts"], inputs[0][2]), "parts {0} does not divide input channels {1}"),
            Guard("below", (a["index"], a["parts"], a["parts"] - 1), "index must be from 0 to {2}, got {0}")]


def _channel_pad(a, inputs, rounding) -> list[Guard]:
    channels = round_channels(a["channels"], rounding)
    return [Guard("atleast", (channels, inputs[0][2]), "channels {0} is fewer than the input channels {1}")]


def _same_shapes(type_: str, axes: int, text: str):
    def guards(a, inputs, rounding) -> list[Guard]:
        first = inputs[0][:axes]
        shown = "x".join("{%d}" % i for i in range(axes))
        other = "x".join("{%d}" % (axes + i) for i in range(axes))
        return [Guard("equal", (*first, *x[:axes]), f"{type_}: {text}: {shown} vs {other}") for x in inputs[1:]]
    return guards


def _window(a, x, padding, symbols) -> list[Guard]:
    """reference.spatial._spatial: explicit paddings are non-negative integers, and the dilated
    kernel fits the padded input ('same' always fits)."""
    if padding == "same":
        return []
    found: list = []
    pads = (0, 0, 0, 0)
    if padding != "valid":
        pads = _pads(padding, symbols, found)
    kernel = a["kernel"]
    dilation = a.get("dilation") or (sympy.Integer(1), sympy.Integer(1))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    padded = (x[0] + pads[0] + pads[1], x[1] + pads[2] + pads[3])
    # Python says "(dilated from ...)" when the span differs from the kernel: (d - 1)(k - 1) != 0
    same = all(sympy.simplify((d - 1) * (k - 1)) == 0 for k, d in zip(kernel, dilation))
    dilated = "" if same else " (dilated from {4}x{5})"
    found.append(Guard("fits", (*span, *padded, *kernel),
                       "kernel {0}x{1}" + dilated + " is larger than the padded input {2}x{3}"))
    return found


def _pads(padding, symbols, found: list) -> tuple:
    """Explicit paddings: each a non-negative integer (its divisions first), appended to `found`."""
    pads = []
    for node in padding:
        found += divisions(node, symbols)
        pads.append(to_sympy(node, symbols))
        found += _integer("padding", pads[-1], 0)
    return tuple(pads)


def _ceil_window(a, x, padding, symbols) -> list[Guard]:
    """reference.pool._ceil_mode: per axis, PyTorch's padding (both sides alike, at most half the
    kernel), then the kernel within the padded input."""
    found: list = []
    pads = (0, 0, 0, 0) if padding == "valid" else _pads(padding, symbols, found)
    kernel = a["kernel"]
    for axis in (0, 1):
        before, after, k = pads[2 * axis], pads[2 * axis + 1], kernel[axis]
        rule = "must be equal on both sides and at most half the kernel {%d} (PyTorch's pooling padding)"
        found.append(Guard("equal", (before, k, after, k), "ceil_mode: padding {0}, {2} " + rule % 1))
        found.append(Guard("atleast", (k, 2 * before, before, after), "ceil_mode: padding {2}, {3} " + rule % 0))
        found.append(Guard("atleast", (x[axis] + before + after, k, *kernel),
                           "kernel {2}x{3} is larger than the padded input"))
    return found


def _fractional(a, inputs, rounding) -> list[Guard]:
    """reference.pool._fractional_maxpool: a ratio above 1 leaving an output, or an output size
    within the input."""
    h, w = inputs[0][0], inputs[0][1]
    if a["ratio"] is not None:
        r = a["ratio"]
        return [Guard("below", (sympy.Integer(1), r), "ratio must be greater than 1, got {1}"),
                Guard("atleast", (sympy.Min(sympy.floor(h / r), sympy.floor(w / r)), sympy.Integer(1), r, h, w),
                      "ratio {2} leaves no output from a {3}x{4} input")]
    if a["output_size"] is None:
        return []
    ho, wo = a["output_size"]
    return [Guard("fits", (ho, wo, h, w), "output_size {0}x{1} is larger than the input {2}x{3}")]


def _adaptive(a, inputs, rounding) -> list[Guard]:
    """reference.pool._adaptive_pool: an output side of at most MAX_ADAPTIVE."""
    ho, wo = a["output_size"]
    return [Guard("atleast", (sympy.Integer(MAX_ADAPTIVE), sympy.Max(ho, wo), ho, wo),
                  f"output_size {{2}}x{{3}}: above {MAX_ADAPTIVE} (too large to be a real network)")]


def _multiply(a, inputs, rounding) -> list[Guard]:
    """reference.merge._multiply: each axis equal or 1, input by input against the broadcast so far."""
    found, out = [], tuple(inputs[0])
    for other in inputs[1:]:
        found.append(Guard("broadcast", (*out, *other), "multiply: input shapes {0}x{1}x{2} and {3}x{4}x{5} do not "
                                                        "broadcast (each of H, W, C must be equal or 1)"))
        out = tuple(sympy.Max(m, n) for m, n in zip(out, other))
    return found


SPECIFIC = {
    "conv": _grouped, "pointwise": _grouped, "shuffle": _shuffle, "split": _split, "channel_pad": _channel_pad,
    "add": _same_shapes("add", 3, "input shapes differ"),
    "concat": _same_shapes("concat", 2, "input heights/widths differ"),
    "multiply": _multiply, "fractional_maxpool": _fractional,
    "adaptive_avgpool": _adaptive, "adaptive_maxpool": _adaptive,
}


def holds(test: str, values: list[Fraction]) -> bool:
    """A guard's test on numbers (the page's JavaScript does the same)."""
    if test == "positive":
        return values[0] > 0
    if test == "integer":
        return values[0].denominator == 1
    if test == "atleast":
        return values[0] >= values[1]
    if test == "divides":
        return values[1] % values[0] == 0
    if test == "below":
        return values[0] < values[1]
    if test == "fits":
        return values[0] <= values[2] and values[1] <= values[3]
    if test == "equal":
        half = len(values) // 2
        return values[:half] == values[half:]
    if test == "bounded":
        return all(v <= MAX_DIMENSION for v in values)
    if test == "nonzero":
        return values[0] != 0
    if test == "broadcast":
        half = len(values) // 2
        return all(m == n or 1 in (m, n) for m, n in zip(values[:half], values[half:]))
    raise ValueError(f"unknown guard test {test!r}")


def _always(guard: Guard) -> bool:
    """True when the guard's closed forms are numbers and it holds."""
    values = [as_sympy(v) for v in guard.values]
    if not all(v.is_Rational for v in values):
        return False
    return holds(guard.test, [Fraction(int(v.p), int(v.q)) for v in values])
