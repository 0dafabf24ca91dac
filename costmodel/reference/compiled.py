"""The reference propagator specialised once per spec: many configurations, each checked cheaply.

`propagate(spec, values)` walks every layer with the reference's own evaluator: about 1 ms for
MobileNet-CIFAR. Yet its rows depend on the values only through a few numbers: the network
input, the repeat counts, and each layer argument that is an expression of the symbols, as the
reference reads it (a channel count rounded by the layer's rule, `_channels`; any other argument
evaluated exactly, `evaluate`). `Specialised(spec)` finds those expressions once (deduplicated:
MobileNet-CIFAR's 85 layers read 8: 32*alpha, 64*alpha, ..., delta, classes) and, per
configuration, evaluates only them into a key (generated code, `read_all`, held to the
reference's own `evaluate` and `_channels` by `key_slowly`). Three ways to the rows, in turn:

- the memo: a key whose rows were kept returns the same rows (alpha 0.30 and 0.31 give the same
  channel counts everywhere, so the same rows), with the recording that returned them. A walk's
  rows are kept; a replay's once its key has been replayed REMEMBER_AFTER times (kept rows cost
  the collector a read of each number; the bound, MAX_ENTRIES_FIELDS, counts the numbers kept);
- a replay (`Replays`, traced.py): any other key whose fixed numbers (every read but the channel
  counts) were seen is answered by a recording of the reference's own walk: the walk run once
  with the channel counts as traced ints through the layers' own rules (RULES), each arithmetic
  operation a line of straight-line Python over exact ints, each comparison a guard; the four
  totals gathered into one sum each; it returns each distinct number of the rows once (`answer`,
  with the recording as `source`; its `expand` makes the flat rows, `rows` gives those).
  MobileNet-CIFAR: about 60 lines, 7 to 13 tests (its guards on one traced int merged into
  bounds), some 60 distinct numbers for the rows' 680: 3 to 5 us
  on a quiet machine, where the walk takes 1 to 2.4 ms;
- the walk, `propagate` itself: when there is no key (a value cannot be read: the walk refuses
  it, located, as it always does), no recording of these fixed numbers yet (the second walk of a
  value, RECORD_AFTER, is recorded: a value walked once, as a finely swept resolution's, may
  never come back), or no recording whose guards hold (one more is recorded, up to MAX_VARIANTS).

A recording is never trusted blind: it is made only after the walk succeeded at the same values
and must give the walk's rows there and, where its guards hold, the same walk's rows on plain ints
at two other sets of channel counts (each + 1, each x 2: a number the trace fixed silently would
differ); its next CHECKED answers are walked too and compared; a difference drops it
(`Replays.drift` says where) and the walk's answer is the one given. After
that its answers are still one of the two sides `fastpath` compares field by field with the
closed forms, so a wrong row would be a CheckError, not a number. Why not a per-layer memo: on the
benchmark's random widths a new configuration brings, for its first thousand, some 30 layers
whose input shape and channel counts were never seen (6 per configuration over 10,000): a rule
call each; a recording answers any channel counts its guards admit.

Why the key is enough: a rule sees the symbol values only through its arguments; a channel
argument only through `_channels` (CHANNEL_ARGUMENTS lists those, per type, from the rules in the
family files); `in_channels` is the layer's input channel count, itself a function of the key by
induction over the layers, so an expression naming it joins the key through the raw values of its
other symbols (such a spec is not recorded: the reference reads `in_channels` through Fraction
arithmetic). Constants are evaluated once, here. Anything that fails while the key is read
(a zero divisor, a channel count below 1, a fractional count) is left to `propagate`, which refuses
it exactly as it always does, located. This module imports nothing from the symbolic side.
"""

from __future__ import annotations

import io
import math
import operator
import re
import tokenize
from fractions import Fraction
from typing import Any

from ..errors import SpecError
from ..expr import IN_CHANNELS, BinOp, Call, Name, Neg, Num
from . import propagate, traced
from .numbers import EXPRESSION, _channels, _divisible, _rounded, _whole, evaluate

# Arguments that a type's rule reads only through `_channels` (rounded by the layer's rule), from
# conv.py, linear.py and elementwise.py. Listing one that a rule also reads raw would be unsound;
# leaving one out only costs hits (its raw value joins the key).
CHANNEL_ARGUMENTS = {"conv": ("filters",), "pointwise": ("filters",), "dense": ("units",),
                     "channel_pad": ("channels",)}
