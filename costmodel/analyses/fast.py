"""Closed forms compiled for many configurations at once: exact rounding, numpy speed.

A network's exact totals are polynomials in its symbols and in *rounding nodes*: the channel
roundings of `symbolic.py` (RoundFloor, RoundCeil, RoundNearest, RoundDivisible, and the spec
function MakeDivisible) and the
floor, ceiling, Min and Max of spatial sizes. Evaluating a rounding node in float64 is not safe:
32*0.3 is 9.600000000000001 in floats, fine, but 100*0.29 is 28.999999999999996, and floor
gives 28 where the exact answer is 29. So `Compiled` never rounds a float:

1. every outermost rounding node is replaced by a placeholder;
2. each node is evaluated *exactly* once per distinct value of the symbols it depends on (per
   block of the grid): floor(32*alpha) once per alpha, ceiling(resolution/2) once per resolution.
   A rounding of a polynomial is scaled to integers (alpha = A/Q with A, Q integers:
   floor(32*A/Q) is the integer division 32*A // Q, over Python ints, so it never overflows);
   anything else (nested roundings, Min, Max) is evaluated cell by cell in Python Fractions
   through the same sympy classes that `report` uses. These tables are small;
3. the remaining polynomial, whose inputs are now exact integers and the symbol values over their
   common denominators, is N / D with N an integer polynomial: evaluated in int64 by numpy where a
   bound on |N| shows it cannot overflow, else in Python ints (numpy object arrays), and whole
   where D divides it (else NOT_WHOLE). A closed form that divides by an expression of the
   symbols is evaluated cell by cell in Python ints and Fractions: a division by zero marks the
   cell UNDEFINED instead of raising.

The evaluation itself is `grid.py` (no sympy); this module turns sympy closed forms into its parts.

`numpy_functions()` and `lambdify_numpy` are the plain float path (numpy implementations of the
rounding classes, mapped by class name): fine for smooth curves and plots, not for exact counts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import sympy
from sympy.printing.pycode import PythonCodePrinter

from ..errors import SpecError
from .grid import NOT_WHOLE, UNDEFINED, Evaluator, Polynomial, Rounding, objects
from ..symbolic import MakeDivisible, RoundCeil, RoundDivisible, RoundFloor, RoundNearest, as_sympy

ROUNDING_CLASSES = (RoundFloor, RoundCeil, RoundNearest, RoundDivisible, MakeDivisible)
MAX_EXACT_CELLS = 2_000_000  # cells of one block evaluated by exact Python code at once


# --- the plain float path ----------------------------------------------------------------------


def _np_divisible(x, d):
    """torchvision's _make_divisible on float arrays (see symbolic.RoundDivisible)."""
    new = np.maximum(d, np.floor(x + d / 2) // d * d)
    return np.where(new < 0.9 * x, new + d, new)


def numpy_functions() -> dict:
    """numpy implementations of the channel-rounding classes, by class name, for lambdify.
    (floor, ceiling, Min and Max are printed by sympy's numpy printer itself, and MakeDivisible
    prints its own numpy code.)"""
    return {
        "RoundFloor": np.floor,
        "RoundCeil": np.ceil,
        "RoundNearest": lambda x: np.floor(x + 0.5),  # halves round up
        "RoundDivisible": _np_divisible,
    }


def lambdify_numpy(symbols, expr):
    """A float64 numpy function of `symbols`. Rounding is evaluated in floats: a value within
    float error of an integer may round the wrong way (use `Compiled` for exact counts)."""
    args, (body,) = renamed(list(symbols), [expr])
    return sympy.lambdify(args, body, modules=[numpy_functions(), "numpy"], dummify=True)


# --- the exact path ----------------------------------------------------------------------------

_INV = sympy.Function("inv_")  # 1/x, printed as a call so that exact code never divides ints to a float


class _FractionPrinter(PythonCodePrinter):
    """Python code in which every rational constant is a Fraction, so arithmetic stays exact.
    Rounding classes are printed as calls of their exact versions, never as their own float code
    (`printmethod` names a method no class defines)."""

    printmethod = "_exactcode"

    def _print_Rational(self, expr):
        return f"Fraction({expr.p}, {expr.q})"

    def _print_Half(self, expr):
        return "Fraction(1, 2)"


def _with_inverses(expr):
    """`expr` with every x**-n (x not a number) written inv_(x)**n: Python's 3/4 and 2**-1 are
    floats, and an array of exact values must mark a zero divisor rather than raise."""
    def negative_power(e):
        return e.is_Pow and e.exp.is_Integer and e.exp < 0 and not e.base.is_Number
    return as_sympy(expr).replace(negative_power, lambda e: _INV(e.base) ** (-e.exp))


def _exact_class(cls):
    """Evaluate a rounding class on exact values through its own sympy definition."""
    def call(*args):
        result = cls(*(sympy.Rational(a.numerator, a.denominator) if isinstance(a, Fraction) else sympy.Integer(a)
                       for a in args))
        if not result.is_Integer:
            raise ArithmeticError(f"{cls.__name__}{args} did not evaluate to an integer")
        return int(result)
    return call


def _inverse(v):
    """1/v exactly; ZeroDivisionError at 0."""
    return 1 / Fraction(v)


def _inverse_cell(v):
    """1/v exactly, for object arrays: NaN (undefined) at 0 and after an undefined value."""
    if isinstance(v, float) or v == 0:
        return math.nan
    return 1 / Fraction(v)


def renamed(symbols, exprs: list) -> tuple[list, list]:
    """The symbols replaced by fresh Dummies in `exprs`. lambdify puts every symbol of an
    expression into the generated code's namespace under its name: a symbol named Fraction,
    RoundFloor, math or numpy would shadow a helper of that code. Dummies print as generated
    names (_Dummy_123) that no spec symbol can take."""
    dummies = [sympy.Dummy(f"arg{i}", **s.assumptions0) for i, s in enumerate(symbols)]
    replace = dict(zip(symbols, dummies))
    return dummies, [as_sympy(e).xreplace(replace) for e in exprs]


def _lambdify_exact(symbols, expr, inverse):
    """Exact Python code for `expr`, its arguments under generated names (`renamed`)."""
    namespace = {cls.__name__: _exact_class(cls) for cls in ROUNDING_CLASSES}
    namespace.update(Fraction=Fraction, math=math, inv_=inverse)
    printer = _FractionPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True})
    args, (body,) = renamed(symbols, [_with_inverses(expr)])
    return sympy.lambdify(args, body, modules=[namespace, "math"], printer=printer, dummify=True)


