"""The restricted expression language of spec fields, e.g. ``32*alpha`` or ``floor(c*t/2)``.

Spec text never reaches ``eval``, ``sympify`` or ``parse_expr``: this module tokenises and parses it
itself into a tiny tree (Num, Name, Neg, BinOp, Call) that the symbolic side turns into sympy and
the reference propagator evaluates with exact fractions, each with its own code.

Grammar (usual precedence; ``**`` binds tighter than unary minus and is right-associative)::

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/' | '//') unary)*
    unary  := ('-' | '+') unary | power
    power  := atom ('**' unary)?
    atom   := NUMBER | NAME | FUNC '(' expr (',' expr)* ')' | '(' expr ')'
    FUNC   := floor | ceil | min | max | make_divisible

A condition (the `when:` of a layer or block call, and nowhere else) adds comparisons and logic
below arithmetic, and parentheses around conditions::

    cond   := conj ('or' conj)*
    conj   := neg ('and' neg)*
    neg    := 'not' neg | expr (CMP expr)?
    CMP    := '==' | '!=' | '<' | '<=' | '>' | '>='

``and``, ``or`` and ``not`` are keywords (never names), and ``in_channels`` is the reserved name of
a layer's input channel count: the builder accepts it in a layer's own arguments only, and the two
sides substitute their own input shape for it.

Limits keep every expression cheap: at most MAX_LENGTH characters, MAX_DEPTH nesting, an exponent
must be an integer constant of magnitude at most MAX_EXPONENT, and a literal at most MAX_LITERAL
(with at most MAX_DECIMALS decimals). Names starting with ``__`` are refused outright. Block
arguments are substituted as shared nodes, so a chain of calls such as ``a(x) -> b(x*x*x) -> ...``
builds a small graph that is a huge tree; ``check_size`` measures the tree (without walking it) and
bounds it, and with it the polynomial degree, the number of terms once expanded and the size of
the constants, before anything evaluates or expands the expression.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any, SupportsFloat, cast
import re
from dataclasses import dataclass
from fractions import Fraction

MAX_LENGTH = 500
MAX_DEPTH = 40
MAX_EXPONENT = 16
MAX_LITERAL = 10**15
MAX_DECIMALS = 15
MAX_NODES = 2000  # tree size of one field after block arguments are substituted
MAX_DEGREE = 3  # polynomial degree in the symbols (32*alpha*delta: 2); shipped specs use 1
MAX_TERMS = 4  # monomials once expanded, an upper bound ((a + b)**2: 4); shipped specs use 2
MAX_BITS = 2048  # size of the constants an expression can build, in bits
# name -> (fewest, most) arguments (None: no upper bound). make_divisible(v, divisor, min_value):
# torchvision's _make_divisible, for channel counts written as torchvision's builders compute them
FUNCTIONS = {"floor": (1, 1), "ceil": (1, 1), "min": (2, None), "max": (2, None), "make_divisible": (2, 3)}
KEYWORDS = ("and", "or", "not")  # the logic of conditions; never names
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
IN_CHANNELS = "in_channels"  # a layer's input channel count, substituted by each side from its shapes


class ExprError(ValueError):
    """A malformed expression; `column` is 1-based within the expression text."""

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Num:
    value: Fraction


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Neg:
    operand: "Node"


@dataclass(frozen=True)
class BinOp:
    op: str  # one of + - * / // **
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Call:
    func: str  # one of FUNCTIONS
    args: tuple


@dataclass(frozen=True)
class Compare:
    op: str  # one of COMPARISONS
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Logic:
    op: str  # "and" | "or" | "not" (one operand)
    operands: tuple


Node = Num | Name | Neg | BinOp | Call
Condition = Compare | Logic

_TOKEN = re.compile(r"\s*(?:([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE]([+-]?[0-9]+))?|([A-Za-z_][A-Za-z_0-9]*)|(\*\*|//|==|!=|<=|>=|[-+*/(),<>]))",
                    re.ASCII)


def _tokenize(text: str) -> list[tuple[str, Any, int]]:
    tokens: list[tuple[str, Any, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise ExprError(f"unexpected character {text[pos:].lstrip()[0]!r}", pos + 1 + len(text[pos:]) - len(text[pos:].lstrip()))
        column = m.start() + 1 + len(m.group(0)) - len(m.group(0).lstrip())
        number, exponent, name, op = m.groups()
        if number is not None:
            if len(number) > 40 or (exponent is not None and len(exponent) > 4):
                raise ExprError(f"number {m.group(0).strip()[:20]}... is too long", column)
            value = Fraction(number)
            if exponent is not None:
                if abs(int(exponent)) > 15:
                    raise ExprError(f"number {m.group(0).strip()} is out of range", column)
                value *= Fraction(10) ** int(exponent)
            if value > MAX_LITERAL:
                raise ExprError(f"number {m.group(0).strip()} is out of range", column)
            if value.denominator > 10**MAX_DECIMALS:
                raise ExprError(f"number {m.group(0).strip()} has more than {MAX_DECIMALS} decimals", column)
            tokens.append(("num", value, column))
        elif name is not None:
            tokens.append(("name", name, column))
        else:
            tokens.append(("op", op, column))
        pos = m.end()
    for kind, value, column in tokens:
        if kind == "name" and value.startswith("__"):
            raise ExprError(f"names starting with '__' are not allowed ({value!r})", column)
    tokens.append(("end", None, len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str, conditions: bool = False):
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.conditions = conditions  # parsing a `when:`: comparisons, and/or/not allowed

    def peek(self):
        return self.tokens[self.i]

    def take(self):
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, op: str):
        kind, value, column = self.take()
        if kind != "op" or value != op:
            raise ExprError(f"expected {op!r}", column)

    def nest(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression nested deeper than {MAX_DEPTH}", self.peek()[2])

    def at_keyword(self, word: str) -> bool:
        return self.peek()[0] == "name" and self.peek()[1] == word

    def cond(self):
        self.nest()
        node = self.logic("or", self.conj)
        self.depth -= 1
        return node

    def conj(self):
        return self.logic("and", self.neg)

    def logic(self, word: str, operand):
        column = self.peek()[2]
        parts = [operand()]
        while self.at_keyword(word):
            column = self.take()[2]
            parts.append(operand())
        if len(parts) == 1:
            return parts[0]
        for part in parts:
            _boolean(part, column, word)
        return Logic(word, tuple(parts))

    def neg(self):
        if self.at_keyword("not"):
            column = self.take()[2]
            self.nest()
            operand = self.neg()
            self.depth -= 1
            return Logic("not", (_boolean(operand, column, "not"),))
        left = self.expr()
        kind, value, column = self.peek()
        if kind == "op" and value in COMPARISONS:
            self.take()
            right = self.expr()
            if self.peek()[0] == "op" and self.peek()[1] in COMPARISONS:
                raise ExprError("chained comparisons are not allowed: join them with 'and'", self.peek()[2])
            return Compare(value, _arithmetic(left, column, value), _arithmetic(right, column, value))
        return left

    def expr(self) -> Node:
        self.nest()
        node = self.term()
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            op, column = self.take()[1:]
            node = BinOp(op, _arithmetic(node, column, op), _arithmetic(self.term(), column, op))
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "/", "//"):
            op, column = self.take()[1:]
            node = BinOp(op, _arithmetic(node, column, op), _arithmetic(self.unary(), column, op))
        return node

    def unary(self) -> Node:
        kind, value, _ = self.peek()
        if kind == "op" and value in ("-", "+"):
            self.take()
            self.nest()
            operand = _arithmetic(self.unary(), self.peek()[2], value)
            self.depth -= 1
            return Neg(operand) if value == "-" else operand
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        kind, value, column = self.peek()
        if kind == "op" and value == "**":
            self.take()
            exponent = self.unary()
            power = constant_value(exponent)
            if power is None or power.denominator != 1 or abs(power) > MAX_EXPONENT:
                raise ExprError(f"an exponent must be an integer constant between -{MAX_EXPONENT} and {MAX_EXPONENT}", column)
            return BinOp("**", base, Num(power))
        return base

    def atom(self) -> Node:
        kind, value, column = self.take()
        if kind == "num":
            return Num(value)
        if kind == "name" and value in KEYWORDS:
            where = "in a condition, between conditions" if self.conditions else "only in when: conditions"
            raise ExprError(f"{value!r} is a keyword, allowed {where}", column)
        if kind == "name":
            if self.peek()[0] == "op" and self.peek()[1] == "(":
                if value not in FUNCTIONS:
                    raise ExprError(f"unknown function {value!r} (allowed: {', '.join(FUNCTIONS)})", column)
                self.take()
                args = [self.expr()]
                while self.peek()[0] == "op" and self.peek()[1] == ",":
                    self.take()
                    args.append(self.expr())
                self.expect(")")
                fewest, most = FUNCTIONS[value]
                if len(args) < fewest or (most is not None and len(args) > most):
                    count = (f"{fewest}" if fewest == most else f"{fewest} or {most}" if most
                             else f"{'two' if fewest == 2 else fewest} or more")
                    raise ExprError(f"{value}() takes {count} argument{'s' if most != 1 else ''}", column)
                return Call(value, tuple(args))
            if value in FUNCTIONS:
                raise ExprError(f"{value} is a function: write {value}(...)", column)
            return Name(value)
        if kind == "op" and value == "(":
            node = self.cond() if self.conditions else self.expr()
            self.expect(")")
            return node
        if kind == "end":
            raise ExprError("expression ends too early", column)
        raise ExprError(f"unexpected {value!r}", column)


def _boolean(node, column, op: str):
    """`node` as the operand of and/or/not: it must be a condition."""
    if not isinstance(node, (Compare, Logic)):
        raise ExprError(f"{op!r} joins conditions (comparisons such as a == 1), not numbers", column)
    return node


def _arithmetic(node, column, op: str):
    """`node` as the operand of an arithmetic operator or comparison: it must be a number."""
    if isinstance(node, (Compare, Logic)):
        raise ExprError(f"{op!r} needs numbers, not a condition", column)
    return node


def make_divisible(v: Fraction, divisor: int | Fraction, min_value: int | Fraction | None = None) -> int | Fraction:
    """torchvision's _make_divisible on exact values: the nearest multiple of `divisor` (halves up),
    at least `min_value` (default: the divisor), plus one more divisor if that is below 90 % of v."""
    minimum = divisor if min_value is None else min_value
    new = max(minimum, math.floor(v + Fraction(divisor, 2)) // divisor * divisor)
    return new + divisor if new < Fraction(9, 10) * v else new


def constant_value(node: Node) -> Fraction | None:
    """Evaluate a symbol-free node with fractions (exponents, repeat counts, symbol defaults); None
    if it names a symbol or divides by zero. Parsed nodes are bounded, so the numbers stay small."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Neg):
        v = constant_value(node.operand)
        return None if v is None else -v
    if isinstance(node, BinOp):
        a, b = constant_value(node.left), constant_value(node.right)
        if a is None or b is None or (node.op in ("/", "//") and b == 0) or (node.op == "**" and a == 0 and b < 0):
            return None
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                "//": lambda: Fraction(a // b), "**": lambda: a ** int(b)}[node.op]()
    if isinstance(node, Call):
        found = [constant_value(a) for a in node.args]
        values = [v for v in found if v is not None]
        if len(values) != len(found):
            return None
        if node.func == "make_divisible":
            if any(v.denominator != 1 or v < 1 for v in values[1:]):
                return None
            return Fraction(make_divisible(values[0], *(int(v) for v in values[1:])))
        return {"floor": lambda: Fraction(math.floor(values[0])), "ceil": lambda: Fraction(math.ceil(values[0])),
                "min": lambda: min(values), "max": lambda: max(values)}[node.func]()
    return None


def condition_value(node) -> bool | None:
    """Evaluate a symbol-free condition exactly; None if a part names a symbol or divides by zero."""
    if isinstance(node, Compare):
        a, b = constant_value(node.left), constant_value(node.right)
        if a is None or b is None:
            return None
        return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[node.op]
    parts = [condition_value(p) for p in node.operands]
    if any(p is None for p in parts):
        return None
    return not parts[0] if node.op == "not" else all(parts) if node.op == "and" else any(parts)


def parse(text: str) -> Node:
    """Parse one expression; raise ExprError with a column on anything outside the grammar."""
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    parser = _Parser(text)
    node = parser.expr()
    kind, value, column = parser.peek()
    if kind == "op" and value in COMPARISONS:
        raise ExprError(f"comparisons ({value}) are allowed only in when: conditions", column)
    if kind == "name" and value in KEYWORDS:
        raise ExprError(f"{value!r} is a keyword, allowed only in when: conditions", column)
    if kind != "end":
        raise ExprError(f"unexpected {value!r} after a complete expression", column)
    return node


def parse_condition(text: str):
    """Parse a `when:` condition (a comparison, or comparisons joined by and/or/not); a bare
    expression is refused, so that `when: stride` cannot mean "stride is not zero"."""
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    parser = _Parser(text, conditions=True)
    node = parser.cond()
    kind, value, column = parser.peek()
    if kind != "end":
        raise ExprError(f"unexpected {value!r} after a complete condition", column)
    if not isinstance(node, (Compare, Logic)):
        raise ExprError("a condition compares values, e.g. stride == 1 or expand != 1", 1)
    return node


def from_value(value) -> Node:
    """A spec field as a node: YAML ints and floats become exact numbers, strings are parsed."""
    if isinstance(value, bool):
        raise ExprError(f"expected a number or an expression, got {str(value).lower()}")
    if isinstance(value, int):
        if abs(value) > MAX_LITERAL:
            digits = len(str(abs(value))) if value.bit_length() < 10_000 else "thousands of"
            raise ExprError(f"number {str(value)[:20] if digits != 'thousands of' else ''}... ({digits} digits) "
                            f"is out of range (at most {MAX_LITERAL:.0e})")
        return Num(Fraction(value))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or abs(value) > MAX_LITERAL:
            raise ExprError(f"number {value} is out of range")
        exact = Fraction(repr(value))  # 1.4 means 7/5, not the nearest binary double
        if exact.denominator > 10**MAX_DECIMALS:
            raise ExprError(f"number {value!r} has more than {MAX_DECIMALS} decimals")
        return Num(exact)
    if isinstance(value, str):
        return parse(value)
    raise ExprError(f"expected a number or an expression, got {type(value).__name__}")


def exact_number(value) -> Fraction:
    """A number a Python program passes (int, Fraction, float, numpy scalar, Decimal) as an exact
    Fraction. A float means the exact decimal of its shortest repr: 0.1 is 1/10 and 0.7 is 7/10 (so
    10*0.7 floors to 7, as Keras' int(10 * 0.7) gives), not the nearest binary double; any finite
    float is accepted (the decimal-digit limit is for text). NaN and infinities raise ExprError, a
    numerator or denominator of more than MAX_BITS bits too (every float is far below); what is not a number
    raises TypeError (bool included: True is not a width)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Number, Fraction)):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if isinstance(value, numbers.Integral):
        result = Fraction(int(value))
    elif isinstance(value, numbers.Rational):
        result = Fraction(int(value.numerator), int(value.denominator))
    elif isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        raise TypeError(f"expected a real number, got {type(value).__name__}")
    else:  # float, numpy floating, Decimal
        value = cast(SupportsFloat, value)
        if not math.isfinite(value):
            raise ExprError(f"number {value} is not finite")
        magnitude = abs(float(value))  # a Decimal may hold 1e999999999, whose Fraction never ends
        if not isinstance(value, float) and (magnitude > 1e300 or magnitude < 1e-300 and value != 0):
            raise ExprError(f"number {value} is out of range")
        result = Fraction(_shortest_text(value))
    if result.numerator.bit_length() > MAX_BITS:  # (its repr alone could exceed Python's 4,300 digits)
        raise ExprError(f"a number of {result.numerator.bit_length():,} bits is out of range")
    if result.denominator.bit_length() > MAX_BITS:
        raise ExprError(f"a fraction with a denominator of {result.denominator.bit_length():,} bits is too fine")
    return result


def _shortest_text(value) -> str:
    """The shortest text that reads back as `value` in its own precision ('0.1' for 0.1, for
    numpy.float32(0.1) too); a Decimal's own digits."""
    if isinstance(value, float):
        return float.__repr__(value)  # numpy.float64 is a float subclass with a longer repr
    text = str(value)
    try:
        Fraction(text)
    except ValueError:  # an unusual number type: its value as a double
        return float.__repr__(float(value))
    return text


@dataclass(frozen=True)
class Size:
    """What an expression costs to use, measured on its tree (bounds, not exact values)."""

    nodes: int  # nodes of the tree (shared subtrees counted each time they occur)
    degree: int  # polynomial degree in the symbols
    terms: int  # monomials once expanded
    bits: int  # bits of the largest numerator or denominator the constants can build


def size(node: Node) -> Size:
    """Measure a node in time proportional to its distinct subtrees (block arguments are shared,
    so the tree can be exponentially larger than the graph). Every count saturates just above
    its limit, so the arithmetic stays small whatever the expression."""
    memo: dict[int, Size] = {}
    cap = lambda n, limit: min(n, limit + 1)  # noqa: E731 - saturating count

    def measure(n) -> Size:
        key = id(n)
        if key in memo:
            return memo[key]
        if isinstance(n, Num):
            v = n.value
            result = Size(1, 0, 1, cap(max(v.numerator.bit_length(), v.denominator.bit_length(), 1), MAX_BITS))
        elif isinstance(n, Name):
            result = Size(1, 1, 1, 1)
        elif isinstance(n, Neg):
            inner = measure(n.operand)
            result = Size(cap(inner.nodes + 1, MAX_NODES), inner.degree, inner.terms, inner.bits)
        elif isinstance(n, BinOp) and n.op == "**":
            base, power = measure(n.left), abs(int(n.right.value)) if isinstance(n.right, Num) else MAX_EXPONENT
            result = Size(cap(base.nodes + 2, MAX_NODES), cap(base.degree * power, MAX_DEGREE),
                          cap(base.terms ** min(power, 8), MAX_TERMS), cap(base.bits * max(power, 1), MAX_BITS))
        elif isinstance(n, BinOp):
            a, b = measure(n.left), measure(n.right)
            additive = n.op in ("+", "-")
            degree = cap(max(a.degree, b.degree) if additive else a.degree + b.degree, MAX_DEGREE)
            result = Size(cap(a.nodes + b.nodes + 1, MAX_NODES), degree,
                          1 if degree == 0 else cap(a.terms + b.terms if additive else a.terms * b.terms, MAX_TERMS),
                          cap(a.bits + b.bits + 1, MAX_BITS))  # a/b + c/d = (ad + bc)/bd
        elif isinstance(n, (Call, Compare, Logic)):
            parts = [measure(a) for a in _children(n)]
            result = Size(cap(sum(p.nodes for p in parts) + 1, MAX_NODES), max(p.degree for p in parts),
                          1, max(p.bits for p in parts))  # floor(...), min(...) stay whole when expanded
        else:
            raise TypeError(f"not an expression node: {n!r}")
        memo[key] = result
        return result

    return measure(node)


def check_size(node: Node, max_degree: int = MAX_DEGREE, max_terms: int = MAX_TERMS) -> Node:
    """Refuse an expression too big to evaluate or expand cheaply; return it otherwise. A layer's
    closed forms multiply several of its arguments, so their degrees and terms are kept small
    (the caller may ask for less still, e.g. for a kernel size)."""
    s = size(node)
    if s.nodes > MAX_NODES:
        raise ExprError(f"expression has more than {MAX_NODES} parts once block arguments are substituted")
    if s.degree > max_degree:
        raise ExprError(f"expression has degree above {max_degree} in the symbols")
    if s.terms > max_terms:
        raise ExprError(f"expression expands to more than {max_terms} terms")
    if s.bits > MAX_BITS:
        raise ExprError(f"expression builds numbers larger than 2**{MAX_BITS}")
    return node


def _children(node) -> tuple:
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, (BinOp, Compare)):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Logic):
        return node.operands
    return ()


