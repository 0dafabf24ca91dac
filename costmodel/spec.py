"""YAML spec -> NetworkSpec: a flat, validated list of layers forming a DAG.

The loader reads YAML with PyYAML's safe loader, keeping the line and column of every mapping
entry, refuses duplicate keys, checks every key against the layer registry, expands ``repeat``
and block calls, resolves ``input``/``inputs`` names, and parses every numeric field with the
restricted expression parser. What it produces holds expressions, not numbers: the symbolic
analysis and the reference propagator each evaluate them their own way.

A spec is user input, often someone else's: nothing in it runs, and everything it can make the
tool do is bounded (file size, YAML nesting and aliases, layers after expansion, block depth,
expression size after block arguments are substituted, symbol values). Independent problems
(each unknown key, each bad argument, each bad symbol...) are all collected and raised together as
one SpecError, one line each; a problem that makes the rest meaningless (unreadable YAML, a spec
that is not a mapping, a limit exceeded) stops at once.

A spec, in short (README has the full format)::

    name: tiny
    input: [32, 32, 3]                  # H, W, C
    symbols:
      alpha: {default: 1, description: width multiplier}
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
      - {block: unit, filters: 64*alpha, repeat: 2}
      - {type: add, inputs: [conv1, unit2]}
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import yaml

from . import expr as ex
from .errors import SpecError
from .ops import ALIASES, REGISTRY, REQUIRED, Kind, lookup

MAX_FILE_BYTES = 1_000_000
MAX_YAML_DEPTH = 64  # nested mappings and lists
MAX_LAYERS = 10_000  # after expanding blocks and repeats (ResNet-1001 has about 3,000)
MAX_REPEAT = 1_000
MAX_BLOCK_DEPTH = 20
MAX_SYMBOLS = 8  # shipped specs use at most 3; more symbols, more distinct terms in the totals
STRUCTURAL_LIMITS = (1, 2)  # degree and terms of a kernel, stride, padding, groups... (`2*k + 1`: 1, 2)
MAX_SYMBOL_VALUE = 10**6  # a symbol's value (default or --set) is in (0, MAX_SYMBOL_VALUE]
MAX_SYMBOL_DENOMINATOR = 10**9
MAX_ERRORS = 200  # collection stops here (SpecError prints the first errors.MAX_REPORTED)
NETWORK_INPUT = "input"
ROUNDING_RULES = ("floor", "ceil", "nearest", "none")  # and multiple_of_N
RESERVED = {NETWORK_INPUT, *ex.FUNCTIONS}

TOP_KEYS = {"name", "description", "input", "symbols", "rounding", "defaults", "blocks", "layers", "exits"}
LAYER_KEYS = {"type", "name", "input", "inputs", "repeat", "rounding", "stage"}
CALL_KEYS = {"block", "name", "input", "repeat", "rounding", "stage"}
BLOCK_KEYS = {"args", "layers", "output", "description"}
SYMBOL_KEYS = {"default", "description", "integer"}


# --- YAML with positions -----------------------------------------------------------------

class Map(dict):
    """A YAML mapping that remembers where it and each of its values start (1-based)."""

    line: int | None = None
    column: int | None = None
    marks: dict = {}  # key -> (line, column) of its value; replaced per instance by the loader
    key_marks: dict = {}  # key -> (line, column) of the key itself

    def where(self, key=None, of_key: bool = False) -> tuple[int | None, int | None]:
        if key is None:
            return self.line, self.column
        return (self.key_marks if of_key else self.marks).get(key, (self.line, self.column))


class Seq(list):
    """A YAML sequence that remembers where it and each of its items start (1-based)."""

    line: int | None = None
    column: int | None = None
    marks: list = []  # (line, column) of each item; replaced per instance by the loader


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps positions, refuses duplicate keys and bounds alias expansion."""

    MAX_ALIASES = 1000
    MAX_EXPANDED_NODES = 1_000_000  # a "billion laughs" file expands past this and is refused

    def compose_document(self):
        node = super().compose_document()
        sizes: dict[int, int] = {}

        def expanded(n) -> int:  # nodes after alias expansion, each shared node sized once
            if id(n) not in sizes:
                sizes[id(n)] = 0  # a recursive alias counts as small; the graph walk stops here
                children = n.value if isinstance(n, yaml.SequenceNode) else (
                    [c for pair in n.value for c in pair] if isinstance(n, yaml.MappingNode) else [])
                sizes[id(n)] = min(self.MAX_EXPANDED_NODES + 1, 1 + sum(expanded(c) for c in children))
            return sizes[id(n)]

        if node is not None and expanded(node) > self.MAX_EXPANDED_NODES:
            raise SpecError(f"YAML aliases expand to more than {self.MAX_EXPANDED_NODES} nodes", line=1, column=1)
        return node

    def __init__(self, stream):
        super().__init__(stream)
        self.alias_count = 0
        self.depth = 0

    def compose_node(self, parent, index):
        mark = self.peek_event().start_mark
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > self.MAX_ALIASES:
                raise SpecError(f"more than {self.MAX_ALIASES} YAML aliases", line=mark.line + 1, column=mark.column + 1)
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise SpecError(f"YAML nested deeper than {MAX_YAML_DEPTH} levels", line=mark.line + 1,
                                column=mark.column + 1)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as e:  # an int too long to convert, a 13th month...
            value = node.value if isinstance(node, yaml.ScalarNode) else node.tag
            shown = value if len(value) <= 40 else value[:37] + "..."
            raise SpecError(f"cannot read the YAML value {shown!r} ({str(e).split(';')[0].split(':')[0]})",
                            line=node.start_mark.line + 1, column=node.start_mark.column + 1) from None


