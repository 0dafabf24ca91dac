"""`costmodel verify`: every shipped spec, random small networks and a planted wrong formula, checked
against PyTorch's own counters (torch.utils.flop_counter on a meta-device graph). Skipped without torch."""

import dataclasses
import functools
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

import costmodel  # noqa: E402
from costmodel import reference, shipped  # noqa: E402
from costmodel.cli import main  # noqa: E402
from costmodel.ops import REGISTRY, Cost  # noqa: E402
from costmodel.bridges.torch_model import BUILDERS, Pad, build_model  # noqa: E402

ROOT = Path(__file__).parent.parent
SPECS = shipped.names()
# a second configuration per spec: thinner, deeper, larger inputs, wherever the spec has the knob
VARIANT = {"alpha": lambda d: "0.5", "delta": lambda d: "2", "resolution": lambda d: 2 * d, "size": lambda d: 2 * d}


@functools.lru_cache(maxsize=None)
def network(path):
    return costmodel.load_network(shipped.path(path))


def configs(path):
    spec = network(path).spec
    variant = {name: VARIANT[name](int(s.default)) for name, s in spec.symbols.items() if name in VARIANT}
    return [{}, variant] if variant else [{}]


@pytest.mark.parametrize("path", SPECS)
def test_every_shipped_spec_agrees_with_pytorch(path):
    for values in configs(path):
        result = costmodel.verify(network(path), values)
        assert result.ok, f"{path} {values}: " + "; ".join(
            f"{layer.name} {layer.mismatches}" for layer in result.mismatched_layers) + str(result.total_mismatches)
        assert len(result.layers) == len(network(path).evaluate(values).rows)


@pytest.mark.parametrize("alpha", ["1", "0.5", "0.25"])
@pytest.mark.parametrize("delta", [1, 2, 4])
def test_mobilenet_cifar_grid(alpha, delta):
    result = costmodel.verify(network("mobilenet_cifar"), {"alpha": alpha, "delta": delta})
    assert result.ok
    # PyTorch's own totals equal costmodel's: 2 FLOPs per MAC, batch norm's buffers as statistics
    assert result.totals_torch["macs"] == result.totals_ours["macs"]
    assert result.totals_torch["params_non_trainable"] == result.totals_ours["params_non_trainable"]


def test_first_layer_by_hand():
    # conv1 of MobileNet-CIFAR: 3x3, stride 2, 'same', 32 filters, no bias, on 32x32x3
    layer = costmodel.verify(network("mobilenet_cifar")).layers[0]
    assert layer.torch["shape"] == (16, 16, 32)
    assert layer.torch["params"] == 3 * 3 * 3 * 32
    assert layer.torch["flops"] == 2 * 16 * 16 * 32 * 3 * 3 * 3


def test_batchnorm_statistics_come_from_the_buffers():
    result = costmodel.verify(costmodel.from_dict({"input": [4, 4, 6], "layers": [{"type": "batchnorm"}]}))
    assert result.layers[0].torch["params"] == 2 * 6  # gamma, beta
    assert result.layers[0].torch["params_non_trainable"] == 2 * 6  # running mean and variance, no counter


def test_model_is_built_on_meta_without_storage():
    spec = network("mobilenet_cifar").spec
    model = build_model(spec, spec.defaults())
    assert all(p.is_meta for p in model.parameters()) and all(b.is_meta for b in model.buffers())


@pytest.mark.parametrize("size, kernel, stride, pads", [
    # out = ceil(n/s); total = (out-1)*s + k - n; TF puts the odd pixel after
    (8, 3, 2, (0, 1)),  # out 4: (4-1)*2 + 3 - 8 = 1
    (7, 3, 2, (1, 1)),  # out 4: (4-1)*2 + 3 - 7 = 2
    (8, 4, 1, (1, 2)),  # out 8: (8-1)*1 + 4 - 8 = 3
    (8, 1, 2, (0, 0)),  # out 4: (4-1)*2 + 1 - 8 = -1 -> 0
])
def test_tensorflow_same_padding_is_explicit_and_asymmetric(size, kernel, stride, pads):
    spec = costmodel.from_dict({"input": [size, size, 2],
                                "layers": [{"type": "conv", "filters": 2, "kernel": kernel, "stride": stride}]})
    module = build_model(spec, {}).layers["l1"]
    pad = module[0] if isinstance(module, torch.nn.Sequential) else None
    assert (pad.pads if pad else (0, 0, 0, 0)) == (pads[0], pads[1], pads[0], pads[1])
    assert isinstance(pad, Pad) or pads == (0, 0)
    assert costmodel.verify(spec).ok