def exact_function(symbols, expr):
    """A Python function of `symbols` (pass Fractions or ints) returning the exact value
    (Fraction or int) of `expr`, rounding nodes included; ZeroDivisionError where it divides by 0."""
    return _lambdify_exact(symbols, expr, _inverse)


def exact_array_function(symbols, expr):
    """Like `exact_function`, on numpy object arrays of exact values (broadcasting); a cell that
    divides by zero is NaN. For arithmetic expressions only (rounding nodes are not vectorised)."""
    return _lambdify_exact(symbols, expr, np.frompyfunc(_inverse_cell, 1, 1))


def _exact_cell(value):
    """One exact result as the grid's integer: itself, NOT_WHOLE or UNDEFINED."""
    if isinstance(value, float):  # NaN: a division by zero on the way
        return UNDEFINED
    if isinstance(value, Fraction) and value.denominator != 1:
        return NOT_WHOLE
    return int(value)


def is_arithmetic(node) -> bool:
    """Nodes numpy evaluates without rounding: sums, products, integer powers, symbols, numbers."""
    if isinstance(node, (sympy.Symbol, sympy.Number)) or node.is_Add or node.is_Mul:
        return True
    return node.is_Pow and node.exp.is_Integer


def rounding_nodes(expr) -> set:
    """The outermost non-arithmetic nodes of a closed form (floor(32*alpha), ceiling(r/2) ...)."""
    found, stack = set(), [expr]
    while stack:
        node = stack.pop()
        if not isinstance(node, sympy.Basic) or not node.args and is_arithmetic(node):
            continue
        if is_arithmetic(node):
            stack.extend(node.args)
        else:
            found.add(node)
    return found


def has_divisor(expr) -> bool:
    """Whether `expr` divides by an expression of its symbols (x**-n): float64 cannot tell a
    zero divisor from a tiny one, so such a form is evaluated exactly."""
    return any(e.is_Pow and e.exp.is_Integer and e.exp < 0 and e.base.free_symbols
               for e in sympy.preorder_traversal(expr))


def _cell(function, combo):
    """A rounding node at one combination of values; NaN (undefined) where it divides by zero."""
    try:
        return function(*combo)
    except ZeroDivisionError:
        return math.nan


def _cells(array: np.ndarray, shape: tuple, mask: np.ndarray) -> np.ndarray:
    """The entries of `array` (broadcastable to `shape`) at the cells of `mask` (of `shape`)."""
    take = tuple(slice(None) if n == m else slice(0, 1) for n, m in zip(array.shape, shape))
    return np.broadcast_to(array[take], shape)[mask]


def _rounding(node, syms: list, order: dict):
    """A node as grid.Rounding: its kind and polynomial argument when it is a channel rule, floor
    or ceiling of a polynomial of its symbols, else a function evaluating it cell by cell."""
    kinds = {RoundFloor: "floor", sympy.floor: "floor", RoundCeil: "ceil", sympy.ceiling: "ceil",
             RoundNearest: "nearest"}
    divisible = isinstance(node, (RoundDivisible, MakeDivisible)) and all(a.is_Integer for a in node.args[1:])
    kind = "divisible" if divisible else next((k for cls, k in kinds.items() if isinstance(node, cls)), None)
    arg = node.args[0] if node.args else None
    if syms and kind and arg is not None and not rounding_nodes(arg) and arg.is_polynomial(*syms):
        argument = _polynomial(arg, syms)
        if argument is not None:
            n = int(node.args[1]) if divisible else 0
            return Rounding([order[s] for s in syms], kind, argument, n, int(node.args[-1]) if divisible else 0)
    function = exact_function(syms, node)

    def cells(lists):
        return objects([_cell(function, combo) for combo in itertools.product(*lists)])
    return Rounding([order[s] for s in syms], cells=cells)


