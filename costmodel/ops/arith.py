"""The arithmetic layer formulas are written in, for the two kinds of number they meet.

A formula is written once and runs on either:

- exact plain numbers (`int` and `fractions.Fraction`): the numeric path of a report, which never
  imports sympy (the start-up cost of a report is mostly `import sympy`); or
- sympy expressions over the spec's symbols: the closed forms.

So formulas use only `+ - * /` on values that are never two plain ints divided (shapes and arguments
arrive as Fractions on the numeric path), and the functions here for anything else: floor, ceil,
the channel roundings and sums. The numeric side's twin of `symbolic.to_sympy` is `value_of`, which
evaluates a spec expression with Fractions (the reference propagator has its own evaluator: the
two are compared, field by field).
"""

from __future__ import annotations

import math
from fractions import Fraction

EXACT = (int, Fraction)


def exact(*values) -> bool:
    """True when every value is a plain number (the numeric path)."""
    return all(isinstance(v, EXACT) for v in values)


def floor(x):
    if isinstance(x, EXACT):
        return math.floor(x)
    import sympy
    return sympy.floor(x)


def ceil(x):
    if isinstance(x, EXACT):
        return math.ceil(x)
    import sympy
    return sympy.ceiling(x)


def total(values):
    """The sum of some values (sympy's Add at once for expressions: faster than adding one by one)."""
    values = list(values)
    if exact(*values):
        return sum(values)
    import sympy
    return sympy.Add(*values)


# --- spec expressions and channel rounding on plain numbers ---------------------------------------

def value_of(node, values: dict) -> Fraction:
    """A spec expression node as an exact Fraction for the symbol values given."""
    from .. import expr as ex
    if isinstance(node, ex.Num):
        return node.value
    if isinstance(node, ex.Name):
        return values[node.name]
    if isinstance(node, ex.Neg):
        return -value_of(node.operand, values)
    if isinstance(node, ex.BinOp):
        a, b = value_of(node.left, values), value_of(node.right, values)
        if node.op in ("/", "//") and b == 0:
            raise ZeroDivisionError(f"{a} {node.op} 0")
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                "//": lambda: Fraction(math.floor(a / b)), "**": lambda: a ** int(b)}[node.op]()
    args = [value_of(a, values) for a in node.args]
    return {"floor": lambda: Fraction(math.floor(args[0])), "ceil": lambda: Fraction(math.ceil(args[0])),
            "min": lambda: min(args), "max": lambda: max(args),
            "make_divisible": lambda: Fraction(ex.make_divisible(*args))}[node.func]()


def round_channels(value: Fraction, rule: str):
    """A channel count rounded by a spec's rule (symbolic.round_channels on plain numbers); `none`
    leaves a fraction as it is (the reference refuses it)."""
    if rule == "none":
        return value if value.denominator != 1 else int(value)
    if rule == "floor":
        return math.floor(value)  # Keras: int(c * alpha)
    if rule == "ceil":
        return math.ceil(value)
    if rule == "nearest":
        return math.floor(value + Fraction(1, 2))  # halves round up
    step = int(rule.removeprefix("multiple_of_"))  # torchvision's _make_divisible(v, step)
    new = max(step, math.floor(value + Fraction(step, 2)) // step * step)
    return new + step if new < Fraction(9, 10) * value else new


def minimum(a, b):
    """The smaller of two values (sympy's Min for expressions)."""
    if exact(a, b):
        return min(a, b)
    import sympy
    from ..symbolic import lattice
    return lattice(sympy.Min, (a, b))


def maximum(a, b):
    """The larger of two values (sympy's Max for expressions)."""
    if exact(a, b):
        return max(a, b)
    import sympy
    from ..symbolic import lattice
    return lattice(sympy.Max, (a, b))


_GCD: list = []  # the sympy function below, made on first use (no sympy import for the numeric path)


def gcd(a, b):
    """The greatest common divisor of two whole numbers; for expressions an unevaluated `gcd(a, b)`
    that becomes a number once both arguments are integers (sympy's own gcd treats a symbol as
    coprime to everything, which would be wrong here)."""
    if exact(a, b):
        return math.gcd(int(a), int(b))
    if not _GCD:
        import sympy

        class gcd(sympy.Function):  # noqa: N801 - printed as gcd(a, b)
            @classmethod
            def eval(cls, x, y):
                if x.is_Integer and y.is_Integer:
                    return sympy.Integer(math.gcd(int(x), int(y)))
        _GCD.append(gcd)
    return _GCD[0](a, b)
