"""specs/imagenet/shufflenet_v2.yaml's presets against torchvision's published numbers
(torchvision/models/shufflenetv2.py, ShuffleNet_V2_X*_Weights: "num_params" and "_ops" in GFLOPS =
MACs / 1e9, 3 decimals; 0.04 is printed without its trailing zero)."""

import pytest

import costmodel

PUBLISHED = {  # preset: (num_params, _ops, torchvision's stages_out_channels)
    "shufflenet_v2_x0_5": (1366792, 0.04, (24, 48, 96, 192, 1024)),
    "shufflenet_v2_x1_0": (2278604, 0.145, (24, 116, 232, 464, 1024)),
    "shufflenet_v2_x1_5": (3503624, 0.296, (24, 176, 352, 704, 1024)),
    "shufflenet_v2_x2_0": (7393996, 0.583, (24, 244, 488, 976, 2048)),
}
REPEATS = (4, 8, 4)  # torchvision's stages_repeats


@pytest.fixture(scope="module")
def net():
    return costmodel.load_network("imagenet/shufflenet_v2")


def bn_channels(channels):
    """One BatchNorm2d per conv: the stride-2 unit normalises its input (branch1's depthwise) and
    four halves of its output, each stride-1 unit three halves."""
    stem, *stages, conv5 = channels
    total, inp = stem, stem
    for out, repeats in zip(stages, REPEATS):
        total += (inp + 4 * (out // 2)) + (repeats - 1) * 3 * (out // 2)
        inp = out
    return total + conv5


@pytest.mark.parametrize("preset", sorted(PUBLISHED))
def test_matches_torchvision(net, preset):
    params, gflops, channels = PUBLISHED[preset]
    totals = costmodel.analyze(net, preset=preset).totals
    assert totals.params == params
    assert round(totals.macs / 1e9, 3) == gflops
    assert totals.params_non_trainable == 2 * bn_channels(channels)  # running mean and variance


def test_the_presets_are_torchvision_s_channels(net):
    for preset, (_, _, channels) in PUBLISHED.items():
        rows = {row.name: row for row in costmodel.analyze(net, preset=preset).rows}
        names = ("conv1", "stage2.3/shuffle", "stage3.7/shuffle", "stage4.3/shuffle", "conv5")  # the last unit of each stage
        assert [rows[name].shape[2] for name in names] == list(channels)


@pytest.mark.slow
def test_verify_against_pytorch(net):
    for preset in PUBLISHED:
        assert costmodel.verify(net, dict(zip(("c2", "c3", "c4", "c5"), PUBLISHED[preset][2][1:]))).ok, preset
    for resolution in (160, 97):
        assert costmodel.verify(net, {"resolution": resolution}).ok, resolution  # x1_0 (the defaults)
        assert costmodel.verify(net, {"c2": 244, "c3": 488, "c4": 976, "c5": 2048, "resolution": resolution}).ok
