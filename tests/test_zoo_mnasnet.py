"""MnasNet 0.5 ... 1.3 against torchvision's published numbers (torchvision.models.mnasnet,
MNASNet*_Weights.IMAGENET1K_V1 meta: num_params, _ops)."""

from fractions import Fraction

import pytest

import costmodel
from zoo import gflops, preset_values, verify_everywhere

# (preset, torchvision num_params, torchvision _ops in GFLOPS)
PUBLISHED = [
    ("mnasnet0_5", 2218512, 0.104),
    ("mnasnet0_75", 3170208, 0.215),
    ("mnasnet1_0", 4383312, 0.314),
    ("mnasnet1_3", 6282256, 0.526),
]
DEPTHS = [32, 16, 24, 40, 80, 96, 192, 320]  # torchvision's _get_depths, before alpha
# the six _stack calls: (index of the input width in DEPTHS, expansion, repeats)
STACKS = [(1, 3, 3), (2, 3, 3), (3, 6, 3), (4, 6, 2), (5, 6, 4), (6, 6, 1)]


@pytest.fixture(scope="module")
def network():
    return costmodel.load_network("imagenet/mnasnet")


def round_to_multiple_of(val, divisor=8):
    """torchvision's _round_to_multiple_of(val, 8) with round_up_bias 0.9."""
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= 0.9 * val else new_val + divisor


def bn_channels(alpha) -> int:
    """Batch-norm channels: stem, the separable unit's two, each inverted residual's expansion,
    depthwise and projection, and the last conv's 1280."""
    d = [round_to_multiple_of(c * alpha) for c in DEPTHS]
    total = d[0] + d[0] + d[1]
    for i, t, repeats in STACKS:
        widths = [d[i]] + [d[i + 1]] * (repeats - 1)  # the first block takes the previous width
        total += sum(2 * w * t + d[i + 1] for w in widths)
    return total + 1280


@pytest.mark.parametrize("preset, params, ops", PUBLISHED)
def test_params_and_gflops_are_torchvisions(network, preset, params, ops):
    totals = network.evaluate({}, preset=preset).totals
    assert totals.params == params
    assert gflops(totals.macs) == ops


@pytest.mark.parametrize("preset", [p for p, _, _ in PUBLISHED])
def test_batch_norm_statistics_are_torchvisions_buffers(network, preset):
    # torchvision's running_mean and running_var: 2 floats per batch-norm channel
    alpha = Fraction(preset_values(network, preset)["alpha"])
    assert network.evaluate({}, preset=preset).totals.params_non_trainable == 2 * bn_channels(alpha)


def test_widths_round_as_torchvision(network):
    rows = {r.name: r for r in network.evaluate({}, preset="mnasnet0_75").rows}
    assert rows["stem"].shape[2] == 24  # 32 * 0.75 = 24
    assert rows["sep_pw"].shape[2] == 16  # 16 * 0.75 = 12 -> int(12 + 4) // 8 * 8 = 16
    assert rows["stack1.1/expand"].shape[2] == 16 * 3  # t x the rounded input width
    assert rows["last_conv"].shape[2] == 1280  # not scaled


@pytest.mark.slow
def test_verify_agrees_with_pytorch(network):
    presets = [p for p, _, _ in PUBLISHED]
    others = [("mnasnet1_0", {"resolution": 160}), ("mnasnet1_0", {"resolution": 193}),
              ("mnasnet0_5", {"resolution": 128}), ("mnasnet0_5", {"resolution": 257, "classes": 10})]
    assert verify_everywhere(network, presets, others) == []
