"""The reference's own walk, recorded once and replayed as straight-line Python over exact ints.

`compiled.Specialised` keys the reference on the few numbers its rows read (the channel counts
each layer's rule rounds, the other argument values, the repeat counts, the network input). For a
configuration whose key is new it still walked every layer (about 1 ms for MobileNet-CIFAR). Here
the same walk runs once with *traced* channel counts: each layer's channel argument (`filters`,
`units`, `channels`: CHANNEL_ARGUMENTS) is handed to the layer's own rule (RULES, the family
files) as an int that records what is done with it. Every `+ - * // %` on a traced int is one
line of generated code; every comparison and truth test on one (a rule's `if cin % groups`, the
walk's size bound, `max` of a shape) records its outcome as a guard. The result is one function of
the traced channel counts: each guard as early as its operands are known, the lines the rows
need, then the rows' numbers (or, `returned`, each distinct one once) and the four totals (each
one sum, a traced int's multiples gathered).

Everything else of the key is fixed in that function (the non-channel argument values, repeat
counts, the input): a function serves one value of those numbers (`Specialised` keeps them apart)
and, within it, the configurations whose guards all hold (a few variants per value when a guard
flips: `A > 16` in a `max` of (16, 16, A)). When no variant's guards hold, or anything raises,
the walk decides, with its own refusals. Generated code passes `generated_only` (generated names,
integer literals, `if`/`not`/`return`/`None`): no text of a spec is executed.

What cannot be traced is refused, never guessed: a traced int that is hashed, printed, divided
with `/`, raised to a power, shifted, turned into a float or passed to `int()` (which copies an
int subclass to a plain int: so `numbers._rounded` returns its count as it is, already an int)
raises `Untraceable` (no variant); a
spec whose arguments name `in_channels` is not traced (the reference reads that through Fraction
arithmetic, which reads ints in C). What C code reads of an int subclass without calling Python
(`operator.index`, `math.gcd`) would be a number fixed silently: so each variant's result is held
to the walk's rows at the configuration it was traced at, to the same walk run on plain ints at
two other sets of channel counts, and at the next CHECKED configurations it answers (a difference
drops the variant and is recorded in `Replays.drift`), and the tests hold it to the walk on every
shipped spec at several values.
"""

from __future__ import annotations

import operator

from ..expr import Num


class Untraceable(Exception):
    """A traced int met an operation the trace does not record: no variant (the walk decides)."""


class _Trace:
    """The lines, guards and common subexpressions of one recording."""

    def __init__(self):
        self.lines: list = []  # (name, code, operands)
        self.known: dict = {}  # (op, a, b) -> Traced: one line per distinct operation
        self.guards: list = []  # (lines before it, code, outcome, operands), in the order met
        self.guarded: set = set()

    def operand(self, x):
        if isinstance(x, Traced):
            if x.trace is not self:
                raise Untraceable("a traced int of another recording")
            return x.code
        if type(x) is bool:
            x = int(x)
        if type(x) is not int:
            raise Untraceable(f"{type(x).__name__} with a traced int")
        return repr(x) if x >= 0 else f"({x})"

    def value_of(self, x) -> int:
        self.operand(x)  # refuses what is not an int
        return int(x)

    def op(self, symbol: str, a, b, value: int):
        ca, cb = self.operand(a), self.operand(b)
        if not isinstance(a, Traced) and not isinstance(b, Traced):
            return value
        # identities that cost a line each: x + 0, x - 0, x * 1, x // 1, x * 0
        if symbol in ("+", "-") and cb == "0" or symbol in ("*", "//") and cb == "1":
            return a
        if symbol == "+" and ca == "0" or symbol == "*" and ca == "1":
            return b
        if symbol == "*" and "0" in (ca, cb) or symbol == "%" and cb == "1":
            return 0
        scale = None
        if symbol == "*" and isinstance(a, Traced) != isinstance(b, Traced):
            x, k = (a, b) if isinstance(a, Traced) else (b, a)
            if x.scale is not None:  # (c * y) * k is y * (c * k): one line, not two
                k, x = x.scale[0] * int(k), x.scale[1]
            scale, ca, cb = (int(k), x), x.code, self.operand(int(k))
        found = self.known.get((symbol, ca, cb))
        if found is None:
            name = f"t{len(self.lines)}"
            self.lines.append((name, f"{ca} {symbol} {cb}", (ca, cb)))
            found = self.known[(symbol, ca, cb)] = Traced(value, name, self)
            found.scale = scale
        return found

    def guard(self, symbol: str, a, b, outcome: bool) -> bool:
        ca, cb = self.operand(a), self.operand(b)
        code = f"{ca} {symbol} {cb}"
        if (code, outcome) not in self.guarded:
            self.guarded.add((code, outcome))
            self.guards.append((len(self.lines), code, outcome, (ca, cb)))
        return outcome


def _untraceable(name: str):
    def refuse(self, *args, **kwargs):
        raise Untraceable(f"{name} of a traced int")
    refuse.__name__ = name
    return refuse


