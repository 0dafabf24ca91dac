"""Counting conventions as profiles: totals on hand-sized networks (the arithmetic written out),
report headers, `explain`, and, where fvcore / ptflops / thop are installed, each profile reproducing
that tool's own total on every shipped spec (run on the translated torch graph)."""

import functools
import json
from pathlib import Path

import pytest

import costmodel
from costmodel import shipped
from costmodel.analyses import conventions
from costmodel.cli import main
from costmodel.errors import SpecError

ROOT = Path(__file__).parent.parent
SPECS = shipped.names()

# 8x8x3 -> conv 4 (3x3, same, bias) 8x8x4 -> bn -> relu -> maxpool 2 4x4x4 -> global avg 1x1x4 -> dense 5 -> softmax
CHAIN = {"input": [8, 8, 3], "layers": [
    {"type": "conv", "filters": 4, "kernel": 3}, {"type": "batchnorm"}, {"type": "relu"},
    {"type": "maxpool", "kernel": 2}, {"type": "global_avgpool"}, {"type": "dense", "units": 5},
    {"type": "softmax"}]}
CONV, DENSE = 8 * 8 * 4 * 3 * 3 * 3, 4 * 5  # MACs: 6912 and 20
N = 8 * 8 * 4  # elements of the conv, bn and relu outputs: 256

# 4x4x2 -> pointwise 2 (no bias) -> add(input, pw) -> concat(input, add) 4x4x4 -> avgpool 2 2x2x4 -> swish -> elu -> gelu
BRANCHES = {"input": [4, 4, 2], "layers": [
    {"type": "pointwise", "name": "pw", "filters": 2, "bias": False},
    {"type": "add", "name": "sum", "inputs": ["input", "pw"]},
    {"type": "concat", "inputs": ["input", "sum"]},
    {"type": "avgpool", "kernel": 2}, {"type": "swish"}, {"type": "elu"}, {"type": "gelu"}]}
PW = 4 * 4 * 2 * 2  # 64 MACs

EXPECTED = {
    # profile: (ops of CHAIN, params of CHAIN, ops of BRANCHES)
    "macs": (CONV + DENSE, 112 + 8 + 25, PW),  # params: conv 3*3*3*4 + 4, bn gamma+beta 2*4, dense 4*5 + 5
    "torch": (2 * (CONV + DENSE), 145, 2 * PW),
    "fvcore": (CONV + 2 * N + 4 * 4 * 4 + DENSE,  # bn 2n with affine; global avg pool: its 4*4*4 inputs
               145, PW),
    "ptflops": ((CONV + N) + 2 * N + 2 * N  # conv + bias per output; bn 2n; relu twice (hook + F.relu)
                + 2 * N + 2 * (4 * 4 * 4)  # maxpool and global avg pool: their inputs, twice
                + (DENSE + 5) + 5,  # dense + bias; softmax n
                145,
                PW + 2 * (4 * 4 * 4) + 16 + 2 * 16 + 2 * 16),  # avgpool 2 x its 64 inputs; swish n; elu, gelu 2n
    "thop": (CONV + 4 * N  # no bias; bn 4n with affine; relu, maxpool 0
             + (4 * 4 + 1) * 4 + DENSE  # global avg pool: (kernel area 16 + 1) per output
             + 1 * (3 * 5 - 1),  # softmax over 5 classes at 1 position
             145,
             PW + 2 * 2 * 4),  # avgpool: 1 per output; activations, add, concat 0
    "keras": ((2 * CONV + N) + 2 * 2 * (4 * 4 * 4)  # Conv2D + BiasAdd; maxpool: 2x2 window per output
              + 4 * 4 * 4 + (2 * DENSE + 5) + 5 * 5,  # Mean over its inputs; MatMul + BiasAdd; softmax 5n
              145 + 8,  # Keras adds batch norm's running mean and variance
              2 * PW + 4 * 4 * 2 + 2 * 2 * 16 + 16),  # AddV2 per output; avgpool 2x2 per output; swish: one Mul
}


# The newer layer types, 6x6x4: layernorm -> scale -> (global avg -> hard_sigmoid) -> multiply 6x6x4 ->
# maxpool 2/2 pad 1 ceil_mode 4x4x4 -> adaptive avg [3, 2] 3x2x4 -> adaptive max 1 1x1x4 -> silu
MODERN = {"input": [6, 6, 4], "layers": [
    {"type": "layernorm"}, {"type": "scale", "name": "ls"}, {"type": "global_avgpool"},
    {"type": "hard_sigmoid", "name": "gate"}, {"type": "multiply", "inputs": ["ls", "gate"]},
    {"type": "maxpool", "kernel": 2, "padding": 1, "ceil_mode": True},  # ceil((6 + 2 - 2)/2) + 1 = 4
    {"type": "adaptive_avgpool", "output_size": [3, 2]}, {"type": "adaptive_maxpool", "output_size": 1},
    {"type": "silu"}]}
