"""specs/imagenet/inception_v3.yaml against torchvision's published numbers (torchvision/models/
inception.py, Inception_V3_Weights: "num_params" and "_ops" in GFLOPS = MACs / 1e9, 3 decimals).
torchvision's num_params counts the auxiliary head (built by default, run in training only); the
spec is the inference graph, so the test adds the head's parameters, from InceptionAux's layers."""

import pytest

import costmodel

PUBLISHED = {"inception_v3": (27161264, 5.713)}  # (num_params, _ops)
AUX_HEAD_PARAMS = ((768 * 128 + 2 * 128)            # conv0: 1x1, 768 -> 128, no bias, batch norm
                   + (5 * 5 * 128 * 768 + 2 * 768)  # conv1: 5x5, 128 -> 768, no bias, batch norm
                   + (768 * 1000 + 1000))           # fc: 768 -> 1000 classes, with bias

# one BatchNorm2d per conv: its output channels, from torchvision's constructors
STEM = 32 + 32 + 64 + 80 + 192


def inception_a(pool_features):
    return 64 + 48 + 64 + 64 + 96 + 96 + pool_features


INCEPTION_B = 384 + 64 + 96 + 96


def inception_c(c7):
    return 192 + (c7 + c7 + 192) + (c7 + c7 + c7 + c7 + 192) + 192


INCEPTION_D = (192 + 320) + (192 + 192 + 192 + 192)
INCEPTION_E = 320 + (384 + 384 + 384) + (448 + 384 + 384 + 384) + 192
BN_CHANNELS = (STEM + inception_a(32) + 2 * inception_a(64) + INCEPTION_B + inception_c(128) + 2 * inception_c(160)
               + inception_c(192) + INCEPTION_D + 2 * INCEPTION_E)


@pytest.fixture(scope="module")
def net():
    return costmodel.load_network("imagenet/inception_v3")


@pytest.mark.parametrize("preset", sorted(PUBLISHED))
def test_matches_torchvision(net, preset):
    params, gflops = PUBLISHED[preset]
    evaluation = costmodel.analyze(net, preset=preset)
    assert evaluation.totals.params + AUX_HEAD_PARAMS == params
    assert round(evaluation.totals.macs / 1e9, 3) == gflops  # the aux head does not run at inference
    assert evaluation.totals.params_non_trainable == 2 * BN_CHANNELS  # running mean and variance


def test_factorised_convs_and_grid_sizes(net):
    rows = {row.name: row for row in costmodel.analyze(net).rows}
    assert rows["Conv2d_4a_3x3/relu"].shape == (71, 71, 192)
    assert rows["maxpool2"].shape == (35, 35, 192)  # (71 - 3) // 2 + 1
    assert rows["Mixed_5b/concat"].shape == (35, 35, 64 + 64 + 96 + 32)
    assert rows["Mixed_6a/concat"].shape == (17, 17, 384 + 96 + 288)
    assert rows["Mixed_6b/branch7x7_2/conv"].params == 1 * 7 * 128 * 128  # the 1x7 of channels_7x7 = 128
    assert rows["Mixed_6b/branch7x7_2/conv"].shape == (17, 17, 128)  # padding (0, 3) keeps the map
    assert rows["Mixed_6b/branch7x7_3/conv"].macs == 17 * 17 * 192 * 7 * 1 * 128  # the 7x1
    assert rows["Mixed_7b/concat"].shape == (8, 8, 320 + 2 * 384 + 2 * 384 + 192)


@pytest.mark.slow
def test_verify_against_pytorch(net):
    for resolution in (299, 75, 224):  # 75: torchvision's min_size
        assert costmodel.verify(net, {"resolution": resolution}).ok, resolution