def whole_by_construction(node: Node, integers: set) -> bool:
    """True when a value is a whole number for every value of its symbols: whole constants and the
    integer symbols in `integers`, joined by + - * and ** (a non-negative exponent), or a floor,
    ceil, // or make_divisible of anything, or min/max of such values. A channel count like that
    (`classes`, `4*planes`) is a count, not a fraction by design, and is never rounded."""
    if isinstance(node, Num):
        return node.value.denominator == 1
    if isinstance(node, Name):
        return node.name in integers
    if isinstance(node, Neg):
        return whole_by_construction(node.operand, integers)
    if isinstance(node, BinOp):
        if node.op == "//":
            return True
        if node.op == "**":
            exponent = constant_value(node.right)
            return exponent is not None and exponent >= 0 and whole_by_construction(node.left, integers)
        return node.op in "+-*" and all(whole_by_construction(n, integers) for n in (node.left, node.right))
    if isinstance(node, Call):
        if node.func in ("floor", "ceil", "make_divisible"):
            return True
        if node.func in ("min", "max"):
            return all(whole_by_construction(a, integers) for a in node.args)
    return False


def names(node: Node) -> set[str]:
    """Every symbol name a node (or condition) refers to."""
    if isinstance(node, Name):
        return {node.name}
    return set().union(*(names(a) for a in _children(node)))


