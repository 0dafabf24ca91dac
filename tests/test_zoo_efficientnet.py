"""EfficientNet-B0 ... B7 against torchvision's published numbers (torchvision.models.efficientnet,
EfficientNet_B*_Weights.IMAGENET1K_V1 meta: num_params, _ops at each weights' crop size)."""

import math
from fractions import Fraction

import pytest

import costmodel
from zoo import gflops, preset_values, verify_everywhere

# (preset, torchvision num_params, torchvision _ops in GFLOPS)
PUBLISHED = [
    ("efficientnet_b0", 5288548, 0.386),
    ("efficientnet_b1", 7794184, 0.687),
    ("efficientnet_b2", 9109994, 1.088),
    ("efficientnet_b3", 12233232, 1.827),
    ("efficientnet_b4", 19341616, 4.394),
    ("efficientnet_b5", 30389784, 10.266),
    ("efficientnet_b6", 43040704, 19.068),
    ("efficientnet_b7", 66347960, 37.746),
]
# torchvision's _efficientnet_conf("efficientnet_b*"): (expand ratio, in, out, blocks) per stage
STAGES = [(1, 32, 16, 1), (6, 16, 24, 2), (6, 24, 40, 2), (6, 40, 80, 3), (6, 80, 112, 3), (6, 112, 192, 4),
          (6, 192, 320, 1)]


@pytest.fixture(scope="module")
def network():
    return costmodel.load_network("imagenet/efficientnet")


def make_divisible(v, divisor=8):
    """torchvision's _make_divisible(v, 8): nearest multiple of 8, never below 8 nor 10 % below v."""
    rounded = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * v else rounded


def bn_channels(alpha, depth) -> int:
    """Batch-norm channels as torchvision builds the model: the stem's, each block's expansion
    (t > 1), depthwise and projection, and the last conv's 4 x the last width."""
    total = make_divisible(32 * alpha)
    for t, cin, out, n in STAGES:
        for block in range(math.ceil(n * depth)):
            width = make_divisible((cin if block == 0 else out) * alpha)
            expanded = make_divisible(width * t)
            total += (expanded if t != 1 else 0) + expanded + make_divisible(out * alpha)
    return total + 4 * make_divisible(320 * alpha)


@pytest.mark.parametrize("preset, params, ops", PUBLISHED)
def test_params_and_gflops_are_torchvisions(network, preset, params, ops):
    totals = network.evaluate({}, preset=preset).totals
    assert totals.params == params
    assert gflops(totals.macs) == ops


@pytest.mark.parametrize("preset", [p for p, _, _ in PUBLISHED])
def test_batch_norm_statistics_are_torchvisions_buffers(network, preset):
    # torchvision's running_mean and running_var: 2 floats per batch-norm channel
    values = preset_values(network, preset)
    alpha, depth = Fraction(values["alpha"]), Fraction(values["depth"])
    assert network.evaluate({}, preset=preset).totals.params_non_trainable == 2 * bn_channels(alpha, depth)


def test_stage_depths_are_ceil_of_n_times_depth(network):
    assert "depth" in {str(s) for s in network.total("macs").free_symbols}  # one closed form over depth
    rows = network.evaluate({}, preset="efficientnet_b7").rows  # depth_mult 3.1
    for stage, (_, _, _, n) in enumerate(STAGES, start=1):
        blocks = {r.name.split("/")[0] for r in rows if r.name.startswith(f"stage{stage}.")}
        assert len(blocks) == math.ceil(n * Fraction("3.1"))  # 4, 7, 7, 10, 10, 13, 4


def test_the_se_width_is_a_quarter_of_the_block_input(network):
    rows = {r.name: r for r in network.evaluate({}).rows}
    assert rows["stage2.1/se_fc1"].shape == (1, 1, 4)  # 16 // 4, though the expanded width is 6 * 16 = 96
    assert rows["stage2.1/se_fc1"].params == 96 * 4 + 4  # 1x1 conv with bias
    assert "stage1.1/expand" not in rows and "stage2.1/expand" in rows  # t = 1 has no expansion


@pytest.mark.slow
def test_verify_agrees_with_pytorch(network):
    presets = [p for p, _, _ in PUBLISHED]
    others = [("efficientnet_b0", {"resolution": 160}), ("efficientnet_b0", {"resolution": 193, "alpha": "0.75"}),
              ("efficientnet_b3", {"resolution": 224}), ("efficientnet_b3", {"resolution": 257, "depth": "2.5"})]
    assert verify_everywhere(network, presets, others) == []