def _construct_map(loader, node):
    own = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}  # written here, not merged
    loader.flatten_mapping(node)  # merged (`<<: *anchor`) pairs first, then the mapping's own
    result = Map()
    result.line, result.column = node.start_mark.line + 1, node.start_mark.column + 1
    result.marks, result.key_marks = {}, {}
    written = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        where = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        if not isinstance(key, (str, int, float, bool)) or key is None or isinstance(key, (Map, Seq)):
            raise SpecError("a mapping key must be a plain scalar", line=where[0], column=where[1])
        if id(key_node) in own:
            if key in written:
                raise SpecError(f"duplicate key {key!r}", line=where[0], column=where[1])
            written.add(key)  # a key written here overrides a merged one, as YAML's merge key says
        elif key in result:
            continue  # of two merged mappings the first given wins
        result[key] = loader.construct_object(value_node, deep=True)
        quoted = isinstance(value_node, yaml.ScalarNode) and value_node.style in ("'", '"')
        result.marks[key] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1 + quoted)
        result.key_marks[key] = where
    return result


def _construct_seq(loader, node):
    result = Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line, result.column = node.start_mark.line + 1, node.start_mark.column + 1
    result.marks = [(child.start_mark.line + 1, child.start_mark.column + 1) for child in node.value]
    return result


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _read_yaml(text: str, file: str):
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except SpecError as e:
        raise e.located(file=file, line=1, column=1)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(str(e.problem or e.context).split())  # one line
        raise SpecError(f"malformed YAML: {problem}", file=file, line=line, column=column) from None
    except yaml.YAMLError as e:
        raise SpecError(f"malformed YAML: {' '.join(str(e).split())}", file=file, line=1, column=1) from None
    except RecursionError:
        raise SpecError("YAML nested too deeply", file=file, line=1, column=1) from None


# --- the validated result ------------------------------------------------------------------

@dataclass(frozen=True)
class SymbolSpec:
    name: str
    default: Fraction
    description: str
    integer: bool


@dataclass(frozen=True)
class LayerSpec:
    """One layer after expansion. `args` are normalised (see normalize_arg): expressions as
    expr nodes with block arguments substituted, pairs as tuples, padding as a mode or 4 nodes."""

    index: int
    name: str
    type: str
    args: dict
    inputs: tuple
    rounding: str
    line: int | None = None
    column: int | None = None
    stage: str | None = None
    written: frozenset = frozenset()  # args the spec gave (in the layer or `defaults:`), not registry defaults

    def __post_init__(self):
        if self.index < 1 or not self.inputs:
            raise ValueError(f"layer {self.name!r}: index must be >= 1 and inputs non-empty")


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    description: str
    input: tuple  # (H, W, C) expression nodes
    symbols: dict  # name -> SymbolSpec, in declaration order
    layers: tuple
    file: str = "<spec>"
    input_line: int | None = None
    input_column: int | None = None
    exits: tuple = ()  # full names of the exit (classifier head) layers of a multi-exit network

    def defaults(self) -> dict[str, Fraction]:
        return {name: s.default for name, s in self.symbols.items()}

    def layer(self, name: str) -> LayerSpec:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)


