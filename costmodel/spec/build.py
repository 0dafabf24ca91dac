"""Spec data -> NetworkSpec: validated names, blocks, repeats, presets and expressions.

`from_dict` checks every key against the layer registry, resolves ``input``/``inputs`` names,
parses every numeric field with the restricted expression parser (expr.py), and builds the tree the
author wrote (model.py): layers, block calls, repeats (kept as their first and template iteration,
never expanded) and stages. What it produces holds expressions, not numbers: the symbolic analysis
and the reference propagator each evaluate them their own way.

A spec is user input, often someone else's: nothing in it runs, and everything it can make the
tool do is bounded (layers after expansion, repeat counts, block depth, expression size after block
arguments are substituted, symbol values). Independent problems (each unknown key, each bad
argument, each bad symbol...) are all collected and raised together as one SpecError, one line
each; a problem that makes the rest meaningless (a spec that is not a mapping, a limit exceeded)
stops at once.

A spec, in short (README has the full format)::

    name: tiny
    input: [32, 32, 3]                  # H, W, C
    symbols:
      alpha: {default: 1, description: width multiplier}
      depth: {default: 2, integer: true}
    presets:
      small: {description: "a thin, shallow one", values: {alpha: 0.5, depth: 1}}
    rounding: floor                      # floor | ceil | nearest | multiple_of_8 | none
    defaults: {conv: {bias: false}}      # per-type default arguments
    blocks:
      unit:
        args: {filters: null, stride: 1} # null: required
        layers:
          - {type: dwconv, kernel: 3, stride: stride}
          - {type: pointwise, filters: filters}
    layers:
      - {type: conv, filters: 32*alpha, kernel: 3, stride: 2}
      - {block: unit, name: deep, filters: 64*alpha, repeat: depth, first: {stride: 2}}
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import expr as ex
from ..errors import SpecError, SpecWarning
from ..ops import ALIASES, FRAMEWORKS, REGISTRY, REQUIRED, Kind, find, lookup
from .model import (MAX_LAYERS, MAX_REPEAT, NETWORK_INPUT, BlockCall, LayerSpec, NetworkSpec, OptionSpec, Preset,
                    Repeat, Stage, SymbolSpec, _renamer, flatten, leaves_written, new_layer, rename)
from .source import Map, Seq

MAX_BLOCK_DEPTH = 20
MAX_SYMBOLS = 32  # RegNet's presets carry per-stage depths and widths; the size limits bound each expression
MAX_PRESETS = 200
MAX_OPTIONS = 8  # each assignment of the options builds a tree of its own
MAX_CHOICES = 64
STRUCTURAL_LIMITS = (1, 2)  # degree and terms of a kernel, stride, padding, groups... (`2*k + 1`: 1, 2)
MAX_SYMBOL_VALUE = 10**6  # a symbol's value (default or --set) is in (0, MAX_SYMBOL_VALUE]
MAX_SYMBOL_DENOMINATOR = 10**9
MAX_ERRORS = 200  # collection stops here (SpecError prints the first errors.MAX_REPORTED)
ROUNDING_RULES = ("floor", "ceil", "nearest", "none")  # and multiple_of_N
TYPE_NAMES = frozenset({*REGISTRY, *ALIASES})  # a block argument holding a layer type is one of these
# not symbol or block argument names: `act: relu` at a call can then only mean the layer type relu
RESERVED = {NETWORK_INPUT, *ex.FUNCTIONS, *ex.KEYWORDS, ex.IN_CHANNELS, *TYPE_NAMES}
_NOT_NAMES = (f"not a layer type, nor {', '.join(sorted({NETWORK_INPUT, *ex.FUNCTIONS, *ex.KEYWORDS, ex.IN_CHANNELS}))}")

_LABEL = re.compile(r"[A-Za-z0-9_.\-]+")  # a layer's, block's or preset's name

TOP_KEYS = {"name", "description", "input", "symbols", "options", "presets", "rounding", "defaults_of", "defaults",
            "blocks", "layers", "exits"}
LAYER_KEYS = {"type", "name", "input", "inputs", "repeat", "first", "rounding", "stage", "when"}
CALL_KEYS = {"block", "name", "input", "repeat", "first", "rounding", "stage", "when"}
BLOCK_KEYS = {"args", "layers", "output", "description"}
SYMBOL_KEYS = {"default", "description", "integer"}
OPTION_KEYS = {"default", "choices", "description"}
PRESET_KEYS = {"description", "values"}


# --- loading -------------------------------------------------------------------------------

def from_dict(data, file: str = "<spec>", options: dict | None = None) -> NetworkSpec:
    """Validate a spec given as Python data (the same structure as the YAML), its tree built for
    the option values `options` (name -> value; the others at their defaults). Raises one
    SpecError carrying every independent problem found (`.errors`)."""
    builder = _Builder(file, options)
    spec: NetworkSpec | None
    try:
        spec = builder.build(data)
    except SpecError as e:
        builder.problems.append(e)
        spec = None
    if builder.problems:
        ordered = sorted(builder.problems, key=lambda e: (e.line is None, e.line or 0, e.column or 0))
        error = SpecError.collect(ordered).located(file=file)
        error.stopped = builder.stopped
        raise error
    if spec is None:  # build returns None only with problems recorded
        raise SpecError("invalid spec", file=file)
    return spec


class _Stop(Exception):
    """Too many errors to go on collecting."""


@dataclass(frozen=True)
class LayerTypeArg:
    """A block argument holding a layer type (`act: hard_swish`), used as `{type: act}` in the block."""

    type: str


@dataclass(frozen=True)
class PairArg:
    """A block argument holding a [height, width] pair (`k: [1, 7]`), given whole to `kernel: k`."""

    pair: tuple
    text: str

    def __str__(self) -> str:
        return self.text


HELD = (LayerTypeArg, PairArg)  # block argument values that are not expressions


@dataclass
class _Scope:
    """Names visible to one sequence of layers: local names -> full layer names."""

    names: dict
    prefix: str
    bindings: dict  # block argument -> expression node
    counters: dict = field(default_factory=dict)
    written: set = field(default_factory=set)  # names the sequence's entries give: automatic names avoid them
    top: bool = False  # the spec's own `layers:`: bindings are the options only, the same for every entry

    def _free(self, local: str) -> bool:
        return local not in self.names and local not in self.written

    def auto_name(self, base: str) -> str:
        """`base` followed by the next number whose name is not in use (`conv1`, `conv2`...)."""
        n = self.counters.get(base, 0) + 1
        while not self._free(f"{base}{n}"):
            n += 1
        self.counters[base] = n
        return f"{base}{n}"

    def reserve_names(self, base: str, count: int) -> int:
        """`count` consecutive automatic names for the copies of a repeat; returns the first number."""
        start = self.counters.get(base, 0) + 1
        while not all(self._free(f"{base}{start + k}") for k in range(count)):
            start += 1
        self.counters[base] = start + count - 1
        return start


def _where(m, key=None, of_key=False):
    if isinstance(m, Map):
        line, column = m.where(key, of_key)
        return {"line": line, "column": column}
    return {}


BAD = object()  # what `attempt` returns when the step failed (its error is recorded)


class _Builder:
    """Validates and expands a spec. Steps that do not depend on each other run under `attempt`,
    which records a step's SpecError and lets the next step go on; a layer that fails still
    reserves its name, so that later layers naming it do not report errors of their own."""

    def __init__(self, file: str, options: dict | None = None):
        self.file = file
        self.requested = dict(options or {})  # option name -> value asked for
        self.options: dict[str, OptionSpec] = {}
        self.option_values: dict = {}  # option name -> the Fraction this tree is built for
        self.expressions_seen: dict = {}  # see expression()
        self.made_args: dict = {}  # see reuse_key()
        self.allowed_keys: dict = {}  # layer type -> the keys a layer of that type may have
        self.option_bindings: dict = {}  # option name -> its value as an expression node, seen everywhere
        self.hidden: dict[str, str] = {}  # names inside a symbolic repeat's template -> the repeat's name
        self.count = 0  # layers attempted, failed ones included: the index in messages
        self.full_names: set[str] = set()
        self.symbols: dict[str, SymbolSpec] = {}
        self.bad_symbols: set[str] = set()
        self.block_args: dict[str, dict] = {}
        self.bad_blocks: set[str] = set()
        self.problems: list[SpecError] = []
        self.stopped = False  # MAX_ERRORS reached
        self.defaults_of = "costmodel"  # the spec's `defaults_of:`, read before its layers

    # -- helpers

    def fail(self, message, m=None, key=None, layer=None):
        """An error at the value of m[key] (or at m itself)."""
        return SpecError(message, layer=layer, **_where(m, key))

    def fail_key(self, message, m, key, layer=None):
        """An error about the key itself (unknown, misspelt, a bad name)."""
        return SpecError(message, layer=layer, **_where(m, key, of_key=True))

    def record(self, error: SpecError):
        self.problems.append(error)
        if len(self.problems) >= MAX_ERRORS:
            self.stopped = True
            raise _Stop

    def attempt(self, step, *args, **kwargs):
        """Run one independent step; on a SpecError record it and return BAD."""
        try:
            return step(*args, **kwargs)
        except _Silent:
            return BAD
        except SpecError as e:
            self.record(e)
            return BAD

    def mapping(self, value, what, m=None, key=None, layer=None) -> dict:
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be a mapping, got {_kind(value)}", m, key, layer)
        return value

    def check_keys(self, m, allowed, what, layer=None, suggested: set | None = None) -> bool:
        """Record every key of `m` not in `allowed`; True if all are allowed. The keys suggested
        for misspelt ones go into `suggested` (a missing 'kernel' next to 'kernal' is one error)."""
        good = True
        for key in m:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                if close and suggested is not None:
                    suggested.add(close[0])
                hint = f"did you mean {close[0]!r}? " if close else ""
                self.record(self.fail_key(f"unknown key {_short(key)} in {what} ({hint}expected one of: "
                                          f"{', '.join(sorted(allowed))})", m, key, layer))
                good = False
        return good

    def expression(self, value, m, key, scope: _Scope | None, layer=None, limits=(ex.MAX_DEGREE, ex.MAX_TERMS),
                   in_channels=False, parse=ex.from_value):
        """Parse a field and bind block arguments; every remaining name must be a symbol (or
        `in_channels`, where the caller allows it: a layer's channel counts and groups)."""
        bindings = scope.bindings if scope is not None else self.option_bindings
        # a text seen before with nothing to bind passed every check below: the same (immutable) node
        # (100,000 layers write `16*alpha` a few ways, 100,000 times)
        seen = (value, limits, in_channels, parse, len(self.symbols), len(self.bad_symbols)) \
            if not bindings and isinstance(value, str) else None
        if seen is not None and seen in self.expressions_seen:
            return self.expressions_seen[seen]
        line, column = m.where(key) if isinstance(m, Map) else (None, None)
        try:
            node = parse(value)
        except ex.ExprError as e:
            if column is not None and e.column is not None and isinstance(value, str) and "\n" not in value:
                column += e.column - 1
            raise SpecError(f"{key}: {e}", line=line, column=column, layer=layer) from None
        held = sorted(n for n in ex.names(node) if isinstance(bindings.get(n), HELD))
        if held:
            raise self.fail(f"{key}: block argument {held[0]!r} holds {_held(bindings[held[0]])}, not a number: "
                            f"{_held_use(bindings[held[0]])}", m, key, layer)
        try:
            if bindings:
                node = ex.substitute(node, bindings)
            ex.check_size(node, *limits)  # before anything walks the (maybe exponentially large) tree
        except ex.ExprError as e:
            raise SpecError(f"{key}: {e}", line=line, column=column, layer=layer) from None
        used = ex.names(node)
        if ex.IN_CHANNELS in used and not in_channels:
            raise self.fail(f"{key}: {ex.IN_CHANNELS} (the channel count of a layer's input) is allowed only in a "
                            f"layer's channel counts and groups", m, key, layer)
        unknown = sorted(used - set(self.symbols) - self.bad_symbols - {ex.IN_CHANNELS})
        if unknown:
            declared = ", ".join(self.symbols) or "none"
            raise self.fail(f"{key}: unknown symbol {unknown[0]!r} (declared symbols: {declared})", m, key, layer)
        for call in ex.calls(node, "make_divisible"):  # a bounded tree: check_size passed
            for arg in call.args[1:]:
                v = ex.constant_value(arg)
                if v is None or v.denominator != 1 or not 1 <= v <= ex.MAX_LITERAL:
                    raise self.fail(f"{key}: make_divisible: the divisor and min_value must be positive whole "
                                    f"constants, got {ex.to_text(arg)}", m, key, layer)
        if seen is not None:
            self.expressions_seen[seen] = node
        return node

    def held(self, value, scope: _Scope | None):
        """The pair or layer type a block argument holds, when `value` is just that argument's name."""
        if scope is None or not isinstance(value, str) or not isinstance(scope.bindings.get(value.strip()), HELD):
            return None
        return scope.bindings[value.strip()]

    def block_value(self, value, m, key, scope: _Scope | None, layer=None):
        """A block argument's value at a call (or its default): a layer type name, a [height, width]
        pair, another argument holding one of these, or an expression."""
        held = self.held(value, scope)
        if held is not None:
            return held
        if isinstance(value, str) and value.strip() in TYPE_NAMES:
            return LayerTypeArg(lookup(value.strip()).type)
        if isinstance(value, list):
            if len(value) != 2:
                raise self.fail(f"{key}: a pair argument is [height, width], got {len(value)} values", m, key, layer)
            pair = tuple(self.expression(v, m, key, scope, layer) for v in value)
            return PairArg(pair, f"[{', '.join(ex.to_text(v) for v in pair)}]")
        node = self.expression(value, m, key, scope, layer, in_channels=True)
        if ex.IN_CHANNELS in ex.names(node):
            raise self.fail(f"{key}: {ex.IN_CHANNELS} is a layer's own input channel count: use it in the block's "
                            f"layers, not in a block call's arguments", m, key, layer)
        return node

    def condition(self, entry, scope: _Scope, layer=None) -> bool:
        """`when:` of an entry: a constant condition once the block's arguments are bound."""
        value = entry["when"]
        if isinstance(value, bool):
            return value
        if not isinstance(value, str):
            raise self.fail(f"when: must be a condition such as stride == 1, got {_kind(value)}", entry, "when", layer)
        node = self.expression(value, entry, "when", scope, layer, in_channels=True, parse=ex.parse_condition)
        if ex.names(node) and ex.names(node) <= self.bad_symbols - set(self.symbols):
            raise _Silent()  # a bad option's, reported at its declaration
        if ex.names(node):
            raise self.fail(f"when: must not depend on symbols (it names {sorted(ex.names(node))[0]!r}); it may use "
                            f"options and block arguments bound to constants", entry, "when", layer)
        result = ex.condition_value(node)
        if result is None:
            raise self.fail("when: cannot be evaluated (a division by zero)", entry, "when", layer)
        return result

    def layer_type(self, what, scope: _Scope, m, key):
        """A layer's `type:`, or the layer type a block argument of that name holds."""
        if not isinstance(what, str) or what not in scope.bindings:
            return what
        held = scope.bindings[what]
        if not isinstance(held, LayerTypeArg):
            raise self.fail(f"{key}: block argument {what!r} holds {_held(held)}, not a layer type", m, key)
        return held.type

    # -- top level

    def build(self, data) -> NetworkSpec | None:
        if not isinstance(data, dict):
            raise SpecError(f"a spec must be a mapping with 'input' and 'layers', got {_kind(data)}", line=1, column=1)
        try:
            return self.build_mapping(data)
        except _Stop:
            return None

    def build_mapping(self, data) -> NetworkSpec | None:
        self.check_keys(data, TOP_KEYS, "the spec")
        for key in ("input", "layers"):
            if key not in data:
                self.record(self.fail(f"missing required key {key!r} (a spec needs 'input' and 'layers')", data))
        for key in ("name", "description"):
            if key in data and (not isinstance(data[key], (str, int, float)) or isinstance(data[key], bool)):
                self.record(self.fail(f"{key} must be text, got {_kind(data[key])}", data, key))
        self.attempt(self.read_symbols, data.get("symbols") or Map(), data)
        self.attempt(self.read_options, data.get("options") or Map(), data)
        if self.attempt(self.choose_options) is BAD:
            return None  # a tree for options that do not exist means nothing
        presets = self.attempt(self.read_presets, data.get("presets") or Map(), data)
        self.rounding = self.attempt(self.rounding_rule, data.get("rounding", "none"), data, "rounding")
        if self.rounding is BAD:
            self.rounding = "none"
        self.defaults_of = self.attempt(self.framework, data.get("defaults_of", "costmodel"), data)
        if self.defaults_of is BAD:  # every layer's defaults would be a guess: nothing more to say
            raise _Stop
        self.defaults = self.attempt(self.read_defaults, data.get("defaults") or Map(), data)
        if self.defaults is BAD:
            self.defaults = {}
        self.blocks = self.attempt(self.read_blocks, data.get("blocks") or Map(), data)
        if self.blocks is BAD:
            self.blocks = {}
        shape: Any = self.read_input(data["input"], data) if "input" in data else BAD
        exits: Any = ()
        tree: list = []
        if "layers" in data:
            top = _Scope(names={NETWORK_INPUT: NETWORK_INPUT}, prefix="", bindings=dict(self.option_bindings), top=True)
            self.attempt(self.sequence, data["layers"], data, "layers", top, self.rounding, None, 0, tree)
            if "exits" in data:
                exits = self.attempt(self.read_exits, data, top)
        if self.problems or shape is BAD or exits is BAD or presets is BAD:
            return None
        name = data.get("name", Path(self.file).stem if self.file != "<spec>" else "network")
        line, column = _where(data, "input").get("line"), _where(data, "input").get("column")
        spec = NetworkSpec(name=str(name), description=str(data.get("description", "")), input=shape,
                           symbols=dict(self.symbols), tree=tuple(tree), file=self.file,
                           input_line=line, input_column=column, exits=exits, presets=presets,
                           options=dict(self.options), option_values=dict(self.option_values), source=data,
                           defaults_of=self.defaults_of)
        self.check_every_output_is_used(spec)
        return None if self.problems else spec

    def check_every_output_is_used(self, spec: NetworkSpec) -> None:
        """A layer whose output no layer reads, other than the network's output (the last layer) and
        its `exits:`, is an error: a mistyped `input:` would otherwise drop a branch without a word.
        Checked on the network unrolled at the symbols' defaults (the structure does not depend on
        a repeat's count)."""
        defaults = {n: ex.Num(v) for n, v in spec.defaults().items()}

        def count_at_defaults(repeat) -> int:
            value = ex.constant_value(ex.substitute(repeat.count, defaults))
            return int(value) if value is not None and value.denominator == 1 and 1 <= value <= MAX_REPEAT else 2

        try:
            # constant counts the builder accepted are their own defaults: the spec's unrolling, kept
            plain = not self.problems and not spec.symbolic_repeats
            unrolled = spec.unrolled if plain else flatten(spec.tree, count_at_defaults)
        except SpecError:
            return  # too many layers at the defaults: evaluating says so, located
        layers = [leaf.layer for leaf in unrolled.leaves()]
        used = {name for layer in layers for name in layer.inputs} | {layers[-1].name}
        used |= {unrolled.alias.get(e, e) for e in spec.exits}
        for layer in layers:
            if layer.name not in used:
                self.record(SpecError(f"the output of layer {layer.name!r} is used by no layer (a mistyped 'input:'? "
                                      f"a network with several outputs names them in 'exits:')", line=layer.line,
                                      column=layer.column, layer=f"'{layer.name}' ({layer.type})"))

    def read_exits(self, data, scope: "_Scope") -> tuple:
        """`exits: [name, ...]`: the classifier heads of a multi-exit network, in order."""
        names = data["exits"]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise self.fail("exits must be a non-empty list of layer names", data, "exits")
        resolved = []
        for name in names:
            if name in self.hidden:
                raise self.fail(self.hidden_message(name), data, "exits")
            full = scope.names.get(name, name if name in self.full_names else None)
            if full is None or full == NETWORK_INPUT:
                raise self.fail(f"exits: no layer named {name!r}", data, "exits")
            resolved.append(full)
        if len(set(resolved)) != len(resolved):
            raise self.fail("exits: a layer is named twice", data, "exits")
        return tuple(resolved)

    def read_symbols(self, symbols, parent):
        self.read_declarations(symbols, parent, "symbols", MAX_SYMBOLS, self.read_symbol)

    def read_declarations(self, declared, parent, key: str, limit: int, read_one) -> None:
        """`symbols:` or `options:`: a mapping of at most `limit` names, each read by `read_one`; a
        name whose declaration is bad is remembered, so its uses are not errors of their own."""
        self.mapping(declared, f"'{key}'", parent, key)
        if len(declared) > limit:
            raise self.fail(f"more than {limit} {key}", parent, key)
        for name, decl in declared.items():
            if self.attempt(read_one, declared, name, decl) is BAD and isinstance(name, str):
                self.bad_symbols.add(name)

    def check_declared_name(self, name, mapping, what: str) -> None:
        """A symbol's or an option's name: an identifier, not reserved, not dunder."""
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", name) or name in RESERVED \
                or name.startswith("__"):
            raise self.fail_key(f"{_short(name)} cannot be {what} (letters, digits and '_'; {_NOT_NAMES})",
                                mapping, name)

    def read_symbol(self, symbols, name, decl):
        self.check_declared_name(name, symbols, "a symbol name")
        if not isinstance(decl, dict):  # shorthand `alpha: 1`
            decl = _at(Map({"default": decl} if decl is not None else {}), symbols, name)
        if not self.check_keys(decl, SYMBOL_KEYS, f"symbol {name!r}"):
            raise _Silent()
        if "default" not in decl:
            raise self.fail(f"symbol {name!r} needs a default value", symbols, name)
        integer = decl.get("integer", False)
        if not isinstance(integer, bool):
            raise self.fail(f"symbol {name!r}: 'integer' must be true or false, got {_kind(integer)}", decl, "integer")
        description = decl.get("description", "")
        if not isinstance(description, (str, int, float)) or isinstance(description, bool):
            raise self.fail(f"symbol {name!r}: 'description' must be text, got {_kind(description)}", decl, "description")
        default = parse_value(decl["default"], f"symbol {name!r} default", self.fail, decl, "default")
        if default <= 0:
            raise self.fail(f"symbol {name!r} must have a positive default, got {default}", decl, "default")
        if integer and default.denominator != 1:
            raise self.fail(f"symbol {name!r} is an integer but its default is {default}", decl, "default")
        self.symbols[name] = SymbolSpec(name, default, str(description), integer)

    def read_options(self, options, parent):
        """`options: {NAME: {default, choices: [...], description}}`: structural constants."""
        self.read_declarations(options, parent, "options", MAX_OPTIONS, self.read_option)

    def read_option(self, options, name, decl):
        self.check_declared_name(name, options, "an option name")
        if name in self.symbols or name in self.bad_symbols:
            raise self.fail_key(f"{name!r} is a symbol and an option: an option is a constant that selects the "
                                f"structure, a symbol a value of the closed forms; give them different names",
                                options, name)
        self.mapping(decl, f"option {name!r} (a mapping with default and choices)", options, name)
        if not self.check_keys(decl, OPTION_KEYS, f"option {name!r}"):
            raise _Silent()
        for key in ("default", "choices"):
            if key not in decl:
                raise self.fail(f"option {name!r} needs {key!r} (e.g. {{default: 0, choices: [0, 1]}})", decl)
        raw = decl["choices"]
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_CHOICES:
            raise self.fail(f"option {name!r}: choices must be a list of 1 to {MAX_CHOICES} whole numbers, got "
                            f"{_kind(raw)}", decl, "choices")
        choices = tuple(self.option_number(v, f"option {name!r}: a choice", decl, "choices") for v in raw)
        if len(set(choices)) != len(choices):
            raise self.fail(f"option {name!r}: a choice is listed twice", decl, "choices")
        default = self.option_number(decl["default"], f"option {name!r}: default", decl, "default")
        if default not in choices:
            raise self.fail(f"option {name!r}: the default {default} is not one of its choices "
                            f"({_choices_text(choices)})", decl, "default")
        description = decl.get("description", "")
        if not isinstance(description, (str, int, float)) or isinstance(description, bool):
            raise self.fail(f"option {name!r}: 'description' must be text, got {_kind(description)}", decl,
                            "description")
        line, column = options.where(name, of_key=True) if isinstance(options, Map) else (None, None)
        self.options[name] = OptionSpec(name, default, choices, str(description), line, column)

    def option_number(self, value, what, m, key) -> Fraction:
        """An option's value as written in the spec: a whole number from 0 to MAX_SYMBOL_VALUE."""
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SYMBOL_VALUE:
            raise self.fail(f"{what} must be a whole number from 0 to {MAX_SYMBOL_VALUE:,}, got {_kind(value)}", m, key)
        return Fraction(value)

    def choose_options(self):
        """The option values this tree is built for: the requested ones, the others' defaults."""
        for name in self.requested:
            if name not in self.options:
                raise SpecError(f"unknown option {name!r} (options: {', '.join(self.options) or 'none'})")
        for name, option in self.options.items():
            value = check_choice(option, self.requested.get(name, option.default))
            self.option_values[name] = value
            self.option_bindings[name] = ex.Num(value)

    def read_presets(self, presets, parent) -> dict:
        """`presets: {NAME: {description: ..., values: {SYMBOL: VALUE}}}`: named symbol values."""
        self.mapping(presets, "'presets'", parent, "presets")
        if len(presets) > MAX_PRESETS:
            raise self.fail(f"more than {MAX_PRESETS} presets", parent, "presets")
        result = {}
        for name, decl in presets.items():
            preset = self.attempt(self.read_preset, presets, name, decl)
            if preset is not BAD:
                result[name] = preset
        return result

    def read_preset(self, presets, name, decl) -> Preset:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
            raise self.fail_key(f"{_short(name)} cannot be a preset name (letters, digits, '_', '-' or '.')",
                                presets, name)
        self.mapping(decl, f"preset {name!r}", presets, name)
        if not self.check_keys(decl, PRESET_KEYS, f"preset {name!r}"):
            raise _Silent()
        description = decl.get("description", "")
        if not isinstance(description, (str, int, float)) or isinstance(description, bool):
            raise self.fail(f"preset {name!r}: 'description' must be text, got {_kind(description)}", decl,
                            "description")
        values = self.mapping(decl.get("values") or Map(), f"values of preset {name!r}", decl, "values")
        parsed, options = {}, {}
        for symbol, value in values.items():
            if symbol in self.options:
                option = self.options[symbol]
                choice = self.attempt(self.option_number, value, f"preset {name!r}: option {symbol}", values, symbol)
                if choice is not BAD and choice not in option.choices:
                    self.record(self.fail(f"preset {name!r}: option {symbol} = {choice} is not one of its choices "
                                          f"({_choices_text(option.choices)})", values, symbol))
                elif choice is not BAD:
                    options[symbol] = choice
                continue
            if symbol not in self.symbols:
                if symbol not in self.bad_symbols:
                    declared = ", ".join(self.symbols) or "none"
                    also = f"; options: {', '.join(self.options)}" if self.options else ""
                    self.record(self.fail_key(f"preset {name!r}: unknown symbol {_short(symbol)} (declared symbols: "
                                              f"{declared}{also})", values, symbol))
                continue
            number = self.attempt(parse_value, value, f"preset {name!r}: {symbol}", self.fail, values, symbol)
            if number is BAD:
                continue
            if number <= 0:
                self.record(self.fail(f"preset {name!r}: {symbol} must be positive, got {number}", values, symbol))
            elif self.symbols[symbol].integer and number.denominator != 1:
                self.record(self.fail(f"preset {name!r}: {symbol} is an integer symbol, got {number}", values, symbol))
            else:
                parsed[symbol] = number
        return Preset(name, str(description), parsed, options)

    def rounding_rule(self, value, m, key) -> str:
        if isinstance(value, str) and (value in ROUNDING_RULES or re.fullmatch(r"multiple_of_[1-9][0-9]{0,3}", value)):
            return value
        raise self.fail(f"rounding must be one of {', '.join(ROUNDING_RULES)} or multiple_of_N (N from 1 to 9999), "
                        f"got {_short(value)}", m, key)

    def framework(self, value, parent) -> str:
        """`defaults_of:` whose default arguments the layers get (ops.FRAMEWORKS)."""
        if not isinstance(value, str) or value not in FRAMEWORKS:
            close = difflib.get_close_matches(str(value), FRAMEWORKS, n=1) if isinstance(value, str) else []
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            shown = _short(value) if isinstance(value, str) else _kind(value)
            raise self.fail(f"defaults_of: unknown framework {shown}{hint}; expected {', '.join(FRAMEWORKS[:-1])} or "
                            f"{FRAMEWORKS[-1]}, whose default arguments the layers get", parent, "defaults_of")
        return value

    def read_defaults(self, defaults, parent) -> dict:
        self.mapping(defaults, "'defaults'", parent, "defaults")
        result: dict[str, Any] = {}
        for type_, args in defaults.items():
            op = find(type_) if isinstance(type_, str) else None
            if op is None:
                self.record(self.fail_key(f"defaults: unknown layer type {_short(type_)} "
                                          f"(known types: {', '.join(sorted(REGISTRY))})", defaults, type_))
                continue
            if self.attempt(self.mapping, args, f"defaults for {type_!r}", defaults, type_) is BAD:
                continue
            self.check_keys(args, set(op.params), f"defaults for {type_!r}")
            result[op.type] = {k: v for k, v in args.items() if k in op.params}
            if isinstance(args, Map):  # keep positions for the messages about these values
                result[op.type] = _at(Map(result[op.type]), defaults, type_)
                result[op.type].marks = args.marks
        return result

    def read_blocks(self, blocks, parent) -> dict:
        self.mapping(blocks, "'blocks'", parent, "blocks")
        for name, block in blocks.items():
            if self.attempt(self.read_block, blocks, name, block) is BAD:
                self.bad_blocks.add(name if isinstance(name, str) else repr(name))
        return blocks

    def read_block(self, blocks, name, block):
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
            raise self.fail_key(f"{_short(name)} cannot be a block name (letters, digits, '_', '-' or '.')", blocks, name)
        self.mapping(block, f"block {name!r}", blocks, name)
        good = self.check_keys(block, BLOCK_KEYS, f"block {name!r}")
        if "layers" not in block:
            raise self.fail(f"block {name!r} has no 'layers'", block)
        if "output" in block and not isinstance(block["output"], str):
            raise self.fail(f"block {name!r}: output must name one of its layers, got {_kind(block['output'])}",
                            block, "output")
        args = block.get("args") or Map()
        if isinstance(args, list):  # `args: [filters, stride]`: all required
            for arg in args:
                if not isinstance(arg, str):
                    raise self.fail(f"args of block {name!r}: {_short(arg)} cannot be an argument name", block, "args")
            args = _at(Map({a: None for a in args}), block, "args")
        self.mapping(args, f"args of block {name!r}", block, "args")
        for arg in args:
            if not isinstance(arg, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", arg) or arg in RESERVED \
                    or arg.startswith("__") or arg in CALL_KEYS:
                raise self.fail_key(f"{_short(arg)} cannot be an argument name ({_NOT_NAMES})", args, arg)
            if arg in self.options:
                raise self.fail_key(f"{arg!r} cannot be an argument name: it is an option, which every block reads "
                                    f"already", args, arg)
        if not good:
            raise _Silent()
        self.block_args[name] = args

    def read_input(self, value, parent) -> Any:  # a tuple of three expressions, or BAD
        if isinstance(value, dict):
            good = self.check_keys(value, {"height", "width", "channels"}, "'input'")
            missing = {"height", "width", "channels"} - set(value)
            if missing:
                self.record(self.fail(f"input needs height, width and channels (missing {', '.join(sorted(missing))})",
                                      value))
                return BAD
            axes = [self.attempt(self.expression, value[k], value, k, None) for k in ("height", "width", "channels")]
            return BAD if not good or BAD in axes else tuple(axes)
        if isinstance(value, list) and len(value) == 3:
            axes = [self.attempt(self.expression, v, parent, "input", None) for v in value]
            if BAD in axes:
                return BAD
            self.warn_if_channels_first(axes, parent)
            return tuple(axes)
        self.record(self.fail(f"input must be [height, width, channels] or a mapping with those keys, got "
                              f"{_kind(value)}", parent, "input"))
        return BAD

    def warn_if_channels_first(self, axes, parent) -> None:
        """[3, 32, 32] is PyTorch's C, H, W read as H = 3: a silent wrong number unless someone says so."""
        h, w, c = (ex.constant_value(a) if not ex.names(a) else None for a in axes)
        if h is not None and w is not None and c is not None and h <= 4 < 8 <= min(w, c) and w == c:
            line, column = parent.where("input") if isinstance(parent, Map) else (None, None)
            where = f"{self.file}:{line}:{column}: " if line is not None else f"{self.file}: "
            warnings.warn(SpecWarning(f"{where}input [{h}, {w}, {c}] looks like PyTorch's channels-first order; "
                                      f"costmodel reads [height, width, channels] (did you mean [{w}, {c}, {h}]?)"),
                          stacklevel=2)

    # -- layers

    def sequence(self, entries, m, key, scope: _Scope, rounding: str, stage, depth: int, into: list):
        """Build a list of entries into `into`; consecutive entries with the same written `stage:`
        become one Stage node. Returns the name of the last output."""
        if not isinstance(entries, list):
            raise self.fail(f"{key!r} must be a list of layers, got {_kind(entries)}", m, key)
        if not entries:
            raise self.fail(f"{key!r} is empty", m, key)
        scope.written |= {e["name"] for e in entries if isinstance(e, dict) and isinstance(e.get("name"), str)}
        previous = scope.names[NETWORK_INPUT]
        kept = 0  # entries not left out by their when:
        group: list = []  # [label, nodes, entry] of the stage being collected
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                line, column = entries.marks[i] if isinstance(entries, Seq) else m.where(key) if isinstance(m, Map) \
                    else (None, None)
                self.record(SpecError(f"each layer must be a mapping like {{type: conv, ...}} or {{block: NAME, ...}}, "
                                      f"got {_kind(entry)}", line=line, column=column))
                continue
            label = entry.get("stage")
            label = str(label) if isinstance(label, (str, int, float)) and not isinstance(label, bool) else None
            if group and group[0] != label:
                self.close_stage(group, into)
                group = []
            if label is not None and not group:
                group = [label, [], entry]
            after = self.entry(entry, scope, previous, rounding, stage, depth, group[1] if group else into)
            kept += after != previous or "when" not in entry
            previous = after
        if group:
            self.close_stage(group, into)
        if not kept:
            raise self.fail(f"every entry of {key!r} is left out by its when:", m, key)
        return previous

    @staticmethod
    def close_stage(group, into: list) -> None:
        label, nodes, entry = group
        if nodes:
            line, column = entry.where() if isinstance(entry, Map) else (None, None)
            into.append(Stage(label, tuple(nodes), line, column))

    def entry(self, entry, scope: _Scope, previous: str, rounding: str, stage, depth: int, into: list) -> str:
        """One layer or block call, or a repeat of one; returns the name of its output, reserved
        even when the entry is bad (its errors are recorded)."""
        label = entry.get("name")
        if label is not None and (not isinstance(label, str) or not _LABEL.fullmatch(label)
                                  or label == NETWORK_INPUT):
            self.record(self.fail(f"name must be letters, digits, '_', '-' or '.', got {_short(label)}", entry, "name"))
            label = None
        is_call = "block" in entry
        if "when" in entry:
            keep = self.attempt(self.condition, entry, scope)
            if keep is BAD:
                return self.reserve(scope, label or "layer", label is None)
            if not keep:  # left out: its name stays undefined
                return previous
        what = entry.get("block") if is_call else entry.get("type") if not scope.bindings else \
            self.attempt(self.layer_type, entry.get("type"), scope, entry, "type")  # (a type a block argument holds)
        if what is BAD:
            return self.reserve(scope, label or "layer", label is None)
        problem = None
        if is_call == ("type" in entry):
            problem = self.fail("a layer needs exactly one of 'type' (a layer) or 'block' (a block call)", entry)
        elif not isinstance(what, str):
            key = "block" if is_call else "type"
            problem = self.fail(f"'{key}' must be a name, got {_kind(what)}", entry, key)
        count = self.attempt(self.repeat_count, entry, scope) if "repeat" in entry else 1
        if "rounding" in entry:
            rounding = self.attempt(self.rounding_rule, entry["rounding"], entry, "rounding")
        if "stage" in entry:
            if isinstance(entry["stage"], (str, int, float)) and not isinstance(entry["stage"], bool):
                stage = str(entry["stage"])
            else:
                self.record(self.fail(f"stage must be a label, got {_kind(entry['stage'])}", entry, "stage"))
        if "inputs" in entry and "input" in entry:
            self.record(self.fail("give either 'input' or 'inputs', not both", entry, "inputs"))
        repeated = count is not BAD and count != 1
        if repeated and ("input" in entry or "inputs" in entry):
            self.record(self.fail("a repeated layer chains its copies; it cannot also name its inputs", entry, "repeat"))
        first = entry
        if "first" in entry:
            first = self.attempt(self.first_overrides, entry, is_call, what, repeated, scope)
        if problem is not None or count is BAD or rounding is BAD or first is BAD:
            if problem is not None:
                self.record(problem)
            return self.reserve(scope, label or (what if isinstance(what, str) else "layer"), label is None)
        step = self.call if is_call else self.layer
        if not repeated:
            return step(first, what, label, scope, previous, rounding, stage, depth, into)
        return self.repeat(entry, first, step, what, label, count, scope, previous, rounding, stage, depth, into)

    def what_of(self, entry, scope: _Scope) -> str:
        return entry.get("block") if "block" in entry else self.layer_type(entry.get("type"), scope, entry, "type")

    def repeat(self, entry, first, step, what, label, count, scope: _Scope, previous, rounding, stage, depth, into):
        """A repeat, kept as iteration 1 (`first:` applied) and iteration 2 (the template of the rest)."""
        constant = count if isinstance(count, int) else None
        base = what if "block" in entry else getattr(find(what), "type", what)
        if label is None and constant is not None:  # copies named base1, base2... as unrepeated ones are
            start = scope.reserve_names(base, constant)
            naming: tuple = ("auto", scope.prefix, base, start)
        else:
            naming = ("dotted", scope.prefix + (label or scope.auto_name(base)))
        local = (lambda k: f"{base}{start + k - 1}") if naming[0] == "auto" else \
            (lambda k: f"{naming[1][len(scope.prefix):]}.{k}")
        first_nodes: list = []
        rest_nodes: list = []
        problems = len(self.problems)
        out1 = step(first, self.what_of(first, scope), local(1), scope, previous, rounding, stage, depth, first_nodes)
        count_before = self.count
        out2 = step(entry, what, local(2), scope, out1, rounding, stage, depth, rest_nodes)
        if len(self.problems) > problems or not first_nodes or not rest_nodes:
            return out2
        line, column = entry.where("repeat") if isinstance(entry, Map) else (None, None)
        count_node = count if constant is None else ex.Num(Fraction(constant))
        node = Repeat(name=naming[1] if naming[0] == "dotted" else scope.prefix + local(1), count=count_node,
                      first=first_nodes[0], rest=rest_nodes[0], naming=naming, line=line, column=column, stage=stage)
        into.append(node)
        template_names = [n.name for n in leaves_written([node.rest])] + [node.rest.name]
        if constant is not None:  # every copy's names can be used later, as in an unrolled list
            per_copy = self.count - count_before
            if self.count + per_copy * (constant - 2) > MAX_LAYERS:
                raise self.fail(f"more than {MAX_LAYERS} layers after expanding blocks and repeats", entry, "repeat")
            self.count += per_copy * (constant - 2)
            for k in range(3, constant + 1):
                one = _renamer(node.copy_name(2), node.copy_name(k))
                self.full_names.update(one(n) for n in template_names)
                scope.names[local(k)] = node.iteration_output(k)
            last = node.iteration_output(constant)
        else:  # iteration 2 exists only for some values: nothing outside may name its layers
            for name in template_names:
                self.full_names.discard(name)
                self.hidden[name] = node.name
            scope.names.pop(local(2), None)
            last = node.output
        if label is not None:
            scope.names[label] = last  # a repeated name refers to its last copy
        elif naming[0] == "dotted":
            scope.names[naming[1][len(scope.prefix):]] = last
        return last

    def first_overrides(self, entry, is_call, what, repeated, scope):
        """`first: {ARG: VALUE}`: the entry with these arguments replaced, for iteration 1; `first:
        {block: OTHER}` (or `type:` for a layer) calls another block there ("first with a projection
        shortcut"). The merged entry is checked as any call of that block or layer type is."""
        overrides = self.mapping(entry["first"], "'first'", entry, "first")
        if not repeated:
            raise self.fail("'first' needs a 'repeat' (it overrides arguments of the first iteration)", entry, "first")
        switch = "block" if is_call else "type"
        if switch in overrides:
            what = overrides[switch]
            if not isinstance(what, str):
                raise self.fail(f"first: '{switch}' must be a name, got {_kind(what)}", overrides, switch)
            if not is_call:
                what = self.layer_type(what, scope, overrides, switch)
        if is_call:
            allowed = set(self.block_args.get(what, {})) if isinstance(what, str) else set()
        else:
            op = find(what) if isinstance(what, str) else None
            allowed = set(op.params) if op else set()
        if not self.check_keys(overrides, allowed | {switch}, "'first' (arguments of the first iteration)"):
            raise _Silent()
        merged = Map({**entry, **overrides})
        merged.line, merged.column = entry.where() if isinstance(entry, Map) else (None, None)
        merged.marks = {**getattr(entry, "marks", {}), **getattr(overrides, "marks", {})}
        merged.key_marks = {**getattr(entry, "key_marks", {}), **getattr(overrides, "key_marks", {})}
        del merged["first"]
        return merged

    def hidden_message(self, name: str) -> str:
        return (f"{name!r} is inside repeat {self.hidden[name]!r}, whose count depends on symbols: it exists only for "
                f"some values; use the repeat's own name for its output")

    def reserve(self, scope: _Scope, local: str, auto: bool) -> str:
        """Give a bad layer its name anyway, so that later references to it resolve quietly."""
        self.count += 1
        if auto:
            local = scope.auto_name(local)
        name = scope.prefix + local
        scope.names[local] = name
        self.full_names.add(name)
        return name

    def repeat_count(self, entry, scope):
        """1 without `repeat:`; an int for a constant count; the expression node when it names symbols
        (each configuration's count is then checked where it is evaluated)."""
        if "repeat" not in entry:
            return 1
        node = self.expression(entry["repeat"], entry, "repeat", scope)
        if ex.names(node):
            return node
        count = ex.constant_value(node)
        if count is None or count.denominator != 1 or not 1 <= count <= MAX_REPEAT:
            raise self.fail(f"repeat must be an integer from 1 to {MAX_REPEAT}, got {_short(entry['repeat'])}",
                            entry, "repeat")
        return int(count)

    def resolve_inputs(self, entry, scope: _Scope, previous: str, layer_name: str) -> tuple:
        if "inputs" in entry:
            refs = entry["inputs"]
            if not isinstance(refs, list) or not refs:
                raise self.fail(f"'inputs' must be a non-empty list of layer names, got {_kind(refs)}", entry, "inputs",
                                layer_name)
            key = "inputs"
        elif "input" in entry:
            refs, key = [entry["input"]], "input"
        else:
            return (previous,)
        resolved = []
        for ref in refs:
            if not isinstance(ref, str):
                raise self.fail(f"'{key}' must name layers, got {_kind(ref)}", entry, key, layer_name)
            if ref in self.hidden:
                raise self.fail(f"{key}: {self.hidden_message(ref)}", entry, key, layer_name)
            if ref in scope.names:
                resolved.append(scope.names[ref])
            elif ref in self.full_names:
                resolved.append(ref)
            else:
                close = difflib.get_close_matches(ref, [n for n in scope.names if n != NETWORK_INPUT], n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise self.fail(f"{key}: no layer named {_short(ref)} before this one (a layer can only use "
                                f"earlier layers{hint})", entry, key, layer_name)
        return tuple(resolved)

    def layer(self, entry, type_, local, scope: _Scope, previous, rounding, stage, depth, into: list) -> str:
        op = find(type_)
        if op is None:
            display = f"{self.count + 1} '{scope.prefix}{local}'" if local else f"{self.count + 1}"
            close = difflib.get_close_matches(type_, sorted({*REGISTRY, *ALIASES}), n=1, cutoff=0.75)
            hint = f"did you mean {close[0]!r}? " if close else ""
            self.record(self.fail(f"unknown layer type {_short(type_)} ({hint}known types: {', '.join(sorted(REGISTRY))})",
                                  entry, "type", display))
            return self.reserve(scope, local or type_, local is None)
        local = local or scope.auto_name(op.type)
        name = scope.prefix + local
        self.count += 1
        display = f"{self.count} '{name}' ({op.type})"
        if self.count > MAX_LAYERS:
            raise self.fail(f"more than {MAX_LAYERS} layers after expanding blocks and repeats", entry, None, display)
        problems = len(self.problems)
        if name in self.full_names:
            self.record(self.fail(f"two layers are named {name!r}", entry, "name", display))
        typos: set = set()
        allowed = self.allowed_keys.get(op.type)
        if allowed is None:
            allowed = self.allowed_keys[op.type] = LAYER_KEYS | op.params.keys()
        known = entry.keys() <= allowed  # the common case, every key known, costs one set comparison
        if not known:
            self.check_keys(entry, allowed, f"a {op.type!r} layer", display, typos)
        inputs = (previous,) if "input" not in entry and "inputs" not in entry else \
            self.attempt(self.resolve_inputs, entry, scope, previous, display)  # (the chain, unless named)
        if inputs is not BAD:
            if op.many_inputs and len(inputs) < 2:
                self.record(self.fail(f"{op.type!r} needs 'inputs' naming two or more layers", entry, None, display))
            if not op.many_inputs and len(inputs) != 1:
                self.record(self.fail(f"{op.type!r} takes one input, got {len(inputs)}", entry, "inputs", display))
        reuse = self.reuse_key(op, entry, scope) if known else None  # a misspelt key: its own messages
        made = self.made_args.get(reuse) if reuse is not None else None
        if made is None:
            before = len(self.problems)
            made = self.layer_args(op, entry, typos, scope, display)
            if reuse is not None and len(self.problems) == before:
                self.made_args[reuse] = made
        args, written, whole, keys = made
        self.full_names.add(name)
        scope.names[local] = name
        if len(self.problems) == problems:
            line, column = entry.where() if isinstance(entry, Map) else (None, None)
            if whole:
                rounding = "none"  # a count such as `classes`, not a width scaled by design: never rounded
            layer = new_layer(self.count, name, op.type, args, inputs, rounding, line, column, stage, written)
            share_key(layer, keys)
            into.append(layer)
        return name

    def reuse_key(self, op, entry, scope: _Scope):
        """What decides a layer's arguments outside any block: its type and the values it writes
        (the `defaults:`, the symbols and the options are fixed before the layers are read). Layers
        that write the same values get the same arguments, made and checked once: a 100,000-layer
        list writes a few dozen distinct layers. None (made afresh) inside a block, whose arguments
        are bound per call, or for a value that is not a plain scalar or a list of them."""
        if not scope.top:
            return None
        written = tuple((arg, _frozen(entry[arg])) for arg in op.params if arg in entry)
        return None if any(value is None for _, value in written) else (op.type, written)

    def layer_args(self, op, entry, typos: set, scope: _Scope, display: str) -> tuple:
        """A layer's arguments normalised (see normalize_arg), the ones the spec gave (the entry or
        `defaults:`), whether every channel count is whole by construction (such a layer is never
        rounded), and an empty table for the layer's key per rounding rule (see share_key)."""
        defaults = self.defaults.get(op.type, {})
        args, written = {}, set()
        for arg, param in op.params.items():
            if arg in entry or arg in defaults:
                written.add(arg)
            if arg in entry:
                source, value = entry, entry[arg]
            elif arg in defaults:
                source, value = defaults, defaults[arg]
            elif param.default_for(self.defaults_of) is REQUIRED:
                if arg in typos:
                    continue  # its misspelling is reported
                self.record(self.fail(f"{op.type!r} needs {arg!r} ({param.doc or param.kind.value})", entry, None, display))
                continue
            else:
                source, value = None, param.default_for(self.defaults_of)
            if value is None and param.default is not None:  # `units: null`, `stride: ~`
                self.record(self.fail(f"{arg} needs a value ({param.doc or param.kind.value}), got nothing",
                                      source, arg, display))
                continue
            args[arg] = self.attempt(self.normalize_arg, value, param.kind, arg, source, scope, display)
        counts = [v for a, v in args.items() if op.params[a].kind is Kind.CHANNELS and isinstance(v, ex.Node.__args__)]
        integers = {n for n, sym in self.symbols.items() if sym.integer} if counts else set()
        whole = bool(counts) and all(ex.whole_by_construction(v, integers) for v in counts)
        return args, frozenset(written), whole, {}

    def normalize_arg(self, value, kind: Kind, key, m, scope, layer):
        """A spec value in the form the formulas read: see Kind."""
        if value is None:
            return None
        if kind is Kind.BOOL:
            if not isinstance(value, bool):
                raise self.fail(f"{key} must be true or false, got {_kind(value)}", m, key, layer)
            return value
        if kind in (Kind.CHANNELS, Kind.NUMBER):
            return self.expression(value, m, key, scope, layer, in_channels=kind is Kind.CHANNELS)
        structural = STRUCTURAL_LIMITS
        if kind is Kind.INT and key == "groups":  # a channel count's divisor (RegNet's w/g): channel limits
            return self.expression(value, m, key, scope, layer, in_channels=True)
        if kind is Kind.INT:
            return self.expression(value, m, key, scope, layer, structural)
        held = self.held(value, scope)
        if isinstance(held, PairArg) and kind in (Kind.PAIR, Kind.PADDING):  # `kernel: k` with `k: [1, 7]`
            try:
                ph, pw = (ex.check_size(v, *structural) for v in held.pair)
            except ex.ExprError as e:
                raise self.fail(f"{key}: {e}", m, key, layer) from None
            return (ph, pw) if kind is Kind.PAIR else (ph, ph, pw, pw)
        if kind is Kind.PAIR:
            if isinstance(value, list):
                if len(value) != 2:
                    raise self.fail(f"{key} must be one value or a [height, width] pair, got {len(value)} values",
                                    m, key, layer)
                return tuple(self.expression(v, m, key, scope, layer, structural) for v in value)
            node = self.expression(value, m, key, scope, layer, structural)
            return (node, node)
        # Kind.PADDING
        if value in ("same", "valid"):
            return value
        if isinstance(value, str) and value.isalpha():
            raise self.fail(f"padding must be 'same', 'valid' or sizes, got {_short(value)}", m, key, layer)
        if isinstance(value, list) and len(value) == 2 and all(isinstance(v, list) for v in value):
            if any(len(v) != 2 for v in value):
                raise self.fail("padding pairs must be [[top, bottom], [left, right]]", m, key, layer)
            return tuple(self.expression(v, m, key, scope, layer, structural) for pair in value for v in pair)
        if isinstance(value, list):
            if len(value) != 2:
                raise self.fail("padding must be p, [ph, pw] or [[top, bottom], [left, right]]", m, key, layer)
            ph, pw = (self.expression(v, m, key, scope, layer, structural) for v in value)
            return (ph, ph, pw, pw)
        p = self.expression(value, m, key, scope, layer, structural)
        return (p, p, p, p)

    def call(self, entry, block_name, local, scope: _Scope, previous, rounding, stage, depth, into: list) -> str:
        display = f"{self.count + 1} '{scope.prefix}{local or block_name}' (block {block_name})" \
            if re.fullmatch(r"[A-Za-z0-9_.\-]+", block_name) else f"{self.count + 1} (block {_short(block_name)})"
        if block_name in self.bad_blocks:  # its definition's errors are recorded already
            return self.reserve(scope, local or block_name, local is None)
        if block_name not in self.blocks or block_name not in self.block_args:
            known = ", ".join(self.blocks) or "none defined"
            self.record(self.fail(f"unknown block {_short(block_name)} (blocks: {known})", entry, "block", display))
            return self.reserve(scope, local or block_name, local is None)
        if depth >= MAX_BLOCK_DEPTH:
            raise self.fail(f"blocks nested deeper than {MAX_BLOCK_DEPTH} (a block calling itself?)", entry, "block", display)
        block = self.blocks[block_name]
        params = self.block_args[block_name]
        problems = len(self.problems)
        self.check_keys(entry, CALL_KEYS | set(params), f"a call of block {block_name!r}", display)
        bindings = {}
        for arg, default in params.items():
            if arg in entry:
                bindings[arg] = self.attempt(self.block_value, entry[arg], entry, arg, scope, display)
            elif default is None:
                self.record(self.fail(f"block {block_name!r} needs argument {arg!r}", entry, None, display))
            else:
                bindings[arg] = self.attempt(self.block_value, default, params, arg, scope, display)
        local = local or scope.auto_name(block_name)
        inputs = self.attempt(self.resolve_inputs, entry, scope, previous, display)
        if inputs is not BAD and len(inputs) != 1:
            self.record(self.fail("a block call takes one input", entry, "inputs", display))
        if len(self.problems) > problems:  # the body would only repeat these errors
            return self.reserve(scope, local, False)
        inner = _Scope(names={NETWORK_INPUT: inputs[0]}, prefix=f"{scope.prefix}{local}/",
                       bindings={**scope.bindings, **bindings})
        children: list = []
        last = self.sequence(block["layers"], block, "layers", inner, rounding, stage, depth + 1, children)
        if "output" in block:
            out = block["output"]
            if out not in inner.names or out == NETWORK_INPUT:
                raise self.fail(f"block {block_name!r}: output {_short(out)} is not one of its layers", block, "output")
            last = inner.names[out]
        scope.names[local] = last
        if len(self.problems) == problems:
            line, column = entry.where() if isinstance(entry, Map) else (None, None)
            into.append(BlockCall(scope.prefix + local, block_name, tuple(children), last, line, column, stage))
        return last


def check_choice(option: OptionSpec, value) -> Fraction:
    """`value` (a number or number text, as --set gives it) if it is one of the option's choices,
    else a SpecError at the option's declaration."""
    try:
        number = value if isinstance(value, Fraction) else parse_value(value, f"option {option.name}", program=True)
    except SpecError as e:
        raise e.located(line=option.line, column=option.column) from None
    if number not in option.choices:
        raise SpecError(f"option {option.name}: {value.strip() if isinstance(value, str) else number} is not one of "
                        f"its choices ({_choices_text(option.choices)})", line=option.line, column=option.column)
    return number


def _choices_text(choices) -> str:
    return ", ".join(str(c) for c in choices)


def _held(value) -> str:
    return f"the layer type {value.type!r}" if isinstance(value, LayerTypeArg) else f"the pair {value}"


def _held_use(value) -> str:
    return "use it as a layer's type: (e.g. {type: act})" if isinstance(value, LayerTypeArg) else \
        "give it whole to a pair argument (e.g. kernel: k)"


class _Silent(SpecError):
    """A step that failed for reasons already recorded: nothing more to say."""

    def __init__(self):
        super().__init__("(already reported)")


def parse_value(value, what, fail=None, m=None, key=None, *, program: bool = False) -> Fraction:
    """A symbol value (a default, --set): a number, or an expression of numbers only, at most
    MAX_SYMBOL_VALUE in size (callers check the sign). With `program=True`, a value that is not
    text is a number a Python program passed (`expr.exact_number`: a float is the exact decimal of
    its shortest repr, without the decimal-digit and denominator limits of text); a value of
    another type raises TypeError."""
    def error(message):
        return fail(message, m, key) if fail else SpecError(message)

    if program and not isinstance(value, str):
        try:
            result = ex.exact_number(value)
        except TypeError:
            raise TypeError(f"{what}: expected a number or number text, got {type(value).__name__}") from None
        except ex.ExprError as e:
            raise error(f"{what}: {e}") from None
    else:
        try:
            node = ex.check_size(ex.from_value(value))
        except ex.ExprError as e:
            raise error(f"{what}: {e}") from None
        found = ex.constant_value(node) if not ex.names(node) else None
        if found is None:
            raise error(f"{what} must be a number, got {_short(value)}")
        result = found
        if result.denominator > MAX_SYMBOL_DENOMINATOR:
            raise error(f"{what} is too fine a fraction (denominator above {MAX_SYMBOL_DENOMINATOR:,}): "
                        f"{_short(value)}")
    if abs(result) > MAX_SYMBOL_VALUE:
        raise error(f"{what} must be at most {MAX_SYMBOL_VALUE:,} in size, got {_short(value)}")
    return result


_SCALARS = (str, int, float, bool, type(None))


def _frozen(value):
    """A layer's written value as a key: the value itself for a scalar (with its type: `1`, `1.0`
    and `true` are equal in Python, not in a spec), a tuple for a list of such; None for
    anything else (a mapping, a deeper list)."""
    if type(value) in _SCALARS:
        return (type(value), value)
    if isinstance(value, list) and len(value) <= 4:
        items = tuple(_frozen(v) if not isinstance(v, list) else _frozen_pair(v) for v in value)
        return None if None in items else (list, items)
    return None


def _frozen_pair(value):
    """[[top, bottom], [left, right]]'s inner list: scalars only."""
    items = tuple((type(v), v) if type(v) in _SCALARS else None for v in value)
    return None if None in items or len(items) > 4 else (list, items)


def share_key(layer: LayerSpec, keys: dict) -> None:
    """Layers made from the same arguments share one key object per rounding rule (the first
    one's, equal by construction: the same type, arguments, written set and rounding), so that
    the rows' memo (network.py) hashes it once, not once per layer."""
    shared = keys.get(layer.rounding)
    if shared is None:
        keys[layer.rounding] = layer.key
    else:
        layer.__dict__["key"] = shared  # the cached_property's slot: what layer.key would compute


def _at(m: Map, parent, key) -> Map:
    """Give a mapping made by the loader's caller the position of `parent[key]`."""
    m.marks = {}
    m.line, m.column = parent.where(key) if isinstance(parent, Map) else (None, None)
    return m


def _short(value) -> str:
    """A value for a message: its repr, cut to one short line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the text {_short(value)}"
    return {dict: "a mapping", Map: "a mapping", list: "a list", Seq: "a list",
            bool: str(value).lower()}.get(type(value), f"{type(value).__name__} {_short(value)}")