def calls(node, func: str) -> list:
    """Every call of `func` in a node (a bounded tree: after check_size)."""
    found = [node] if isinstance(node, Call) and node.func == func else []
    for child in _children(node):
        found.extend(calls(child, func))
    return found


def substitute(node: Any, bindings: Mapping[str, Node]) -> Any:
    """Replace names by nodes (a block's arguments by the caller's expressions)."""
    if isinstance(node, Name):
        return bindings.get(node.name, node)
    if isinstance(node, Neg):
        return Neg(substitute(node.operand, bindings))
    if isinstance(node, BinOp):
        return BinOp(node.op, substitute(node.left, bindings), substitute(node.right, bindings))
    if isinstance(node, Call):
        return Call(node.func, tuple(substitute(a, bindings) for a in node.args))
    if isinstance(node, Compare):
        return Compare(node.op, substitute(node.left, bindings), substitute(node.right, bindings))
    if isinstance(node, Logic):
        return Logic(node.op, tuple(substitute(a, bindings) for a in node.operands))
    return node


def to_text(node: Node) -> str:
    """A readable, fully parenthesised rendering (for messages)."""
    if isinstance(node, Num):
        return str(node.value)
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Neg):
        return f"-{to_text(node.operand)}"
    if isinstance(node, (BinOp, Compare)):
        return f"({to_text(node.left)} {node.op} {to_text(node.right)})"
    if isinstance(node, Logic):
        return f"(not {to_text(node.operands[0])})" if node.op == "not" else \
            "(" + f" {node.op} ".join(to_text(a) for a in node.operands) + ")"
    return f"{node.func}({', '.join(to_text(a) for a in node.args)})"