WIDTH = 8  # numbers per row in the flat tuple: h, w, c, params, non-trainable, MACs, floats out, floats in
MAX_ENTRIES_FIELDS = 1_000_000  # numbers kept over all remembered keys: tens of MB at most
MAX_SEEN = 65_536  # keys replayed, counted: their rows are kept once replayed REMEMBER_AFTER times
REMEMBER_AFTER = 3  # replays of one key before its rows are kept


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
    flat tuple (WIDTH numbers per layer), with the layer names and the four totals; `answer` the
    same with a recording's numbers as it returned them (`source` says which recording)."""

    def __init__(self, spec):
        from ..spec.model import leaves_written
        self.spec = spec
        reads: dict = {}  # (kind, node, rounding) -> None, in order: what the key evaluates
        raw: set = set()  # symbols whose raw value joins the key (expressions with in_channels)
        names_in_channels = False  # an argument reads in_channels: not traced (traced.py)
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
                        names_in_channels = True
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
        self.memo: dict = {}  # key -> (answer, the recording (_Variant) that returned it, or None: walked)
        self.replays = Replays(self, traceable=not raw and not names_in_channels)
        self.remembered = self.walked = 0  # answers from the memo, from the walk (the replays count theirs)
        # How many times each key (by its hash) was replayed. A replay costs about what a kept row
        # saves, and keeping rows for every new key costs more: the collector traverses each kept
        # tuple of numbers (MobileNet-CIFAR: 680 ints, each read from memory), 20 to 30 us per
        # configuration when every key is kept. A key replayed REMEMBER_AFTER times is kept.
        self.seen: dict = {}
        self.kept = False  # whether the last rows returned are the memo's (kept: worth agreeing on)
        self.source = None  # the recording (_Variant) that returned the last answer (now or when kept), else None

    @staticmethod
    def _read(kind, node, rounding, values):
        if kind == "channels":
            return _channels(node, values, rounding, "channels")
        return evaluate(node, values)

    def key(self, values: dict, split: tuple | None = None):
        """The numbers the rows depend on at these values; None when one cannot be read (then
        `propagate` decides, and refuses as it always does). `split`, when given, is the values
        in the order of the spec's symbols, then each one's numerator and denominator."""
        if not self.constant:
            return None
        try:
            if split is None:
                given = [values[name] for name in self.symbols]
                split = (*given, *(part for v in given for part in (v.numerator, v.denominator)))
            return self.read_all(*split)
        except (SpecError, ZeroDivisionError, OverflowError, ValueError, KeyError):
            return None

    def key_slowly(self, values: dict):
        """`key` through the reference's own `evaluate` and `_channels`, node by node (the tests hold
        the generated `read_all` to it)."""
        read = self._read
        return (*(read(kind, node, rounding, values) for kind, node, rounding in self.reads),
                *(values[name] for name in self.raw))

    def rows(self, values: dict, split: tuple | None = None) -> tuple:
        """(names, flat numbers, totals) of `propagate(spec, values)`; raises its SpecError.
        `split`: as for `key`."""
        found = self.answer(values, split)
        return found if self.source is None else self.source.full(found)

    def answer(self, values: dict, split: tuple | None = None) -> tuple:
        """`rows`, with the numbers as `self.source` returned them when they come from a recording
        (each distinct number once: its `expand` makes the rows); None there: the flat rows."""
        key = self.key(values, split)
        self.kept = False
        self.source = None
        if key is None:
            self.walked += 1
            return flat(propagate(self.spec, values))
        kept = self.memo.get(key)
        if kept is not None:
            self.remembered += 1
            self.kept = True
            found, self.source = kept  # and the recording that returned them (None: the walk's)
            return found
        found = self.replays.rows(key, values)  # the recorded walk, when its guards hold
        if found is None:
            self.walked += 1
            found = flat(propagate(self.spec, values))
            self.replays.learn(key, values, found)
        else:  # replayed rows are kept once their key has been replayed REMEMBER_AFTER times
            self.source = self.replays.source
            h = hash(key)  # counted by hash: a collision only keeps some rows sooner
            seen = self.seen.get(h, 0)
            if seen < REMEMBER_AFTER:
                if len(self.seen) >= MAX_SEEN:
                    self.seen.clear()
                self.seen[h] = seen + 1
                return found
        if len(self.memo) * max(1, len(found[1])) > MAX_ENTRIES_FIELDS:
            self.memo.clear()
        self.memo[key] = (found, self.source)
        self.kept = True
        return found


