"""A JSON Schema (draft 2020-12) of the spec format, generated from the layer registry.

`schema()` builds it: the top-level keys, symbols, presets, rounding rules, per-type `defaults`,
blocks, and one definition per layer type with its arguments (kind, default and doc from
`ops.REGISTRY`) and its `first:` overrides, so a new layer type appears in it without touching
this file. Editors' YAML plugins (e.g. the YAML language server: `# yaml-language-server:
$schema=costmodel.schema.json`) use it for completion and validation; `costmodel schema >
costmodel.schema.json` writes it.

The schema is looser than the loader on purpose in two places: arguments a type requires are not
`required` (they may come from the spec's `defaults:`), and expressions are checked only for
their characters. The loader stays the authority; the schema never rejects a spec it accepts.

`validate(instance, schema)` is a small validator for exactly the subset emitted here (type,
properties, required, additionalProperties, enum, oneOf, anyOf, items, minItems, maxItems,
pattern, $ref into $defs). It stays so that `costmodel schema --validate` works with the run-time
dependencies alone and names the path of each problem; the tests hold it to the `jsonschema`
library (the validator editors and check-jsonschema use) on generated specs, valid and mutated.
"""

from __future__ import annotations

import re

from ..ops import ALIASES, FRAMEWORKS, REGISTRY, REQUIRED, Kind

DIALECT = "https://json-schema.org/draft/2020-12/schema"
EXPRESSION_PATTERN = r"^[0-9A-Za-z_+\-*/(),.\s]+$"
CONDITION_PATTERN = r"^[0-9A-Za-z_+\-*/(),.\s<>=!]+$"  # `when:` adds comparisons (and/or/not are words)
NAME_PATTERN = r"^[A-Za-z0-9_.\-]+$"
ROUNDING = ["floor", "ceil", "nearest", "none"]

_REF = lambda name: {"$ref": f"#/$defs/{name}"}  # noqa: E731


def _kind_schema(kind: Kind) -> dict:
    return {
        Kind.INT: _REF("expression"),
        Kind.CHANNELS: _REF("expression"),
        Kind.NUMBER: _REF("expression"),
        Kind.PAIR: _REF("pair"),
        Kind.PADDING: _REF("padding"),
        Kind.BOOL: {"type": "boolean"},
    }[kind]


def _params(op) -> dict:
    """One property per argument of a layer type, with its doc and default."""
    result = {}
    for name, param in op.params.items():
        prop = dict(_kind_schema(param.kind))
        required = " Required (here or in `defaults:`)." if param.default is REQUIRED else ""
        prop["description"] = f"{param.doc or param.kind.value} ({param.kind.value}).{required}"
        if param.default is not REQUIRED and param.default is not None:
            prop["default"] = param.default
        result[name] = prop
    return result


def _common() -> dict:
    """Keys every layer and block call may have."""
    return {
        "name": {"type": "string", "pattern": NAME_PATTERN,
                 "description": "layer name (default: type and a counter, e.g. conv1); 'input' is reserved"},
        "input": {"type": "string", "description": "the one earlier layer (or 'input') this layer reads"},
        "repeat": {**_REF("expression"),
                   "description": "chain this many copies: a whole number or an integer expression over symbols "
                                  "(e.g. ceil(3*depth))"},
        "rounding": _REF("rounding"),
        "stage": {"type": ["string", "number"], "description": "a label carried into the JSON output"},
        "when": {"anyOf": [{"type": "boolean"}, {"type": "string", "pattern": CONDITION_PATTERN}],
                 "description": "keep this entry only if the condition holds: comparisons (== != < <= > >=) "
                                "joined by and/or/not, of constants and block arguments (never symbols)"},
    }


def _first(arguments: dict) -> dict:
    """`first:` on a repeated layer or block call: arguments for the first copy only."""
    return {"type": "object", **arguments,
            "description": "arguments that differ in the first copy only (e.g. {stride: 2})"}


def _layer(op) -> dict:
    names = sorted([op.type, *(alias for alias, target in ALIASES.items() if target == op.type)])
    doc = op.doc or op.type
    if op.zero_cost:
        doc += f" No MACs: {op.zero_cost}."
    properties = {"type": {"enum": names, "description": doc}, **_common(), **_params(op),
                  "first": _first({"properties": {**_params(op), "type": {"type": "string", "description":
                                                              "a layer type of its own for the first iteration"}},
                                   "additionalProperties": False})}
    properties["inputs"] = {"type": "array", "items": {"type": "string"}, "minItems": 2 if op.many_inputs else 1,
                            "description": "earlier layers this layer reads" if op.many_inputs
                            else "the one earlier layer this layer reads, as a list"}
    return {"type": "object", "description": doc, "properties": properties, "required": ["type"],
            "additionalProperties": False}


