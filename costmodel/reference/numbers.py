"""The reference's own arithmetic: expression nodes as exact Fractions, checked integers and
channel counts, and the row every family rule returns. Plain ints and Fractions, no sympy."""

from __future__ import annotations

import math
import re
from fractions import Fraction

from ..errors import SpecError
from ..expr import IN_CHANNELS, BinOp, Call, Name, Neg, Num

ONE, PAIR_ONE = Num(Fraction(1)), (Num(Fraction(1)), Num(Fraction(1)))
EXPRESSION = (Num, Name, Neg, BinOp, Call)  # the node classes of an argument that is an expression


def _exact(v) -> Fraction:
    """v as a Fraction: itself when it is one (immutable, so shared; the constructor costs a
    microsecond, and a walk of MobileNet-CIFAR reads some 300 numbers)."""
    return v if type(v) is Fraction else Fraction(v)


def evaluate(node, values: dict) -> Fraction:
    """An expression node as an exact Fraction, with `values` for the symbols."""
    if isinstance(node, Num):
        return _exact(node.value)
    if isinstance(node, Name):
        if node.name not in values:
            if node.name == IN_CHANNELS:
                raise SpecError(f"{IN_CHANNELS} needs a layer with one input")
            raise SpecError(f"no value for symbol {node.name!r}")
        return _exact(values[node.name])
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
        if node.func == "make_divisible":
            return Fraction(_divisible(args[0], *(_whole(a, "make_divisible: divisor and min_value") for a in args[1:])))
    raise SpecError(f"cannot evaluate expression node {node!r}")


def _whole(v: Fraction, what: str) -> int:
    if v.denominator != 1 or v < 1:
        raise SpecError(f"{what} must be positive whole numbers, got {v}")
    return int(v)


def _divisible(v: Fraction, n: int, least: int | None = None) -> int:
    """torchvision's _make_divisible(v, n, least): the multiple of n nearest to v (halves up), at least
    `least` (n when not given), and one n more if that falls below 90 % of v."""
    c = max(n if least is None else least, math.floor(v + Fraction(n, 2)) // n * n)
    return c + n if c < Fraction(9, 10) * v else c


def _integer(node, values, what: str, minimum: int = 1) -> int:
    """A non-channel integer arg (kernel, stride, groups, ...): an integer >= minimum (1 or 0)."""
    v = evaluate(node, values)
    if v.denominator != 1:
        raise SpecError(f"{what} must be an integer, got {v}")
    if v < minimum:
        raise SpecError(f"{what} must be a {'positive' if minimum == 1 else 'non-negative'} integer, got {v}")
    return int(v)


def _pair(pair, values, what: str, minimum: int = 1) -> tuple[int, int]:
    first, second = pair
    return _integer(first, values, what, minimum), _integer(second, values, what, minimum)


def _channels(node, values, rule: str, what: str) -> int:
    """A channel count rounded by the layer's rounding rule (Keras floor, torchvision multiples...)."""
    return _rounded(evaluate(node, values), rule, what)


def _rounded(v: Fraction, rule: str, what: str) -> int:
    """A channel count's value rounded by the layer's rule (`_channels` once it is evaluated)."""
    if v <= 0:
        raise SpecError(f"{what} must be a positive channel count, got {v}")
    if rule == "floor":
        c = math.floor(v)  # Keras: int(c * alpha)
    elif rule == "ceil":
        c = math.ceil(v)
    elif rule == "nearest":
        c = math.floor(v + Fraction(1, 2))  # halves round up
    elif re.fullmatch(r"multiple_of_[1-9][0-9]*", rule):
        c = _divisible(v, int(rule[len("multiple_of_"):]))  # torchvision _make_divisible(v, n)
    elif rule == "none":
        if v.denominator != 1:
            raise SpecError(f"{what}: fractional channel count {v} with no rounding rule")
        c = int(v)
    else:
        raise SpecError(f"unknown rounding rule {rule!r}")
    if c < 1:
        raise SpecError(f"{what} must be a positive integer, got {c} (from {v} rounded by {rule})")
    return c  # an int on every branch above (a traced one stays traced: reference/traced.py)


def _ints(pair, values) -> tuple:
    """A pair argument as plain ints (the metrics side reads kernels and strides this way)."""
    return tuple(int(evaluate(node, values)) for node in pair)


def _fmt(shape) -> str:
    return "x".join(str(x) for x in shape)


def _costs(shape, params=0, non_trainable=0, macs=0) -> dict:
    return {"shape": tuple(shape), "params": params, "params_non_trainable": non_trainable, "macs": macs}


# --- receptive-field steps: (span in input-grid steps per axis, stride per axis, sees everything) ---

def same_grid(a, values, x, y) -> tuple:
    """One output position per input position: the field and the jump are unchanged."""
    return (0, 0), (1, 1), False


def whole_input(a, values, x, y) -> tuple:
    """Every output sees the whole map: one window the size of the input."""
    return (0, 0), (x[0], x[1]), True
