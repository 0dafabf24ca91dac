"""The warm fast path of `Network.evaluate`: two compiled computations per configuration, compared.

A Network evaluated again and again (a loop over widths, an optimiser) pays, per configuration,
the layer formulas on plain numbers and the reference walking every layer: about 10 ms for
MobileNet-CIFAR. From its 16th evaluation on (FAST_AFTER), a Network of at most MAX_LAYERS
layers compiles, once, two independent things and from then on runs both per configuration:

- the closed-form side: every distinct layer's closed forms (shape, params, statistics, MACs,
  floats out, floats in) and the closed-form totals (repeat counts inside, first + (count - 1) x
  rest), printed by `_Printer` into one straight-line Python function over exact ints and
  Fractions (one assignment per distinct subexpression; generated names only, so any symbol
  name works; constants are integer literals or Fractions in the namespace: no text of the
  spec is ever executed);
- the reference side: `reference.compiled.Specialised`, the reference propagator keyed on the few
  numbers its rows depend on: rows remembered for a key seen before, else replayed from a
  recording of the reference's own walk (`reference/traced.py`: its rules run once on traced
  channel counts, straight-line ints and guards; held to the walk on its first answers), else
  `propagate` itself. It imports nothing from the symbolic side.

Both generated functions return each distinct number of the rows once (MobileNet-CIFAR: 60 to 80
of the 680 fields, eight per layer; a tuple of 680 costs some 5 us to build) and say, per field,
which of their names or integer literals it is (`outputs`). Per configuration the two are compared
field by field, the layer names and count too, and the closed-form totals against the
reference's sums; any difference raises CheckError naming the layer and the fields. For rows a
recording returned (`_Pairing`): two fields to which the two functions give the same pair of
names are equal exactly when one of them is, so each distinct pair is compared once (some 72
comparisons; a pair of two equal literals at the pairing's making). For the walk's rows every
field is compared (and when those rows are ones seen before, the closed forms are compared with
those found equal to them then). A configuration the reference refuses is refused by `propagate`
itself, so with the same message. Rows (LayerRow) are made, from the reference's numbers, when
first read. Anything the printer does not know, or a configuration where the compiled side
cannot evaluate (a division by zero), goes the slow way, which decides as it always has.
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction
from typing import Any

from . import check
from .errors import CheckError
from .expr import make_divisible
from .reference.compiled import WIDTH, Specialised, _picker, generated_only

FAST_AFTER = 16  # the evaluation that compiles (a command evaluating a few presets never pays the compile)
MAX_LAYERS = 3_000  # larger networks keep the slow path (compiling their closed forms costs more)
TOTALS = ("params", "params_non_trainable", "macs", "floats_out")


class Unsupported(Exception):
    """A closed form with a node the printer does not know: this network keeps the slow path."""


def _inverse(x):
    return 1 / Fraction(x)  # ZeroDivisionError at 0: the slow path decides


def _gcd(a, b):
    if Fraction(a).denominator != 1 or Fraction(b).denominator != 1:
        raise ValueError(f"gcd of {a} and {b}: not whole numbers")
    return math.gcd(int(a), int(b))


def _divisible(v, d, least=None):
    return make_divisible(Fraction(v), int(d), None if least is None else int(least))


_HELPERS = {"_inv": _inverse, "_gcd": _gcd, "_div": _divisible, "_sum": sum, "_prod": math.prod, "_min": min,
            "_max": max, "_abs": abs}


class _Printer:
    """sympy closed forms -> the lines of one Python function, one assignment per distinct node."""

    def __init__(self, symbols: list):
        self.names = {s: f"v{i}" for i, s in enumerate(symbols)}
        self.pairs = {s: (f"p{i}", f"q{i}") for i, s in enumerate(symbols)}  # value = p/q, q > 0, as ints
        self.arguments = ", ".join([f"v{i}" for i in range(len(symbols))] + [f"p{i}, q{i}" for i in range(len(symbols))])
        self.lines: list = []
        self.namespace: dict[str, Any] = dict(_HELPERS)

    def _emit(self, code: str) -> str:
        name = f"t{len(self.lines)}"
        self.lines.append(f"    {name} = {code}")
        return name

    def __call__(self, e) -> str:
        found = self.names.get(e)
        if found is None:
            found = self.names[e] = self._node(e)
        return found

    def _node(self, e) -> str:
        import sympy
        from . import symbolic as sy
        if isinstance(e, int) or e.is_Integer:
            return repr(int(e)) if e >= 0 else f"({int(e)})"  # (-3) ** 2 is 9, -3 ** 2 is -9
        if e.is_Rational:
            name = f"_q{len(self.namespace)}"
            self.namespace[name] = Fraction(int(e.p), int(e.q))
            return name
        if e.is_Symbol:
            raise Unsupported(f"symbol {e} is not an argument")
        if e.is_Mul and e.args[0].is_Number and len(e.args) > 2:
            # k * x * y as k * (x * y): x * y is one node, shared by every multiple of it (the same
            # two multiplications, or one where x * y is printed already)
            return self._emit(f"{self(e.args[0])} * {self(sympy.Mul(*e.args[1:]))}")
        if type(e) in (sympy.floor, sy.RoundFloor, sympy.ceiling, sy.RoundCeil, sy.RoundNearest):
            args = []
        else:
            args = [self(a) for a in e.args]
        if e.is_Add:
            return self._emit(" + ".join(args) if len(args) <= 8 else f"_sum(({', '.join(args)},))")
        if e.is_Mul:
            return self._emit(" * ".join(args) if len(args) <= 8 else f"_prod(({', '.join(args)},))")
        if e.is_Pow:
            if not e.exp.is_Integer:
                raise Unsupported(f"power {e}")
            n = int(e.exp)
            return self._emit(f"{args[0]} ** {n}" if n >= 0 else f"_inv({args[0]}) ** {-n}")
        if type(e) in (sympy.floor, sy.RoundFloor, sympy.ceiling, sy.RoundCeil, sy.RoundNearest):
            n, d = self.pair(e.args[0])  # the argument as an integer numerator over a positive denominator
            if type(e) in (sympy.floor, sy.RoundFloor):
                return self._emit(f"{n} // {d}")
            if type(e) in (sympy.ceiling, sy.RoundCeil):
                return self._emit(f"-(-{n} // {d})")
            return self._emit(f"(2 * {n} + {d}) // (2 * {d})")  # floor(x + 1/2): halves round up
        calls = {sympy.Min: "_min", sympy.Max: "_max", sy.RoundDivisible: "_div", sy.MakeDivisible: "_div",
                 sympy.Abs: "_abs"}
        if type(e) in calls:
            return self._emit(f"{calls[type(e)]}({', '.join(args)})")
        if isinstance(e, sympy.Mod):
            return self._emit(f"{args[0]} % {args[1]}")
        if type(e).__name__ == "gcd" and len(args) == 2:  # ops.arith's unevaluated gcd
            return self._emit(f"_gcd({args[0]}, {args[1]})")
        raise Unsupported(f"{type(e).__name__} in a closed form")

    def pair(self, e) -> tuple:
        """`e` as (numerator, denominator) code over ints, the denominator positive: sums, products
        and powers of the symbols and constants in integer arithmetic (a Fraction operation costs
        twenty integer ones); any other node is evaluated as a value and split."""
        import sympy
        found = self.pairs.get(e)
        if found is not None:
            return found
        if e.is_Integer:
            found = (self(e), "1")
        elif e.is_Rational:
            found = (self(sympy.Integer(e.p)), repr(int(e.q)))
        elif e.is_Add or e.is_Mul:
            parts = [self.pair(a) for a in e.args]
            n, d = parts[0]
            for n2, d2 in parts[1:]:
                if e.is_Add:
                    n, d = (f"{n} * {d2} + {n2} * {d}" if d2 != "1" or d != "1" else f"{n} + {n2}"), \
                        (f"{d} * {d2}" if d2 != "1" and d != "1" else (d if d2 == "1" else d2))
                else:
                    n, d = f"{n} * {n2}", (f"{d} * {d2}" if d2 != "1" and d != "1" else (d if d2 == "1" else d2))
                n, d = self._emit(n), (d if d.isidentifier() or d.isdigit() else self._emit(d))
            found = (n, d)
        elif e.is_Pow and e.exp.is_Integer and e.exp >= 0:
            n, d = self.pair(e.base)
            k = int(e.exp)
            found = (self._emit(f"{n} ** {k}"), "1" if d == "1" else self._emit(f"{d} ** {k}"))
        else:
            v = self(e)
            found = (f"{v}.numerator", f"{v}.denominator")  # an int or a Fraction
        self.pairs[e] = found
        return found

    def function(self, outputs: list, last: int | None = None):
        """The function of the outputs. With `last` (a count), it returns each distinct one of the
        outputs before the last `last` once (in the order first met), then those last ones: its
        `expand` makes all the outputs of that (a tuple of 680 numbers costs some 5 us to build,
        its 80 distinct ones a tenth of that). `outputs` (per output: a generated name or an
        integer literal) and `returned` describe it."""
        names = [self(e) for e in outputs]
        returned = names if last is None else [*dict.fromkeys(names[:len(names) - last]), *names[len(names) - last:]]
        body = "\n".join(self.lines) or "    pass"
        code = generated_only(f"def compiled({self.arguments}):\n{body}\n    return ({', '.join(returned)},)\n",
                              [*self.namespace, "compiled"])
        exec(compile(code, "<costmodel closed forms>", "exec"), self.namespace)  # noqa: S102 - generated, checked
        function = self.namespace["compiled"]
        function.outputs, function.returned = tuple(names), tuple(returned)
        if last is not None:
            at = {name: i for i, name in enumerate(returned[:len(returned) - last])}
            head = [at[name] for name in names[:len(names) - last]]
            function.expand = operator.itemgetter(*head, *range(len(returned) - last, len(returned)))
        return function


class _Layout:
    """The unrolled layers at one set of repeat counts, and where each finds its closed forms."""

    def __init__(self, network, unrolled, index: dict):
        self.unrolled = unrolled
        self.leaves = list(unrolled.leaves())
        self.templates = [index[id(network._template_cost(leaf))] for leaf in self.leaves]
        self.names = tuple(leaf.layer.name for leaf in self.leaves)
        self.positions = [WIDTH * t + j for t in self.templates for j in range(WIDTH)]  # in the compiled output
        self.take = operator.itemgetter(*self.positions)


class FastPath:
    """One Network's compiled closed forms and specialised reference."""

    def __init__(self, network):
        from .spec.model import Repeat, children_of
        self.network = network
        spec = network.spec
        self.symbol_names = list(spec.symbols)
        deriver = network._deriver
        costs, self.index = [], {}
        for cost in deriver.costs.values():
            if id(cost) not in self.index:
                self.index[id(cost)] = len(costs)
                costs.append(cost)
        self.costs = costs
        self.repeats = []

        def walk(nodes):
            for node in nodes:
                if isinstance(node, Repeat) and node.symbolic:
                    self.repeats.append(node)
                walk(children_of(node))
        walk(spec.tree)
        self.layouts: dict = {}
        # With no symbolic repeat there is one layout: the closed forms are printed in its layer
        # order (a layer's fields where a template's were), so no per-configuration gather.
        fixed = _Layout(network, spec.unrolled, self.index) if not self.repeats else None
        printer = _Printer([deriver.symbols[name] for name in self.symbol_names])
        outputs = []
        for cost in costs if fixed is None else [costs[t] for t in fixed.templates]:
            outputs += [*cost.shape, cost.params, cost.params_non_trainable, cost.macs, cost.floats_out, cost.floats_in]
        if fixed is not None:
            fixed.take = operator.itemgetter(slice(0, len(outputs)))
            fixed.positions = list(range(len(outputs)))
            self.layouts[()] = fixed
        self.fixed = fixed  # the one layout when no repeat count is symbolic
        outputs += [network.total(metric) for metric in TOTALS]
        self.function = printer.function(outputs, last=len(TOTALS))
        self.expand = self.function.expand  # the compiled function's numbers -> every output (rows, totals)
        self.categories = [cost.category({}) if not any(_free(v) for v in cost.args.values()) else None
                           for cost in costs]
        self.reference = Specialised(spec)
        from .network import Evaluation  # network imports this module: not at the top
        self.evaluation_class = Evaluation
        self.agreed: dict = {}  # id(reference rows) -> (those rows, layout, closed forms found equal to them)
        self.pairings: dict = {}  # a recording (_Variant) -> (layout, closed-form function, _Pairing or None)

    def layout(self, resolved: dict) -> _Layout:
        if self.fixed is not None:
            return self.fixed
        net = self.network
        if not self.repeats:
            key = ()
        else:
            key = tuple(net.count_of(rep, resolved) for rep in self.repeats)
        found = self.layouts.get(key)
        if found is None:
            from .spec import flatten
            counts: dict[int, Any] = dict(zip(map(id, self.repeats), key))
            unrolled = net.spec.unrolled if not self.repeats else flatten(net.spec.tree, lambda rep: counts[id(rep)])
            if len(self.layouts) > 64:
                self.layouts.clear()
            found = self.layouts[key] = _Layout(net, unrolled, self.index)
        return found

    def evaluate(self, resolved: dict, preset):
        """A checked Evaluation, or None when the compiled side cannot evaluate here (the slow path
        then decides). Raises the reference's SpecError for a configuration that does not fit."""
        values = [resolved[name] for name in self.symbol_names]
        args: list = []  # each value (an int when whole)
        split: list = []  # then each one's numerator and denominator
        for v in values:
            n, d = v.numerator, v.denominator
            args.append(n if d == 1 else v)
            split += (n, d)
        # refuses what propagate refuses; from a recording (source), each distinct number once
        names, theirs, their_totals = self.reference.answer(resolved, (*values, *split))
        source = self.reference.source
        layout = self.layout(resolved)
        try:
            out = self.function(*args, *split)
        except (ArithmeticError, ValueError, TypeError):
            return None
        if source is not None:  # rows a recording returned (now, or when they were kept): as its code pairs them with ours
            self._compare_paired(layout, source, names, out, theirs, their_totals)
        else:  # the walk's rows
            agreed = self.agreed.get(id(theirs))
            if agreed is None or agreed[0] is not theirs or agreed[1] is not layout or agreed[2] != out:
                self._compare(layout, names, out, theirs, their_totals)
                if self.reference.kept:  # rows the reference keeps come back as the same tuple
                    if len(self.agreed) > 4096:
                        self.agreed.clear()
                    self.agreed[id(theirs)] = (theirs, layout, out)
        # else: these closed forms equal, number for number, ones already found equal to these rows
        return self.evaluation_class.checked(self.network, resolved, theirs, their_totals, layout, self, preset, source)

    def _compare(self, layout: _Layout, names: tuple, out: tuple, theirs: tuple, their_totals: tuple,
                 source=None) -> None:
        """The closed forms against the reference's rows, field by field for every layer, and the
        closed-form totals against the reference's sums: CheckError at the first difference.
        `out` is what the compiled function returned; `theirs` the flat rows, or with `source`
        what that recording returned."""
        full = self.expand(out)
        ours = layout.take(full)
        if source is not None:
            theirs = source.expand(theirs)
        if ours != theirs or names != layout.names:
            self._disagree(layout, names, ours, theirs)
        closed = full[-len(TOTALS):]
        if closed != their_totals:
            metric, a, b = next((m, a, b) for m, a, b in zip(TOTALS, closed, their_totals) if a != b)
            raise CheckError(f"total {metric}: closed form {a} != sum of the reference's layers {b}")

    def _compare_paired(self, layout: _Layout, source, names: tuple, out: tuple, theirs: tuple,
                        their_totals: tuple) -> None:
        """`_compare`, for rows that the recording `source` returned (now, or when the reference
        kept them): only the fields in which the two generated functions return a pair of numbers
        not met before (see _Pairing); the totals all. Any difference: `_compare`, which compares
        every field and names it."""
        function = self.function
        found = self.pairings.get(source)
        if found is None or found[0] is not layout or found[1] is not function:
            if len(self.pairings) > 256:
                self.pairings.clear()
            found = self.pairings[source] = (layout, function, _Pairing.of(function, layout, source, names))
        pairing = found[2]
        if pairing is None or source.function is not source.described or names is not pairing.names or \
                pairing.ours(out) != pairing.theirs(theirs) or out[-len(TOTALS):] != their_totals:
            self._compare(layout, names, out, theirs, their_totals, source)

    def _disagree(self, layout: _Layout, names: tuple, ours: tuple, theirs: tuple):
        if len(names) != len(layout.names):
            raise CheckError(f"this side unrolls {len(layout.names)} layers, the reference {len(names)}")
        for i, leaf in enumerate(layout.leaves):
            if names[i] != layout.names[i]:
                raise CheckError(f"layer {leaf.layer.index}: named {layout.names[i]!r} here, {names[i]!r} by the reference")
            a, b = ours[WIDTH * i:WIDTH * (i + 1)], theirs[WIDTH * i:WIDTH * (i + 1)]
            if a != b:
                check.compare(leaf.layer, _fields(a), _fields(b))
        raise CheckError("the compiled closed forms and the reference disagree")  # not reached

    def category(self, template: int, resolved: dict) -> str:
        found = self.categories[template]
        if found is None:
            found = self.costs[template].category(self.network.substitutions(resolved))
        return found


