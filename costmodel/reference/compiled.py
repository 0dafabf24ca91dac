"""The reference propagator specialised once per spec: many configurations, each checked cheaply.

`propagate(spec, values)` walks every layer with the reference's own evaluator: about 2 ms for
MobileNet-CIFAR. Yet its rows depend on the values only through a few numbers: the network
input, the repeat counts, and each layer argument that is an expression of the symbols, as the
reference reads it (a channel count rounded by the layer's rule, `_channels`; any other argument
evaluated exactly, `evaluate`). `Specialised(spec)` finds those expressions once (deduplicated:
MobileNet-CIFAR's 85 layers read 8: 32*alpha, 64*alpha, ..., delta, classes) and, per
configuration, evaluates only them into a key; the rows for a key are `propagate`'s own, computed
the first time the key is seen. A key seen before returns the same rows without walking: the
configurations 0.30 and 0.31 of alpha give the same channel counts everywhere, so the same rows.

Why the key is enough: a rule sees the symbol values only through its arguments; a channel
argument only through `_channels` (CHANNEL_ARGUMENTS lists those, per type, from the rules in the
family files); `in_channels` is the layer's input channel count, itself a function of the key by
induction over the layers, so an expression naming it joins the key through the raw values of its
other symbols. Constants are evaluated once, here. Anything that fails while the key is read
(a zero divisor, a channel count below 1, a fractional count) is left to `propagate`, which refuses
it exactly as it always does, located. This module imports nothing from the symbolic side.
"""

from __future__ import annotations

import io
import math
import re
import tokenize
from fractions import Fraction

from ..errors import SpecError
from ..expr import IN_CHANNELS, BinOp, Call, Name, Neg, Num
from . import propagate
from .numbers import _channels, _divisible, _rounded, _whole, evaluate

# Arguments that a type's rule reads only through `_channels` (rounded by the layer's rule), from
# conv.py, linear.py and elementwise.py. Listing one that a rule also reads raw would be unsound;
# leaving one out only costs hits (its raw value joins the key).
CHANNEL_ARGUMENTS = {"conv": ("filters",), "pointwise": ("filters",), "dense": ("units",),
                     "channel_pad": ("channels",)}
WIDTH = 8  # numbers per row in the flat tuple: h, w, c, params, non-trainable, MACs, floats out, floats in
MAX_ENTRIES_FIELDS = 1_000_000  # numbers kept over all remembered keys: tens of MB at most


def _names(node) -> set:
    if isinstance(node, Name):
        return {node.name}
    if isinstance(node, Num):
        return set()
    if isinstance(node, Neg):
        return _names(node.operand)
    if isinstance(node, BinOp):
        return _names(node.left) | _names(node.right)
    if isinstance(node, Call):
        return set().union(*(_names(a) for a in node.args))
    return set()


def _expressions(value):
    """The expression nodes of one argument value (a node, a pair or padding tuple, or nothing)."""
    if isinstance(value, (Num, Name, Neg, BinOp, Call)):
        yield value
    elif isinstance(value, tuple):
        for v in value:
            yield from _expressions(v)


def _repeats(nodes):
    from ..spec.model import Repeat, children_of
    for node in nodes:
        if isinstance(node, Repeat):
            yield node
        yield from _repeats(children_of(node))  # a layer has none


