"""Spec expressions as sympy: symbols, channel rounding as named functions, the smooth form.

Channel rounding gets its own sympy functions (not bare ``floor``) so that the *smooth* form of a
closed form can drop exactly the rounding a rule added, and nothing else (the floor/ceil of a
spatial size under a padding mode is part of the shape, not a rounding of a fractional count).
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy
from sympy import Function, Integer, Rational

from . import expr as ex


def as_sympy(value) -> sympy.Basic:
    """A closed form (sympy) or a plain number (int or Fraction) as sympy; never text."""
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, Fraction):
        return Rational(value.numerator, value.denominator)
    if isinstance(value, int):
        return Integer(value)
    raise TypeError(f"expected a sympy expression or a number, got {type(value).__name__}")


def make_symbol(name: str, integer: bool) -> sympy.Symbol:
    """Every knob is positive; integer ones (delta, classes, resolution) say so, which lets
    sympy drop a floor around an integer expression."""
    return sympy.Symbol(name, positive=True, integer=integer or None)


def to_sympy(node: ex.Node, symbols: dict[str, sympy.Symbol]) -> sympy.Expr:
    """Translate a parsed spec expression; every name must be a declared symbol."""
    if isinstance(node, ex.Num):
        return Rational(node.value.numerator, node.value.denominator)
    if isinstance(node, ex.Name):
        return symbols[node.name]
    if isinstance(node, ex.Neg):
        return -to_sympy(node.operand, symbols)
    if isinstance(node, ex.BinOp):
        a, b = to_sympy(node.left, symbols), to_sympy(node.right, symbols)
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        if node.op == "/":
            return a / b
        if node.op == "//":
            return sympy.floor(a / b)
        return a ** b  # '**': the parser allows only a small integer constant exponent
    args = [to_sympy(a, symbols) for a in node.args]
    if node.func == "make_divisible":  # min_value defaults to the divisor, as in torchvision
        return MakeDivisible(*args) if len(args) == 3 else MakeDivisible(*args, args[1])
    return {"floor": sympy.floor, "ceil": sympy.ceiling, "min": sympy.Min, "max": sympy.Max}[node.func](*args)


class _ChannelRounding(Function):
    """Base of the channel-rounding functions: integer-valued, evaluated on numbers."""

    label = ""

    def _eval_is_integer(self):
        return True

    def _eval_is_positive(self):
        # floor(1/2) is 0: positive only when the argument is known to be at least 1 (a rule that
        # rounds up, ceil or divisible, is positive whenever its argument is)
        return True if (self.args[0] - 1).is_nonnegative else None

    def _sympystr(self, printer):
        return f"{self.label}({', '.join(printer._print(a) for a in self.args)})"

    def _latex(self, printer):
        inner = printer._print(self.args[0])
        return {"floor": rf"\lfloor {inner} \rfloor", "ceil": rf"\lceil {inner} \rceil"}.get(
            self.label, rf"\operatorname{{{self.label}}}\left({inner}\right)")


class RoundFloor(_ChannelRounding):
    label = "floor"

    @classmethod
    def eval(cls, x):
        if x.is_Rational:
            return Integer(math.floor(Fraction(int(x.p), int(x.q))))
        if x.is_integer:
            return x


class RoundCeil(_ChannelRounding):
    label = "ceil"

    def _eval_is_positive(self):
        return self.args[0].is_positive

    @classmethod
    def eval(cls, x):
        if x.is_Rational:
            return Integer(math.ceil(Fraction(int(x.p), int(x.q))))
        if x.is_integer:
            return x


class RoundNearest(_ChannelRounding):
    """Nearest integer, halves rounded up: floor(x + 1/2)."""

    label = "round"

    @classmethod
    def eval(cls, x):
        if x.is_Rational:
            return Integer(math.floor(Fraction(int(x.p), int(x.q)) + Fraction(1, 2)))
        if x.is_integer:
            return x


class RoundDivisible(_ChannelRounding):
    """torchvision's _make_divisible(v, d): nearest multiple of d, at least d, and never more
    than 10 % below v."""

    label = "divisible"

    def _eval_is_positive(self):
        return True  # at least the divisor

    @classmethod
    def eval(cls, x, d):
        if x.is_Rational and d.is_Integer:
            return Integer(ex.make_divisible(Fraction(int(x.p), int(x.q)), int(d)))


class MakeDivisible(_ChannelRounding):
    """The spec function make_divisible(v, divisor, min_value): torchvision's _make_divisible with
    its optional min_value, written by the author (the `multiple_of_N` rule is RoundDivisible).
    Always three arguments; printed as written, without min_value when it is the divisor."""

    label = "make_divisible"

    def _eval_is_positive(self):
        return True  # at least min_value, a positive constant

    def _sympystr(self, printer):
        v, d, m = self.args
        shown = (v, d) if m == d else (v, d, m)
        return f"{self.label}({', '.join(printer._print(a) for a in shown)})"

    def _latex(self, printer):
        v, d, m = self.args
        shown = (v, d) if m == d else (v, d, m)
        return rf"\operatorname{{make\_divisible}}\left({', '.join(printer._print(a) for a in shown)}\right)"

    def _code(self, printer, floor: str, maximum: str, where: str) -> str:
        """Float code for sympy's code printers (lambdify with "math" or "numpy"): the same rule in
        floats, so a value within float error of a step may round the wrong way (fast.Compiled
        evaluates it exactly instead)."""
        f = {name: printer._module_format(full) if "." in full else full
             for name, full in (("floor", floor), ("max", maximum), ("where", where))}
        choose = f"{f['where']}(new < 0.9*v, new + d, new)" if where else "new + d if new < 0.9*v else new"
        args = ", ".join(printer._print(a) for a in self.args)
        return f"(lambda v, d, m: (lambda new: {choose})({f['max']}(m, {f['floor']}(v + d/2)//d*d)))({args})"

    def _pythoncode(self, printer):
        return self._code(printer, "math.floor", "max", "")

    def _numpycode(self, printer):
        return self._code(printer, "numpy.floor", "numpy.maximum", "numpy.where")

    @classmethod
    def eval(cls, x, d, m):
        if x.is_Rational and d.is_Integer and m.is_Integer:
            return Integer(ex.make_divisible(Fraction(int(x.p), int(x.q)), int(d), int(m)))


def round_channels(value: sympy.Expr, rule: str) -> sympy.Expr:
    """Apply a spec's rounding rule to a channel count (rule 'none' leaves it alone)."""
    if rule == "none":
        return value
    if rule == "floor":
        return RoundFloor(value)
    if rule == "ceil":
        return RoundCeil(value)
    if rule == "nearest":
        return RoundNearest(value)
    return RoundDivisible(value, Integer(int(rule.removeprefix("multiple_of_"))))


def smooth(value: sympy.Expr) -> sympy.Expr:
    """The closed form without channel rounding: each rounding replaced by its argument."""
    if not isinstance(value, sympy.Basic) or not value.has(_ChannelRounding):
        return value
    return value.replace(lambda e: isinstance(e, _ChannelRounding), lambda e: e.args[0])


MAX_EXPAND_OPS = 5000  # larger closed forms are shown as built (a sum of per-layer terms)


def readable(value: sympy.Expr) -> sympy.Expr:
    """Expanded polynomial form for display: short for MobileNet-like networks. A form with more
    than MAX_EXPAND_OPS operations is left unexpanded: expanding products of sums of many symbols
    can grow combinatorially, and the per-layer sum is already exact."""
    if not isinstance(value, sympy.Basic) or sympy.count_ops(value) > MAX_EXPAND_OPS:
        return value
    return sympy.expand(value)
