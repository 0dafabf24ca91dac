"""`costmodel schema`: the JSON Schema is generated from the registry, every shipped spec fits it,
and its small validator refuses what it should."""

import copy
import json
from pathlib import Path

import pytest

from costmodel import shipped
from costmodel.cli import main
from costmodel.ops import ALIASES, REGISTRY
from costmodel.outputs.schema import DIALECT, schema, validate
from costmodel.spec import read_text as _read_yaml

ROOT = Path(__file__).parent.parent
SPECS = [shipped.path(name) for name in shipped.names()]  # others add specs: whatever is shipped today


def test_cli_prints_the_schema(capsys):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(schema()))
    assert printed["$schema"] == DIALECT == "https://json-schema.org/draft/2020-12/schema"


def test_generated_from_the_registry():
    s = schema()
    for type_, op in REGISTRY.items():
        layer = s["$defs"][f"layer_{type_}"]
        assert type_ in layer["properties"]["type"]["enum"]
        assert set(op.params) <= set(layer["properties"])  # every argument, with its doc
        for arg, param in op.params.items():
            assert param.kind.value in layer["properties"][arg]["description"]
    for alias, target in ALIASES.items():
        assert alias in s["$defs"][f"layer_{target}"]["properties"]["type"]["enum"]
        assert alias in s["properties"]["defaults"]["properties"]
    assert s["$defs"]["layer_conv"]["properties"]["padding"]["default"] == "same"
    assert len(s["$defs"]["entry"]["oneOf"]) == len(REGISTRY) + 1  # every type and the block call
    from costmodel.spec import BLOCK_KEYS, CALL_KEYS, LAYER_KEYS, SYMBOL_KEYS, TOP_KEYS
    assert set(s["properties"]) == TOP_KEYS  # a new top-level key needs its place
    assert set(s["$defs"]["block"]["properties"]) == BLOCK_KEYS
    assert set(s["$defs"]["block_call"]["properties"]) == CALL_KEYS
    assert set(s["$defs"]["symbol"]["anyOf"][1]["properties"]) == SYMBOL_KEYS
    assert LAYER_KEYS <= set(s["$defs"]["layer_relu"]["properties"])


def test_presets_repeat_expressions_and_first():
    spec = copy.deepcopy(GOOD)
    spec["presets"] = {"small": {"description": "half width", "values": {"alpha": "1/2", "k": 5}}}
    spec["layers"][1].update(repeat="ceil(3*alpha)", first={"s": 2})  # a block call: any argument
    spec["layers"].insert(1, {"type": "pointwise", "filters": 8, "repeat": "k", "first": {"stride": 2}})
    assert validate(spec, schema()) == []
    for mutate, problem in [
            (lambda s: s["presets"]["small"].pop("values"), "$.presets.small: missing required 'values'"),
            (lambda s: s["presets"]["small"].update(value={}), "$.presets.small: unexpected key 'value'"),
            (lambda s: s["presets"]["small"]["values"].update(alpha=[1]), "$.presets.small.values.alpha"),
            (lambda s: s["layers"][1]["first"].update(strides=2), "$.layers[1]: matches 0 of the oneOf"),
            (lambda s: s["layers"][2].update(first=[2]), "$.layers[2]: matches 0 of the oneOf")]:
        bad = copy.deepcopy(spec)
        mutate(bad)
        assert any(problem in e for e in validate(bad, schema())), (problem, validate(bad, schema()))


@pytest.mark.parametrize("path", SPECS, ids=[str(p.relative_to(ROOT)) for p in SPECS])
def test_every_shipped_spec_fits(path):
    assert validate(_read_yaml(path.read_text(), str(path)), schema()) == []


def test_cli_validates_files(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [32, 32, 3]\nlayers:\n  - {type: conv, filters: 8, kernel: 3, strides: 2}\n")
    assert main(["schema", "--validate", str(shipped.path("mobilenet_cifar")), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "mobilenet_cifar.yaml: fits the schema" in out and "bad.yaml: $.layers[0]" in out


GOOD = {"input": [32, 32, 3], "symbols": {"alpha": {"default": 1, "description": "width"}, "k": 3},
        "rounding": "multiple_of_8", "defaults": {"conv2d": {"bias": False}},
        "blocks": {"u": {"args": {"c": None, "s": 1}, "layers": [{"type": "dwconv", "kernel": 3, "stride": "s"}]},
                   "v": {"args": ["c"], "layers": [{"type": "pointwise", "filters": "c*alpha"}]}},
        "layers": [{"type": "conv", "name": "stem", "filters": "32*alpha", "kernel": [3, 1],
                    "padding": [[0, 1], [1, 0]]},
                   {"block": "u", "c": 16, "repeat": 2},
                   {"type": "add", "inputs": ["stem", "u"]},
                   {"type": "global_avgpool"}, {"type": "fc", "units": 10}]}


@pytest.mark.parametrize("mutate, problem", [
    (lambda s: s.pop("layers"), "missing required 'layers'"),
    (lambda s: s.update(extra=1), "unexpected key 'extra'"),
    (lambda s: s.update(input=[32, 32]), "$.input: matches 0 of the anyOf"),
    (lambda s: s.update(rounding="up"), "$.rounding: matches 0 of the anyOf"),
    (lambda s: s["layers"][0].update(strides=2), "$.layers[0]: matches 0 of the oneOf"),
    (lambda s: s["layers"][0].update(type="frobnicate"), "$.layers[0]: matches 0 of the oneOf"),
    (lambda s: s["layers"][0].update(bias="yes"), "$.layers[0]: matches 0 of the oneOf"),
    (lambda s: s["layers"][0].update(filters="__import__('os')"), "$.layers[0]: matches 0 of the oneOf"),
    (lambda s: s["layers"][2].update(inputs=["stem"]), "$.layers[2]: matches 0 of the oneOf"),
    (lambda s: s["symbols"].update(beta={"value": 2}), "$.symbols.beta: matches 0 of the anyOf"),
    (lambda s: s["defaults"].update(conv={"filterz": 3}), "$.defaults.conv: unexpected key 'filterz'"),
    (lambda s: s["blocks"]["u"].pop("layers"), "$.blocks.u: missing required 'layers'"),
    (lambda s: s.update(layers=[]), "$.layers: fewer than 1 items"),
    (lambda s: s.update(name=True), "$.name: expected string or number, got bool"),
])
def test_validator_refuses(mutate, problem):
    import copy
    assert validate(GOOD, schema()) == []
    bad = copy.deepcopy(GOOD)
    mutate(bad)
    errors = validate(bad, schema())
    assert any(problem in e for e in errors), errors


def test_validator_subset_semantics():
    root = {"$defs": {"n": {"type": "integer"}}, "type": "array", "items": {"$ref": "#/$defs/n"}, "maxItems": 2}
    assert validate([1, 2], root) == []
    assert validate([1, True], root) == ["$[1]: expected integer, got bool"]  # a bool is not a number
    assert validate([1, 2, 3], root) == ["$: more than 2 items"]
    one_of = {"oneOf": [{"type": "number"}, {"type": "integer"}]}
    assert validate(1.5, one_of) == [] and validate(1, one_of) == ["$: matches 2 of the oneOf alternatives"]
    assert validate(1, {"enum": [True]}) != []  # 1 == True in Python, not in JSON Schema
    with pytest.raises(ValueError, match="outside the validator's subset"):
        validate(1, {"minimum": 0})