MAX_VARIANTS = 8  # recorded walks per value of the fixed numbers (a guard that flips makes another)
MAX_REPLAYS = 256  # over all values of the fixed numbers: then forgotten and recorded again
MAX_TRACED_LAYERS = 3_000  # a longer walk is not recorded (its function would take long to compile)
RECORD_AFTER = 2  # walks of one value of the fixed numbers before one is recorded (a recording costs
# about four walks: the traced one, two probes, the compile)
MAX_FIXED = 4_096  # values of the fixed numbers counted: then counted afresh
CHECKED = 2  # configurations after the traced one at which a replay is also walked and compared


class _Variant:
    """One recorded walk: the layer names, the generated function of the channel counts (None
    when a guard fails) and how many of its next answers are still to be walked and compared.

    The function returns each distinct number of the rows once (`returned`, in the order first
    met), with the four totals: `expand` makes the rows' flat tuple of them, WIDTH numbers per
    layer (`outputs` says what each is), when they are read."""

    def __init__(self, names: tuple, function, code: str, outputs: list):
        self.names, self.function, self.code, self.unchecked = names, function, code, CHECKED
        self.described = function  # the function that `outputs` and `returned` describe
        self.outputs = tuple(outputs)  # per number of the rows: a generated name or an integer literal
        self.returned = tuple(dict.fromkeys(outputs))  # each distinct one once: what the function returns
        at = {name: i for i, name in enumerate(self.returned)}
        self.expand = _picker([at[name] for name in outputs])
        self.peak = _picker(sorted({at[name] for name in outputs[6::WIDTH]}))  # the distinct floats out
        self.walk: Any = None  # set by `_record`; dropped once probed

    def full(self, found: tuple) -> tuple:
        """(names, returned numbers, totals) as the rows: (names, flat numbers, totals)."""
        return found[0], self.expand(found[1]), found[2]