def test_every_layer_type_has_a_torch_builder():
    assert set(BUILDERS) == set(REGISTRY)


def test_a_type_without_torch_counterpart_is_an_error(monkeypatch):
    monkeypatch.delitem(BUILDERS, "relu")
    with pytest.raises(costmodel.SpecError, match="no PyTorch counterpart"):
        costmodel.verify(network("mobilenet_cifar"))


# --- a formula that is wrong in both costmodel and its reference is caught by PyTorch --------------


@pytest.fixture
def dwconv_without_multiplier(monkeypatch):
    """Test double: depthwise MACs that forget the depth multiplier, planted consistently in the
    symbolic formula and in the reference propagator, so costmodel's own check cannot see it."""
    op = REGISTRY["dwconv"]

    def wrong_formula(x, a):
        cost = op.formula(x, a)
        return Cost(cost.shape, cost.params, cost.params_non_trainable, cost.macs / a["multiplier"])

    real_rule = reference.RULES["dwconv"]

    def wrong_rule(args, shapes, values, rounding):
        row = real_rule(args, shapes, values, rounding)
        return {**row, "macs": row["macs"] // reference._integer(args["multiplier"], values, "multiplier")}

    monkeypatch.setitem(REGISTRY, "dwconv", dataclasses.replace(op, formula=wrong_formula))
    monkeypatch.setitem(reference.RULES, "dwconv", wrong_rule)


def test_a_wrong_formula_is_caught(dwconv_without_multiplier):
    path = str(shipped.path("mobilenet_cifar"))
    costmodel.analyze(path, delta=2)  # costmodel's own check passes: both sides are equally wrong
    result = costmodel.verify(path, delta=2)
    assert not result.ok
    bad = result.mismatched_layers
    assert {layer.type for layer in bad} == {"dwconv"} and all(layer.mismatches == ("macs",) for layer in bad)
    first = bad[0]  # ds1/dw: 3x3 depthwise, 32 -> 64 channels on 16x16
    assert first.ours["macs"] == 16 * 16 * 32 * 3 * 3 and first.torch["macs"] == 16 * 16 * 64 * 3 * 3
    assert costmodel.verify(path, delta=1).ok  # with multiplier 1 the mistake cannot show


def test_cli_exit_1_on_a_mismatch(dwconv_without_multiplier, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["verify", "specs/mobilenet_cifar.yaml", "--set", "delta=2"]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH macs: ours 73,728 torch 147,456" in out  # 16*16*32*3*3 vs 16*16*64*3*3
    layers = network("mobilenet_cifar").spec.layers
    depthwise = sum(layer.type == "dwconv" for layer in layers)  # 13 in MobileNet
    assert f"{depthwise} of {len(layers)} layers differ" in out


def test_cli_exit_0_and_table(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["verify", "specs/mobilenet_cifar.yaml", "--set", "alpha=0.5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("verify mobilenet_cifar (alpha=0.5, delta=1, classes=10) against PyTorch 2.")
    assert "convention macs:" in out.splitlines()[1]
    assert out.rstrip().endswith("layers agree") and "MISMATCH" not in out


@pytest.mark.parametrize("args, message", [
    (["verify", "no/such.yaml"], "cannot read spec"),
    (["verify", "specs/mobilenet_cifar.yaml", "--set", "alpha=0.001"], "specs/mobilenet_cifar.yaml:"),
    (["verify", "specs/mobilenet_cifar.yaml", "--convention", "keras"], "invalid choice"),
])
def test_cli_bad_input_exit_2(args, message, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    try:
        status = main(args)
    except SystemExit as e:  # argparse's own errors
        status = e.code
    err = capsys.readouterr().err
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1


def test_verify_with_a_peer_tool_runs_it():
    pytest.importorskip("thop")
    result = costmodel.verify(network("mobilenet_cifar"), convention="thop")
    assert result.ok and result.peer["ops"] == result.peer["expected_ops"]


# --- random small networks ---------------------------------------------------------------------

SAME_SHAPE = ["relu", "relu6", "sigmoid", "tanh", "hard_swish", "hard_sigmoid", "swish", "silu", "elu", "gelu",
              "identity", "softmax", "layernorm", "scale", "stochastic_depth"]


def test_ceil_mode_follows_pytorch():
    # every small case: costmodel's output size against nn.MaxPool2d / AvgPool2d(ceil_mode=True) on meta
    for n in range(2, 12):
        for k, s, p in [(k, s, p) for k in (1, 2, 3, 4) for s in (1, 2, 3) for p in range(k // 2 + 1)]:
            if k > n + 2 * p:
                continue
            for kind, module in [("maxpool", torch.nn.MaxPool2d), ("avgpool", torch.nn.AvgPool2d)]:
                layer = {"type": kind, "kernel": k, "stride": s, "padding": p, "ceil_mode": True}
                ours = costmodel.analyze(costmodel.from_dict({"input": [n, n + 1, 2], "layers": [layer]})).rows[0].shape
                out = module(k, s, p, ceil_mode=True)(torch.zeros(1, 2, n, n + 1, device="meta"))
                assert ours == (out.shape[2], out.shape[3], 2), (n, k, s, p, kind)


def test_adaptive_pooling_follows_pytorch_smaller_inputs_included():
    for n in (1, 2, 5, 6, 7, 13, 14):
        for out in ([7, 7], [6, 6], [1, 1], [3, 2]):
            layer = {"type": "adaptive_avgpool", "output_size": out}
            result = costmodel.verify(costmodel.from_dict({"input": [n, n, 3], "layers": [layer]}))
            assert result.ok and result.layers[0].ours["shape"] == (out[0], out[1], 3), (n, out)


def _padding(draw):
    return draw(st.sampled_from(["same", "valid", 0, 1, [1, 0], [[0, 1], [1, 0]], [[1, 2], [0, 1]]]))


def _candidate(draw, shape, earlier):
    """One layer (a dict) that may fit after a layer of `shape`; the reference decides."""
    h, w, c = shape
    kind = draw(st.sampled_from(["conv", "pointwise", "dwconv", "pool", "global", "fmp", "dense", "bn", "act",
                                 "leaky", "dropout", "flatten", "add", "concat", "split", "shuffle", "channel_pad",
                                 "ceil_pool", "adaptive", "multiply"]))
    k = lambda: draw(st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=2, max_size=2)))
    s = lambda: draw(st.one_of(st.integers(1, 2), st.lists(st.integers(1, 2), min_size=2, max_size=2)))
    if kind == "conv":
        groups = draw(st.sampled_from([g for g in (1, 2, 3) if c % g == 0]))
        filters = draw(st.sampled_from([groups * m for m in (1, 2, 3)] + ([f"{draw(st.integers(2, 9))}*alpha"]
                                                                            if groups == 1 else [])))
        return {"type": "conv", "filters": filters, "kernel": k(), "stride": s(), "padding": _padding(draw),
                "dilation": draw(st.integers(1, 2)), "groups": groups, "bias": draw(st.booleans())}
    if kind == "pointwise":
        groups = draw(st.sampled_from([g for g in (1, 2) if c % g == 0]))
        return {"type": "pointwise", "filters": groups * draw(st.integers(1, 4)), "stride": s(), "groups": groups,
                "bias": draw(st.booleans())}
    if kind == "dwconv":
        return {"type": "dwconv", "kernel": k(), "stride": s(), "padding": _padding(draw),
                "dilation": draw(st.integers(1, 2)), "multiplier": draw(st.integers(1, 3)), "bias": draw(st.booleans())}
    if kind == "pool":
        layer = {"type": draw(st.sampled_from(["maxpool", "avgpool"])), "kernel": k(), "padding": _padding(draw)}
        if draw(st.booleans()):
            layer["stride"] = s()
        return layer
    if kind == "ceil_pool":
        return {"type": draw(st.sampled_from(["maxpool", "avgpool"])), "kernel": k(), "stride": s(), "ceil_mode": True,
                "padding": draw(st.sampled_from(["valid", 0, 1, [1, 0], [[1, 1], [0, 0]]]))}
    if kind == "adaptive":
        size = draw(st.one_of(st.integers(1, 7), st.lists(st.integers(1, 7), min_size=2, max_size=2)))
        return {"type": draw(st.sampled_from(["adaptive_avgpool", "adaptive_maxpool"])), "output_size": size}
    if kind == "multiply":  # the same shape, or channel weights 1x1xC broadcast (either order)
        fits = [n for n, sh in earlier.items() if sh == shape or sh == (1, 1, c) or sh[:2] == shape[:2] and c == 1]
        return {"type": "multiply", "inputs": draw(st.lists(st.sampled_from(fits), min_size=2, max_size=3))}
    if kind == "global":
        return {"type": draw(st.sampled_from(["global_avgpool", "global_maxpool"]))}
    if kind == "fmp":
        if draw(st.booleans()):
            return {"type": "fractional_maxpool", "ratio": draw(st.sampled_from([1.25, 1.5, 2]))}
        return {"type": "fractional_maxpool", "output_size": [draw(st.integers(1, h)), draw(st.integers(1, w))]}
    if kind == "dense":
        return {"type": "dense", "units": draw(st.integers(1, 6)), "bias": draw(st.booleans())}
    if kind == "bn":
        return {"type": "batchnorm", "affine": draw(st.booleans())}
    if kind == "act":
        return {"type": draw(st.sampled_from(SAME_SHAPE))}
    if kind == "leaky":
        return {"type": "leaky_relu", "slope": draw(st.sampled_from([0.1, 0.3]))}
    if kind == "dropout":
        return {"type": "dropout", "rate": draw(st.sampled_from([0, 0.2, 0.5]))}
    if kind == "flatten":
        return {"type": "flatten"}
    if kind in ("add", "concat"):
        same = [n for n, sh in earlier.items() if (sh == shape if kind == "add" else sh[:2] == shape[:2])]
        return {"type": kind, "inputs": draw(st.lists(st.sampled_from(same), min_size=2, max_size=3))}
    if kind == "split":
        parts = draw(st.sampled_from([p for p in (1, 2, 3) if c % p == 0]))
        return {"type": "split", "parts": parts, "index": draw(st.integers(0, parts - 1))}
    if kind == "shuffle":
        return {"type": "shuffle", "groups": draw(st.sampled_from([g for g in (1, 2, 3) if c % g == 0]))}
    return {"type": "channel_pad", "channels": c + draw(st.integers(0, 3))}


@st.composite
def small_networks(draw):
    """A valid random DAG: each candidate layer is kept only if the reference propagator accepts it."""
    shape = (draw(st.integers(3, 12)), draw(st.integers(3, 12)), draw(st.integers(1, 6)))
    spec = {"input": list(shape), "rounding": draw(st.sampled_from(["floor", "ceil", "nearest", "multiple_of_2"])),
            "symbols": {"alpha": draw(st.sampled_from([1, 0.5, 0.75]))}, "layers": []}
    earlier, previous = {"input": shape}, "input"
    for i in range(draw(st.integers(1, 7))):
        if len(earlier) > 1 and draw(st.integers(0, 3)) == 0:  # a branch from an earlier layer
            previous = draw(st.sampled_from(sorted(earlier)))
        layer = {**_candidate(draw, earlier[previous], earlier), "name": f"n{i}"}
        if "inputs" in layer:
            layer["inputs"] = [previous] + layer["inputs"][1:]
        else:
            layer["input"] = previous
        trial = {**spec, "layers": spec["layers"] + [layer]}
        try:
            rows = reference.propagate(costmodel.from_dict(trial), {"alpha": trial["symbols"]["alpha"]})
        except costmodel.SpecError:
            continue
        spec = trial
        earlier[layer["name"]] = rows[-1]["shape"]
        previous = layer["name"]
    if not spec["layers"]:
        spec["layers"] = [{"type": "identity"}]
    return spec


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_networks())
def test_random_small_networks_agree_with_pytorch(spec):
    result = costmodel.verify(costmodel.from_dict(spec))
    assert result.ok, "; ".join(f"{layer.name} ({layer.type}): {layer.mismatches} ours {layer.ours} torch {layer.torch}"
                                for layer in result.mismatched_layers) + str(result.total_mismatches)


def test_stochastic_depth_is_the_identity_at_inference_and_checks_its_rate():
    def spec(rate):
        return costmodel.from_dict({"input": [4, 4, 2], "layers": [{"type": "stochastic_depth", "rate": rate}]})
    result = costmodel.verify(spec(0.2))
    assert result.ok and result.layers[0].torch["shape"] == (4, 4, 2) and result.layers[0].torch["params"] == 0
    with pytest.raises(costmodel.SpecError, match="stochastic_depth rate must be from 0 to 1, got 1.5"):
        costmodel.verify(spec(1.5))
