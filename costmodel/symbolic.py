"""Spec expressions as sympy: symbols, channel rounding as named functions, the smooth form.

Channel rounding gets its own sympy functions (not bare ``floor``) so that the *smooth* form of a
closed form can drop exactly the rounding a rule added, and nothing else (the floor/ceil of a
spatial size under a padding mode is part of the shape, not a rounding of a fractional count).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import sympy
from sympy import Function, Integer, Rational
from sympy.functions.elementary.miscellaneous import ShortCircuit
from sympy.printing.str import StrPrinter

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
    """The symbol a closed form is derived with: every knob is positive, integer ones (delta,
    classes, resolution) say so, which lets sympy drop a floor around an integer expression."""
    return sympy.Symbol(name, positive=True, integer=integer or None)


def plain_symbol(name: str) -> sympy.Symbol:
    """The symbol a derived closed form is given in: `sympy.Symbol(name)` as a user writes it, so
    `expr.subs(sympy.Symbol("alpha"), 1/2)`, `expr.subs("alpha", 1/2)` and `sympy.lambdify`
    with `sympy.symbols("alpha delta")` find it (a symbol with assumptions is another symbol)."""
    return sympy.Symbol(name)


def to_plain(value, plain: dict, memo: dict):
    """`value` (sympy, a number, a tuple of them, or anything else, returned as it is) with the
    derivation's symbols replaced by `plain` (derived symbol -> plain symbol). Each node is rebuilt
    as it is (`evaluate=False`: already simplified; evaluating again with plain symbols can take
    seconds and simplifies nothing), once: `memo` (id -> result) is shared by every closed form
    of a network, which share most of their nodes."""
    if isinstance(value, tuple):
        return tuple(to_plain(v, plain, memo) for v in value)
    if not isinstance(value, sympy.Basic):
        return value
    key = id(value)
    if key not in memo:
        memo[key] = (value, _rebuilt(value, plain, memo))  # the original kept alive: its id stays unique
    return memo[key][1]


def _rebuilt(value: sympy.Basic, plain: dict, memo: dict) -> sympy.Basic:
    if value in plain:
        return plain[value]
    if not value.args:
        return value
    args = tuple(to_plain(a, plain, memo) for a in value.args)
    if all(new is old for new, old in zip(args, value.args)):
        return value
    try:
        return value.func(*args, evaluate=False)
    except TypeError:  # a class without `evaluate`
        return value.func(*args)


def to_sympy(node: ex.Node, symbols: dict[str, sympy.Symbol], built: dict | None = None) -> sympy.Expr:
    """Translate a parsed spec expression; every name must be a declared symbol. `built`, a dict
    kept by the caller (the deriver: one per spec), keeps each min and max built: sympy evaluates
    them by comparing every pair of arguments under the symbols' assumptions (milliseconds each),
    and a block called with the same arguments builds the same ones again (the result is a
    function of the arguments alone)."""
    if isinstance(node, ex.Num):
        return Rational(node.value.numerator, node.value.denominator)
    if isinstance(node, ex.Name):
        return symbols[node.name]
    if isinstance(node, ex.Neg):
        return -to_sympy(node.operand, symbols, built)
    if isinstance(node, ex.BinOp):
        a, b = to_sympy(node.left, symbols, built), to_sympy(node.right, symbols, built)
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
    args = [to_sympy(a, symbols, built) for a in node.args]
    if node.func == "make_divisible":  # min_value defaults to the divisor, as in torchvision
        return MakeDivisible(*args) if len(args) == 3 else MakeDivisible(*args, args[1])
    func = {"floor": sympy.floor, "ceil": sympy.ceiling, "min": sympy.Min, "max": sympy.Max}[node.func]
    if built is None or node.func in ("floor", "ceil"):  # sympy keeps floor's and ceiling's itself
        return func(*args)
    key = (node.func, *((type(a), a) for a in args))  # the type too: 2 and 2.0 may compare equal
    if key not in built:
        built[key] = lattice(func, args)
    return built[key]


def lattice(func, args) -> sympy.Expr:
    """`func(*args)` for sympy's Min or Max, as sympy builds it, without its search for arguments
    that dominate others when sample points show there is none to find.

    sympy (1.12 to 1.14, compared) builds a Min or Max in three steps: it flattens arguments of its
    own kind into it and drops its identity (`_new_args_filter`), drops the arguments that simple
    rules find redundant (`_collapse_arguments`: a number below another Max's, an argument inside
    another that holds it), then compares every pair and keeps only an argument no other one is
    proven to dominate (`_find_localzeros`, which asks the assumptions: milliseconds a pair). The
    first two steps are structural and cheap, and are sympy's own; when `unrelated` finds that every
    pair of what they leave falls in both orders at sample points, no pair can be proven ordered
    and the third step keeps every argument: the result is `func(*kept, evaluate=False)`, what
    sympy returns. Otherwise (or another sympy) sympy builds it."""
    if _DRIVER_KNOWN:
        try:
            kept = func._collapse_arguments(frozenset(func._new_args_filter(args)))
        except ShortCircuit:
            return func.zero
        if unrelated(kept):
            return func(*kept, evaluate=False)
    return func(*args)


def unrelated(args) -> bool:
    """True when sympy's pairwise search in a Min or Max (`lattice`'s third step) would keep every
    one of `args`, shown without asking it.

    The search drops an argument proven never above (Max) or below (Min) another, comparing each
    pair under the symbols' assumptions. A pair it cannot order is one whose difference takes both
    signs for values the assumptions allow: sympy proves only what is true. So: every symbol
    positive (integer or not) as the deriver declares them or plain (no assumption: any value is
    allowed), and for every pair, at one of a few sample points one argument is above the other and
    at another below (exact values: the roundings, and a Min or Max inside, evaluate on Rationals).
    Otherwise (a pair the samples do not separate, an argument that is not a number there) sympy
    decides, as before."""
    if len(args) < 2:
        return False
    symbols = sorted(set().union(*(a.free_symbols for a in args)), key=lambda s: s.name)
    if not symbols or any(s not in (make_symbol(s.name, bool(s.is_integer)), plain_symbol(s.name)) for s in symbols):
        return False
    program = _Program(args)
    unseen = {(i, j): 3 for i in range(len(args)) for j in range(i + 1, len(args))}  # bits: above, below
    for point in _sample_points(symbols):
        at = program.values([point[s] for s in program.symbols])
        for pair in list(unseen):
            u, v = at[pair[0]], at[pair[1]]
            if u is None or v is None or u == v:
                continue
            unseen[pair] &= ~(1 if u > v else 2)
            if not unseen[pair]:
                del unseen[pair]
        if not unseen:
            return True  # every pair seen in both orders
    return False


SWEEP = 64  # sample points along the symbols' diagonal, each symbol at its own offset


def _sample_points(symbols: list):
    """Values the assumptions allow (positive; whole for an integer symbol; a plain symbol any):
    all small, all large, increasing and decreasing in the symbols' order, then a sweep: the k-th
    point puts the i-th symbol at k + 5i (a whole number) or (k + 5i)/64, so that a difference
    positive only in a window (the 90 % rule of make_divisible: ceil(0.9 c) - 8 floor(c/8 + 1/2)
    is positive for some c below 40 only) is seen there."""
    def value(symbol, k: int):
        return Fraction(k) if symbol.is_integer else Fraction(k, 64)
    n = len(symbols)
    yield {s: Fraction(1) if s.is_integer else Fraction(1, 4096) for s in symbols}
    yield {s: value(s, 4096) for s in symbols}
    yield {s: value(s, 8 * (i + 1)) for i, s in enumerate(symbols)}
    yield {s: value(s, 8 * (n - i)) for i, s in enumerate(symbols)}
    for k in range(1, SWEEP + 1):
        yield {s: value(s, k + 5 * i) for i, s in enumerate(symbols)}


class _Program:
    """Expressions as straight-line steps over their distinct nodes, evaluated exactly (Fractions)
    at a point: `values` gives each expression's value, or None where it is not a number (a node
    kind this does not know, a division by zero)."""

    def __init__(self, exprs):
        self.steps: list = []  # (kind, operand slots or a constant)
        self.symbols: list = []
        self.slots: dict = {}
        self.outputs = [self._slot(e) for e in exprs]

    def _slot(self, expr) -> int:
        key = (type(expr), expr)
        if key in self.slots:
            return self.slots[key]
        step: tuple
        if expr.is_Rational:
            step = ("const", Fraction(int(expr.p), int(expr.q)))
        elif expr.is_Symbol:
            self.symbols.append(expr)
            step = ("symbol", len(self.symbols) - 1)
        else:
            kind = ("add" if expr.is_Add else "mul" if expr.is_Mul else "pow" if expr.is_Pow else
                    "floor" if isinstance(expr, sympy.floor) else "ceil" if isinstance(expr, sympy.ceiling) else
                    "min" if isinstance(expr, sympy.Min) else "max" if isinstance(expr, sympy.Max) else
                    "round" if isinstance(expr, _ChannelRounding) else "unknown")
            operands = tuple(self._slot(a) for a in expr.args)
            step = (kind, operands, expr.func)
        self.steps.append(step)
        self.slots[key] = len(self.steps) - 1
        return self.slots[key]

    def values(self, symbol_values: list) -> list:
        out: list = []
        for step in self.steps:
            out.append(_step(step, out, symbol_values))
        return [out[k] for k in self.outputs]


def _step(step: tuple, out: list, symbol_values: list):
    kind = step[0]
    if kind == "const":
        return step[1]
    if kind == "symbol":
        return symbol_values[step[1]]
    args = [out[k] for k in step[1]]
    if kind == "unknown" or None in args:
        return None
    if kind == "add":
        return sum(args, Fraction(0))
    if kind == "mul":
        return math.prod(args, start=Fraction(1))
    if kind == "pow":
        base, exponent = args
        if exponent.denominator != 1 or (base == 0 and exponent < 0):
            return None
        return base ** int(exponent)
    if kind == "floor":
        return Fraction(math.floor(args[0]))
    if kind == "ceil":
        return Fraction(math.ceil(args[0]))
    if kind == "min":
        return min(args)
    if kind == "max":
        return max(args)
    value = step[2].number(*args)  # a rounding's own rule, on numbers
    return None if value is None else Fraction(value)


SNAP = 1e-12  # lambdify on floats: a rounding's argument this close (relatively) to a step is on it


class _FloatCode:
    """The channel-rounding rules as code for sympy's code printers, which `sympy.lambdify` uses:
    "math" (PythonCodePrinter), "mpmath", and "numpy", "scipy", "cupy", "jax" (NumPyPrinter and its
    subclasses).

    Floats cannot round exactly: 100 * 0.29 is 28.999999999999996, whose floor is 28, where the
    exact decimal 29/100 gives 29. So on floats an argument within SNAP (relative) of a whole number
    is taken to be that number, which gives report's numbers for any value written with a few
    decimals; with "math" and ints or Fractions as the arguments nothing is snapped: the numbers are
    exact for every value."""

    def __init__(self, printer):
        from sympy.printing.numpy import NumPyPrinter
        from sympy.printing.pycode import MpmathPrinter

        self.array = isinstance(printer, NumPyPrinter)
        self.mpmath = isinstance(printer, MpmathPrinter)
        if self.array:
            module = getattr(printer, "_module", "numpy")
            name = lambda f: printer._module_format(f"{module}.{f}")  # noqa: E731
            self.floor, self.ceil, self.near = name("floor"), name("ceil"), name("rint")
            self.abs, self.max, self.where = name("abs"), name("maximum"), name("where")
            self.snaps = "True"
        elif self.mpmath:
            name = lambda f: printer._module_format(f"mpmath.{f}")  # noqa: E731
            self.floor, self.ceil, self.near = name("floor"), name("ceil"), name("nint")
            self.abs, self.max, self.where = "abs", "max", None
            self.snaps = "True"
        else:
            name = lambda f: printer._module_format(f"math.{f}")  # noqa: E731
            self.floor, self.ceil, self.near = name("floor"), name("ceil"), "round"
            self.abs, self.max, self.where = "abs", "max", None
            self.snaps = "isinstance(v, float)"  # ints and Fractions round exactly

    def whole_div(self, a: str, b: str) -> str:
        """`a // b` of whole numbers (mpmath's mpf has no `//`)."""
        return f"{self.floor}(({a})/({b}))" if self.mpmath else f"(({a})//({b}))"

    def _choose(self, condition: str, yes: str, no: str) -> str:
        return f"{self.where}({condition}, {yes}, {no})" if self.where else f"({yes} if {condition} else {no})"

    def _near(self, v: str) -> str:
        """`v` is within SNAP of the whole number nearest it (and is a float)."""
        close = f"{self.abs}({v} - {self.near}({v})) <= {SNAP!r}*{self.max}(1, {self.abs}({v}))"
        return close if self.snaps == "True" else f"({self.snaps} and {close})"

    def rounded(self, how: str, x: str) -> str:
        """floor or ceil of the code `x`, snapped."""
        whole = self.floor if how == "floor" else self.ceil
        return f"(lambda v: {self._choose(self._near('v'), f'{self.near}(v)', f'{whole}(v)')})({x})"

    def divisible(self, v: str, d: str, m: str) -> str:
        """torchvision's _make_divisible(v, d, m): max(m, floor(v + d/2) // d * d), plus d when that is
        below 90 % of v; floor(v + d/2) is floor(2v + d) // 2, in whole numbers for exact v."""
        new = f"{self.max}(m, {self.whole_div(self.whole_div(self.rounded('floor', '2*v + d'), '2'), 'd')}*d)"
        below = f"10*new < 9*v - ({SNAP!r}*{self.max}(1, {self.abs}(9*v)) if {self.snaps} else 0)"
        return f"(lambda v, d, m: (lambda new: {self._choose(below, 'new + d', 'new')})({new}))({v}, {d}, {m})"


def _exact(x) -> Fraction | None:
    """A sympy number as an exact Fraction for the rounding rules, else None. A Rational is itself;
    a Float (`expr.subs("alpha", 0.29)`) its exact binary value, taken to be the whole number it is
    within SNAP of (1024*0.29 is 296.96000000000004 in floats, 100*0.29 28.999999999999996: as
    lambdify does, see _FloatCode)."""
    if x.is_Rational:
        return Fraction(int(x.p), int(x.q))
    if x.is_Float:
        value = Fraction(float(x))
        whole = round(value)
        return Fraction(whole) if abs(value - whole) <= SNAP * max(1.0, float(abs(value))) else value
    return None


class _ChannelRounding(Function):
    """Base of the channel-rounding functions: integer-valued, evaluated on numbers (a Float too:
    `_exact`)."""

    label = ""

    def _eval_is_integer(self):
        return True

    def _eval_is_positive(self):
        # floor(1/2) is 0: positive only when the argument is known to be at least 1 (a rule that
        # rounds up, ceil or divisible, is positive whenever its argument is)
        return True if (self.args[0] - 1).is_nonnegative else None

    def _sympystr(self, printer):
        return f"{self.label}({', '.join(printer._print(a) for a in self.args)})"

    def _pythoncode(self, printer):
        """Code for lambdify (see _FloatCode); MakeDivisible and RoundDivisible override `_code`."""
        return self._code(_FloatCode(printer), [printer._print(a) for a in self.args])

    _mpmathcode = _numpycode = _cupycode = _jaxcode = _pythoncode  # each printer's print method

    def _code(self, code: _FloatCode, args: list) -> str:
        raise NotImplementedError

    # each rule's `number(*values)`: the rounding of exact numbers (Fractions), None where the
    # rule does not apply (a divisor that is not whole); its `eval` rounds Rationals with it
    number: Any

    def _latex(self, printer):
        inner = printer._print(self.args[0])
        return {"floor": rf"\lfloor {inner} \rfloor", "ceil": rf"\lceil {inner} \rceil"}.get(
            self.label, rf"\operatorname{{{self.label}}}\left({inner}\right)")


class RoundFloor(_ChannelRounding):
    label = "floor"

    def _code(self, code, args):
        return code.rounded("floor", args[0])

    @staticmethod
    def number(v: Fraction) -> int:
        return math.floor(v)

    @classmethod
    def eval(cls, x):
        v = _exact(x)
        if v is not None:
            return Integer(cls.number(v))
        if x.is_integer:
            return x


class RoundCeil(_ChannelRounding):
    label = "ceil"

    def _code(self, code, args):
        return code.rounded("ceil", args[0])

    def _eval_is_positive(self):
        return self.args[0].is_positive

    @staticmethod
    def number(v: Fraction) -> int:
        return math.ceil(v)

    @classmethod
    def eval(cls, x):
        v = _exact(x)
        if v is not None:
            return Integer(cls.number(v))
        if x.is_integer:
            return x


class RoundNearest(_ChannelRounding):
    """Nearest integer, halves rounded up: floor(x + 1/2)."""

    label = "round"

    def _code(self, code, args):
        return code.whole_div(code.rounded("floor", f"2*({args[0]}) + 1"), "2")  # floor(x + 1/2) = floor(2x + 1) // 2

    @staticmethod
    def number(v: Fraction) -> int:
        return math.floor(v + Fraction(1, 2))

    @classmethod
    def eval(cls, x):
        v = _exact(x)
        if v is not None:
            return Integer(cls.number(v))
        if x.is_integer:
            return x


class RoundDivisible(_ChannelRounding):
    """torchvision's _make_divisible(v, d): nearest multiple of d, at least d, and never more
    than 10 % below v."""

    label = "divisible"

    def _code(self, code, args):
        return code.divisible(args[0], args[1], args[1])

    def _eval_is_positive(self):
        return True  # at least the divisor

    @staticmethod
    def number(v: Fraction, d: Fraction) -> int | None:
        return int(ex.make_divisible(v, int(d))) if d.denominator == 1 else None

    @classmethod
    def eval(cls, x, d):
        v = _exact(x)
        if v is not None and d.is_Integer:
            return Integer(cls.number(v, Fraction(int(d))))


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

    def _code(self, code, args):
        return code.divisible(*args)

    @staticmethod
    def number(v: Fraction, d: Fraction, m: Fraction) -> int | None:
        return int(ex.make_divisible(v, int(d), int(m))) if d.denominator == m.denominator == 1 else None

    @classmethod
    def eval(cls, x, d, m):
        v = _exact(x)
        if v is not None and d.is_Integer and m.is_Integer:
            return Integer(cls.number(v, Fraction(int(d)), Fraction(int(m))))


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


def smooth(value: sympy.Expr, memo: dict | None = None) -> sympy.Expr:
    """The closed form without channel rounding: each rounding replaced by its argument.

    The result is `value.replace(is a rounding, its argument)`'s, node for node: the same walk
    (children first, a node whose children changed rebuilt by `node.func(*children)`, evaluated,
    then a rounding replaced by its argument, sympy's `simultaneous` rule kept), but each distinct
    subexpression walked once. sympy's walk visits a shared subexpression (a layer's spatial size
    recurs in every layer after it) as often as it occurs and rebuilds it each time; the walk is a
    function of the node alone, so the result kept for a node is the one a second walk would give.
    A Min or Max whose arguments `unrelated` finds sympy would keep is rebuilt as sympy keeps it.
    `memo` may be shared by the totals of one network (they share most of their nodes)."""
    if not isinstance(value, sympy.Basic) or not value.has(_ChannelRounding):
        return value
    return _smooth_walk(value, {} if memo is None else memo)


def _smooth_walk(node: sympy.Basic, memo: dict) -> sympy.Basic:
    key = (type(node), node)  # the type too: 2 and 2.0 may compare equal
    found = memo.get(key)
    if found is not None:
        return found
    args = node.args
    result = node
    if args:
        new_args = tuple(_smooth_walk(a, memo) for a in args)
        if args != new_args:
            if node.func in (sympy.Min, sympy.Max):  # sympy's result without its search (`lattice`)
                result = lattice(node.func, new_args)
            else:
                result = node.func(*new_args)
            if any(result == old and old != new for old, new in zip(args, new_args)):
                memo[key] = result  # sympy's simultaneous rule: a replacement is not replaced again
                return result
        if isinstance(result, _ChannelRounding) and result.args[0] != result:
            result = result.args[0]
    memo[key] = result
    return result


MAX_EXPAND_OPS = 5000  # larger closed forms are shown as built (a sum of per-layer terms)


def ops_bound(value: sympy.Basic, limit: int) -> int:
    """An upper bound of `sympy.count_ops(value)`, or a number above `limit` once the bound passes
    it (the walk stops there). Each node of the tree (shared subexpressions counted as often as
    they occur, as count_ops walks them) is given at least the operations count_ops can count for
    it: a number -1/3 a NEG and a DIV; any other atom one (count_ops: a symbol none, E one EXP); an
    Add of n terms n (n - 1 ADD or SUB, a NEG when all are negative); a Mul of n factors n + 1 (its
    NEG, a DIV, n - 1 MUL: count_ops splits it into a numerator and a denominator over the same
    factors, an exponent -1 dropped); a power two (POW or DIV, and one slack); any other node with
    arguments (floor, Max, the roundings) one. The bound costs a walk of the distinct nodes, where
    count_ops rebuilds negated terms and fractions as it goes; it stops as soon as the distinct
    nodes weighed so far (each once: less than the tree's bound) are over the limit."""
    weights: dict = {}  # id of a node (alive: `value` holds it) -> the bound of its subtree
    distinct = 0  # the own weights of the distinct nodes weighed: at most the tree's bound
    stack = [(value, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in weights:
            continue
        if node.args and not children_done:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if id(a) not in weights)
            continue
        own = _own_ops(node)
        weight = weights[id(node)] = own + sum(weights[id(a)] for a in node.args)
        distinct += own
        if weight > limit or distinct > limit:
            return max(weight, distinct)
    return weights[id(value)]


def _own_ops(node: sympy.Basic) -> int:
    """The operations count_ops may count for this node itself (see ops_bound)."""
    if not node.args:
        if node.is_Rational:
            return (node.p < 0) + (node.q != 1)
        return 1
    if node.is_Add:
        return len(node.args)
    if node.is_Mul:
        return len(node.args) + 1
    if node.is_Pow:
        return 2
    return 1


def expands(value: sympy.Basic) -> bool:
    """Whether `readable` expands this form: at most MAX_EXPAND_OPS operations by count_ops. The
    bound decides when it is within the limit (count_ops is then too); count_ops only above it."""
    if ops_bound(value, MAX_EXPAND_OPS) <= MAX_EXPAND_OPS:
        return True
    return sympy.count_ops(value) <= MAX_EXPAND_OPS


def readable(value: sympy.Expr, memo: dict | None = None) -> sympy.Expr:
    """Expanded polynomial form for display: short for MobileNet-like networks. A form with more
    than MAX_EXPAND_OPS operations is left unexpanded: expanding products of sums of many symbols
    can grow combinatorially, and the per-layer sum is already exact. `memo`: see `expand`."""
    if not isinstance(value, sympy.Basic) or not expands(value):
        return value
    return expand(value, memo)


# sympy's expand (Expr.expand with its default hints) as `expand` drives it; the same driver in
# sympy 1.12 to 1.14 (compared), so a later sympy gets its own expand
_EXPAND_HINTS = {"basic": True, "log": True, "multinomial": True, "mul": True, "power_base": True, "power_exp": True}
_FIRST_PASS = ("basic", "log", "multinomial", "mul", "power_base", "power_exp")  # sympy's order: multinomial first
_REPEATED = ("multinomial", "mul", "log")  # then these again until nothing changes
_DRIVER_KNOWN = tuple(int(p) for p in sympy.__version__.split(".")[:2]) < (1, 15)


def expand(value: sympy.Basic, memo: dict | None = None) -> sympy.Basic:
    """`sympy.expand(value)`, node for node, each distinct subexpression expanded once per hint.

    sympy applies each hint in turn (its order, then multinomial, mul and log again until nothing
    changes) by a walk of the tree: the arguments first, a node rebuilt when one changed, then the
    node's own `_eval_expand_<hint>`. The walk visits a shared subexpression as often as it occurs
    (a layer's spatial size, nested floors, recurs in the cost of every layer after it); its result
    is a function of the node and the hint alone, so the result kept for a node is the one a second
    walk would give. This driver calls the same per-node methods in the same order. `memo` may be
    shared by the expansions of one network's totals."""
    if not _DRIVER_KNOWN or not isinstance(value, sympy.Expr):
        return sympy.expand(value)
    memo = {} if memo is None else memo
    terms = _terms(value, memo)
    if terms is not None:
        return _sum_of(terms)
    return _expand_driven(value, memo)


def _expand_driven(value: sympy.Expr, memo: dict) -> sympy.Expr:
    """sympy's expand by its own per-node methods, in its order (see `expand`)."""
    result = value
    for hint in _FIRST_PASS:
        result = _expand_walk(result, "_eval_expand_" + hint, memo)[0]
    while True:
        before = result
        for hint in _REPEATED:
            result = _expand_walk(result, "_eval_expand_" + hint, memo)[0]
        if result == before:
            return result


def _expand_walk(node: sympy.Basic, method: str, memo: dict) -> tuple:
    """(the node with `method` applied below and at it, whether anything changed), as sympy's
    Expr._expand_hint gives it, kept per (method, node)."""
    key = (method, type(node), node)  # the type too: 2 and 2.0 may compare equal
    found = memo.get(key)
    if found is not None:
        return found
    changed = False
    if node.args and not node.is_Atom:
        parts = [_expand_walk(a, method, memo) for a in node.args]
        if any(hit for _, hit in parts):
            changed = True
            node = node.func(*(part for part, _ in parts))
    result = (node, changed)
    own = getattr(node, method, None)
    if own is not None:
        expanded = own(**_EXPAND_HINTS)
        if expanded != node:
            result = (expanded, True)
    memo[key] = result
    return result


# --- expansion of a polynomial in atoms, without building the products sympy's walk builds ---
#
# A closed-form total is a polynomial over "atoms": symbols, their integer powers, and function
# applications (floor, Max, the roundings), with rational coefficients. Fully expanded, it is a
# sum of distinct monomials with nonzero coefficients; sympy's Add and Mul are canonical (their
# arguments flattened, like terms and like factors combined, sorted), so there is one such sum,
# and sympy's expand reaches it: its passes repeat until nothing changes, and a product of sums
# or a positive power of a sum is what its `mul` and `multinomial` hints rewrite. A function
# application's own expansion (sympy expands its arguments, then evaluates it again: floor(x + 1)
# is floor(x) + 1) is the one `_expand_driven` gives for it alone, since each pass walks a
# subtree the same wherever it sits. So the sum is computed as a dict of monomials (each a
# frozenset of (atom, exponent)) to Fractions, and only the final terms are built as sympy
# objects. Anything else (a float, a power of a sum with a negative or symbolic exponent, a
# node that is neither a number, a symbol, a sum, a product, an integer power nor a function
# application) returns None: the driver expands the whole form, as before. The two are held
# equal on every shipped spec's formulas (benchmarks/formula_texts.py) and on generated forms
# (tests/test_formula_forms.py).

MAX_POWER = 8  # a larger positive power of a sum is left to sympy's multinomial expansion


def _terms(node: sympy.Basic, memo: dict):
    """The expanded polynomial of `node` as {monomial: Fraction}, or None (see above); kept."""
    key = ("terms", type(node), node)  # the type too: 2 and 2.0 may compare equal
    if key in memo:
        return memo[key]
    result = _terms_of(node, memo)
    memo[key] = result
    return result


def _terms_of(node: sympy.Basic, memo: dict):
    if node.is_Rational:
        return {frozenset(): Fraction(int(node.p), int(node.q))} if node.p else {}
    if node.is_Symbol:
        return {frozenset({(node, 1)}): Fraction(1)}
    if node.is_Add:
        total: dict = {}
        for arg in node.args:
            part = _terms(arg, memo)
            if part is None:
                return None
            _accumulate(total, part, Fraction(1))
        return total
    if node.is_Mul:
        product: dict = {frozenset(): Fraction(1)}
        for arg in node.args:
            part = _terms(arg, memo)
            if part is None:
                return None
            product = _product(product, part)
        return product
    if node.is_Pow:
        return _power_terms(node, memo)
    if node.is_Function and not node.is_Atom:
        expanded = _expand_driven(node, memo)
        if expanded.is_Function:
            return {frozenset({(expanded, 1)}): Fraction(1)}
        return _terms(expanded, memo) if expanded != node else None
    return None


def _power_terms(node: sympy.Pow, memo: dict):
    """An integer power: a sum to a small positive power multiplied out; a symbol's or a function
    application's power (negative too) a factor of its own."""
    base, exponent = node.args
    if not exponent.is_Integer:
        return None
    n = int(exponent)
    if base.is_Symbol:
        return {frozenset({(base, n)}): Fraction(1)}
    if base.is_Function and not base.is_Atom:
        expanded = _expand_driven(base, memo)
        if not expanded.is_Function:
            return None  # its power is sympy's to rebuild (the expansion is a sum or a number)
        return {frozenset({(expanded, n)}): Fraction(1)}
    if not 0 < n <= MAX_POWER:
        return None
    part = _terms(base, memo)
    if part is None:
        return None
    result: dict = {frozenset(): Fraction(1)}
    for _ in range(n):
        result = _product(result, part)
    return result


def _accumulate(total: dict, part: dict, factor: Fraction) -> None:
    """total += factor * part, dropping a monomial whose coefficient becomes zero."""
    for monomial, coefficient in part.items():
        value = total.get(monomial, 0) + factor * coefficient
        if value:
            total[monomial] = value
        else:
            total.pop(monomial, None)


def _product(left: dict, right: dict) -> dict:
    """The product of two polynomials, like monomials combined."""
    result: dict = {}
    for m1, c1 in left.items():
        for m2, c2 in right.items():
            monomial = _monomial_product(m1, m2)
            value = result.get(monomial, 0) + c1 * c2
            if value:
                result[monomial] = value
            else:
                result.pop(monomial, None)
    return result


def _monomial_product(m1: frozenset, m2: frozenset) -> frozenset:
    if not m1:
        return m2
    if not m2:
        return m1
    powers = dict(m1)
    for atom, exponent in m2:
        e = powers.get(atom, 0) + exponent
        if e:
            powers[atom] = e
        else:
            del powers[atom]
    return frozenset(powers.items())


def _sum_of(terms: dict) -> sympy.Expr:
    """The sympy sum of the monomials: each term built by sympy's Mul, the sum by its Add (which
    sort them as sympy's expansion has them)."""
    parts = []
    for monomial, coefficient in terms.items():
        factors = [atom if e == 1 else sympy.Pow(atom, e) for atom, e in monomial]
        parts.append(sympy.Mul(Rational(coefficient.numerator, coefficient.denominator), *factors))
    return sympy.Add(*parts)


class OncePrinter(StrPrinter):
    """sympy's str printer (the same settings, so the same text as `str(expr)`) that prints each
    distinct subexpression once: a layer's spatial sizes (nested floors) recur in every formula of
    the layers after it, and ordering an Add's terms is most of sympy's printing time. A text
    depends on its expression only (not on where it sits: a parent adds its own parentheses
    around it), so a kept text is the text that would be printed again. One printer serves one
    batch (a report's formulas) and is dropped with it: its texts are not kept for the process."""

    def __init__(self):
        super().__init__()
        self.texts: dict = {}

    def _print(self, expr, **kwargs) -> str:
        if kwargs or not isinstance(expr, sympy.Basic):
            return super()._print(expr, **kwargs)
        key = (type(expr), expr)  # the type too: 2 and 2.0 may compare equal
        found = self.texts.get(key)
        if found is None:
            found = self.texts[key] = super()._print(expr)
        return found


def text(value: sympy.Basic) -> str:
    """`str(value)`, each distinct subexpression printed once."""
    return OncePrinter().doprint(value)
