"""The emitted schema in the tools users run: the `jsonschema` library (editors' and CI linters'
validator) and `check-jsonschema` (pre-commit). The schema is a valid draft 2020-12 schema; every
spec the loader accepts (shipped, README, hostile corpus) fits it, under both tools; and costmodel's
own small validator (kept so `costmodel schema --validate` needs no extra) agrees with `jsonschema`
on generated specs, valid and mutated."""

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz import mutated_dicts, valid_specs

import costmodel
from costmodel.outputs.schema import schema, validate
from costmodel.spec import read_yaml

ROOT = Path(__file__).parent.parent
SPECS = sorted((ROOT / "specs").glob("**/*.yaml"))  # whatever is shipped when the tests run
HOSTILE = sorted((ROOT / "tests" / "hostile").glob("*.yaml"))
README_YAML = re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
SCHEMA = schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _loads(path: Path) -> bool:
    """Does the loader accept the file (its structure; shape errors come later, at evaluation)?"""
    try:
        costmodel.load(str(path))
    except costmodel.SpecError:
        return False
    return True


ACCEPTED = [p for p in SPECS + HOSTILE if _loads(p)]


def test_schema_is_a_valid_draft_2020_12_schema():
    document = json.loads(json.dumps(schema()))  # as `costmodel schema` prints it
    assert jsonschema.validators.validator_for(document) is jsonschema.Draft202012Validator
    jsonschema.Draft202012Validator.check_schema(document)  # raises SchemaError on any misuse of a keyword


def test_the_meta_schema_check_can_fail():
    broken = schema()
    broken["$defs"]["layers"]["minItems"] = -1  # the meta-schema wants a non-negative integer
    with pytest.raises(jsonschema.SchemaError):
        jsonschema.Draft202012Validator.check_schema(broken)


def test_corpus_is_picked_up():
    # every shipped spec loads; of the hostile corpus, those whose only problems are shapes (found at evaluation)
    assert set(SPECS) <= set(ACCEPTED)
    hostile = {p.stem for p in ACCEPTED if p in HOSTILE}
    assert {"shape_add_mismatch", "shape_stride_zero", "shape_zero_channels"} <= hostile
    assert not any(stem.startswith(("yaml_", "struct_unknown", "expr_")) for stem in hostile)


@pytest.mark.parametrize("path", ACCEPTED, ids=[str(p.relative_to(ROOT)) for p in ACCEPTED])
def test_every_accepted_spec_fits_under_jsonschema(path):
    instance = read_yaml(str(path))
    assert [e.message for e in VALIDATOR.iter_errors(instance)] == []
    assert validate(instance, SCHEMA) == []


def test_every_accepted_readme_spec_fits():
    accepted = 0
    for text in README_YAML:
        try:
            costmodel.loads(text, file="README.md")
        except costmodel.SpecError:
            continue  # a YAML block that is not a spec (a device profile, a pre-commit config ...)
        accepted += 1
        instance = costmodel.spec.read_text(text, "README.md")
        assert [e.message for e in VALIDATOR.iter_errors(instance)] == [], text
    assert accepted >= 1  # at least 'The spec format' example


def _check_jsonschema(tmp_path, files) -> subprocess.CompletedProcess:
    schema_file = tmp_path / "costmodel.outputs.schema.json"
    schema_file.write_text(json.dumps(schema(), indent=2))
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema_file),
                           *map(str, files)], capture_output=True, text=True, cwd=tmp_path, timeout=300)


def test_check_jsonschema_accepts_the_shipped_specs(tmp_path):
    done = _check_jsonschema(tmp_path, SPECS)  # as a user's pre-commit runs it: its own YAML parser and regexes
    assert done.returncode == 0, done.stdout + done.stderr
    assert "validation done" in done.stdout


def test_check_jsonschema_refuses_a_bad_spec(tmp_path):
    bad = tmp_path / "bad.yaml"  # a typo in a key, and a call in an expression (the pattern, as ECMAScript)
    bad.write_text("input: [32, 32, 3]\nlayers:\n  - {type: conv, filters: 8, kernel: 3, strides: 2}\n")
    call = tmp_path / "call.yaml"
    call.write_text("input: [32, 32, 3]\nlayers:\n  - {type: dense, units: \"__import__('os')\"}\n")
    done = _check_jsonschema(tmp_path, [SPECS[0], bad, call])
    assert done.returncode == 1
    assert "bad.yaml::$.layers[0]" in done.stdout and "call.yaml::$.layers[0]" in done.stdout
    assert SPECS[0].name not in done.stdout


# --- the home-made validator agrees with jsonschema ------------------------------------------------

@st.composite
def with_new_syntax(draw):
    """A valid random spec, perhaps with presets, a symbolic repeat and a `first:` override."""
    spec, _ = draw(valid_specs())
    if draw(st.booleans()):
        spec["presets"] = {"small": {"description": "half width", "values": {"alpha": "1/2", "delta": 1}}}
    if draw(st.booleans()):
        spec["layers"].insert(0, {"block": "unit", "out": 8, "repeat": draw(st.sampled_from([2, "delta", "ceil(2*alpha)"])),
                                  "first": {"s": 2}})
    if draw(st.booleans()):
        spec["layers"].insert(0, {"type": "conv", "filters": 8, "kernel": 3, "repeat": "delta", "first": {"stride": 2}})
    return spec


AGREE = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck),
                 database=None)


def _agree(instance) -> bool:
    ours = validate(instance, SCHEMA)
    theirs = VALIDATOR.is_valid(instance)
    assert (ours == []) == theirs, (ours, [e.message for e in VALIDATOR.iter_errors(instance)][:3])
    return theirs


@AGREE
@given(with_new_syntax())
def test_validators_agree_on_valid_specs(instance):
    assert _agree(instance)  # the generator's specs fit, so the agreement is not vacuous


def test_validators_agree_on_mutated_specs():
    verdicts = []

    @AGREE
    @given(mutated_dicts(with_new_syntax()))
    def campaign(instance):
        verdicts.append(_agree(copy.deepcopy(instance)))

    campaign()
    # both outcomes occur often, so agreement was tested on refusals and acceptances alike
    assert verdicts.count(True) >= 30 and verdicts.count(False) >= 30, (verdicts.count(True), verdicts.count(False))