def _polynomial(expr, gens: list):
    """`expr` as a grid.Polynomial in `gens`, or None when it is not one with rational coefficients."""
    try:
        poly = sympy.Poly(expr, *gens)
    except sympy.PolynomialError:
        return None
    if not all(c.is_Rational for c in poly.coeffs()):
        return None
    return Polynomial([(m, Fraction(int(c.p), int(c.q))) for m, c in poly.terms()])


class Compiled:
    """Closed forms (name -> sympy expression in `symbols`) compiled for exact grid evaluation
    (`grid.Evaluator`, which `evaluator` holds; `evaluator.data()` is its plain-data form).

    `grid(values)` takes a list of exact values per symbol and returns, per name, an integer
    array over the Cartesian product (axis order = `symbols`): int64, or Python ints (dtype
    object) when a value is beyond int64. NOT_WHOLE marks a cell where the closed form is not an
    integer, UNDEFINED one where it divides by zero. `blocks(values, rows)` gives the same in
    blocks of at most `rows` cells (each a Cartesian product of consecutive values), so that a
    grid of any size is evaluated in constant memory. Values are keyed by symbol or name.

    Every closed form is evaluated exactly: rounding nodes by integer division or in Fractions,
    the rest as integer polynomials in int64 where a bound shows they cannot overflow, else in
    Python ints; a closed form that divides by an expression of the symbols cell by cell in
    Python ints and Fractions. No float is involved.

    Symbols are arguments of generated code under generated names: any symbol name works."""

    def __init__(self, symbols, exprs: dict):
        self.symbols = list(symbols)
        self.names = list(exprs)
        nodes = set()
        for expr in exprs.values():
            nodes |= rounding_nodes(as_sympy(expr))
        order = {s: i for i, s in enumerate(self.symbols)}
        self.nodes = sorted(nodes, key=sympy.default_sort_key)
        self.placeholders = [sympy.Dummy(f"r{i}") for i in range(len(self.nodes))]
        node_symbols = [sorted(node.free_symbols, key=order.__getitem__) for node in self.nodes]
        replace = dict(zip(self.nodes, self.placeholders))
        self.outer = [as_sympy(exprs[name]).xreplace(replace) for name in self.names]
        gens = [*self.symbols, *self.placeholders]
        outputs = {}
        for j, (name, e) in enumerate(zip(self.names, self.outer)):
            polynomial = None if has_divisor(e) else _polynomial(e, gens)
            outputs[name] = polynomial if polynomial is not None else self._exact_output(j)
        rounding = [_rounding(node, syms, order) for node, syms in zip(self.nodes, node_symbols)]
        self.evaluator = Evaluator([str(s) for s in self.symbols], rounding, outputs)
        self._exact_outer: dict[int, Callable[..., Any]] = {}

    def _exact_output(self, j: int):
        """Output j (it divides by an expression of the symbols) as exact cells of a block."""
        def cells(axes, tables, shape):
            return self._exact(j, np.ones(shape, dtype=bool), axes, tables)
        return cells

    def _exact(self, j: int, mask: np.ndarray, axes: list, tables: list) -> list:
        """Output j evaluated exactly (Python ints and Fractions) at the cells of `mask`."""
        count = int(mask.sum())
        if count > MAX_EXACT_CELLS:
            raise SpecError(f"{count:,} configurations need exact evaluation of {self.names[j]} (a divisor "
                            f"that depends on the symbols), more than {MAX_EXACT_CELLS:,} at once: narrow the ranges")
        if j not in self._exact_outer:
            self._exact_outer[j] = exact_array_function([*self.symbols, *self.placeholders], self.outer[j])
        args = [_cells(a, mask.shape, mask) for a in (*axes, *tables)]
        with np.errstate(all="ignore"):
            out = self._exact_outer[j](*args)
        out = np.broadcast_to(np.asarray(out, dtype=object), (int(mask.sum()),))
        return [_exact_cell(v) for v in out]

    def _named(self, values: dict) -> dict:
        return {str(k): v for k, v in values.items()}

    def grid(self, values: dict, *, broadcast: bool = True) -> dict:
        """See grid.Evaluator.grid (values keyed by symbol or name)."""
        return self.evaluator.grid(self._named(values), broadcast=broadcast)

    def blocks(self, values: dict, rows: int):
        """See grid.Evaluator.blocks (values keyed by symbol or name)."""
        return self.evaluator.blocks(self._named(values), rows)