def _not_a_type(types) -> str:
    """A name that is no layer type or alias (so a layer entry matches exactly one definition)."""
    names = sorted({*types, *ALIASES}, key=lambda n: (-len(n), n))
    return rf"^(?!(?:{'|'.join(re.escape(n) for n in names)})$)[A-Za-z_][A-Za-z_0-9]*$"


def schema() -> dict:
    """The JSON Schema of a spec file, as a dict (json.dumps it)."""
    types = sorted(REGISTRY)
    defs = {
        "expression": {
            "description": "a number or an expression: numbers, symbols, block arguments, + - * / // ** "
                           "(small integer constant exponents), parentheses, floor ceil min max",
            "anyOf": [{"type": "number"}, {"type": "string", "pattern": EXPRESSION_PATTERN}]},
        "pair": {"description": "one value or a [height, width] pair",
                 "anyOf": [_REF("expression"),
                           {"type": "array", "items": _REF("expression"), "minItems": 2, "maxItems": 2}]},
        "padding": {"description": "same | valid | p | [ph, pw] | [[top, bottom], [left, right]]",
                    "anyOf": [{"enum": ["same", "valid"]}, _REF("expression"),
                              {"type": "array", "items": _REF("expression"), "minItems": 2, "maxItems": 2},
                              {"type": "array", "minItems": 2, "maxItems": 2,
                               "items": {"type": "array", "items": _REF("expression"), "minItems": 2,
                                         "maxItems": 2}}]},
        "rounding": {"description": "rounding of fractional channel counts",
                     "anyOf": [{"enum": ROUNDING},
                               {"type": "string", "pattern": r"^multiple_of_[1-9][0-9]{0,3}$"}]},
        "symbol": {"anyOf": [
            _REF("expression"),
            {"type": "object", "properties": {
                "default": {**_REF("expression"), "description": "value when not set (--set NAME=VALUE)"},
                "description": {"type": ["string", "number"]},
                "integer": {"type": "boolean", "description": "only whole values"}},
             "required": ["default"], "additionalProperties": False}]},
        "option": {
            "type": "object", "description": "a structural option: a constant with a finite set of choices, read "
                                             "by when:, block arguments and expressions; each value builds its own tree",
            "properties": {
                "default": {"type": "integer", "description": "one of the choices (a whole number >= 0)"},
                "choices": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 64,
                            "description": "distinct whole numbers >= 0"},
                "description": {"type": ["string", "number"]}},
            "required": ["default", "choices"], "additionalProperties": False},
        "preset": {
            "type": "object",
            "properties": {
                "description": {"type": ["string", "number"], "description": "one line"},
                "values": {"type": "object", "additionalProperties": _REF("expression"),
                           "description": "symbol or option -> number or expression (a --set overrides it)"}},
            "required": ["values"], "additionalProperties": False},
        "block_call": {
            "type": "object", "description": "a call of a block defined under 'blocks:'; other keys are its arguments",
            "properties": {"block": {"type": "string", "description": "the block's name"}, **_common(),
                           "first": _first({"properties": {"block": {"type": "string", "description":
                                                                     "another block for the first iteration"}},
                                            "additionalProperties": _REF("expression")})},
            "required": ["block"], "additionalProperties": _REF("block_value")},
        "block_value": {"description": "a block argument: an expression, a layer type name (used as a layer's "
                                       "type: in the block) or a [height, width] pair",
                        "anyOf": [_REF("expression"),
                                  {"type": "array", "items": _REF("expression"), "minItems": 2, "maxItems": 2}]},
        "layer_by_argument": {
            "type": "object", "description": "a layer whose type: is a block argument holding a layer type",
            "properties": {"type": {"type": "string", "pattern": _not_a_type(types),
                                    "description": "the block argument holding the layer type"},
                           **_common(), "inputs": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
            "required": ["type"], "additionalProperties": {"anyOf": [_REF("padding"), {"type": "boolean"}]}},
        "block_entry": {"oneOf": [_REF(f"layer_{t}") for t in types] + [_REF("block_call"),
                                                                         _REF("layer_by_argument")]},
        "block_layers": {"type": "array", "items": _REF("block_entry"), "minItems": 1},
        "entry": {"oneOf": [_REF(f"layer_{t}") for t in types] + [_REF("block_call")]},
        "layers": {"type": "array", "items": _REF("entry"), "minItems": 1},
        "block": {
            "type": "object",
            "properties": {
                "args": {"description": "arguments: name -> default (null: required), or a list of required names",
                         "anyOf": [{"type": "object", "additionalProperties": {"anyOf": [_REF("block_value"),
                                                                                         {"type": "null"}]}},
                                   {"type": "array", "items": {"type": "string"}}]},
                "layers": _REF("block_layers"),
                "output": {"type": "string", "description": "the layer whose output is the block's (default: last)"},
                "description": {"type": ["string", "number"]}},
            "required": ["layers"], "additionalProperties": False},
        **{f"layer_{t}": _layer(REGISTRY[t]) for t in types},
    }
    defaults = {}
    for name in sorted({*REGISTRY, *ALIASES}):
        op = REGISTRY[ALIASES.get(name, name)]
        defaults[name] = {"type": "object", "properties": _params(op), "additionalProperties": False}
    return {
        "$schema": DIALECT,
        "title": "costmodel network spec",
        "description": "A CNN as YAML layer specs with symbols; see costmodel's README, 'The spec format'.",
        "type": "object",
        "properties": {
            "name": {"type": ["string", "number"]},
            "description": {"type": ["string", "number"]},
            "input": {"description": "[height, width, channels] or a mapping with those keys",
                      "anyOf": [{"type": "array", "items": _REF("expression"), "minItems": 3, "maxItems": 3},
                                {"type": "object", "properties": {k: _REF("expression")
                                                                  for k in ("height", "width", "channels")},
                                 "required": ["height", "width", "channels"], "additionalProperties": False}]},
            "symbols": {"type": "object", "additionalProperties": _REF("symbol"),
                        "description": "the knobs: name -> default, or {default, description, integer}"},
            "options": {"type": "object", "additionalProperties": _REF("option"),
                        "description": "structural options: name -> {default, choices, description} (--set NAME=V, "
                                       "presets)"},
            "presets": {"type": "object", "additionalProperties": _REF("preset"),
                        "description": "named configurations: name -> {description, values} (--preset NAME)"},
            "rounding": _REF("rounding"),
            "defaults_of": {"enum": list(FRAMEWORKS),
                            "description": "whose default arguments a layer gets when the spec leaves one out "
                                           "(default costmodel: conv padding same; pytorch and keras: valid)"},
            "defaults": {"type": "object", "properties": defaults, "additionalProperties": False,
                         "description": "default arguments per layer type"},
            "blocks": {"type": "object", "additionalProperties": _REF("block")},
            "layers": _REF("layers"),
            "exits": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                      "description": "the classifier heads of a multi-exit network, in order (layer names)"},
        },
        "required": ["input", "layers"],
        "additionalProperties": False,
        "$defs": defs,
    }


