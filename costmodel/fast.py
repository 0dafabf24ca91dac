"""Closed forms compiled for many configurations at once: exact rounding, numpy speed.

A network's exact totals are polynomials in its symbols and in *rounding nodes*: the channel
roundings of `symbolic.py` (RoundFloor, RoundCeil, RoundNearest, RoundDivisible, and the spec
function MakeDivisible) and the
floor, ceiling, Min and Max of spatial sizes. Evaluating a rounding node in float64 is not safe:
32*0.3 is 9.600000000000001 in floats, fine, but 100*0.29 is 28.999999999999996, and floor
gives 28 where the exact answer is 29. So `Compiled` never rounds a float:

1. every outermost rounding node is replaced by a placeholder;
2. each node is evaluated *exactly* once per distinct value of the symbols it depends on:
   floor(32*alpha) once per alpha, ceiling(resolution/2) once per resolution. A rounding of a
   polynomial is scaled to integers (alpha = A/Q with A, Q integers: floor(32*A/Q) is the
   integer division 32*A // Q, vectorised over Python ints, so it never overflows); anything
   else (nested roundings, Min, Max) is evaluated cell by cell in Python Fractions through the
   same sympy classes that `report` uses. These tables are small;
3. the remaining polynomial, whose inputs are now exact integers and the symbol values, is
   lambdified to numpy and evaluated in float64 over the whole grid by broadcasting;
4. each result is rounded to the nearest integer, after checking that it is within 1e-6 of one
   and below 2**53, where float64 still holds every integer exactly (else ArithmeticError).

`numpy_functions()` and `lambdify_numpy` are the plain float path (numpy implementations of the
rounding classes, mapped by class name): fine for smooth curves and plots, not for exact counts.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import sympy
from sympy.printing.pycode import PythonCodePrinter

from .symbolic import MakeDivisible, RoundCeil, RoundDivisible, RoundFloor, RoundNearest, as_sympy

ROUNDING_CLASSES = (RoundFloor, RoundCeil, RoundNearest, RoundDivisible, MakeDivisible)
EXACT_LIMIT = 2 ** 53  # float64 holds every integer below this exactly
INTEGER_TOLERANCE = 1e-6


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
    return sympy.lambdify(symbols, expr, modules=[numpy_functions(), "numpy"])


# --- the exact path ----------------------------------------------------------------------------


class _FractionPrinter(PythonCodePrinter):
    """Python code in which every rational constant is a Fraction, so arithmetic stays exact.
    Rounding classes are printed as calls of their exact versions, never as their own float code
    (`printmethod` names a method no class defines)."""

    printmethod = "_exactcode"

    def _print_Rational(self, expr):
        return f"Fraction({expr.p}, {expr.q})"

    def _print_Half(self, expr):
        return "Fraction(1, 2)"


def _exact_class(cls):
    """Evaluate a rounding class on exact values through its own sympy definition."""
    def call(*args):
        result = cls(*(sympy.Rational(a.numerator, a.denominator) if isinstance(a, Fraction) else sympy.Integer(a)
                       for a in args))
        if not result.is_Integer:
            raise ArithmeticError(f"{cls.__name__}{args} did not evaluate to an integer")
        return int(result)
    return call


def exact_function(symbols, expr):
    """A Python function of `symbols` (pass Fractions or ints) returning the exact value
    (Fraction or int) of `expr`, rounding nodes included."""
    namespace = {cls.__name__: _exact_class(cls) for cls in ROUNDING_CLASSES}
    namespace.update(Fraction=Fraction, math=math)
    printer = _FractionPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True})
    return sympy.lambdify(symbols, expr, modules=[namespace, "math"], printer=printer)


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


class Scaled:
    """One symbol's exact values as integers over a common denominator: value_i = ints[i] / scale."""

    def __init__(self, values):
        fractions = [Fraction(v) for v in values]
        self.scale = math.lcm(*(f.denominator for f in fractions))
        self.ints = np.array([f.numerator * (self.scale // f.denominator) for f in fractions], dtype=object)


def _scaled_numerator(poly: sympy.Poly, scaled: list) -> tuple[np.ndarray, int]:
    """A polynomial with rational coefficients at every combination of exact values, as
    (integer numerators over the grid, as Python ints; one common integer denominator)."""
    scales = [s.scale for s in scaled]
    ints = []
    for i, s in enumerate(scaled):
        shape = [1] * len(scaled)
        shape[i] = len(s.ints)
        ints.append(s.ints.reshape(shape))
    terms = poly.terms()
    den = math.lcm(*(int(sympy.Rational(c).q) * math.prod(q ** e for q, e in zip(scales, m)) for m, c in terms))
    num = np.zeros([len(s.ints) for s in scaled], dtype=object)
    for monomial, coeff in terms:
        c = sympy.Rational(coeff)
        term = int(c.p) * (den // (int(c.q) * math.prod(q ** e for q, e in zip(scales, monomial))))
        for x, e in zip(ints, monomial):
            if e:
                term = term * x ** e
        num = num + term
    return num, den


def scaled_rounding(node, syms: list, scaled: list):
    """A rounding (channel rule, floor or ceiling) of a polynomial, at every combination of
    exact values (`Scaled`, one per symbol), by integer division; None for other nodes."""
    kinds = (RoundFloor, RoundCeil, RoundNearest, sympy.floor, sympy.ceiling)
    divisible = isinstance(node, (RoundDivisible, MakeDivisible)) and all(a.is_Integer for a in node.args[1:])
    if not syms or not (isinstance(node, kinds) or divisible):
        return None
    arg = node.args[0]
    if rounding_nodes(arg) or not arg.is_polynomial(*syms):
        return None
    num, den = _scaled_numerator(sympy.Poly(arg, *syms), scaled)  # value = num / den exactly, den > 0
    if isinstance(node, (RoundFloor, sympy.floor)):
        out = num // den
    elif isinstance(node, (RoundCeil, sympy.ceiling)):
        out = -((-num) // den)
    elif isinstance(node, RoundNearest):
        out = (2 * num + den) // (2 * den)  # floor(v + 1/2)
    else:  # RoundDivisible(v, n), MakeDivisible(v, n, m): max(m, floor(v + n/2) // n * n), plus n if below 0.9 v
        n, m = int(node.args[1]), int(node.args[-1])
        new = (2 * num + n * den) // (2 * den) // n * n
        new = np.where(new < m, m, new)
        out = np.where(10 * new * den < 9 * num, new + n, new)
    return np.asarray(out, dtype=object).astype(np.float64)


class Compiled:
    """Closed forms (name -> sympy expression in `symbols`) compiled for exact grid evaluation.

    `grid(values)` takes a list of exact values per symbol and returns, per name, an int64
    array over the Cartesian product (axis order = `symbols`)."""

    def __init__(self, symbols, exprs: dict):
        self.symbols = list(symbols)
        self.names = list(exprs)
        nodes = set()
        for expr in exprs.values():
            nodes |= rounding_nodes(as_sympy(expr))
        order = {s: i for i, s in enumerate(self.symbols)}
        self.nodes = sorted(nodes, key=sympy.default_sort_key)
        self.placeholders = [sympy.Dummy(f"r{i}") for i in range(len(self.nodes))]
        self.node_symbols = [sorted(node.free_symbols, key=order.__getitem__) for node in self.nodes]
        self.node_functions = [exact_function(syms, node) for syms, node in zip(self.node_symbols, self.nodes)]
        replace = dict(zip(self.nodes, self.placeholders))
        outer = [as_sympy(exprs[name]).xreplace(replace) for name in self.names]
        self.function = sympy.lambdify([*self.symbols, *self.placeholders], outer, modules="numpy", cse=True)

    def _table(self, k: int, values: dict, scaled: dict) -> np.ndarray:
        """Node k evaluated exactly at every combination of the values of its own symbols,
        shaped to broadcast against the full grid."""
        syms = self.node_symbols[k]
        lists = [values[s] for s in syms]
        table = scaled_rounding(self.nodes[k], syms, [scaled[s] for s in syms])
        if table is None:
            cells = [self.node_functions[k](*combo) for combo in itertools.product(*lists)]
            integral = all(isinstance(c, int) or c.denominator == 1 for c in cells)
            table = np.array([int(c) for c in cells] if integral else [float(c) for c in cells],
                             dtype=np.float64).reshape([len(v) for v in lists] or [1])
        shape = [len(values[s]) if s in syms else 1 for s in self.symbols]
        return table.reshape(shape)

    def grid(self, values: dict, *, broadcast: bool = True) -> dict:
        """values: symbol -> list of exact numbers (Fraction or int). Returns name -> int64 array
        of shape (len(values[s]) for s in symbols); with broadcast=False, each array keeps length
        1 along the symbols it does not depend on (it broadcasts to that shape), which saves
        time and memory for closed forms of few symbols."""
        for s in self.symbols:
            if not values.get(s):
                raise ValueError(f"no values for symbol {s}")
        shape = [len(values[s]) for s in self.symbols]
        axes = []
        for i, s in enumerate(self.symbols):
            axis_shape = [1] * len(shape)
            axis_shape[i] = shape[i]
            axes.append(np.array([float(v) for v in values[s]], dtype=np.float64).reshape(axis_shape))
        scaled = {s: Scaled(values[s]) for s in self.symbols}
        tables = [self._table(k, values, scaled) for k in range(len(self.nodes))]
        outputs = self.function(*axes, *tables)
        result = {}
        for name, out in zip(self.names, outputs):
            out = np.asarray(out, dtype=np.float64).reshape([1] * len(shape)) if np.ndim(out) == 0 else out
            nearest = np.rint(out)
            if out.size and not np.all(np.abs(nearest) < EXACT_LIMIT):
                raise ArithmeticError(f"{name} reaches {np.max(np.abs(out)):.6g}, beyond float64's exact integers")
            # a closed form that is not an integer here marks a configuration that does not fit
            # (e.g. groups that do not divide the channels): flagged with -1
            off = np.abs(out - nearest) > INTEGER_TOLERANCE
            value = nearest.astype(np.int64)
            if off.any():
                value[off] = -1
            result[name] = np.broadcast_to(value, shape) if broadcast else value
        return result