class Replays:
    """The rows for a key never seen: a recording of the reference's own walk (traced.py),
    replayed, instead of the walk. Keyed on the key's fixed numbers (every read but the channel
    counts: repeat counts, non-channel arguments, the input); within one, up to MAX_VARIANTS
    recordings, tried in turn. `drift` lists any recording found to differ from the walk."""

    def __init__(self, specialised: "Specialised", traceable: bool):
        self.specialised = specialised
        reads = specialised.reads
        self.channel_reads = [read for read in reads if read[0] == "channels"]
        channel = [i for i, read in enumerate(reads) if read[0] == "channels"]
        fixed = [i for i in range(len(reads) + len(specialised.raw)) if i not in set(channel)]
        self.channels_of = _picker(channel)
        self.fixed_of = _picker(fixed)
        self.traceable = traceable
        self.variants: dict = {}  # fixed numbers -> [_Variant]
        self.failed: dict = {}  # fixed numbers -> recordings that could not be made
        self.walks: dict = {}  # fixed numbers -> walks with no recording to answer them
        self.drift: list = []  # (fixed numbers, channel counts, what differed): empty unless a replay is wrong
        self.replayed = 0  # answers replayed
        self.source = None  # the recording (_Variant) that gave the last answer, None if the walk's

    def rows(self, key: tuple, values: dict):
        """(names, numbers, totals) replayed for this key, or None (no recording whose guards hold)."""
        variants = self.variants.get(self.fixed_of(key)) if self.traceable else None
        if not variants:
            return None
        channels = self.channels_of(key)
        for variant in variants:
            try:
                out = variant.function(*channels)
            except ArithmeticError:  # a traced divisor is 0 here: the walk decides
                out = None
            if out is None:
                continue
            found = (variant.names, *out)  # the rows' distinct numbers and their four sums
            self.replayed += 1
            self.source = variant
            if variant.unchecked:
                return self._checked(variant, variants, key, values, found)
            return found
        return None

    def _checked(self, variant, variants, key, values, found) -> tuple:
        """One of a recording's first answers held to the walk: a difference drops the recording
        (and is recorded in `drift`) and the walk's answer (or refusal) is the one given."""
        try:
            walked = flat(propagate(self.specialised.spec, values))
        except SpecError:
            variants.remove(variant)
            self.drift.append((self.fixed_of(key), self.channels_of(key), "the walk refuses"))
            raise
        if walked != variant.full(found):
            variants.remove(variant)
            self.drift.append((self.fixed_of(key), self.channels_of(key), "numbers differ"))
            self.source = None
            return walked
        variant.unchecked -= 1
        return found

    def learn(self, key: tuple, values: dict, walked: tuple) -> None:
        """After a walk that no recording answered: record one at these values, if it can be
        recorded and gives the walk's own rows here."""
        if not self.traceable:
            return
        fixed = self.fixed_of(key)
        walks = self.walks.get(fixed, 0) + 1  # a value walked once may never come back (a resolution
        if len(self.walks) >= MAX_FIXED:       # swept finely): recorded from its RECORD_AFTER-th walk
            self.walks.clear()
            self.failed.clear()
        self.walks[fixed] = walks
        if walks < RECORD_AFTER:
            return
        variants = self.variants.setdefault(fixed, [])
        if len(variants) >= MAX_VARIANTS or self.failed.get(fixed, 0) >= 2:
            return
        if sum(map(len, self.variants.values())) >= MAX_REPLAYS:
            self.variants.clear()
            variants = self.variants[fixed] = []
        channels = self.channels_of(key)
        try:
            variant = self._record(values, channels)
            out = variant.function(*channels)
        except (traced.Untraceable, SpecError, ArithmeticError, TypeError, ValueError, KeyError, RecursionError):
            self.failed[fixed] = self.failed.get(fixed, 0) + 1
            return
        if out is None or variant.full((variant.names, *out)) != walked:
            self.drift.append((fixed, channels, "the recording differs from the walk it recorded"))
            self.failed[fixed] = self.failed.get(fixed, 0) + 1
            return
        for probe in (tuple(c + 1 for c in channels), tuple(2 * c for c in channels)):
            if not self._probed(variant, probe):
                self.drift.append((fixed, probe, "the recording differs from the walk at other channel counts"))
                self.failed[fixed] = self.failed.get(fixed, 0) + 1
                return
        variant.walk = None  # the closure holds the configuration's values and layers
        variants.append(variant)

    @staticmethod
    def _probed(variant: _Variant, channels: tuple) -> bool:
        """Whether the recording agrees, at channel counts of no configuration, with the same walk
        run on plain ints there: a number the trace fixed silently (read by C code, not recorded)
        differs. Where a guard fails there is nothing to compare; where the walk refuses, a guard
        must fail."""
        try:
            out = variant.function(*channels)
        except ArithmeticError:
            out = None
        if out is None:
            return True
        try:
            numbers = tuple(variant.walk(list(channels)))
        except (SpecError, ArithmeticError):
            return False
        return variant.expand(out[0]) == numbers and out[1] == sums(numbers)

    def _record(self, values: dict, channels: tuple) -> _Variant:
        """The reference's walk at these values with the channel counts traced (traced.py)."""
        from . import NETWORK_INPUT, RULES, _bounded, _input_shape, _layers, layer_values
        spec = self.specialised.spec
        layers = _layers(spec, values)
        if len(layers) > MAX_TRACED_LAYERS:
            raise ValueError("too many layers to record")
        from . import arguments
        reads = self.channel_reads

        def walk(counts):
            by_read = dict(zip(reads, counts))
            shapes = {NETWORK_INPUT: _input_shape(spec, values)}
            volume = {NETWORK_INPUT: math.prod(shapes[NETWORK_INPUT])}
            numbers: list = []
            for layer in layers:
                args, rounding = arguments(layer, spec.defaults_of), layer.rounding
                channel = CHANNEL_ARGUMENTS.get(layer.type, ())
                if channel and all(isinstance(args.get(arg), EXPRESSION) for arg in channel):
                    whole = {arg: by_read.get(("channels", args[arg], rounding)) for arg in channel}
                    for arg, count in whole.items():
                        if count is None:  # a constant: rounded by the layer's rule now
                            whole[arg] = _channels(args[arg], {}, rounding, arg)
                    args, rounding = traced.replaced(args, channel, whole), "floor"  # whole numbers: floor is itself
                row = RULES[layer.type](args, [shapes[name] for name in layer.inputs],
                                        layer_values(values, layer, shapes), rounding)
                _bounded(row["shape"])
                volume[layer.name] = math.prod(row["shape"])
                numbers.extend(row["shape"])
                numbers += (row["params"], row["params_non_trainable"], row["macs"], volume[layer.name],
                            sum(volume[name] for name in layer.inputs))  # floats out, floats in
                shapes[layer.name] = row["shape"]
            return numbers

        numbers, trace = traced.record(walk, list(channels))
        codes = traced.codes_of(trace, numbers)
        text = traced.function_text(trace, numbers, len(channels), columns=(3, 4, 5, 6), width=WIDTH,  # as `sums`
                                    returned=list(dict.fromkeys(codes)))  # as _Variant.returned
        code = generated_only(text, ["replay", "if", "not", "None"])
        namespace: dict = {}
        exec(compile(code, "<reference replay>", "exec"), namespace)  # noqa: S102 - generated, checked
        variant = _Variant(tuple(layer.name for layer in layers), namespace["replay"], code, codes)
        variant.walk = walk  # the walk as recorded, for `_probed` (plain ints in, the rows' numbers out)
        return variant


