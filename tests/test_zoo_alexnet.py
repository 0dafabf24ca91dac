"""specs/imagenet/alexnet_torchvision.yaml against torchvision's published numbers (torchvision/
models/alexnet.py, AlexNet_Weights: "num_params" and "_ops" in GFLOPS = MACs / 1e9, 3 decimals)."""

import pytest

import costmodel

PUBLISHED = {"alexnet": (61100840, 0.714)}  # (num_params, _ops)


@pytest.fixture(scope="module")
def net():
    return costmodel.load_network("imagenet/alexnet_torchvision")


@pytest.mark.parametrize("preset", sorted(PUBLISHED))
def test_matches_torchvision(net, preset):
    params, gflops = PUBLISHED[preset]
    totals = costmodel.analyze(net, preset=preset).totals
    assert totals.params == params
    assert round(totals.macs / 1e9, 3) == gflops
    assert totals.params_non_trainable == 0  # no batch norm


def test_widths_and_the_adaptive_head(net):
    rows = {row.name: row for row in costmodel.analyze(net).rows}
    assert rows["features/conv1"].shape == (55, 55, 64)  # (224 + 2*2 - 11) // 4 + 1
    assert rows["features/conv2"].params == 5 * 5 * 64 * 192 + 192  # no groups, unlike CaffeNet
    for resolution in (63, 224, 300):  # 63: torchvision's min_size, the last pool is 1x1
        rows = {row.name: row for row in costmodel.analyze(net, resolution=resolution).rows}
        assert rows["avgpool"].shape == (6, 6, 256)
        assert rows["fc1"].params == 256 * 6 * 6 * 4096 + 4096


@pytest.mark.slow
def test_verify_against_pytorch(net):
    for resolution in (224, 63, 300):
        assert costmodel.verify(net, {"resolution": resolution}).ok, resolution