class Specialised:
    """The reference for one spec, specialised: `rows(values)` is `propagate(spec, values)` as a
    flat tuple (WIDTH numbers per layer), with the layer names and the four totals."""

    def __init__(self, spec):
        from ..spec.model import leaves_written
        self.spec = spec
        reads: dict = {}  # (kind, node, rounding) -> None, in order: what the key evaluates
        raw: set = set()  # symbols whose raw value joins the key (expressions with in_channels)
        for node in spec.input:
            reads[("value", node, None)] = None
        for repeat in _repeats(spec.tree):
            reads[("value", repeat.count, None)] = None
        from . import arguments
        for layer in leaves_written(spec.tree):
            channel = CHANNEL_ARGUMENTS.get(layer.type, ())
            for arg, value in arguments(layer, spec.defaults_of).items():
                for node in _expressions(value):
                    names = _names(node)
                    if IN_CHANNELS in names:
                        raw |= names - {IN_CHANNELS}
                    elif arg in channel and node is value:
                        reads[("channels", node, layer.rounding)] = None
                    else:
                        reads[("value", node, None)] = None
        self.constant = True  # False when a constant read fails: `propagate` every time
        self.reads = []
        for kind, node, rounding in reads:
            if not _names(node):
                try:
                    self._read(kind, node, rounding, {})
                except (SpecError, ZeroDivisionError, OverflowError, ValueError):
                    self.constant = False
                continue
            self.reads.append((kind, node, rounding))
        self.raw = sorted(raw)
        self.symbols = list(spec.symbols)
        self.read_all = _KeyPrinter(self.symbols).function(self.reads, self.raw)
        self.memo: dict = {}

    @staticmethod
    def _read(kind, node, rounding, values):
        if kind == "channels":
            return _channels(node, values, rounding, "channels")
        return evaluate(node, values)

    def key(self, values: dict):
        """The numbers the rows depend on at these values; None when one cannot be read (then
        `propagate` decides, and refuses as it always does)."""
        if not self.constant:
            return None
        try:
            given = [values[name] for name in self.symbols]
            return self.read_all(*given, *(part for v in given for part in (v.numerator, v.denominator)))
        except (SpecError, ZeroDivisionError, OverflowError, ValueError, KeyError):
            return None

    def key_slowly(self, values: dict):
        """`key` through the reference's own `evaluate` and `_channels`, node by node (the tests hold
        the generated `read_all` to it)."""
        read = self._read
        return (*(read(kind, node, rounding, values) for kind, node, rounding in self.reads),
                *(values[name] for name in self.raw))

    def rows(self, values: dict) -> tuple:
        """(names, flat numbers, totals) of `propagate(spec, values)`; raises its SpecError."""
        key = self.key(values)
        found = self.memo.get(key) if key is not None else None
        if found is not None:
            return found
        found = flat(propagate(self.spec, values))
        if key is not None:
            if len(self.memo) * max(1, len(found[1])) > MAX_ENTRIES_FIELDS:
                self.memo.clear()
            self.memo[key] = found
        return found


def _floordiv(a, b):
    if b == 0:
        raise ZeroDivisionError(f"{a} // 0")
    return Fraction(math.floor(a / b))


def _power(a, b):
    if b.denominator != 1 or (a == 0 and b < 0):
        raise ValueError(f"{a} ** {b}")
    return a ** int(b)


def _make_divisible(v, *rest):
    return Fraction(_divisible(v, *(_whole(a, "make_divisible: divisor and min_value") for a in rest)))


def _counted(c: int) -> int:
    if c < 1:
        raise ValueError(f"channel count {c} below 1")  # `propagate` says which, located
    return c


