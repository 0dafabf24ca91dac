"""specs/imagenet/googlenet_torchvision.yaml against torchvision's published numbers (torchvision/
models/googlenet.py, GoogLeNet_Weights: "num_params" (without the auxiliary heads) and "_ops" in
GFLOPS = MACs / 1e9, 3 decimals)."""

import pytest

import costmodel

PUBLISHED = {"googlenet": (6624904, 1.498)}  # (num_params, _ops)
# torchvision's Inception(...) arguments: ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj
INCEPTIONS = [(64, 96, 128, 16, 32, 32), (128, 128, 192, 32, 96, 64), (192, 96, 208, 16, 48, 64),
              (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64), (112, 144, 288, 32, 64, 64),
              (256, 160, 320, 32, 128, 128), (256, 160, 320, 32, 128, 128), (384, 192, 384, 48, 128, 128)]


@pytest.fixture(scope="module")
def net():
    return costmodel.load_network("imagenet/googlenet_torchvision")


@pytest.mark.parametrize("preset", sorted(PUBLISHED))
def test_matches_torchvision(net, preset):
    params, gflops = PUBLISHED[preset]
    totals = costmodel.analyze(net, preset=preset).totals
    assert totals.params == params
    assert round(totals.macs / 1e9, 3) == gflops
    bn_channels = 64 + 64 + 192 + sum(sum(widths) for widths in INCEPTIONS)  # one BatchNorm2d per conv
    assert totals.params_non_trainable == 2 * bn_channels  # running mean and variance buffers


def test_branch3_is_3x3_and_the_pools_round_up(net):
    rows = {row.name: row for row in costmodel.analyze(net).rows}
    assert rows["inception3a/branch3/conv"].params == 3 * 3 * 16 * 32  # not 5 * 5: torchvision's quirk
    assert rows["inception3a/concat"].shape == (28, 28, 64 + 128 + 32 + 32)
    assert rows["maxpool1"].shape == (56, 56, 64)  # ceil((112 - 3) / 2) + 1; floor would give 55
    assert rows["maxpool4"].shape == (7, 7, 832)  # 2x2 stride 2
    rows = {row.name: row for row in costmodel.analyze(net, resolution=208).rows}
    assert rows["maxpool4"].shape == (7, 7, 832)  # 208 -> 104 -> 52 -> 26 -> 13 -> ceil(11 / 2) + 1 = 7; floor: 6


@pytest.mark.slow
def test_verify_against_pytorch(net):
    for resolution in (224, 208, 97):
        assert costmodel.verify(net, {"resolution": resolution}).ok, resolution
