"""Closed forms evaluated exactly over blocks of a grid of symbol values, without sympy.

`fast.Compiled` turns a network's closed forms into the parts this module evaluates (and
`Evaluator.data()` into plain data that the sweep cache stores):

- each *rounding node* (floor(32*alpha), a channel rule of a polynomial ...) is a `Rounding`: its
  kind and its argument, a polynomial of the node's own symbols with rational coefficients, or,
  when it is none of those (nested roundings, Min, Max), a function evaluating it cell by cell;
- each closed form is a `Polynomial` in the symbols and the nodes' values, or a function for one
  that divides by an expression of the symbols.

Nothing is evaluated in floating point. A symbol's values are written over their common
denominator (alpha = A/Q, `Scaled`); a rounding is then an integer division of Python ints; a
polynomial is N(A, r) / D with integer coefficients, evaluated in int64 where a bound on |N| shows
it cannot overflow, else in Python ints (numpy object arrays); a whole value is N // D with no
remainder, anything else NOT_WHOLE.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

NOT_WHOLE = -1  # a closed form that is not an integer here: the configuration does not fit
UNDEFINED = -2  # a closed form that divides by zero here (report refuses: "division by zero")
ROUNDINGS = ("floor", "ceil", "nearest", "divisible")
DATA_KIND = "sweep-grid-1"  # the form of Evaluator.data(); bump when it changes


class Progression(Sequence):
    """The exact values (first + k * step) / scale for k = 0 ... length - 1 (integers; scale > 0),
    never held as a list: a `--range` axis of any length. A sequence of Fractions (indexing,
    slicing to another Progression, iteration, equality with a list); `numerators(start, stop)`
    and `floats(start, stop)` give a span of it as arrays, without a Fraction per value."""

    __slots__ = ("first", "step", "scale", "length")

    def __init__(self, first: int, step: int, scale: int, length: int):
        if scale < 1 or length < 0:
            raise ValueError("a progression needs a positive scale and a length >= 0")
        self.first, self.step, self.scale, self.length = int(first), int(step), int(scale), int(length)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, key):
        if isinstance(key, slice):
            span = range(self.length)[key]
            return Progression(self.first + span.start * self.step, span.step * self.step, self.scale, len(span))
        k = range(self.length)[key]  # IndexError beyond either end, negative indices from the end
        return Fraction(self.first + k * self.step, self.scale)

    def __iter__(self):
        for k in range(self.length):
            yield Fraction(self.first + k * self.step, self.scale)

    def __eq__(self, other):
        if isinstance(other, (Progression, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a sequence compared by value, as a list

    def __repr__(self) -> str:
        return f"Progression(({self.first} + k * {self.step}) / {self.scale}, k < {self.length})"

    def reduced(self) -> tuple[int, int, int]:
        """(first, step, scale) over the values' least common denominator (what `Scaled` of the
        same values as a list takes): the gcd of first, step and scale divided out."""
        g = math.gcd(self.first, self.step if self.length > 1 else 0, self.scale)
        return self.first // g, self.step // g, self.scale // g

    def numerators(self, start: int, stop: int, reduced: bool = True) -> np.ndarray:
        """first + k * step for k in [start, stop) (over the least common denominator when
        `reduced`): int64 when every one and each product fits, else Python ints (dtype object)."""
        first, step, _ = self.reduced() if reduced else (self.first, self.step, self.scale)
        stop = max(start, stop)
        ends = (first + start * step, first + (stop - 1) * step)
        if max(abs(first), *(abs(e) for e in ends), abs(step) * stop) < 2 ** 62:
            return first + np.arange(start, stop, dtype=np.int64) * np.int64(step)
        return objects([first + k * step for k in range(start, stop)])

    def decimals(self, start: int, stop: int) -> tuple[np.ndarray, int] | None:
        """The values k in [start, stop) as decimals M / 10**d (M int64, M in [10**(d - 4), 10**15):
        `rowtext.decimals` writes them as Python's float repr), or None when one is not such a
        decimal (a denominator with a prime factor other than 2 and 5, a value below 1e-4, more
        than 15 digits)."""
        first, step, scale = self.reduced()
        twos, fives = _multiplicity(scale, 2), _multiplicity(scale, 5)
        if scale != 2 ** twos * 5 ** fives or stop <= start:
            return None
        exponent = max(twos, fives)
        times = 10 ** exponent // scale  # M = numerator * times
        ends = sorted(((first + start * step) * times, (first + (stop - 1) * step) * times))
        if ends[0] < 10 ** max(0, exponent - 4) or ends[1] >= 10 ** 15:
            return None
        return self.numerators(start, stop) * np.int64(times), exponent

    def floats(self, start: int, stop: int) -> np.ndarray:
        """float(value) for k in [start, stop), each the float nearest the exact value (a quotient
        of two integers below 2**53 is correctly rounded by float64 division; else Python's int
        division, also correctly rounded)."""
        first, step, scale = self.reduced()
        numerators = self.numerators(start, stop)
        if numerators.dtype != object and scale < 2 ** 53 and \
                (not len(numerators) or int(np.abs(numerators).max()) < 2 ** 53):
            return numerators.astype(np.float64) / float(scale)
        return np.array([n / scale for n in numerators.tolist()], dtype=np.float64)


def _multiplicity(n: int, p: int) -> int:
    """How many times the prime p divides n (n >= 1)."""
    count = 0
    while n % p == 0:
        n, count = n // p, count + 1
    return count


class Scaled:
    """One symbol's exact values as integers over a common denominator: value_i = ints[i] / scale
    (`int64` the same as int64, or None when one does not fit; `largest` the largest |ints|)."""

    def __init__(self, values):
        if isinstance(values, Progression):
            self._progression = values
            _, _, self.scale = values.reduced()
            self._set(values.numerators(0, len(values)))
            return
        self._progression = None
        fractions = [v if type(v) is Fraction else Fraction(v) for v in values]
        self.scale = math.lcm(*(f.denominator for f in fractions))
        self._ints = np.array([f.numerator * (self.scale // f.denominator) for f in fractions], dtype=object)
        self.int64 = self._ints.astype(np.int64) if all(-2 ** 63 < v < 2 ** 63 for v in self._ints) else None
        self.largest = max((abs(v) for v in self._ints), default=0)

    @classmethod
    def axis(cls, values) -> "Scaled":
        """The scaled form of a grid's axis, for `part`: a Progression's numerators are made only
        block by block (its parts), a list's at once."""
        if isinstance(values, Progression):
            whole = object.__new__(cls)
            whole._progression = values
            _, _, whole.scale = values.reduced()
            return whole
        return cls(values)

    def _set(self, numerators: np.ndarray) -> None:
        """ints, int64 and largest from the numerators of a progression (int64 or object)."""
        if numerators.dtype == object:
            self._ints, self.int64 = numerators, None
            self.largest = max((abs(v) for v in numerators.tolist()), default=0)
        else:
            self._ints, self.int64 = None, numerators  # the Python ints made when asked for
            self.largest = max(abs(int(numerators.min())), abs(int(numerators.max()))) if len(numerators) else 0

    @property
    def ints(self) -> np.ndarray:
        """The numerators as Python ints (dtype object)."""
        if self._ints is None:
            self._ints = self.int64.astype(object)  # type: ignore[union-attr]
        return self._ints

    def part(self, start: int, stop: int) -> "Scaled":
        """Values start:stop, over the same denominator."""
        part = object.__new__(Scaled)
        part._progression, part.scale = None, self.scale
        if self._progression is not None:
            part._set(self._progression.numerators(start, stop))
            return part
        part._ints = self.ints[start:stop]
        part.int64 = None if self.int64 is None else self.int64[start:stop]
        part.largest = max((abs(v) for v in part._ints), default=0)
        return part


def objects(items) -> np.ndarray:
    """A 1-D numpy object array of exact numbers: Python ints where whole (much faster than
    Fractions), else Fractions."""
    items = [int(v) if isinstance(v, Fraction) and v.denominator == 1 else v for v in items]
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


class Polynomial:
    """A polynomial with rational coefficients: terms (exponents per variable, coefficient)."""

    def __init__(self, terms):
        self.terms = [(tuple(int(e) for e in monomial), Fraction(c)) for monomial, c in terms]
        self._numerators: dict = {}  # scales -> numerator(scales): the same for every block of a grid
        self._plans: dict = {}  # (supports, shapes) -> the order of the sum (_plan), the same for most blocks
        self._factors = [tuple((i, e) for i, e in enumerate(m) if e) for m, _ in self.terms]  # (variable, exponent) of each term

    def data(self) -> list:
        return [[list(m), c.numerator, c.denominator] for m, c in self.terms]

    @classmethod
    def from_data(cls, data, variables: int) -> "Polynomial":
        terms = [(m, Fraction(p, q)) for m, p, q in data]
        if any(len(m) != variables or min(m, default=0) < 0 for m, _ in terms):
            raise ValueError("a term's exponents do not match the variables")
        return cls(terms)

    def numerator(self, scales: list) -> tuple[list, int]:
        """With each variable written x = X / scale: the integer coefficients of N(X) and the
        denominator D such that the polynomial is N(X) / D."""
        key = tuple(scales)
        if key not in self._numerators:
            def scale_of(m):
                return math.prod(q ** e for q, e in zip(scales, m))
            den = math.lcm(*(c.denominator * scale_of(m) for m, c in self.terms)) if self.terms else 1
            self._numerators[key] = ([c.numerator * (den // (c.denominator * scale_of(m))) for m, c in self.terms], den)
        return self._numerators[key]

    def evaluate(self, variables: list, scales: list, maxima: list, supports: list | None = None) -> np.ndarray:
        """The exact value at int64 or object arrays broadcasting to the block (one per variable,
        each x = X / scale): int64 where the bound on |N| (the sum of |terms| at the largest
        inputs `maxima`) is below 2**63, else Python ints; NOT_WHOLE where the value is not whole."""
        coefficients, den = self.numerator(scales)
        bound = sum(abs(k) * math.prod(maxima[i] ** e for i, e in factors)
                    for factors, k in zip(self._factors, coefficients))
        exact = bound >= 2 ** 63 or any(v.dtype == object for v in variables)
        if exact:
            variables = [v.astype(object) for v in variables]
        ks = coefficients if exact else [np.int64(k) for k in coefficients]
        supports = supports or [frozenset(i for i, n in enumerate(v.shape) if n > 1) for v in variables]
        key = (tuple(supports), tuple(v.shape for v in variables))  # the same for every block of a grid but the last
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= 64:  # grids of many shapes in one process: keep the newest only
                self._plans.clear()
            plan = self._plans[key] = _plan([(j, m) for j, (m, _) in enumerate(self.terms)], variables, supports)
        total = _run(plan, ks, variables, 0 if exact else np.int64(0))
        total = np.asarray(total, dtype=object if exact else np.int64)
        if den == 1:
            return total
        if exact:
            return np.frompyfunc(lambda n: n // den if n % den == 0 else NOT_WHOLE, 1, 1)(total).astype(object)
        quotient, remainder = np.divmod(total, den)
        return np.where(remainder == 0, quotient, NOT_WHOLE)


def _plan(terms: list, variables: list, supports: list):
    """The order in which `_run` sums terms (index, exponents) over variables broadcasting to a
    block: the variables of one axis factored out (sum over x^e of x^e * (the rest), the rest summed
    at its own, smaller shape), axis after axis, so that few operations are at the block's full
    size. ("terms", [(index, ((variable, exponent), ...))]) sums term by term; ("factor", own,
    [(exponents of own, plan of the rest)]) factors the variables `own` out. Every intermediate is
    bounded by the sum of |terms|, the bound that chose int64."""
    used = {i for _, m in terms for i, e in enumerate(m) if e}
    single = {next(iter(supports[i])) for i in used if len(supports[i]) == 1}
    if not single:  # constants, or variables of several axes each: summed term by term
        return ("terms", [(j, tuple((i, e) for i, e in enumerate(m) if e)) for j, m in terms])
    axis = max(single, key=lambda a: next(variables[i].shape[a] for i in used if supports[i] == {a}))
    own = [i for i in used if supports[i] == {axis}]
    groups: dict = {}
    for j, monomial in terms:
        key = tuple(monomial[i] for i in own)
        rest = tuple(0 if i in own else e for i, e in enumerate(monomial))
        groups.setdefault(key, []).append((j, rest))
    return ("factor", own, [(key, _plan(group, variables, supports)) for key, group in groups.items()])


def _run(plan, coefficients: list, variables: list, zero):
    """The sum `plan` describes, with the terms' coefficients (by index)."""
    total = zero
    if plan[0] == "terms":
        for j, factors in plan[1]:
            term = coefficients[j]
            for i, e in factors:
                term = term * (variables[i] if e == 1 else variables[i] ** e)
            total = total + term
        return total
    _, own, groups = plan
    for key, inner_plan in groups:
        inner = _run(inner_plan, coefficients, variables, zero)
        for i, e in zip(own, key):
            if e:
                inner = inner * (variables[i] if e == 1 else variables[i] ** e)
        total = total + inner
    return total


class Rounding:
    """A rounding node: `kind` (ROUNDINGS) of a polynomial of its symbols (indices into the
    evaluator's symbols); divisible: torchvision's rule to a multiple of n, at least m. Or, with
    `cells` (a function of lists of values giving an object array), any other node, evaluated
    cell by cell (ints, Fractions, NaN where it divides by zero)."""

    def __init__(self, symbols: list, kind: str | None = None, argument: Polynomial | None = None,
                 n: int = 0, m: int = 0, cells=None):
        if cells is None and (kind not in ROUNDINGS or argument is None or not symbols):
            raise ValueError(f"rounding node: kind {kind!r}")
        self.symbols, self.kind, self.n, self.m, self.cells = list(symbols), kind, n, m, cells
        self.argument: Polynomial = argument  # type: ignore[assignment]  # None only with `cells`, never read then

    def data(self) -> dict | None:
        if self.cells is not None:
            return None
        return {"symbols": self.symbols, "kind": self.kind, "argument": self.argument.data(), "n": self.n, "m": self.m}

    @classmethod
    def from_data(cls, data: dict) -> "Rounding":
        symbols = [int(s) for s in data["symbols"]]
        n, m = int(data["n"]), int(data["m"])
        if data["kind"] == "divisible" and n < 1:
            raise ValueError("divisible by less than 1")
        return cls(symbols, data["kind"], Polynomial.from_data(data["argument"], len(symbols)), n, m)

    def table(self, lists: list, scaled: list | None = None) -> np.ndarray:
        """The node at every combination of its symbols' values (one axis each): int64 where a
        bound shows that no step can overflow (`_fits_int64`), else Python ints (dtype object);
        `scaled`: the same values as `Scaled`, if at hand. (A node of `cells`: its object array.)"""
        if self.cells is not None:
            return self.cells(lists)
        scaled = scaled or [Scaled(v) for v in lists]
        coefficients, den = self.argument.numerator([s.scale for s in scaled])
        narrow = self._fits_int64(coefficients, den, scaled)
        axes = []
        for i, s in enumerate(scaled):
            shape = [1] * len(scaled)
            shape[i] = len(s.int64 if narrow else s.ints)
            axes.append((s.int64 if narrow else s.ints).reshape(shape))
        # the argument is num / den exactly, den > 0
        num = np.zeros([len(x) for x in (s.int64 if narrow else s.ints for s in scaled)], dtype=np.int64 if narrow else object)
        for (monomial, _), k in zip(self.argument.terms, coefficients):
            term = k
            for x, e in zip(axes, monomial):
                if e:
                    term = term * x ** e
            num = num + term
        if self.kind == "floor":
            out = num // den
        elif self.kind == "ceil":
            out = -((-num) // den)
        elif self.kind == "nearest":
            out = (2 * num + den) // (2 * den)  # floor(v + 1/2): halves round up
        else:  # RoundDivisible(v, n), MakeDivisible(v, n, m): max(m, floor(v + n/2) // n * n), plus n if below 0.9 v
            n, m = self.n, self.m
            new = (2 * num + n * den) // (2 * den) // n * n
            new = np.where(new < m, m, new)
            out = np.where(10 * new * den < 9 * num, new + n, new)
        return np.asarray(out, dtype=np.int64 if narrow else object)

    def _fits_int64(self, coefficients: list, den: int, scaled: list) -> bool:
        """Whether every step of `table` stays inside int64 on these values: |num| is at most B, the
        sum over terms of |k| times each variable's largest |value| (at least 1) to its power; the
        largest intermediate is divisible's 10 * new * den, new at most B + n + m, beside 2 * num + n * den."""
        if any(s.int64 is None for s in scaled):
            return False
        largest = [max(1, s.largest) for s in scaled]
        bound = sum(abs(k) * math.prod(x ** e for x, e in zip(largest, monomial))
                    for (monomial, _), k in zip(self.argument.terms, coefficients))
        return 10 * (bound + self.n + self.m + 1) * den + 2 * bound + self.n * den < 2 ** 63


def _int64(table: np.ndarray) -> np.ndarray | None:
    """An object array of Python ints as int64 when every one is in (-2**63, 2**63), else None
    (numpy's cast refuses an int beyond int64 with OverflowError, never wraps it)."""
    try:
        array = table.astype(np.int64)
    except OverflowError:
        return None
    return None if array.size and int(array.min()) == -2 ** 63 else array


def _largest(array: np.ndarray) -> int:
    """The largest |value| of an int64 or object array of ints (0 when empty)."""
    if array.size == 0:
        return 0
    if array.dtype == object:
        return max(abs(v) for v in array.flat)
    return max(abs(int(array.max())), abs(int(array.min())))


class Evaluator:
    """Closed forms over grids of exact symbol values, by name. `symbols` are names (the keys of
    the values given); `nodes` the Roundings; `outputs` name -> Polynomial (in the symbols, then
    one variable per node) or a function (exact_axes, tables, shape) -> list of exact cells, for
    a closed form that divides by an expression of the symbols."""

    def __init__(self, symbols: list, nodes: list, outputs: dict):
        self.symbols, self.nodes, self.outputs = list(symbols), list(nodes), dict(outputs)
        self.names = list(outputs)
        # a closed form evaluated cell by cell reads the node tables as Python ints
        self._exact_outputs = any(not isinstance(o, Polynomial) for o in self.outputs.values())

    # --- the data the sweep cache stores -------------------------------------------------------

    def data(self) -> dict | None:
        """Plain data (JSON) for the cache, or None when a node or closed form needs code."""
        nodes = [node.data() for node in self.nodes]
        if any(n is None for n in nodes) or not all(isinstance(p, Polynomial) for p in self.outputs.values()):
            return None
        return {"kind": DATA_KIND, "symbols": self.symbols, "nodes": nodes,
                "outputs": {name: p.data() for name, p in self.outputs.items()}}

    @classmethod
    def from_data(cls, data: dict) -> "Evaluator":
        """The evaluator of `data()`; ValueError (or KeyError, TypeError) if it is malformed."""
        if data.get("kind") != DATA_KIND:
            raise ValueError("not sweep grid data")
        symbols = [str(s) for s in data["symbols"]]
        nodes = [Rounding.from_data(n) for n in data["nodes"]]
        if any(not 0 <= s < len(symbols) for n in nodes for s in n.symbols):
            raise ValueError("a node's symbol is out of range")
        variables = len(symbols) + len(nodes)
        outputs = {str(name): Polynomial.from_data(p, variables) for name, p in data["outputs"].items()}
        return cls(symbols, nodes, outputs)

    # --- evaluation ------------------------------------------------------------------------------

    def grid(self, values: dict, *, broadcast: bool = True) -> dict:
        """values: symbol name -> list of exact numbers (Fraction or int). Returns name -> integer
        array of shape (len(values[s]) for s in symbols), NOT_WHOLE and UNDEFINED marking cells;
        with broadcast=False, each array keeps length 1 along the symbols it does not depend on."""
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
        """The grid of `values` (symbol name -> exact values, C order over `symbols`) in
        consecutive blocks of at most `rows` cells (at least one line of the last axis): yields
        (ranges, result, undefined), ranges a (start, stop) of value indices per symbol, result
        name -> integer array broadcasting to the block's shape, undefined a bool array of the
        cells where a closed form divides by zero."""
        shape = [len(values[s]) for s in self.symbols]
        if not shape:
            result, undefined = self._block(values)
            yield [], result, undefined
            return
        tables: dict = {}  # node -> (the index ranges of its symbols' values, its tables), within this grid
        scaled = [Scaled.axis(values[s]) for s in self.symbols]  # one common denominator per axis: the same in every block
        split = next(k for k in range(len(shape)) if math.prod(shape[k + 1:]) <= rows)  # axes after it: whole
        step = max(1, rows // math.prod(shape[split + 1:]))
        for prefix in itertools.product(*(range(n) for n in shape[:split])):
            for start in range(0, shape[split], step):
                ranges = [(i, i + 1) for i in prefix] + [(start, min(start + step, shape[split]))]
                ranges += [(0, n) for n in shape[split + 1:]]
                sub = {s: values[s][a:b] for s, (a, b) in zip(self.symbols, ranges)}
                result, undefined = self._block(sub, ranges, tables, [x.part(a, b) for x, (a, b) in zip(scaled, ranges)])
                yield ranges, result, undefined

    def _node_table(self, k: int, values: dict, shape: list, scaled: list) -> tuple:
        """Node k at every combination of its symbols' values, shaped to broadcast against the
        block: (the exact table, its int64 form or object with Fractions, NaN replaced by 0;
        its largest |value|; where it divides by zero)."""
        node = self.nodes[k]
        lists = [values[self.symbols[i]] for i in node.symbols]
        table = node.table(lists, [scaled[i] for i in node.symbols]).reshape([len(v) for v in lists] or [1])
        table = table.reshape([shape[i] if i in node.symbols else 1 for i in range(len(shape))])
        if node.cells is None:  # a rounding of a polynomial: Python ints, never NaN; int64 when each fits
            fast = table if table.dtype == np.int64 else _int64(table)
            if fast is not None:
                exact = table.astype(object) if self._exact_outputs and table.dtype != object else table
                return exact, fast, _largest(fast), np.zeros(fast.shape, dtype=bool)
        nan = np.frompyfunc(lambda v: isinstance(v, float), 1, 1)(table).astype(bool)
        clean = np.where(nan, 0, table).astype(object) if nan.any() else table
        whole = all(type(v) is int and -2 ** 63 < v < 2 ** 63 for v in clean.flat)
        array = clean.astype(np.int64) if whole else clean
        largest = _largest(array) if whole else max((math.ceil(abs(v)) for v in clean.flat), default=0)
        return table, array, largest, nan

    def _block(self, values: dict, ranges: list | None = None, cache: dict | None = None,
               axes_scaled: list | None = None) -> tuple[dict, np.ndarray]:
        """Every closed form on the Cartesian product of `values`, exactly; and the cells where one
        divides by zero. `ranges` (the values' index ranges in the whole grid) and `cache` let a
        node table be reused from the previous block of the same grid when its own symbols'
        values are the same."""
        shape = [len(values[s]) for s in self.symbols]
        axes, scales, maxima = [], [], []
        axes_scaled = axes_scaled or [Scaled(values[s]) for s in self.symbols]  # value = ints / scale, exactly
        for i, s in enumerate(self.symbols):
            axis_shape = [1] * len(shape)
            axis_shape[i] = shape[i]
            scaled = axes_scaled[i]
            axes.append((scaled.ints if scaled.int64 is None else scaled.int64).reshape(axis_shape))
            scales.append(scaled.scale)
            maxima.append(scaled.largest)
        undefined = np.zeros([1] * len(shape), dtype=bool)
        tables, arrays = [], []
        for k, node in enumerate(self.nodes):
            key = None if cache is None or ranges is None else tuple(ranges[i] for i in node.symbols)
            cached = cache.get(k) if cache is not None else None
            if cached is None or cached[0] != key:
                cached = (key, self._node_table(k, values, shape, axes_scaled))
                if cache is not None:
                    cache[k] = cached
            table, array, largest, nan = cached[1]
            tables.append(table)
            arrays.append(array)
            maxima.append(largest)
            if nan.any():
                undefined = undefined | nan
        variables, scales = [*axes, *arrays], scales + [1] * len(self.nodes)
        result = {}
        exact_axes = None
        for name, output in self.outputs.items():
            if isinstance(output, Polynomial):
                value = output.evaluate(variables, scales, maxima)
                if value.dtype == object and all(type(v) is int and abs(v) < 2 ** 63 for v in value.flat):
                    value = value.astype(np.int64)
            else:
                if exact_axes is None:
                    exact_axes = [objects(values[s]).reshape(a.shape) for s, a in zip(self.symbols, axes)]
                cells = output(exact_axes, tables, shape)
                big = any(abs(v) >= 2 ** 63 for v in cells)
                value = np.array(cells, dtype=object if big else np.int64).reshape(shape)
                undefined = undefined | (value == UNDEFINED)
            result[name] = value
        return result, undefined