class _Pairing:
    """Which numbers decide the comparison of the closed forms with one recording's rows, in one layout.

    Each generated function returns each distinct number of its rows once and says, per field,
    which of its names or integer literals that field is (`outputs`): the fields it gives one
    name hold one number. Two fields to which both functions give the same pair (ours, theirs)
    are equal exactly when one of them is: MobileNet-CIFAR's 680 fields are some 80 such pairs (a
    layer's output shape is the next one's input, a batch norm's volume its conv's). Each distinct
    pair is compared once; a pair of two literals here, once (an unequal one stays among the
    compared, so the comparison fails and `_compare` names it). Only for the functions these
    names describe: a closed-form function without `outputs`, or a recording's function that is
    not the one compiled from its code (a test's tampered one), is compared field by field."""

    def __init__(self, names: tuple, ours: list, theirs: list):
        self.names = names  # the recording's tuple of layer names, found equal to the layout's
        self.ours, self.theirs = _picker(ours), _picker(theirs)
        self.count = len(theirs)

    @classmethod
    def of(cls, function, layout: _Layout, source, names: tuple) -> "_Pairing | None":
        """The pairing of the compiled function's numbers with the recording `source`'s (a
        compiled._Variant) in this layout; None when either function is not the one described."""
        ours_codes, ours_returned = getattr(function, "outputs", None), getattr(function, "returned", None)
        theirs_codes = source.outputs
        if ours_codes is None or ours_returned is None or source.function is not source.described or \
                names != layout.names or len(theirs_codes) != len(layout.positions):
            return None
        ours_at = {code: i for i, code in enumerate(ours_returned[:len(ours_returned) - len(TOTALS)])}
        theirs_at = {code: i for i, code in enumerate(source.returned)}
        pairs: set = set()
        ours, theirs = [], []
        for j, (position, b) in enumerate(zip(layout.positions, theirs_codes)):
            a = ours_codes[position]
            if (a, b) in pairs:
                continue  # the same two numbers as a field already compared
            pairs.add((a, b))
            if _literal(a) is not None and _literal(a) == _literal(b):
                continue  # two equal integer literals: equal whatever the values
            ours.append(ours_at[a])  # where each function returns that field's number
            theirs.append(theirs_at[b])
        return cls(names, ours, theirs)


def _literal(code: str):
    """The int an integer literal of generated code is ('16', '(-3)'), else None (a name)."""
    text = code[1:-1] if code.startswith("(") else code
    digits = text[1:] if text.startswith("-") else text
    return int(text) if digits.isdigit() else None


def _fields(numbers: tuple) -> dict:
    return {"shape": tuple(numbers[:3]), "params": numbers[3], "params_non_trainable": numbers[4],
            "macs": numbers[5], "floats_out": numbers[6], "floats_in": numbers[7]}


def _free(value) -> bool:
    if isinstance(value, tuple):
        return any(_free(v) for v in value)
    return bool(getattr(value, "free_symbols", None))
