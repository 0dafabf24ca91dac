"""The pycls profile, layer type by layer type: its flops (multiply-adds), params and acts as
pycls/models/blocks.py counts them (conv2d_cx, norm2d_cx, layernorm_cx, pool2d_cx, gap2d_cx,
linear_cx, SE.complexity), the arithmetic written out; the types pycls has no module for are errors;
report and explain carry the acts."""

import json
from pathlib import Path

import pytest

import costmodel
from costmodel.analyses import conventions
from costmodel.cli import main
from costmodel.errors import SpecError

ROOT = Path(__file__).parent.parent


def pycls(input_shape, *layers):
    """(flops, params, acts) of a small network under the pycls profile."""
    evaluation = costmodel.analyze(costmodel.from_dict({"input": list(input_shape), "layers": list(layers)}))
    t = conventions.totals(evaluation, "pycls")
    assert set(t) == {"convention", "unit", "ops", "params", "acts"} and t["unit"] == "MACs"
    return t["ops"], t["params"], t["acts"]


CASES = [
    # (name, input, layers, (flops, params, acts))
    ("3x3 conv 32->64 on 56x56", (56, 56, 32), [{"type": "conv", "filters": 64, "kernel": 3, "padding": 1, "bias": False}],
     (56 * 56 * 3 * 3 * 32 * 64, 3 * 3 * 32 * 64, 56 * 56 * 64)),
    ("the same with a bias: one add per output", (56, 56, 32), [{"type": "conv", "filters": 64, "kernel": 3, "padding": 1}],
     (56 * 56 * 3 * 3 * 32 * 64 + 56 * 56 * 64, 3 * 3 * 32 * 64 + 64, 56 * 56 * 64)),
    ("stride 2: (56 - 1) // 2 + 1 = 28", (56, 56, 32),
     [{"type": "conv", "filters": 64, "kernel": 3, "stride": 2, "padding": 1, "bias": False}],
     (28 * 28 * 3 * 3 * 32 * 64, 3 * 3 * 32 * 64, 28 * 28 * 64)),
    ("4 groups", (56, 56, 32), [{"type": "conv", "filters": 64, "kernel": 3, "padding": 1, "groups": 4, "bias": False}],
     (56 * 56 * 3 * 3 * 32 * 64 // 4, 3 * 3 * 32 * 64 // 4, 56 * 56 * 64)),
    ("depthwise 5x5 on 28x28x96", (28, 28, 96), [{"type": "dwconv", "kernel": 5, "padding": 2, "bias": False}],
     (28 * 28 * 5 * 5 * 96, 5 * 5 * 96, 28 * 28 * 96)),
    ("1x1 conv 64->256", (14, 14, 64), [{"type": "pointwise", "filters": 256, "bias": False}],
     (14 * 14 * 64 * 256, 64 * 256, 14 * 14 * 256)),
    ("batch norm: params 2C (no running statistics), no flops, no acts", (56, 56, 64), [{"type": "batchnorm"}],
     (0, 2 * 64, 0)),
    ("layer norm: params 2C", (7, 7, 768), [{"type": "layernorm"}], (0, 2 * 768, 0)),
    ("3x3 max pool stride 2 on 112x112x64: acts only", (112, 112, 64),
     [{"type": "maxpool", "kernel": 3, "stride": 2, "padding": 1}], (0, 0, 56 * 56 * 64)),
    ("global average pool: nothing", (7, 7, 2048), [{"type": "global_avgpool"}], (0, 0, 0)),
    ("adaptive average pool to 1x1 is gap2d", (7, 7, 2048), [{"type": "adaptive_avgpool", "output_size": 1}], (0, 0, 0)),
    ("linear 2048 -> 1000 with bias", (1, 1, 2048), [{"type": "dense", "units": 1000}],
     (2048 * 1000 + 1000, 2048 * 1000 + 1000, 1000)),
    ("activations: not counted", (8, 8, 16), [{"type": "relu"}, {"type": "swish"}, {"type": "sigmoid"}, {"type": "gelu"}],
     (0, 0, 0)),
    ("dropout and stochastic depth: not counted", (8, 8, 16), [{"type": "dropout", "rate": 0.2},
                                                               {"type": "stochastic_depth"}], (0, 0, 0)),
    ("residual add: not counted", (8, 8, 16), [{"type": "pointwise", "name": "pw", "filters": 16, "bias": False},
                                               {"type": "add", "inputs": ["input", "pw"]}],
     (8 * 8 * 16 * 16, 16 * 16, 8 * 8 * 16)),
    # SE.complexity: gap2d, 1x1 conv w_in -> w_se with bias, 1x1 conv w_se -> w_in with bias, both on 1x1;
    # the activations and the product x * f_ex(x) cost nothing
    ("squeeze-excitation on 14x14x96, w_se 24", (14, 14, 96), [
        {"type": "global_avgpool", "name": "pool"},
        {"type": "pointwise", "name": "fc1", "filters": 24}, {"type": "relu"},
        {"type": "pointwise", "name": "fc2", "filters": 96}, {"type": "sigmoid", "name": "gate"},
        {"type": "multiply", "inputs": ["input", "gate"]}],
     (96 * 24 + 24 + 24 * 96 + 96, 96 * 24 + 24 + 24 * 96 + 96, 24 + 96)),
]


@pytest.mark.parametrize("name, shape, layers, expected", CASES, ids=[c[0] for c in CASES])
def test_pycls_rule(name, shape, layers, expected):
    assert pycls(shape, *layers) == expected


def test_pycls_flops_are_macs_plus_bias_adds():
    # a conv with bias and a linear with bias: macs counts neither bias, pycls one add per output
    layers = [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1}, {"type": "global_avgpool"},
              {"type": "dense", "units": 5}]
    evaluation = costmodel.analyze(costmodel.from_dict({"input": [8, 8, 3], "layers": layers}))
    macs = 8 * 8 * 3 * 3 * 3 * 4 + 4 * 5
    assert evaluation.totals.macs == macs
    assert conventions.totals(evaluation, "pycls")["ops"] == macs + 8 * 8 * 4 + 5


@pytest.mark.parametrize("layer", [
    {"type": "softmax"},
    {"type": "avgpool", "kernel": 2},
    {"type": "global_maxpool"},
    {"type": "adaptive_avgpool", "output_size": 2},
    {"type": "fractional_maxpool", "ratio": 2},
    {"type": "scale"},
    {"type": "shuffle", "groups": 2},
], ids=lambda layer: layer["type"])
def test_what_pycls_builds_no_module_for_is_an_error(layer):
    with pytest.raises(SpecError, match="convention 'pycls' has no rule for layer type"):
        pycls((4, 4, 4), layer)


def test_concat_is_an_error():
    with pytest.raises(SpecError, match="convention 'pycls' has no rule for layer type 'concat'"):
        pycls((4, 4, 2), {"type": "relu", "name": "r"}, {"type": "concat", "inputs": ["input", "r"]})


def test_the_other_profiles_count_no_acts():
    evaluation = costmodel.analyze(costmodel.from_dict({"input": [4, 4, 2], "layers": [{"type": "relu"}]}))
    for name in conventions.NAMES:
        assert ("acts" in conventions.totals(evaluation, name)) == (name == "pycls")


def run(argv, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    status = main(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


# ResNet-56 on CIFAR (specs/resnet_cifar.yaml, d = 9) by pycls's rules: 3x3 convs at 32, 16, 8 px
R56_FLOPS = (32 * 32 * 9 * 3 * 16  # stem
             + 9 * 2 * 32 * 32 * 9 * 16 * 16  # stage 1: 9 blocks of two 3x3 16 -> 16
             + 16 * 16 * (9 * 16 * 32 + 9 * 32 * 32 + 16 * 32)  # stage 2, first block: 3x3 s2, 3x3, 1x1 projection
             + 8 * 2 * 16 * 16 * 9 * 32 * 32  # stage 2, 8 more blocks
             + 8 * 8 * (9 * 32 * 64 + 9 * 64 * 64 + 32 * 64)  # stage 3, first block
             + 8 * 2 * 8 * 8 * 9 * 64 * 64  # stage 3, 8 more blocks
             + 64 * 10 + 10)  # linear with bias
R56_ACTS = (32 * 32 * 16 + 9 * 2 * 32 * 32 * 16 + 16 * 16 * 32 * (3 + 8 * 2) + 8 * 8 * 64 * (3 + 8 * 2) + 10)


def test_report_shows_and_writes_the_acts(capsys, monkeypatch):
    status, out, _ = run(["report", "resnet_cifar", "--preset", "R-56", "--convention", "pycls"], capsys, monkeypatch)
    assert status == 0 and f"pycls: {R56_FLOPS:,} MACs, 855,770 params, {R56_ACTS:,} acts" in out
    status, out, _ = run(["report", "resnet_cifar", "--preset", "R-56", "--convention", "pycls", "--format", "json"],
                         capsys, monkeypatch)
    doc = json.loads(out)
    assert doc["convention_totals"] == {"convention": "pycls", "unit": "MACs", "ops": R56_FLOPS, "params": 855_770,
                                        "acts": R56_ACTS}
    assert sum(layer["convention_acts"] for layer in doc["layers"]) == R56_ACTS


def test_a_softmax_head_is_bad_input(capsys, monkeypatch):
    status, _, err = run(["report", "mobilenet_cifar", "--convention", "pycls"], capsys, monkeypatch)
    assert status == 2 and "convention 'pycls' has no rule for layer type 'softmax'" in err
    assert "Traceback" not in err


def test_explain_shows_the_acts_and_the_bias_rule(capsys, monkeypatch):
    status, out, _ = run(["explain", "resnet_cifar", "--preset", "R-56", "--vs", "pycls"], capsys, monkeypatch)
    assert status == 0
    assert "pycls acts" in out.splitlines()[5]  # the table's header, after four header lines and a blank
    rows = {line.split()[0]: line for line in out.splitlines() if line.split()[:1] in (["dense"], ["total"])}
    assert "+10" in rows["dense"] and "bias: macs 0, pycls 1 per output element" in rows["dense"]
    assert rows["total"].split()[-1] == f"{R56_ACTS:,}"
    assert "pycls acts: output elements of every conv, linear and max-pool layer" in out


def test_explain_says_whose_defaults_the_spec_takes(capsys, monkeypatch):
    # resnet_cifar declares no defaults_of: costmodel's ('same' padding); the header's fourth line and the JSON say so
    status, out, _ = run(["explain", "resnet_cifar", "--preset", "R-56", "--vs", "pycls"], capsys, monkeypatch)
    assert status == 0 and out.splitlines()[3].startswith("defaults_of costmodel: ")
    status, out, _ = run(["explain", "resnet_cifar", "--vs", "pycls", "--format", "json"], capsys, monkeypatch)
    assert json.loads(out)["defaults_of"] == "costmodel"
