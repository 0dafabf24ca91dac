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
   and below 2**53, where float64 still holds every integer exactly. A cell beyond 2**53 (or
   beyond float range), and every cell of a closed form that divides by an expression of the
   symbols, is evaluated again exactly, over numpy object arrays of Python ints and Fractions:
   totals of any size come out exact (as Python ints when beyond int64), and a division by zero
   marks the cell UNDEFINED instead of raising.

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

from ..errors import SpecError
from ..symbolic import MakeDivisible, RoundCeil, RoundDivisible, RoundFloor, RoundNearest, as_sympy

ROUNDING_CLASSES = (RoundFloor, RoundCeil, RoundNearest, RoundDivisible, MakeDivisible)
EXACT_LIMIT = 2 ** 53  # float64 holds every integer below this exactly
INTEGER_TOLERANCE = 1e-6
MAX_EXACT_CELLS = 2_000_000  # cells evaluated in Python objects (~1 us per operation each) in one sweep


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

NOT_WHOLE = -1  # a closed form that is not an integer here: the configuration does not fit
UNDEFINED = -2  # a closed form that divides by zero here (report refuses: "division by zero")
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


def _as_float(value) -> float:
    """An exact cell as float64 for the float path (NaN stays NaN; beyond float range: inf)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


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
    exact values (`Scaled`, one per symbol), by integer division, as an object array of Python
    ints; None for other nodes."""
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
    return np.asarray(out, dtype=object)


def objects(items) -> np.ndarray:
    """A 1-D numpy object array of exact numbers: Python ints where whole (much faster than
    Fractions), else Fractions."""
    items = [int(v) if isinstance(v, Fraction) and v.denominator == 1 else v for v in items]
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


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


