"""YAML spec -> NetworkSpec: a flat, validated list of layers forming a DAG.

The loader reads YAML with PyYAML's safe loader, keeping the line and column of every mapping
entry, refuses duplicate keys, checks every key against the layer registry, expands ``repeat``
and block calls, resolves ``input``/``inputs`` names, and parses every numeric field with the
restricted expression parser. What it produces holds expressions, not numbers: the symbolic
analysis and the reference propagator each evaluate them their own way.

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

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import yaml

from . import expr as ex
from .errors import SpecError
from .ops import REGISTRY, REQUIRED, Kind, lookup

MAX_FILE_BYTES = 1_000_000
MAX_LAYERS = 100_000
MAX_REPEAT = 10_000
MAX_BLOCK_DEPTH = 20
NETWORK_INPUT = "input"
ROUNDING_RULES = ("floor", "ceil", "nearest", "none")  # and multiple_of_N
RESERVED = {NETWORK_INPUT, *ex.FUNCTIONS}

TOP_KEYS = {"name", "description", "input", "symbols", "rounding", "defaults", "blocks", "layers"}
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

    def where(self, key=None) -> tuple[int | None, int | None]:
        return self.marks.get(key, (self.line, self.column)) if key is not None else (self.line, self.column)


class Seq(list):
    line: int | None = None
    column: int | None = None


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
            raise SpecError(f"YAML aliases expand to more than {self.MAX_EXPANDED_NODES} nodes", line=1)
        return node

    def __init__(self, stream):
        super().__init__(stream)
        self.alias_count = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > self.MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise SpecError(f"more than {self.MAX_ALIASES} YAML aliases", line=mark.line + 1, column=mark.column + 1)
        return super().compose_node(parent, index)


def _construct_map(loader, node):
    loader.flatten_mapping(node)
    result = Map()
    result.line, result.column = node.start_mark.line + 1, node.start_mark.column + 1
    result.marks = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        where = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise SpecError("a mapping key must be a plain scalar", line=where[0], column=where[1])
        if key in result:
            raise SpecError(f"duplicate key {key!r}", line=where[0], column=where[1])
        result[key] = loader.construct_object(value_node, deep=True)
        result.marks[key] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
    return result


def _construct_seq(loader, node):
    result = Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line, result.column = node.start_mark.line + 1, node.start_mark.column + 1
    return result


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _read_yaml(text: str, file: str):
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except SpecError as e:
        raise e.located(file=file)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise SpecError(f"malformed YAML: {e.problem or e.context}", file=file, line=line, column=column) from None
    except yaml.YAMLError as e:
        raise SpecError(f"malformed YAML: {e}", file=file) from None
    except RecursionError:
        raise SpecError("YAML nested too deeply", file=file) from None


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
    path = Path(path)
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SpecError(f"cannot read spec: {e.strerror}", file=file) from None
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(f"spec is larger than {MAX_FILE_BYTES} bytes", file=file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SpecError(f"spec is not UTF-8 text (byte {e.start})", file=file) from None
    return loads(text, file=file)


def loads(text: str, file: str = "<spec>") -> NetworkSpec:
    """Validate a spec given as YAML text."""
    return from_dict(_read_yaml(text, file), file=file)


def from_dict(data, file: str = "<spec>") -> NetworkSpec:
    """Validate a spec given as Python data (the same structure as the YAML)."""
    try:
        return _Builder(file).build(data)
    except SpecError as e:
        raise e.located(file=file)


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


def _where(m, key=None):
    if isinstance(m, Map):
        line, column = m.where(key)
        return {"line": line, "column": column}
    return {}


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.layers: list[LayerSpec] = []
        self.full_names: set[str] = set()
        self.symbols: dict[str, SymbolSpec] = {}
        self.block_args: dict[str, dict] = {}

    # -- helpers

    def fail(self, message, m=None, key=None, layer=None):
        return SpecError(message, layer=layer, **_where(m, key))

    def mapping(self, value, what, m=None, key=None, layer=None) -> dict:
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be a mapping, got {_kind(value)}", m, key, layer)
        return value

    def check_keys(self, m, allowed, what, layer=None):
        for key in m:
            if key not in allowed:
                raise self.fail(f"unknown key {key!r} in {what} (expected one of: {', '.join(sorted(allowed))})",
                                m, key, layer)

    def expression(self, value, m, key, scope: _Scope | None, layer=None) -> ex.Node:
        """Parse a field and bind block arguments; every remaining name must be a symbol."""
        try:
            node = ex.from_value(value)
        except ex.ExprError as e:
            line, column = m.where(key) if isinstance(m, Map) else (None, None)
            if column is not None and e.column is not None and isinstance(value, str):
                column += e.column - 1
            raise SpecError(f"{key}: {e}", line=line, column=column, layer=layer) from None
        if scope is not None and scope.bindings:
            node = ex.substitute(node, scope.bindings)
        unknown = sorted(ex.names(node) - set(self.symbols))
        if unknown:
            declared = ", ".join(self.symbols) or "none"
            raise self.fail(f"{key}: unknown symbol {unknown[0]!r} (declared symbols: {declared})", m, key, layer)
        return node

    # -- top level

    def build(self, data) -> NetworkSpec:
        if not isinstance(data, dict):
            raise self.fail(f"a spec must be a mapping with 'input' and 'layers', got {_kind(data)}", data)
        self.check_keys(data, TOP_KEYS, "the spec")
        for key in ("input", "layers"):
            if key not in data:
                raise self.fail(f"missing required key {key!r}", data)
        self.read_symbols(data.get("symbols") or Map(), data)
        self.rounding = self.rounding_rule(data.get("rounding", "none"), data, "rounding")
        self.defaults = self.read_defaults(data.get("defaults") or Map(), data)
        self.blocks = self.read_blocks(data.get("blocks") or Map(), data)
        shape = self.read_input(data["input"], data)
        top = _Scope(names={NETWORK_INPUT: NETWORK_INPUT}, prefix="", bindings={})
        self.sequence(data["layers"], data, "layers", top, self.rounding, None, depth=0)
        if not self.layers:
            raise self.fail("the spec has no layers", data, "layers")
        name = data.get("name", Path(self.file).stem if self.file != "<spec>" else "network")
        return NetworkSpec(name=str(name), description=str(data.get("description", "")), input=shape,
                           symbols=dict(self.symbols), layers=tuple(self.layers), file=self.file,
                           input_line=_where(data, "input").get("line"))

    def read_symbols(self, symbols, parent):
        self.mapping(symbols, "'symbols'", parent, "symbols")
        for name, decl in symbols.items():
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", name) or name in RESERVED:
                raise self.fail(f"{name!r} cannot be a symbol name", symbols, name)
            if not isinstance(decl, dict):  # shorthand `alpha: 1`
                decl = _at(Map({"default": decl} if decl is not None else {}), symbols, name)
            self.check_keys(decl, SYMBOL_KEYS, f"symbol {name!r}")
            if "default" not in decl:
                raise self.fail(f"symbol {name!r} needs a default value", symbols, name)
            integer = decl.get("integer", False)
            if not isinstance(integer, bool):
                raise self.fail(f"symbol {name!r}: 'integer' must be true or false", decl, "integer")
            default = parse_value(decl["default"], f"symbol {name!r} default", self.fail, decl, "default")
            if default <= 0:
                raise self.fail(f"symbol {name!r} must have a positive default, got {default}", decl, "default")
            if integer and default.denominator != 1:
                raise self.fail(f"symbol {name!r} is an integer but its default is {default}", decl, "default")
            self.symbols[name] = SymbolSpec(name, default, str(decl.get("description", "")), integer)

    def rounding_rule(self, value, m, key) -> str:
        if isinstance(value, str) and (value in ROUNDING_RULES or re.fullmatch(r"multiple_of_[1-9][0-9]{0,3}", value)):
            return value
        raise self.fail(f"rounding must be one of {', '.join(ROUNDING_RULES)} or multiple_of_N, got {value!r}", m, key)

    def read_defaults(self, defaults, parent) -> dict:
        self.mapping(defaults, "'defaults'", parent, "defaults")
        result = {}
        for type_, args in defaults.items():
            op = lookup(type_) if isinstance(type_, str) else None
            if op is None:
                raise self.fail(f"defaults: unknown layer type {type_!r}", defaults, type_)
            self.mapping(args, f"defaults for {type_!r}", defaults, type_)
            self.check_keys(args, set(op.params), f"defaults for {type_!r}")
            result[op.type] = args
        return result

    def read_blocks(self, blocks, parent) -> dict:
        self.mapping(blocks, "'blocks'", parent, "blocks")
        for name, block in blocks.items():
            self.mapping(block, f"block {name!r}", blocks, name)
            self.check_keys(block, BLOCK_KEYS, f"block {name!r}")
            if "layers" not in block:
                raise self.fail(f"block {name!r} has no 'layers'", block)
            args = block.get("args") or Map()
            if isinstance(args, list):  # `args: [filters, stride]`: all required
                args = _at(Map({a: None for a in args if isinstance(a, str)}), block, "args")
            self.mapping(args, f"args of block {name!r}", block, "args")
            for arg in args:
                if not isinstance(arg, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", arg) or arg in RESERVED:
                    raise self.fail(f"{arg!r} cannot be an argument name", args, arg)
            self.block_args[name] = args
        return blocks

    def read_input(self, value, parent) -> tuple:
        if isinstance(value, dict):
            self.check_keys(value, {"height", "width", "channels"}, "'input'")
            missing = {"height", "width", "channels"} - set(value)
            if missing:
                raise self.fail(f"input needs height, width and channels (missing {', '.join(sorted(missing))})", value)
            return tuple(self.expression(value[k], value, k, None) for k in ("height", "width", "channels"))
        if isinstance(value, list) and len(value) == 3:
            return tuple(self.expression(v, parent, "input", None) for v in value)
        raise self.fail("input must be [height, width, channels] or a mapping with those keys", parent, "input")

    # -- layers

    def sequence(self, entries, m, key, scope: _Scope, rounding: str, stage, depth: int):
        if not isinstance(entries, list):
            raise self.fail(f"{key!r} must be a list of layers, got {_kind(entries)}", m, key)
        if not entries:
            raise self.fail(f"{key!r} is empty", m, key)
        previous = scope.names[NETWORK_INPUT]
        for entry in entries:
            if not isinstance(entry, dict):
                raise self.fail(f"each layer must be a mapping, got {_kind(entry)}", entries if isinstance(entries, Map) else m, key)
            previous = self.entry(entry, scope, previous, rounding, stage, depth)
        return previous

    def entry(self, entry, scope: _Scope, previous: str, rounding: str, stage, depth: int) -> str:
        is_call = "block" in entry
        if is_call == ("type" in entry):
            raise self.fail("a layer needs exactly one of 'type' (a layer) or 'block' (a block call)", entry)
        what = entry.get("block") if is_call else entry.get("type")
        if not isinstance(what, str):
            raise self.fail(f"'{'block' if is_call else 'type'}' must be a name, got {_kind(what)}", entry,
                            "block" if is_call else "type")
        label = entry.get("name")
        if label is not None and (not isinstance(label, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]+", label)
                                  or label == NETWORK_INPUT):
            raise self.fail(f"name must be letters, digits, '_', '-' or '.', got {label!r}", entry, "name")
        repeat = self.repeat_count(entry, scope)
        if "rounding" in entry:
            rounding = self.rounding_rule(entry["rounding"], entry, "rounding")
        if "stage" in entry:
            stage = str(entry["stage"])
        if "inputs" in entry and "input" in entry:
            raise self.fail("give either 'input' or 'inputs', not both", entry, "inputs")
        if repeat > 1 and ("input" in entry or "inputs" in entry):
            raise self.fail("a repeated layer chains its copies; it cannot also name its inputs", entry, "repeat")
        for copy in range(1, repeat + 1):
            local = label if label is not None else None
            if local is not None and repeat > 1:
                local = f"{label}.{copy}"
            if is_call:
                previous = self.call(entry, what, local, scope, previous, rounding, stage, depth)
            else:
                previous = self.layer(entry, what, local, scope, previous, rounding, stage)
        if label is not None:
            scope.names[label] = previous  # a repeated name refers to its last copy
        return previous

    def repeat_count(self, entry, scope) -> int:
        if "repeat" not in entry:
            return 1
        node = self.expression(entry["repeat"], entry, "repeat", scope)
        if ex.names(node):
            raise self.fail("repeat must be a constant (the graph's structure cannot depend on a symbol)", entry, "repeat")
        count = _constant_value(node)
        if count is None or count.denominator != 1 or not 1 <= count <= MAX_REPEAT:
            raise self.fail(f"repeat must be an integer from 1 to {MAX_REPEAT}", entry, "repeat")
        return int(count)

    def resolve_inputs(self, entry, scope: _Scope, previous: str, layer_name: str) -> tuple:
        if "inputs" in entry:
            refs = entry["inputs"]
            if not isinstance(refs, list) or not refs:
                raise self.fail("'inputs' must be a non-empty list of layer names", entry, "inputs", layer_name)
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
                raise self.fail(f"{key}: no layer named {ref!r} before this one (a layer can only use earlier layers)",
                                entry, key, layer_name)
        return tuple(resolved)

    def layer(self, entry, type_, local, scope: _Scope, previous, rounding, stage) -> str:
        op = lookup(type_)
        display = f"{len(self.layers) + 1} {scope.prefix}{local or type_!s}".strip()
        if op is None:
            raise self.fail(f"unknown layer type {type_!r} (known types: {', '.join(sorted(REGISTRY))})",
                            entry, "type", display)
        local = local or scope.auto_name(op.type)
        name = scope.prefix + local
        display = f"{len(self.layers) + 1} '{name}' ({op.type})"
        if name in self.full_names:
            raise self.fail(f"two layers are named {name!r}", entry, "name", display)
        self.check_keys(entry, LAYER_KEYS | set(op.params), f"a {op.type!r} layer", display)
        inputs = self.resolve_inputs(entry, scope, previous, display)
        if op.many_inputs and len(inputs) < 2:
            raise self.fail(f"{op.type!r} needs 'inputs' naming two or more layers", entry, None, display)
        if not op.many_inputs and len(inputs) != 1:
            raise self.fail(f"{op.type!r} takes one input", entry, "inputs", display)
        defaults = self.defaults.get(op.type, {})
        args = {}
        for arg, param in op.params.items():
            if arg in entry:
                source, value = entry, entry[arg]
            elif arg in defaults:
                source, value = defaults, defaults[arg]
            elif param.default is REQUIRED:
                raise self.fail(f"{op.type!r} needs {arg!r} ({param.doc or param.kind.value})", entry, None, display)
            else:
                source, value = None, param.default
            args[arg] = self.normalize_arg(value, param.kind, arg, source, scope, display)
        if len(self.layers) >= MAX_LAYERS:
            raise self.fail(f"more than {MAX_LAYERS} layers after expansion", entry, None, display)
        line, column = entry.where() if isinstance(entry, Map) else (None, None)
        self.layers.append(LayerSpec(index=len(self.layers) + 1, name=name, type=op.type, args=args,
                                     inputs=inputs, rounding=rounding, line=line, column=column, stage=stage))
        self.full_names.add(name)
        scope.names[local] = name
        return name

    def normalize_arg(self, value, kind: Kind, key, m, scope, layer):
        """A spec value in the form the formulas read: see Kind."""
        if value is None:
            return None
        if kind is Kind.BOOL:
            if not isinstance(value, bool):
                raise self.fail(f"{key} must be true or false, got {value!r}", m, key, layer)
            return value
        if kind in (Kind.INT, Kind.CHANNELS, Kind.NUMBER):
            return self.expression(value, m, key, scope, layer)
        if kind is Kind.PAIR:
            if isinstance(value, list):
                if len(value) != 2:
                    raise self.fail(f"{key} must be one value or a [height, width] pair", m, key, layer)
                return tuple(self.expression(v, m, key, scope, layer) for v in value)
            node = self.expression(value, m, key, scope, layer)
            return (node, node)
        # Kind.PADDING
        if value in ("same", "valid"):
            return value
        if isinstance(value, str) and value.isalpha():
            raise self.fail(f"padding must be 'same', 'valid' or sizes, got {value!r}", m, key, layer)
        if isinstance(value, list) and len(value) == 2 and all(isinstance(v, list) for v in value):
            if any(len(v) != 2 for v in value):
                raise self.fail("padding pairs must be [[top, bottom], [left, right]]", m, key, layer)
            return tuple(self.expression(v, m, key, scope, layer) for pair in value for v in pair)
        if isinstance(value, list):
            if len(value) != 2:
                raise self.fail("padding must be p, [ph, pw] or [[top, bottom], [left, right]]", m, key, layer)
            ph, pw = (self.expression(v, m, key, scope, layer) for v in value)
            return (ph, ph, pw, pw)
        p = self.expression(value, m, key, scope, layer)
        return (p, p, p, p)

    def call(self, entry, block_name, local, scope: _Scope, previous, rounding, stage, depth) -> str:
        display = f"{len(self.layers) + 1} '{scope.prefix}{local or block_name}' (block {block_name})"
        if block_name not in self.blocks:
            known = ", ".join(self.blocks) or "none defined"
            raise self.fail(f"unknown block {block_name!r} (blocks: {known})", entry, "block", display)
        if depth >= MAX_BLOCK_DEPTH:
            raise self.fail(f"blocks nested deeper than {MAX_BLOCK_DEPTH} (a block calling itself?)", entry, "block", display)
        block = self.blocks[block_name]
        params = self.block_args[block_name]
        self.check_keys(entry, CALL_KEYS | set(params), f"a call of block {block_name!r}", display)
        bindings = {}
        for arg, default in params.items():
            if arg in entry:
                bindings[arg] = self.expression(entry[arg], entry, arg, scope, display)
            elif default is None:
                raise self.fail(f"block {block_name!r} needs argument {arg!r}", entry, None, display)
            else:
                bindings[arg] = self.expression(default, params, arg, scope, display)
        local = local or scope.auto_name(block_name)
        inputs = self.resolve_inputs(entry, scope, previous, display)
        if len(inputs) != 1:
            raise self.fail("a block call takes one input", entry, "inputs", display)
        inner = _Scope(names={NETWORK_INPUT: inputs[0]}, prefix=f"{scope.prefix}{local}/",
                       bindings={**scope.bindings, **bindings})
        last = self.sequence(block["layers"], block, "layers", inner, rounding, stage, depth + 1)
        if "output" in block:
            out = block["output"]
            if out not in inner.names or out == NETWORK_INPUT:
                raise self.fail(f"block {block_name!r}: output {out!r} is not one of its layers", block, "output")
            last = inner.names[out]
        scope.names[local] = last
        return last


def parse_value(value, what, fail=None, m=None, key=None) -> Fraction:
    """A constant: a number or an expression of numbers only (symbol defaults, --set values)."""
    try:
        node = ex.from_value(value)
    except ex.ExprError as e:
        raise (fail(f"{what}: {e}", m, key) if fail else SpecError(f"{what}: {e}"))
    result = _constant_value(node)
    if result is None or ex.names(node):
        message = f"{what} must be a number, got {value!r}"
        raise (fail(message, m, key) if fail else SpecError(message))
    return result


def _constant_value(node) -> Fraction | None:
    """Evaluate a symbol-free node with fractions (used only for constants: repeat, defaults)."""
    if isinstance(node, ex.Num):
        return node.value
    if isinstance(node, ex.Neg):
        v = _constant_value(node.operand)
        return None if v is None else -v
    if isinstance(node, ex.BinOp):
        a, b = _constant_value(node.left), _constant_value(node.right)
        if a is None or b is None or (node.op in ("/", "//") and b == 0) or (node.op == "**" and a == 0 and b < 0):
            return None
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                "//": lambda: Fraction(a // b), "**": lambda: a ** int(b)}[node.op]()
    if isinstance(node, ex.Call):
        values = [_constant_value(a) for a in node.args]
        if any(v is None for v in values):
            return None
        import math
        return {"floor": lambda: Fraction(math.floor(values[0])), "ceil": lambda: Fraction(math.ceil(values[0])),
                "min": lambda: min(values), "max": lambda: max(values)}[node.func]()
    return None


def _at(m: Map, parent, key) -> Map:
    """Give a mapping made by the loader's caller the position of `parent[key]`."""
    m.marks = {}
    m.line, m.column = parent.where(key) if isinstance(parent, Map) else (None, None)
    return m


def _kind(value) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", Map: "a mapping", list: "a list", Seq: "a list", str: f"the text {value!r}",
            bool: str(value).lower()}.get(type(value), f"{type(value).__name__} {value!r}")