def _binary(symbol: str, compute, reflected: bool = False):
    """An arithmetic operator of Traced: the value computed, the operation recorded as one line."""
    def method(self, other):
        if not isinstance(other, int):  # a Fraction's arithmetic would read the int in C (gcd)
            raise Untraceable(f"{type(other).__name__} {symbol} a traced int")
        a, b = (other, self) if reflected else (self, other)
        va, vb = (a.value if isinstance(a, Traced) else int(a)), (b.value if isinstance(b, Traced) else int(b))
        return self.trace.op(symbol, a, b, compute(va, vb))
    return method


def _compare(symbol: str, compute):
    """A comparison of Traced: the outcome at the traced values, recorded as a guard."""
    def method(self, other):
        if not isinstance(other, int):
            raise Untraceable(f"a traced int {symbol} {type(other).__name__}")
        vb = other.value if isinstance(other, Traced) else int(other)
        return self.trace.guard(symbol, self, other, compute(self.value, vb))
    return method


class Traced(int):
    """An int of the walk (its value at the traced configuration) that records what is done with it."""

    value: int
    code: str
    trace: _Trace
    scale: tuple | None  # (k, y) when this int is k * y (k an int, y traced)

    def __new__(cls, value: int, code: str, trace: _Trace):
        self = int.__new__(cls, value)
        self.value, self.code, self.trace, self.scale = int(value), code, trace, None
        return self

    __add__, __radd__ = _binary("+", operator.add), _binary("+", operator.add, True)
    __sub__, __rsub__ = _binary("-", operator.sub), _binary("-", operator.sub, True)
    __mul__, __rmul__ = _binary("*", operator.mul), _binary("*", operator.mul, True)
    __floordiv__, __rfloordiv__ = _binary("//", operator.floordiv), _binary("//", operator.floordiv, True)
    __mod__, __rmod__ = _binary("%", operator.mod), _binary("%", operator.mod, True)
    __lt__, __le__ = _compare("<", operator.lt), _compare("<=", operator.le)
    __gt__, __ge__ = _compare(">", operator.gt), _compare(">=", operator.ge)
    __eq__, __ne__ = _compare("==", operator.eq), _compare("!=", operator.ne)  # type: ignore[assignment]

    def __bool__(self):
        return self.trace.guard("!=", self, 0, self.value != 0)

    def __neg__(self):
        return self.trace.op("-", 0, self, -self.value)

    def __pos__(self):
        return self

    # math.floor / ceil / trunc of an int are the int; a Fraction built from one reads these two
    __floor__ = __ceil__ = __trunc__ = __pos__

    @property
    def numerator(self):
        return self

    @property
    def denominator(self):
        return 1

    __hash__ = _untraceable("hash")  # a dict keyed on a value would fix it silently


# Everything else an int does reads its value without recording it: refused.
for _name in ("__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__divmod__", "__rdivmod__", "__lshift__",
              "__rlshift__", "__rshift__", "__rrshift__", "__and__", "__rand__", "__or__", "__ror__", "__xor__",
              "__rxor__", "__invert__", "__abs__", "__float__", "__round__", "__str__", "__repr__", "__format__",
              "__index__", "__int__", "bit_length", "bit_count", "to_bytes", "as_integer_ratio", "conjugate",
              "__getnewargs__", "__sizeof__"):
    setattr(Traced, _name, _untraceable(_name))
del _name


def record(walk, channels: list):
    """Run `walk(traced)` (the reference's walk, the traced channel counts in place of the given
    ones) and return (its result, the recording: `function_text` writes it as a function of a0,
    a1, ...). Raises Untraceable (or what the walk raises) when the walk cannot be recorded."""
    trace = _Trace()
    return walk([Traced(c, f"a{i}", trace) for i, c in enumerate(channels)]), trace


def codes_of(trace: _Trace, outputs: list) -> list:
    """What each output is in the recording's code: a line's or an argument's name, or an integer literal."""
    return [trace.operand(x) for x in outputs]