# --- a validator for the subset above ------------------------------------------------------------

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
SUPPORTED = {"type", "properties", "required", "additionalProperties", "enum", "oneOf", "anyOf", "items",
             "minItems", "maxItems", "pattern", "$ref", "$defs", "$schema", "title", "description", "default"}


def validate(instance, root: dict) -> list[str]:
    """Errors of `instance` against `root` ("path: problem"), empty if it is valid."""
    errors: list[str] = []
    _check(instance, root, root, "$", errors)
    return errors


def _check(value, node: dict, root: dict, path: str, errors: list) -> None:
    unknown = set(node) - SUPPORTED
    if unknown:
        raise ValueError(f"schema keyword(s) {sorted(unknown)} at {path} are outside the validator's subset")
    if "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"only local $refs are supported, got {ref!r}")
        _check(value, root["$defs"][ref[len("#/$defs/"):]], root, path, errors)
    if "type" in node:
        allowed = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if not any(_TYPES[t](value) for t in allowed):
            errors.append(f"{path}: expected {' or '.join(allowed)}, got {type(value).__name__}")
            return
    if "enum" in node and not any(value == e and type(value) is type(e) for e in node["enum"]):
        errors.append(f"{path}: {value!r} is not one of {node['enum']}")
    if "pattern" in node and isinstance(value, str) and not re.search(node["pattern"], value):
        errors.append(f"{path}: {value!r} does not match {node['pattern']}")
    for key, combine in (("anyOf", lambda n: n >= 1), ("oneOf", lambda n: n == 1)):
        if key in node:
            passing = sum(1 for option in node[key] if not _errors_of(value, option, root, path))
            if not combine(passing):
                errors.append(f"{path}: matches {passing} of the {key} alternatives")
    if isinstance(value, dict):
        properties = node.get("properties", {})
        for name in node.get("required", []):
            if name not in value:
                errors.append(f"{path}: missing required {name!r}")
        extra = node.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                _check(item, properties[name], root, f"{path}.{name}", errors)
            elif extra is False:
                errors.append(f"{path}: unexpected key {name!r}")
            elif isinstance(extra, dict):
                _check(item, extra, root, f"{path}.{name}", errors)
    if isinstance(value, list):
        if len(value) < node.get("minItems", 0):
            errors.append(f"{path}: fewer than {node['minItems']} items")
        if "maxItems" in node and len(value) > node["maxItems"]:
            errors.append(f"{path}: more than {node['maxItems']} items")
        if "items" in node:
            for i, item in enumerate(value):
                _check(item, node["items"], root, f"{path}[{i}]", errors)


def _errors_of(value, node, root, path) -> list:
    errors: list[str] = []
    _check(value, node, root, path, errors)
    return errors