M = 6 * 6 * 4  # elements of the layernorm, scale and multiply outputs: 144
MODERN_EXPECTED = {
    # profile: (ops, params); params: layer norm gamma + beta 2*4, scale 4
    "macs": (0, 8 + 4),  # no conv or dense: no MACs
    "torch": (0, 8 + 4),
    "fvcore": (5 * M + M + 4 * 4 * 4, 12),  # aten::layer_norm 5n with affine; adaptive avg pools: their inputs
    "ptflops": (2 * M + 2 * M  # global avg pool and the ceil-mode max pool (padding inside the module): inputs, twice
                + 2 * (4 * 4 * 4) + 2 * (3 * 2 * 4)  # adaptive avg and max pools: inputs, twice
                + 4,  # silu: n; LayerNorm2d, scale, hard_sigmoid and a * b: 0
                12),
    "thop": (int((6 / 1 * (6 / 1) + 1) * 4)  # global avg: (in/out area + 1) per output, in doubles
             + int((4 / 3 * (4 / 2) + 1) * (3 * 2 * 4)),  # adaptive avg to 3x2; max pools 0
             0),  # LayerNorm2d and the scale module are unregistered: their parameters are not counted
}


def evaluate(data):
    return costmodel.analyze(costmodel.from_dict(data))