class _Polynomial:
    """One closed form as a polynomial in the symbols and the rounding placeholders with rational
    coefficients, evaluated exactly on integers: with every symbol written A/Q over its axis'
    common denominator, value = N(A, r) / D where N has integer coefficients, so a whole value is
    N // D with no remainder, and anything else is NOT_WHOLE. N is evaluated in int64 when a bound
    on it (the sum of |terms| at the largest inputs) is below 2**63, else over Python ints."""

    def __init__(self, expr, gens: list):
        poly = sympy.Poly(expr, *gens)
        self.terms = []
        for monomial, coeff in poly.terms():
            if not coeff.is_Rational:
                raise sympy.PolynomialError(f"coefficient {coeff} is not rational")
            self.terms.append((monomial, Fraction(int(coeff.p), int(coeff.q))))

    def evaluate(self, variables: list, scales: list, maxima: list) -> np.ndarray:
        """variables: int64 or object arrays broadcasting to the block, one per generator; scales:
        the integer denominator of each (1 for placeholders); maxima: the largest |value| of each."""
        den = math.lcm(*(c.denominator * math.prod(q ** e for q, e in zip(scales, m)) for m, c in self.terms))
        coefficients = [c.numerator * (den // (c.denominator * math.prod(q ** e for q, e in zip(scales, m))))
                        for m, c in self.terms]
        bound = sum(abs(k) * math.prod(x ** e for x, e in zip(maxima, m)) for (m, _), k in zip(self.terms, coefficients))
        exact = bound >= 2 ** 63 or any(v.dtype == object for v in variables)
        if exact:
            variables = [v.astype(object) for v in variables]
        groups: dict = {}  # terms by the generators they use: each group is summed at its own (small) shape
        for (monomial, _), k in zip(self.terms, coefficients):
            used = tuple(i for i, e in enumerate(monomial) if e)
            term = k if exact else np.int64(k)
            for i in used:
                term = term * (variables[i] if monomial[i] == 1 else variables[i] ** monomial[i])
            groups[used] = term if used not in groups else groups[used] + term
        total = 0 if exact else np.int64(0)
        for term in groups.values():
            total = total + term
        total = np.asarray(total, dtype=object if exact else np.int64)
        if den == 1:
            return total
        if exact:
            return np.frompyfunc(lambda n: n // den if n % den == 0 else NOT_WHOLE, 1, 1)(total).astype(object)
        quotient, remainder = np.divmod(total, den)
        return np.where(remainder == 0, quotient, NOT_WHOLE)


def _largest(array: np.ndarray) -> int:
    """The largest |value| of an int64 or object array of ints (0 when empty)."""
    if array.size == 0:
        return 0
    if array.dtype == object:
        return max(abs(v) for v in array.flat)
    return max(abs(int(array.max())), abs(int(array.min())))


class Compiled:
    """Closed forms (name -> sympy expression in `symbols`) compiled for exact grid evaluation.

    `grid(values)` takes a list of exact values per symbol and returns, per name, an integer
    array over the Cartesian product (axis order = `symbols`): int64, or Python ints (dtype
    object) when a value is beyond int64. NOT_WHOLE marks a cell where the closed form is not an
    integer, UNDEFINED one where it divides by zero. `blocks(values, rows)` gives the same in
    blocks of at most `rows` cells (each a Cartesian product of consecutive values), so that a
    grid of any size is evaluated in constant memory.

    Every closed form is evaluated exactly: rounding nodes by integer division or in Fractions
    (`_table`), the rest as integer polynomials (`_Polynomial`) in int64 where a bound shows it
    cannot overflow, else in Python ints; a closed form that divides by an expression of the
    symbols cell by cell in Python ints and Fractions. No float is involved.

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
        self.node_symbols = [sorted(node.free_symbols, key=order.__getitem__) for node in self.nodes]
        self._node_functions: dict[int, object] = {}  # exact code per node, made when first needed
        replace = dict(zip(self.nodes, self.placeholders))
        self.outer = [as_sympy(exprs[name]).xreplace(replace) for name in self.names]
        self.exact_always = [has_divisor(e) for e in self.outer]
        gens = [*self.symbols, *self.placeholders]
        self.polynomials = []
        for j, e in enumerate(self.outer):
            try:
                self.polynomials.append(None if self.exact_always[j] else _Polynomial(e, gens))
            except sympy.PolynomialError:
                self.exact_always[j] = True
                self.polynomials.append(None)
        self._exact_outer: dict[int, object] = {}

    def _table(self, k: int, values: dict, scaled: dict) -> np.ndarray:
        """Node k evaluated exactly at every combination of the values of its own symbols (an
        object array: ints, Fractions, NaN where it divides by zero), shaped to broadcast
        against the full grid."""
        syms = self.node_symbols[k]
        lists = [values[s] for s in syms]
        table = scaled_rounding(self.nodes[k], syms, [scaled[s] for s in syms])
        if table is None:
            if k not in self._node_functions:
                self._node_functions[k] = exact_function(syms, self.nodes[k])
            cells = [_cell(self._node_functions[k], combo) for combo in itertools.product(*lists)]
            table = objects(cells).reshape([len(v) for v in lists] or [1])
        shape = [len(values[s]) if s in syms else 1 for s in self.symbols]
        return table.reshape(shape)

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

    def _integer_tables(self, tables: list, shape: list) -> tuple[list, list, np.ndarray]:
        """Each node's table as int64 where every entry is an int below 2**63 (else object, with
        Fractions), NaN (a division by zero) replaced by 0; their largest |values|; and the cells
        of `shape` where some node divides by zero."""
        ints, maxima = [], []
        undefined = np.zeros([1] * len(shape), dtype=bool)
        for table in tables:
            nan = np.frompyfunc(lambda v: isinstance(v, float), 1, 1)(table).astype(bool)
            if nan.any():
                undefined = undefined | nan
                table = np.where(nan, 0, table).astype(object)
            whole = all(type(v) is int and -2 ** 63 < v < 2 ** 63 for v in table.flat)
            array = table.astype(np.int64) if whole else table
            ints.append(array)
            maxima.append(_largest(array) if whole else
                          max((abs(math.ceil(abs(v))) for v in table.flat), default=0))
        return ints, maxima, undefined

    def grid(self, values: dict, *, broadcast: bool = True) -> dict:
        """values: symbol -> list of exact numbers (Fraction or int). Returns name -> integer
        array of shape (len(values[s]) for s in symbols); with broadcast=False, each array keeps
        length 1 along the symbols it does not depend on (it broadcasts to that shape), which
        saves time and memory for closed forms of few symbols."""
        for s in self.symbols:
            if not values.get(s):
                raise ValueError(f"no values for symbol {s}")
        result, undefined = self._block(values)
        shape = [len(values[s]) for s in self.symbols]
        if undefined.any():
            for name in result:
                result[name] = np.where(undefined, UNDEFINED, result[name])
        return {name: np.broadcast_to(v, shape) if broadcast else v for name, v in result.items()}

    def blocks(self, values: dict, rows: int):
        """The grid of `values` (symbol -> exact values, C order over `symbols`) in consecutive
        blocks of at most `rows` cells (at least one line of the last axis): yields (ranges, result,
        undefined), ranges a (start, stop) of value indices per symbol, result name -> integer
        array broadcasting to the block's shape (as grid(..., broadcast=False)), undefined a bool
        array of the cells where a closed form divides by zero."""
        shape = [len(values[s]) for s in self.symbols]
        if not shape:
            result, undefined = self._block(values)
            yield [], result, undefined
            return
        tables: dict = {}  # node -> (the index ranges of its symbols' values, its table), within this grid
        split = next(k for k in range(len(shape)) if math.prod(shape[k + 1:]) <= rows)  # axes after it: whole
        step = max(1, rows // math.prod(shape[split + 1:]))
        for prefix in itertools.product(*(range(n) for n in shape[:split])):
            for start in range(0, shape[split], step):
                ranges = [(i, i + 1) for i in prefix] + [(start, min(start + step, shape[split]))]
                ranges += [(0, n) for n in shape[split + 1:]]
                sub = {s: values[s][a:b] for s, (a, b) in zip(self.symbols, ranges)}
                result, undefined = self._block(sub, ranges, tables)
                yield ranges, result, undefined

    def _block(self, values: dict, ranges: list | None = None, cache: dict | None = None) -> tuple[dict, np.ndarray]:
        """Every closed form on the Cartesian product of `values` (values[s] for s in symbols),
        exactly; and the cells where one divides by zero. `ranges` (the values' index ranges in
        the whole grid) and `cache` let a node table be reused from the previous block of the same
        grid when its own symbols' values are the same."""
        shape = [len(values[s]) for s in self.symbols]
        axes, exact_axes, scales, maxima, scaled = [], [], [], [], {}
        for i, s in enumerate(self.symbols):
            axis_shape = [1] * len(shape)
            axis_shape[i] = shape[i]
            scaled[s] = Scaled(values[s])  # value = ints / scale, exactly
            ints = scaled[s].ints
            whole = all(-2 ** 63 < v < 2 ** 63 for v in ints)
            axes.append((ints.astype(np.int64) if whole else ints).reshape(axis_shape))
            scales.append(scaled[s].scale)
            maxima.append(max(abs(v) for v in ints))
            if any(self.exact_always):
                exact_axes.append(objects(values[s]).reshape(axis_shape))
        tables = []
        for k in range(len(self.nodes)):
            key = None if cache is None else tuple(ranges[self.symbols.index(s)] for s in self.node_symbols[k])
            cached = cache.get(k) if cache is not None else None
            if cached is not None and cached[0] == key:
                tables.append(cached[1])
                continue
            table = self._table(k, values, scaled)
            if cache is not None:
                cache[k] = (key, table)
            tables.append(table)
        int_tables, table_maxima, undefined = self._integer_tables(tables, shape)
        variables = [*axes, *int_tables]
        result = {}
        for j, name in enumerate(self.names):
            if self.exact_always[j]:
                mask = np.ones(shape, dtype=bool)
                exact = self._exact(j, mask, exact_axes, tables)
                big = any(abs(v) >= 2 ** 63 for v in exact)
                value = np.array(exact, dtype=object if big else np.int64).reshape(shape)
                undefined = undefined | (value == UNDEFINED)
            else:
                value = self._polynomials_value(j, variables, scales, maxima + table_maxima)
            result[name] = value
        return result, undefined

    def _polynomials_value(self, j, variables, scales, maxima) -> np.ndarray:
        """Output j (a polynomial) exactly: int64, or Python ints (object) where beyond int64."""
        value = self.polynomials[j].evaluate(variables, scales + [1] * len(self.nodes), maxima)
        if value.dtype == object and all(type(v) is int and abs(v) < 2 ** 63 for v in value.flat):
            value = value.astype(np.int64)
        return value
