"""specs/imagenet/densenet{121,161,169,201}.yaml: torchvision's DenseNet builders, parameters to the unit
and MACs as torchvision prints them; batch-norm statistics as torchvision's buffers; PyTorch agrees at
several resolutions. One spec per depth configuration: a dense block's repeat widens its input at every
iteration, so its count must be a constant (see the specs' header)."""

import pytest

from costmodel.analyses import explore
from zoo import assert_published, assert_verified, network, totals

# torchvision/models/densenet.py, DenseNet{121,161,169,201}_Weights.IMAGENET1K_V1 meta: "num_params"
# and "_ops" (GFLOPS, i.e. multiply-accumulates in billions, 3 decimals)
TORCHVISION = {
    "densenet121": (7_978_856, 2.834),
    "densenet161": (28_681_000, 7.728),
    "densenet169": (14_149_480, 3.36),
    "densenet201": (20_013_928, 4.291),
}
# the builders' arguments: growth rate, dense block depths, initial features
CONFIG = {
    "densenet121": (32, (6, 12, 24, 16), 64),
    "densenet161": (48, (6, 12, 36, 24), 96),
    "densenet169": (32, (6, 12, 32, 32), 64),
    "densenet201": (32, (6, 12, 48, 32), 64),
}


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_preset_is_the_builder(name):
    assert sorted(network(name).spec.presets) == [name]


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_matches_torchvision(name):
    assert_published(name, name, *TORCHVISION[name])


def batch_norm_channels(growth, depths, init, bn_size=4):
    channels, total = init, init               # the stem's norm0
    for i, layers in enumerate(depths):
        for _ in range(layers):
            total += channels + bn_size * growth   # norm1 on the layer's input, norm2 on the bottleneck
            channels += growth                     # the concat adds `growth` channels
        total += channels                          # a transition's norm, or norm5 after the last block
        if i < len(depths) - 1:
            channels //= 2                         # the transition halves the channels
    return total


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_batch_norm_statistics(name):
    # torchvision's buffers: running mean and variance, one each per batch-norm channel
    assert totals(name, name).params_non_trainable == 2 * batch_norm_channels(*CONFIG[name])


def test_classifier_width():
    # densenet121: 64 + 6*32 = 256 -> 128, + 12*32 = 512 -> 256, + 24*32 = 1024 -> 512, + 16*32 = 1024
    rows = {r.name: r for r in network("densenet121").evaluate().rows}
    assert rows["classifier"].params == 1024 * 1000 + 1000


@pytest.mark.slow
def test_agrees_with_pytorch():
    for name in sorted(TORCHVISION):
        runs = [(name, 224)] + ([(name, 160), (name, 97)] if name in ("densenet121", "densenet161") else [])
        assert_verified(name, runs)


def test_sweep_over_the_growth_rate():
    # the transitions' `floor(in_channels / 2)` enters the sweep's compiled closed forms
    rows = explore.sweep(network("densenet121"), {"growth": [12, 32]})
    assert [int(m) for m in rows["macs"]] == [totals("densenet121", growth=k).macs for k in (12, 32)]