def function_text(trace: _Trace, outputs: list, arguments: int, columns: tuple = (), width: int = 1,
                  name: str = "replay", returned: list | None = None) -> str:
    """The recording as Python: the lines that the guards and outputs need, each guard as early as
    its operands are known (a failed one returns None: a variant that does not apply fails at its
    first lines), then the outputs as one tuple and, for each of `columns`, the sum of that column
    of the outputs (`width` to a row) as a second one. `returned`: the codes (of `codes_of`) to
    return in place of the outputs, e.g. each distinct one once (a tuple of 680 numbers costs
    some 5 us to build; its 80 distinct ones a tenth of that)."""
    codes = codes_of(trace, outputs)
    if returned is not None:
        if set(returned) != set(codes):
            raise ValueError("the codes returned must be the outputs' codes")
        codes = list(returned)
    parts = [_column_sum(trace, outputs[j::width]) for j in columns]
    partial: list = []  # a long sum in lines of SUM_TERMS terms (the compiler recurses once per `+`)
    sums: list = []
    for terms in parts:
        while len(terms) > SUM_TERMS:
            partial.append((f"s{len(partial)}", " + ".join(terms[:SUM_TERMS])))
            terms = [partial[-1][0], *terms[SUM_TERMS:]]
        sums.append(" + ".join(terms))
    guards = _merged(trace.guards)
    needed = set(codes) | {term.split(" * ")[0] for terms in parts for term in terms}
    for _, _, _, operands in guards:
        needed.update(operands)
    for line_name, _, operands in reversed(trace.lines):
        if line_name in needed:
            needed.update(operands)
    defined_at = {line_name: position + 1 for position, (line_name, _, _) in enumerate(trace.lines)}
    after: dict = {}  # a line's position -> the guards that can be tested once it is computed
    for guard in guards:
        at = max((defined_at.get(operand, 0) for operand in guard[3]), default=0)
        after.setdefault(at, []).append(guard)
    body = [_guard_line(g) for g in after.get(0, [])]
    for position, (line_name, code, _) in enumerate(trace.lines):
        if line_name in needed:
            body.append(f"    {line_name} = {code}")
        body += [_guard_line(g) for g in after.get(position + 1, [])]
    args = ", ".join(f"a{i}" for i in range(arguments))
    body += [f"    {line_name} = {code}" for line_name, code in partial]
    totals = f", ({', '.join(sums)},)" if columns else ""
    return f"def {name}({args}):\n" + "\n".join(body) + f"\n    return ({', '.join(codes)},){totals}\n"


SUM_TERMS = 64

# x < k, x <= k, x > k, x >= k (x a traced int, k an integer) and their outcome -> the bounds they put
# on x: (least, greatest), None for no bound
_BOUNDS = {("<", True): lambda k: (None, k - 1), ("<", False): lambda k: (k, None),
           ("<=", True): lambda k: (None, k), ("<=", False): lambda k: (k + 1, None),
           (">", True): lambda k: (k + 1, None), (">", False): lambda k: (None, k),
           (">=", True): lambda k: (k, None), (">=", False): lambda k: (None, k - 1)}


def _merged(guards: list) -> list:
    """The guards, those comparing one traced int with integer literals made one: the bounds they
    put on it, as `least <= x <= greatest` (on ints the same condition: `x <= 0` false and `x < 1`
    false are `1 <= x`). Its operand is that int alone, so it is tested where the guards it
    replaces were. The others as they are."""
    bounds: dict = {}  # x's code -> [least, greatest]
    kept = []
    for guard in guards:
        _, code, outcome, (ca, cb) = guard
        symbol = code[len(ca) + 1:len(code) - len(cb) - 1]
        k = _integer(cb)
        if (symbol, outcome) not in _BOUNDS or k is None or _integer(ca) is not None:
            kept.append(guard)
            continue
        least, greatest = _BOUNDS[(symbol, outcome)](k)
        found = bounds.setdefault(ca, [None, None])
        if least is not None:
            found[0] = least if found[0] is None else max(found[0], least)
        if greatest is not None:
            found[1] = greatest if found[1] is None else min(found[1], greatest)
    for x, (least, greatest) in bounds.items():
        text = " <= ".join([*([_literal(least)] if least is not None else []), x,
                            *([_literal(greatest)] if greatest is not None else [])])
        kept.append((0, text, True, (x,)))
    return kept


def _integer(code: str):
    """The int of an integer literal as `operand` writes it ('16', '(-3)'), else None."""
    text = code[1:-1] if code.startswith("(") else code
    return int(text) if text.lstrip("-").isdigit() else None


def _literal(k: int) -> str:
    return repr(k) if k >= 0 else f"({k})"


def _column_sum(trace: _Trace, column: list) -> list:
    """The sum of a column of traced and plain ints as terms to add: each traced int's multiples
    gathered (k * y from a row and j * y from another are (k + j) * y), the plain ints added now."""
    constant, terms = 0, {}  # type: tuple[int, dict[str, int]]
    for x in column:
        if not isinstance(x, Traced):
            constant += trace.value_of(x)
            continue
        k, y = x.scale if x.scale is not None else (1, x)
        terms[y.code] = terms.get(y.code, 0) + k
    parts = [code if k == 1 else f"{code} * {trace.operand(k)}" for code, k in terms.items() if k]
    if constant or not parts:
        parts.append(trace.operand(constant))
    return parts


def _guard_line(guard) -> str:
    _, code, outcome, _ = guard
    return f"    if {'not ' if outcome else ''}{code}:\n        return None"


def replaced(args: dict, channel_args, counts: dict) -> dict:
    """A layer's arguments with each channel argument the whole number `counts[arg]` (an int or a
    traced one) in place of its expression: the rule's own rounding of a whole number is itself."""
    return {**args, **{arg: Num(counts[arg]) for arg in channel_args}}


__all__ = ["Untraceable", "Traced", "record", "codes_of", "function_text", "replaced"]