def _picker(positions: list):
    """A function of a key giving the numbers at these positions, as a tuple."""
    if len(positions) >= 2:
        return operator.itemgetter(*positions)
    if positions:
        i = positions[0]
        return lambda key: (key[i],)
    return lambda key: ()


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


def _whole_or_fraction(v: Fraction):
    return v.numerator if v.denominator == 1 else v


_KEY_HELPERS = {"_w": _whole_or_fraction, "_floordiv": _floordiv, "_power": _power, "_md": _make_divisible, "_rounded": _rounded,
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

    # A channel count n/d rounded in integer arithmetic (d > 0), as `_rounded` rounds it. Each is
    # then held to at least 1, which also refuses n <= 0 (a rounded count of a value <= 0 is <= 0);
    # 'none' needs d to divide n too. A count that fails makes the key None (`propagate` refuses).
    ROUNDED = {"floor": "{n} // {d}", "ceil": "-(-{n} // {d})", "nearest": "(2 * {n} + {d}) // (2 * {d})"}  # halves up

    def channels(self, node, rounding: str) -> str:
        if rounding in ("floor", "ceil", "nearest", "none"):
            n, d = self.pair(node)
            k = len(self.counts)
            if rounding == "none":
                self.lines += [f"    m{k} = {n}", f"    e{k} = {d}", f"    c{k} = m{k} // e{k}"]
                self.counts.append(f"c{k} < 1 or m{k} % e{k}")
            else:
                self.lines.append(f"    c{k} = {self.ROUNDED[rounding].format(n=n, d=d)}")
                self.counts.append(f"c{k} < 1")
            return f"c{k}"
        return f"_rounded({self(node)}, {self.constant(rounding)}, 'channels')"

    def value(self, node) -> str:
        """A value read as an int when it is whole (equal, and hashed alike, but an int hashes in C:
        the key is hashed three times per configuration)."""
        if isinstance(node, Name):
            i = self.index[node.name]
            return f"(n{i} if d{i} == 1 else a{i})"
        return f"_w({self(node)})"

    def function(self, reads: list, raw: list):
        self.lines: list = []
        self.counts: list = []  # the tests each rounded channel count must pass
        parts = [self.channels(node, rounding) if kind == "channels" else self.value(node) for kind, node, rounding in reads]
        parts += [self.value(Name(name)) for name in raw]
        arguments = ", ".join([f"a{i}" for i in range(len(self.index))] + [f"n{i}, d{i}" for i in range(len(self.index))])
        refused = [f"    if {' or '.join(self.counts)}:", "        return None"] if self.counts else []
        body = "\n".join([*self.lines, *refused, f"    return ({', '.join(parts)},)"])
        code = generated_only(f"def read_all({arguments}):\n{body}\n",
                              [*self.namespace, "read_all", "if", "else", "or", "None"], strings=("'channels'",))
        exec(compile(code, "<reference key>", "exec"), self.namespace)  # noqa: S102 - generated, checked
        return self.namespace["read_all"]


def flat(rows: list) -> tuple:
    """propagate's rows as (names, one flat tuple of WIDTH numbers per row, totals)."""
    numbers = []
    for row in rows:
        numbers.extend(row["shape"])
        numbers += (row["params"], row["params_non_trainable"], row["macs"], row["floats_out"], row["floats_in"])
    return tuple(row["name"] for row in rows), tuple(numbers), sums(numbers)


def sums(numbers) -> tuple:
    """The four totals of flat numbers: params, non-trainable params, MACs, floats out, each the
    sum of that field over the rows."""
    return sum(numbers[3::WIDTH]), sum(numbers[4::WIDTH]), sum(numbers[5::WIDTH]), sum(numbers[6::WIDTH])