def _floor_pair(n: int, d: int) -> int:
    """`_rounded(n/d, 'floor')` over ints: a positive value floored, at least 1 (else ValueError)."""
    if n <= 0:
        raise ValueError("not a positive channel count")
    return _counted(n // d)


def _ceil_pair(n: int, d: int) -> int:
    if n <= 0:
        raise ValueError("not a positive channel count")
    return _counted(-(-n // d))


def _nearest_pair(n: int, d: int) -> int:
    if n <= 0:
        raise ValueError("not a positive channel count")
    return _counted((2 * n + d) // (2 * d))  # halves round up


_KEY_HELPERS = {"_floor_pair": _floor_pair, "_ceil_pair": _ceil_pair, "_nearest_pair": _nearest_pair,
                "_floordiv": _floordiv, "_power": _power, "_md": _make_divisible, "_rounded": _rounded,
                "_F": Fraction, "_floor": math.floor, "_ceil": math.ceil, "_min": min, "_max": max}


_GENERATED_NAME = re.compile(r"_?[a-z]\d+")  # a0, n3, t17, _c12: the printers' own names
_PYTHON = {"def", "return", "pass", "numerator", "denominator"}


def generated_only(code: str, names, strings=()) -> str:
    """`code` if every name in it is a generated one, a helper's (`names`) or Python's own, every
    number an integer literal and every string one of `strings`; else ValueError. The printers
    write only such code, so no text of a spec (a symbol's or a layer's name, an argument) can
    reach `exec`: this checks it instead of trusting it."""
    allowed = set(names) | _PYTHON
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        text = token.string
        if token.type == tokenize.NAME and not (text in allowed or _GENERATED_NAME.fullmatch(text)):
            raise ValueError(f"generated code names {text!r}")
        if token.type == tokenize.NUMBER and not text.isdigit():
            raise ValueError(f"generated code has the number {text!r}")
        if token.type == tokenize.STRING and text not in strings:
            raise ValueError(f"generated code has the string {text!r}")
    return code


class _KeyPrinter:
    """The key's reads as one Python function of the symbol values (positional, generated names:
    no text of the spec is executed), mirroring `evaluate` operation by operation: `/` by zero
    raises, `//` floors, `**` takes an integer exponent, floor and ceil give Fractions."""

    def __init__(self, symbols: list):
        self.index = {name: i for i, name in enumerate(symbols)}
        self.namespace = dict(_KEY_HELPERS)

    def constant(self, value) -> str:
        name = f"_c{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def __call__(self, node) -> str:
        if isinstance(node, Num):
            return self.constant(Fraction(node.value))
        if isinstance(node, Name):
            return f"a{self.index[node.name]}"
        if isinstance(node, Neg):
            return f"(-{self(node.operand)})"
        if isinstance(node, BinOp):
            a, b = self(node.left), self(node.right)
            if node.op in ("+", "-", "*"):
                return f"({a} {node.op} {b})"
            if node.op == "/":
                return f"({a} / {b})"  # Fraction / 0 raises ZeroDivisionError
            if node.op == "//":
                return f"_floordiv({a}, {b})"
            return f"_power({a}, {b})"
        if isinstance(node, Call):
            args = ", ".join(self(a) for a in node.args)
            return {"floor": "_F(_floor({}))", "ceil": "_F(_ceil({}))", "min": "_min({})", "max": "_max({})",
                    "make_divisible": "_md({})"}[node.func].format(args)
        raise ValueError(f"cannot read expression node {node!r}")

    def pair(self, node) -> tuple:
        """A node as (numerator, denominator) code over ints, the denominator positive: + - * of
        symbols and numbers in integer arithmetic; anything else evaluated as above and split."""
        if isinstance(node, Num):
            v = Fraction(node.value)
            return repr(v.numerator), repr(v.denominator)
        if isinstance(node, Name):
            i = self.index[node.name]
            return f"n{i}", f"d{i}"
        if isinstance(node, Neg):
            n, d = self.pair(node.operand)
            return f"(-{n})", d
        if isinstance(node, BinOp) and node.op in ("+", "-", "*"):
            (n1, d1), (n2, d2) = self.pair(node.left), self.pair(node.right)
            if node.op == "*":
                return f"({n1} * {n2})", f"({d1} * {d2})"
            return f"({n1} * {d2} {node.op} {n2} * {d1})", f"({d1} * {d2})"
        code = self(node)
        return f"{code}.numerator", f"{code}.denominator"

    def channels(self, node, rounding: str) -> str:
        if rounding in ("floor", "ceil", "nearest"):
            n, d = self.pair(node)
            return f"_{rounding}_pair({n}, {d})"
        return f"_rounded({self(node)}, {self.constant(rounding)}, 'channels')"

    def function(self, reads: list, raw: list):
        parts = [self.channels(node, rounding) if kind == "channels" else self(node) for kind, node, rounding in reads]
        parts += [f"a{self.index[name]}" for name in raw]
        arguments = ", ".join([f"a{i}" for i in range(len(self.index))] + [f"n{i}, d{i}" for i in range(len(self.index))])
        code = generated_only(f"def read_all({arguments}):\n    return ({', '.join(parts)},)\n",
                              [*self.namespace, "read_all"], strings=("'channels'",))
        exec(compile(code, "<reference key>", "exec"), self.namespace)  # noqa: S102 - generated, checked
        return self.namespace["read_all"]


def flat(rows: list) -> tuple:
    """propagate's rows as (names, one flat tuple of WIDTH numbers per row, totals)."""
    numbers = []
    for row in rows:
        numbers.extend(row["shape"])
        numbers += (row["params"], row["params_non_trainable"], row["macs"], row["floats_out"], row["floats_in"])
    totals = tuple(sum(row[m] for row in rows) for m in ("params", "params_non_trainable", "macs", "floats_out"))
    return tuple(row["name"] for row in rows), tuple(numbers), totals