def test_every_profile_but_pycls_counts_the_hand_sized_networks():
    # pycls has no rule for CHAIN's softmax nor BRANCHES' concat and windowed average pool (an error, as
    # it should be): its rules are tested layer by layer in tests/test_conventions_pycls.py
    assert set(EXPECTED) == set(conventions.NAMES) - {"pycls"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_profile_totals_by_hand(name):
    ops, params, branch_ops = EXPECTED[name]
    assert conventions.totals(evaluate(CHAIN), name) == {
        "convention": name, "unit": conventions.get(name).unit, "ops": ops, "params": params}
    assert conventions.totals(evaluate(BRANCHES), name)["ops"] == branch_ops


@pytest.mark.parametrize("name", sorted(MODERN_EXPECTED))
def test_profile_totals_of_the_newer_types_by_hand(name):
    totals = conventions.totals(evaluate(MODERN), name)
    assert (totals["ops"], totals["params"]) == MODERN_EXPECTED[name]


def test_keras_refuses_pooling_it_does_not_have():
    for layer in ({"type": "adaptive_avgpool", "output_size": 2}, {"type": "maxpool", "kernel": 2, "ceil_mode": True}):
        with pytest.raises(SpecError, match="convention 'keras' has no rule for layer type"):
            conventions.totals(evaluate({"input": [5, 5, 2], "layers": [layer]}), "keras")


def test_keras_counts_one_mul_per_output():
    evaluation = evaluate({"input": [4, 4, 2], "layers": [
        {"type": "scale", "name": "s"}, {"type": "global_avgpool"}, {"type": "multiply", "inputs": ["s", "global_avgpool1"]}]})
    assert conventions.totals(evaluation, "keras")["ops"] == 4 * 4 * 2 + 4 * 4 * 2 + 4 * 4 * 2  # Mul, Mean, Mul


def test_every_profile_is_documented_for_every_family():
    for profile in conventions.PROFILES.values():
        assert set(profile.rules) == set(conventions.FAMILIES), profile.name
        assert profile.header().startswith(f"convention {profile.name}:")
    assert conventions.get("macs").header() == conventions.MACS_HEADER
    table = conventions.readme_table()
    assert all(f"| `{name}`" in table for name in conventions.NAMES)
    assert table in (ROOT / "README.md").read_text()  # the README's conventions table is this one


def test_every_layer_type_has_a_family():
    from costmodel.ops import REGISTRY
    assert set(conventions.FAMILY_OF) == set(REGISTRY)


def test_unknown_convention_is_bad_input():
    with pytest.raises(SpecError, match="unknown convention 'flops'"):
        conventions.get("flops")


def test_explicit_and_same_pads():
    # 'same' on 7 with k 3, s 2: out 4, total (4-1)*2 + 3 - 7 = 2 -> 1 before, 1 after
    assert conventions.explicit_pads("same", (7, 8), (3, 3), (2, 2), (1, 1), {}) == (1, 1, 0, 1)
    assert conventions.explicit_pads("valid", (7, 8), (3, 3), (2, 2), (1, 1), {}) == (0, 0, 0, 0)


def test_padded_pool_counts_the_padded_input():
    # maxpool 3x3, stride 1, 'same' on 5x5x1: padded to 7x7; ptflops counts 2 x 49, keras 9 per output (25)
    spec = {"input": [5, 5, 1], "layers": [{"type": "maxpool", "kernel": 3, "stride": 1, "padding": "same"}]}
    assert conventions.totals(evaluate(spec), "ptflops")["ops"] == 2 * 7 * 7
    assert conventions.totals(evaluate(spec), "keras")["ops"] == 3 * 3 * 5 * 5


# --- report, explain ---------------------------------------------------------------------------


def run(argv, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    status = main(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.mark.parametrize("name", conventions.NAMES)
def test_report_header_names_the_convention(name, capsys, monkeypatch):
    spec = "specs/resnet_cifar.yaml" if name == "pycls" else "specs/mobilenet_cifar.yaml"  # pycls: no softmax rule
    status, out, _ = run(["report", spec, "--convention", name], capsys, monkeypatch)
    assert status == 0 and out.splitlines()[1].startswith(f"convention {name}:")


def test_report_columns_follow_the_convention(tmp_path, capsys, monkeypatch):
    path = tmp_path / "chain.yaml"
    path.write_text(json.dumps(CHAIN))  # JSON is YAML
    _, out, _ = run(["report", str(path), "--convention", "keras"], capsys, monkeypatch)
    assert "FLOPs (keras)" in out
    total = next(line for line in out.splitlines() if line.strip().startswith("total"))
    assert total.split()[1:3] == [f"{145 + 8:,}", f"{EXPECTED['keras'][0]:,}"]
    _, out, _ = run(["report", str(path), "--convention", "thop", "--format", "json"], capsys, monkeypatch)
    doc = json.loads(out)
    assert doc["convention"] == "thop" and doc["convention_totals"]["ops"] == EXPECTED["thop"][0]
    assert sum(layer["ops"] for layer in doc["layers"]) == EXPECTED["thop"][0]
    assert doc["totals"]["macs"] == CONV + DENSE  # the MAC totals stay what they are


def test_symbolic_needs_the_default_convention(capsys, monkeypatch):
    status, _, err = run(["report", "specs/mobilenet_cifar.yaml", "--symbolic", "--convention", "torch"],
                         capsys, monkeypatch)
    assert status == 2 and "--symbolic" in err


def test_explain_names_the_rule_per_layer_type(tmp_path, capsys, monkeypatch):
    path = tmp_path / "chain.yaml"
    path.write_text(json.dumps(CHAIN))
    status, out, _ = run(["explain", str(path), "--convention", "macs", "--vs", "thop"], capsys, monkeypatch)
    assert status == 0
    rows = {line.split()[0]: line for line in out.splitlines() if line and line.split()[0] in
            ("conv", "batchnorm", "relu", "softmax", "total")}
    assert f"+{4 * N:,}" in rows["batchnorm"] and "thop: 2n (4n with affine)" in rows["batchnorm"]
    assert rows["relu"].rstrip().endswith("same") and rows["conv"].rstrip().endswith("same")
    assert f"+{3 * 5 - 1}" in rows["softmax"]
    assert f"{EXPECTED['thop'][0] - (CONV + DENSE):+,}" in rows["total"]
    status, out, _ = run(["explain", str(path), "--convention", "torch", "--vs", "keras"], capsys, monkeypatch)
    assert "params: batch-norm statistics are parameters in keras" in out
    assert "bias:" in out  # conv and dense have a bias: keras adds one per output, torch none


def test_explain_says_why_thop_params_leave_out_layer_norm_and_scale(capsys, monkeypatch):
    status, out, _ = run(["explain", "blocks/convnext_block", "--convention", "fvcore", "--vs", "thop"], capsys,
                         monkeypatch)
    rows = {line.split()[0]: line for line in out.splitlines() if line.split()[:1] in (["layernorm"], ["scale"])}
    for type_, params in (("layernorm", 2 * 96), ("scale", 96)):
        assert f" {params:,} " in rows[type_]  # fvcore counts them, thop does not
        assert "params: thop counts no parameters of this type" in rows[type_]


# --- each profile reproduces its tool ----------------------------------------------------------


@functools.lru_cache(maxsize=None)
def small_config(path):
    """The spec at its defaults, but at the smallest resolution it accepts (to keep the tools'
    real forward passes quick): counting rules do not depend on the input size."""
    network = costmodel.load_network(shipped.path(path))
    if "resolution" in network.spec.symbols:
        for resolution in (32, 64, 96, 128, 160, 224):
            try:
                return network.evaluate({"resolution": resolution})
            except SpecError:
                continue
    return network.evaluate({})


@functools.lru_cache(maxsize=4)
def model_for(key, device):
    """The translated graph and an input: on the CPU with real (zero) tensors for fvcore and ptflops,
    on the meta device for thop, which reads shapes only."""
    from costmodel.bridges.torch_model import build_model, example_input, materialize
    kind, value = key
    if kind == "values":  # a shipped spec at the values given
        path, values = json.loads(value)
        evaluation = costmodel.load_network(shipped.path(path)).evaluate(values)
    else:
        evaluation = small_config(value) if kind == "path" else evaluate(json.loads(value))
    spec = evaluation.spec  # repeat counts fixed at these values
    model = build_model(spec, evaluation.values)
    if device == "cpu":
        model = materialize(model)
    return model, example_input(spec, evaluation.values, device), evaluation


def reproduce(tool, key):
    pytest.importorskip("torch")
    pytest.importorskip(tool)
    model, x, evaluation = model_for(key, "meta" if tool == "thop" else "cpu")
    ops, params = conventions.run_peer(tool, model, x)
    expected = conventions.totals(evaluation, tool)
    assert (ops, params) == (expected["ops"], expected["params"])


@pytest.mark.parametrize("tool", conventions.PEERS)
@pytest.mark.parametrize("case", ["CHAIN", "BRANCHES", "MODERN"])
def test_profile_reproduces_tool_by_hand(case, tool):
    reproduce(tool, ("data", json.dumps(globals()[case])))


@pytest.mark.parametrize("tool", [pytest.param(tool, marks=pytest.mark.slow) if tool != "thop" else tool
                                  for tool in conventions.PEERS])  # fvcore, ptflops: CPU forward passes
@pytest.mark.parametrize("path", SPECS)
def test_profile_reproduces_tool_on_shipped_specs(path, tool):
    reproduce(tool, ("path", path))


@pytest.mark.parametrize("tool", conventions.PEERS)
@pytest.mark.parametrize("path, size", [("blocks/adaptive_head", 58), ("blocks/adaptive_head", 6),
                                        ("blocks/squeeze_excitation", 9)])
def test_profile_reproduces_tool_on_the_newer_types_at_other_sizes(path, size, tool):
    # adaptive_head at 58: ceil-mode pools 29 then 15, adaptive 15 -> 7; at 6: 3 then 2, repeated up to 7x7
    reproduce(tool, ("values", json.dumps([path, {"size": size}])))


# --- a profile reads a layer's facts through its family's definition; no silent zeros ---------------


def test_a_family_a_profile_does_not_know_is_an_error(monkeypatch):
    import dataclasses
    from costmodel.ops import REGISTRY
    evaluation = evaluate({"input": [4, 4, 2], "layers": [{"type": "relu"}]})
    assert conventions.totals(evaluation, "fvcore")["ops"] == 0  # relu: family activations, ignored by fvcore
    monkeypatch.setitem(REGISTRY, "relu", dataclasses.replace(REGISTRY["relu"], family="attention"))
    with pytest.raises(SpecError, match="convention 'fvcore' has no rule for layer type 'relu' .family 'attention'."):
        conventions.totals(evaluation, "fvcore")


def test_a_type_a_per_type_rule_does_not_know_is_an_error(monkeypatch):
    import dataclasses
    from costmodel.ops import REGISTRY
    evaluation = evaluate({"input": [4, 4, 2], "layers": [{"type": "softmax"}]})
    assert conventions.totals(evaluation, "ptflops")["ops"] == 4 * 4 * 2  # softmax family: n
    monkeypatch.setitem(REGISTRY, "softmax", dataclasses.replace(REGISTRY["softmax"], family="activations"))
    with pytest.raises(SpecError, match="convention 'ptflops' has no rule for layer type 'softmax'"):
        conventions.totals(evaluation, "ptflops")


def test_pooling_facts_come_from_the_family_file(monkeypatch):
    import dataclasses
    from costmodel.ops import REGISTRY
    # global average pooling on 3x3x2: fvcore counts the input's elements, 3*3*2
    evaluation = evaluate({"input": [3, 3, 2], "layers": [{"type": "global_avgpool"}]})
    assert conventions.totals(evaluation, "fvcore")["ops"] == 3 * 3 * 2
    op = REGISTRY["global_avgpool"]
    monkeypatch.setitem(REGISTRY, "global_avgpool", dataclasses.replace(op, facts={**op.facts, "pool": "max"}))
    assert conventions.totals(evaluation, "fvcore")["ops"] == 0  # a global max pool: unsupported by fvcore