# --- loading -------------------------------------------------------------------------------

def load(path) -> NetworkSpec:
    """Read and validate a spec file."""
    return from_dict(read_yaml(path), file=str(path))


def loads(text: str, file: str = "<spec>") -> NetworkSpec:
    """Validate a spec given as YAML text."""
    return from_dict(_parse_text(text, file), file=file)


def read_yaml(path):
    """A spec file's YAML data (positions kept), with the file-level limits checked. `path` may
    also name a shipped spec (`mobilenet_cifar`): a file at that path wins."""
    from . import shipped
    file = str(path)
    path = shipped.resolve(path)
    try:
        if Path(path).exists() and not Path(path).is_file():
            raise SpecError("cannot read spec: not a regular file", file=file)
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)  # never more than the limit, whatever the file
    except OSError as e:
        raise SpecError(f"cannot read spec: {e.strerror or e}", file=file) from None
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(f"spec is larger than {MAX_FILE_BYTES} bytes", file=file, line=1, column=1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise SpecError(f"spec is not UTF-8 text (byte {e.start})", file=file, line=line, column=column) from None
    return _parse_text(text, file)


def _parse_text(text: str, file: str):
    if len(text) > MAX_FILE_BYTES:
        raise SpecError(f"spec is larger than {MAX_FILE_BYTES} characters", file=file, line=1, column=1)
    if "\x00" in text:
        nul = text.index("\x00")
        raise SpecError("spec contains a NUL character (binary data?)", file=file,
                        line=text.count("\n", 0, nul) + 1, column=nul - (text.rfind("\n", 0, nul) + 1) + 1)
    return _read_yaml(text, file)


def from_dict(data, file: str = "<spec>") -> NetworkSpec:
    """Validate a spec given as Python data (the same structure as the YAML). Raises one
    SpecError carrying every independent problem found (`.errors`)."""
    builder = _Builder(file)
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
    return spec


class _Stop(Exception):
    """Too many errors to go on collecting."""


@dataclass
class _Scope:
    """Names visible to one sequence of layers: local names -> full layer names."""

    names: dict
    prefix: str
    bindings: dict  # block argument -> expression node
    counters: dict = field(default_factory=dict)

    def auto_name(self, base: str) -> str:
        self.counters[base] = self.counters.get(base, 0) + 1
        return f"{base}{self.counters[base]}"


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

    def __init__(self, file: str):
        self.file = file
        self.layers: list[LayerSpec] = []
        self.count = 0  # layers attempted, failed ones included: the index in messages
        self.full_names: set[str] = set()
        self.symbols: dict[str, SymbolSpec] = {}
        self.bad_symbols: set[str] = set()
        self.block_args: dict[str, dict] = {}
        self.bad_blocks: set[str] = set()
        self.problems: list[SpecError] = []
        self.stopped = False  # MAX_ERRORS reached

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

    def expression(self, value, m, key, scope: _Scope | None, layer=None, limits=(ex.MAX_DEGREE, ex.MAX_TERMS)):
        """Parse a field and bind block arguments; every remaining name must be a symbol."""
        line, column = m.where(key) if isinstance(m, Map) else (None, None)
        try:
            node = ex.from_value(value)
        except ex.ExprError as e:
            if column is not None and e.column is not None and isinstance(value, str) and "\n" not in value:
                column += e.column - 1
            raise SpecError(f"{key}: {e}", line=line, column=column, layer=layer) from None
        try:
            if scope is not None and scope.bindings:
                node = ex.substitute(node, scope.bindings)
            ex.check_size(node, *limits)  # before anything walks the (maybe exponentially large) tree
        except ex.ExprError as e:
            raise SpecError(f"{key}: {e}", line=line, column=column, layer=layer) from None
        unknown = sorted(ex.names(node) - set(self.symbols) - self.bad_symbols)
        if unknown:
            declared = ", ".join(self.symbols) or "none"
            raise self.fail(f"{key}: unknown symbol {unknown[0]!r} (declared symbols: {declared})", m, key, layer)
        return node

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
        self.rounding = self.attempt(self.rounding_rule, data.get("rounding", "none"), data, "rounding")
        if self.rounding is BAD:
            self.rounding = "none"
        self.defaults = self.attempt(self.read_defaults, data.get("defaults") or Map(), data)
        if self.defaults is BAD:
            self.defaults = {}
        self.blocks = self.attempt(self.read_blocks, data.get("blocks") or Map(), data)
        if self.blocks is BAD:
            self.blocks = {}
        shape = self.read_input(data["input"], data) if "input" in data else BAD
        exits = ()
        if "layers" in data:
            top = _Scope(names={NETWORK_INPUT: NETWORK_INPUT}, prefix="", bindings={})
            self.attempt(self.sequence, data["layers"], data, "layers", top, self.rounding, None, depth=0)
            if "exits" in data:
                exits = self.attempt(self.read_exits, data, top)
        if self.problems or shape is BAD or exits is BAD:
            return None
        name = data.get("name", Path(self.file).stem if self.file != "<spec>" else "network")
        line, column = _where(data, "input").get("line"), _where(data, "input").get("column")
        return NetworkSpec(name=str(name), description=str(data.get("description", "")), input=shape,
                           symbols=dict(self.symbols), layers=tuple(self.layers), file=self.file,
                           input_line=line, input_column=column, exits=exits)

    def read_exits(self, data, scope: "_Scope") -> tuple:
        """`exits: [name, ...]`: the classifier heads of a multi-exit network, in order."""
        names = data["exits"]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise self.fail("exits must be a non-empty list of layer names", data, "exits")
        resolved = []
        for name in names:
            full = scope.names.get(name, name if name in self.full_names else None)
            if full is None or full == NETWORK_INPUT:
                raise self.fail(f"exits: no layer named {name!r}", data, "exits")
            resolved.append(full)
        if len(set(resolved)) != len(resolved):
            raise self.fail("exits: a layer is named twice", data, "exits")
        return tuple(resolved)

    def read_symbols(self, symbols, parent):
        self.mapping(symbols, "'symbols'", parent, "symbols")
        if len(symbols) > MAX_SYMBOLS:
            raise self.fail(f"more than {MAX_SYMBOLS} symbols", parent, "symbols")
        for name, decl in symbols.items():
            if self.attempt(self.read_symbol, symbols, name, decl) is BAD and isinstance(name, str):
                self.bad_symbols.add(name)  # its uses are not errors of their own

    def read_symbol(self, symbols, name, decl):
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", name) or name in RESERVED \
                or name.startswith("__"):
            raise self.fail_key(f"{_short(name)} cannot be a symbol name (letters, digits and '_'; not "
                                f"{', '.join(sorted(RESERVED))})", symbols, name)
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

    def rounding_rule(self, value, m, key) -> str:
        if isinstance(value, str) and (value in ROUNDING_RULES or re.fullmatch(r"multiple_of_[1-9][0-9]{0,3}", value)):
            return value
        raise self.fail(f"rounding must be one of {', '.join(ROUNDING_RULES)} or multiple_of_N (N from 1 to 9999), "
                        f"got {_short(value)}", m, key)

    def read_defaults(self, defaults, parent) -> dict:
        self.mapping(defaults, "'defaults'", parent, "defaults")
        result = {}
        for type_, args in defaults.items():
            op = lookup(type_) if isinstance(type_, str) else None
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
                raise self.fail_key(f"{_short(arg)} cannot be an argument name", args, arg)
        if not good:
            raise _Silent()
        self.block_args[name] = args

    def read_input(self, value, parent) -> tuple:
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
            return BAD if BAD in axes else tuple(axes)
        self.record(self.fail(f"input must be [height, width, channels] or a mapping with those keys, got "
                              f"{_kind(value)}", parent, "input"))
        return BAD

    # -- layers

    def sequence(self, entries, m, key, scope: _Scope, rounding: str, stage, depth: int):
        if not isinstance(entries, list):
            raise self.fail(f"{key!r} must be a list of layers, got {_kind(entries)}", m, key)
        if not entries:
            raise self.fail(f"{key!r} is empty", m, key)
        previous = scope.names[NETWORK_INPUT]
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                line, column = entries.marks[i] if isinstance(entries, Seq) else m.where(key) if isinstance(m, Map) \
                    else (None, None)
                self.record(SpecError(f"each layer must be a mapping like {{type: conv, ...}} or {{block: NAME, ...}}, "
                                      f"got {_kind(entry)}", line=line, column=column))
                continue
            previous = self.entry(entry, scope, previous, rounding, stage, depth)
        return previous

    def entry(self, entry, scope: _Scope, previous: str, rounding: str, stage, depth: int) -> str:
        """One layer or block call (each copy, when repeated); returns the name of its output,
        reserved even when the entry is bad (its errors are recorded)."""
        label = entry.get("name")
        if label is not None and (not isinstance(label, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]+", label)
                                  or label == NETWORK_INPUT):
            self.record(self.fail(f"name must be letters, digits, '_', '-' or '.', got {_short(label)}", entry, "name"))
            label = None
        is_call = "block" in entry
        what = entry.get("block") if is_call else entry.get("type")
        problem = None
        if is_call == ("type" in entry):
            problem = self.fail("a layer needs exactly one of 'type' (a layer) or 'block' (a block call)", entry)
        elif not isinstance(what, str):
            key = "block" if is_call else "type"
            problem = self.fail(f"'{key}' must be a name, got {_kind(what)}", entry, key)
        repeat = self.attempt(self.repeat_count, entry, scope)
        if "rounding" in entry:
            rounding = self.attempt(self.rounding_rule, entry["rounding"], entry, "rounding")
        if "stage" in entry:
            if isinstance(entry["stage"], (str, int, float)) and not isinstance(entry["stage"], bool):
                stage = str(entry["stage"])
            else:
                self.record(self.fail(f"stage must be a label, got {_kind(entry['stage'])}", entry, "stage"))
        if "inputs" in entry and "input" in entry:
            self.record(self.fail("give either 'input' or 'inputs', not both", entry, "inputs"))
        if repeat is not BAD and repeat > 1 and ("input" in entry or "inputs" in entry):
            self.record(self.fail("a repeated layer chains its copies; it cannot also name its inputs", entry, "repeat"))
        if problem is not None or repeat is BAD or rounding is BAD:
            if problem is not None:
                self.record(problem)
            return self.reserve(scope, label or (what if isinstance(what, str) else "layer"), label is None)
        for copy in range(1, repeat + 1):
            local = label if label is not None else None
            if local is not None and repeat > 1:
                local = f"{label}.{copy}"
            step = self.call if is_call else self.layer
            previous = step(entry, what, local, scope, previous, rounding, stage, depth)
        if label is not None:
            scope.names[label] = previous  # a repeated name refers to its last copy
        return previous

    def reserve(self, scope: _Scope, local: str, auto: bool) -> str:
        """Give a bad layer its name anyway, so that later references to it resolve quietly."""
        self.count += 1
        if auto:
            local = scope.auto_name(local)
        name = scope.prefix + local
        scope.names[local] = name
        self.full_names.add(name)
        return name

    def repeat_count(self, entry, scope) -> int:
        if "repeat" not in entry:
            return 1
        node = self.expression(entry["repeat"], entry, "repeat", scope)
        if ex.names(node):
            raise self.fail("repeat must be a constant (the graph's structure cannot depend on a symbol)", entry, "repeat")
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

    def layer(self, entry, type_, local, scope: _Scope, previous, rounding, stage, depth) -> str:
        op = lookup(type_)
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
        self.check_keys(entry, LAYER_KEYS | set(op.params), f"a {op.type!r} layer", display, typos)
        inputs = self.attempt(self.resolve_inputs, entry, scope, previous, display)
        if inputs is not BAD:
            if op.many_inputs and len(inputs) < 2:
                self.record(self.fail(f"{op.type!r} needs 'inputs' naming two or more layers", entry, None, display))
            if not op.many_inputs and len(inputs) != 1:
                self.record(self.fail(f"{op.type!r} takes one input, got {len(inputs)}", entry, "inputs", display))
        defaults = self.defaults.get(op.type, {})
        args, written = {}, set()
        for arg, param in op.params.items():
            if arg in entry or arg in defaults:
                written.add(arg)
            if arg in entry:
                source, value = entry, entry[arg]
            elif arg in defaults:
                source, value = defaults, defaults[arg]
            elif param.default is REQUIRED:
                if arg in typos:
                    continue  # its misspelling is reported
                self.record(self.fail(f"{op.type!r} needs {arg!r} ({param.doc or param.kind.value})", entry, None, display))
                continue
            else:
                source, value = None, param.default
            if value is None and param.default is not None:  # `units: null`, `stride: ~`
                self.record(self.fail(f"{arg} needs a value ({param.doc or param.kind.value}), got nothing",
                                      source, arg, display))
                continue
            args[arg] = self.attempt(self.normalize_arg, value, param.kind, arg, source, scope, display)
        self.full_names.add(name)
        scope.names[local] = name
        if len(self.problems) == problems:
            line, column = entry.where() if isinstance(entry, Map) else (None, None)
            self.layers.append(LayerSpec(index=self.count, name=name, type=op.type, args=args, inputs=inputs,
                                         rounding=rounding, line=line, column=column, stage=stage,
                                         written=frozenset(written)))
        return name

    def normalize_arg(self, value, kind: Kind, key, m, scope, layer):
        """A spec value in the form the formulas read: see Kind."""
        if value is None:
            return None
        if kind is Kind.BOOL:
            if not isinstance(value, bool):
                raise self.fail(f"{key} must be true or false, got {_kind(value)}", m, key, layer)
            return value
        if kind in (Kind.CHANNELS, Kind.NUMBER):
            return self.expression(value, m, key, scope, layer)
        structural = STRUCTURAL_LIMITS
        if kind is Kind.INT:
            return self.expression(value, m, key, scope, layer, structural)
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

    def call(self, entry, block_name, local, scope: _Scope, previous, rounding, stage, depth) -> str:
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
                bindings[arg] = self.attempt(self.expression, entry[arg], entry, arg, scope, display)
            elif default is None:
                self.record(self.fail(f"block {block_name!r} needs argument {arg!r}", entry, None, display))
            else:
                bindings[arg] = self.attempt(self.expression, default, params, arg, scope, display)
        local = local or scope.auto_name(block_name)
        inputs = self.attempt(self.resolve_inputs, entry, scope, previous, display)
        if inputs is not BAD and len(inputs) != 1:
            self.record(self.fail("a block call takes one input", entry, "inputs", display))
        if len(self.problems) > problems:  # the body would only repeat these errors
            return self.reserve(scope, local, False)
        inner = _Scope(names={NETWORK_INPUT: inputs[0]}, prefix=f"{scope.prefix}{local}/",
                       bindings={**scope.bindings, **bindings})
        last = self.sequence(block["layers"], block, "layers", inner, rounding, stage, depth + 1)
        if "output" in block:
            out = block["output"]
            if out not in inner.names or out == NETWORK_INPUT:
                raise self.fail(f"block {block_name!r}: output {_short(out)} is not one of its layers", block, "output")
            last = inner.names[out]
        scope.names[local] = last
        return last


class _Silent(SpecError):
    """A step that failed for reasons already recorded: nothing more to say."""

    def __init__(self):
        super().__init__("(already reported)")


def parse_value(value, what, fail=None, m=None, key=None) -> Fraction:
    """A symbol value (a default, --set): a number, or an expression of numbers only, at most
    MAX_SYMBOL_VALUE in size (callers check the sign)."""
    def error(message):
        return fail(message, m, key) if fail else SpecError(message)

    try:
        node = ex.check_size(ex.from_value(value))
    except ex.ExprError as e:
        raise error(f"{what}: {e}") from None
    result = ex.constant_value(node) if not ex.names(node) else None
    if result is None:
        raise error(f"{what} must be a number, got {_short(value)}")
    if abs(result) > MAX_SYMBOL_VALUE:
        raise error(f"{what} must be at most {MAX_SYMBOL_VALUE:,} in size, got {_short(value)}")
    if result.denominator > MAX_SYMBOL_DENOMINATOR:
        raise error(f"{what} is too fine a fraction (denominator above {MAX_SYMBOL_DENOMINATOR:,}): {_short(value)}")
    return result


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
