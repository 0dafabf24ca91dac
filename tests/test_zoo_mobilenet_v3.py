"""MobileNetV3-Large and -Small (specs/imagenet/mobilenet_v3.yaml, the option `small` picks the
table) against torchvision's published numbers (torchvision.models.mobilenetv3,
MobileNet_V3_Large_Weights / MobileNet_V3_Small_Weights.IMAGENET1K_V1 meta: num_params, _ops)."""

import pytest

import costmodel
from zoo import gflops, verify_everywhere

SPEC = "imagenet/mobilenet_v3"
# (preset, torchvision num_params, torchvision _ops in GFLOPS)
PUBLISHED = [
    ("mobilenet_v3_large", 5483032, 0.217),
    ("mobilenet_v3_small", 2542856, 0.057),
]

# torchvision's bneck tables (_mobilenet_v3_conf): (input, expanded, out) channels of each row
LARGE = [(16, 16, 16), (16, 64, 24), (24, 72, 24), (24, 72, 40), (40, 120, 40), (40, 120, 40),
         (40, 240, 80), (80, 200, 80), (80, 184, 80), (80, 184, 80), (80, 480, 112), (112, 672, 112),
         (112, 672, 160), (160, 960, 160), (160, 960, 160)]
SMALL = [(16, 16, 16), (16, 72, 24), (24, 88, 24), (24, 96, 40), (40, 240, 40), (40, 240, 40),
         (40, 120, 48), (48, 144, 48), (48, 288, 96), (96, 576, 96), (96, 576, 96)]


def bn_channels(table) -> int:
    """Batch-norm channels at alpha = 1: stem 16, per bneck the expansion's (if it expands), the
    depthwise conv's and the projection's, and the last conv's 6 x the last width."""
    bnecks = sum((exp if exp != cin else 0) + exp + out for cin, exp, out in table)
    return 16 + bnecks + 6 * table[-1][2]


@pytest.mark.parametrize("name, params, ops", PUBLISHED)
def test_params_and_gflops_are_torchvisions(name, params, ops):
    totals = costmodel.analyze(SPEC, preset=name).totals
    assert totals.params == params
    assert gflops(totals.macs) == ops


@pytest.mark.parametrize("name, table", [("mobilenet_v3_large", LARGE), ("mobilenet_v3_small", SMALL)])
def test_batch_norm_statistics_are_torchvisions_buffers(name, table):
    # torchvision's running_mean and running_var: 2 floats per batch-norm channel
    totals = costmodel.analyze(SPEC, preset=name).totals
    assert totals.params_non_trainable == 2 * bn_channels(table)


@pytest.mark.parametrize("name, table", [("mobilenet_v3_large", LARGE), ("mobilenet_v3_small", SMALL)])
def test_the_option_builds_the_table_of_its_preset(name, table):
    evaluation = costmodel.analyze(SPEC, preset=name)
    projections = [r for r in evaluation.rows if r.name.endswith("/project")]
    assert [r.shape[2] for r in projections] == [out for _, _, out in table]  # one per bneck, in order
    assert evaluation.network.spec.option_values == {"small": int(table is SMALL)}


def test_the_se_width_is_make_divisible_of_a_quarter():
    rows = {r.name: r for r in costmodel.analyze(SPEC).rows}  # the defaults: Large
    assert rows["features/b4/se_fc1"].shape == (1, 1, 24)  # make_divisible(72 // 4, 8) = 24: 16 < 0.9 * 18
    assert rows["features/b4/se_fc1"].params == 72 * 24 + 24  # 1x1 conv with bias
    assert "features/b1/expand" not in rows and "features/b2/expand" in rows  # no expansion where expanded == input


def test_the_head_widths_follow_the_option():
    large = {r.name: r for r in costmodel.analyze(SPEC, preset="mobilenet_v3_large").rows}
    small = {r.name: r for r in costmodel.analyze(SPEC, preset="mobilenet_v3_small").rows}
    assert large["last_conv"].shape[2] == 6 * 160 and small["last_conv"].shape[2] == 6 * 96
    assert large["fc1"].params == 960 * 1280 + 1280 and small["fc1"].params == 576 * 1024 + 1024


@pytest.mark.slow
def test_verify_agrees_with_pytorch():
    network = costmodel.load_network(SPEC)
    for name in ("mobilenet_v3_large", "mobilenet_v3_small"):
        others = [(name, {"resolution": 160}), (name, {"alpha": "0.75", "resolution": 193})]
        assert verify_everywhere(network, [name], others) == []
