"""specs/imagenet/vgg.yaml against torchvision's published numbers (torchvision/models/vgg.py,
the VGG*_Weights enums: "num_params" and "_ops" in GFLOPS = MACs / 1e9, rounded to 3 decimals)."""

from pathlib import Path

import pytest

import costmodel

SPEC = Path(costmodel.__file__).parent / "specs" / "imagenet" / "vgg.yaml"

# preset: (num_params, _ops) from torchvision's VGG11_Weights ... VGG19_BN_Weights
PUBLISHED = {
    "vgg11": (132863336, 7.609),
    "vgg13": (133047848, 11.308),
    "vgg16": (138357544, 15.470),
    "vgg19": (143667240, 19.632),
}
PUBLISHED_BN = {
    "vgg11_bn": (132868840, 7.609),
    "vgg13_bn": (133053736, 11.308),
    "vgg16_bn": (138365992, 15.470),
    "vgg19_bn": (143678248, 19.632),
}
# 3x3 convs per stage (torchvision's cfgs A, B, D, E): the BN channels are 64*d1 + 128*d2 + 256*d3 + 512*(d4 + d5)
DEPTHS = {"vgg11": (1, 1, 2, 2, 2), "vgg13": (2, 2, 2, 2, 2), "vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}


@pytest.fixture(scope="module")
def plain():
    return costmodel.load_network(SPEC)


@pytest.fixture(scope="module")
def with_bn(plain):
    return plain.for_values({"use_bn": 1})  # the option's other tree


def bn_channels(preset):
    d1, d2, d3, d4, d5 = DEPTHS[preset]
    return 64 * d1 + 128 * d2 + 256 * d3 + 512 * (d4 + d5)


@pytest.mark.parametrize("preset", sorted(PUBLISHED))
def test_plain_models_match_torchvision(plain, preset):
    params, gflops = PUBLISHED[preset]
    totals = costmodel.analyze(plain, preset=preset).totals
    assert totals.params == params
    assert round(totals.macs / 1e9, 3) == gflops
    assert totals.params_non_trainable == 0


@pytest.mark.parametrize("preset", sorted(PUBLISHED_BN))
def test_batch_norm_models_match_torchvision(plain, preset):
    params, gflops = PUBLISHED_BN[preset]
    evaluation = costmodel.analyze(plain, preset=preset)  # the preset sets the option use_bn: 1
    totals = evaluation.totals
    base = preset.removesuffix("_bn")
    assert evaluation.network.spec.option_values == {"use_bn": 1}
    assert totals.params == params
    assert totals.params - costmodel.analyze(plain, preset=base).totals.params == 2 * bn_channels(base)  # gamma, beta
    assert totals.params_non_trainable == 2 * bn_channels(base)  # running mean and variance, torchvision's buffers
    assert round(totals.macs / 1e9, 3) == gflops


def test_set_overrides_the_presets_option(plain):
    # --preset vgg16_bn --set use_bn=0 is vgg16: a --set overrides a preset's option as its symbols
    assert costmodel.analyze(plain, {"use_bn": 0}, preset="vgg16_bn").totals == \
        costmodel.analyze(plain, preset="vgg16").totals
    assert costmodel.analyze(plain, {"use_bn": 1}, preset="vgg16").totals == \
        costmodel.analyze(plain, preset="vgg16_bn").totals


def test_the_classifier_sees_7x7_at_any_resolution(plain):
    for resolution in (224, 160, 300):
        rows = {row.name: row for row in costmodel.analyze(plain, preset="vgg16", resolution=resolution).rows}
        assert rows["avgpool"].shape == (7, 7, 512)
        assert rows["fc1"].params == 512 * 7 * 7 * 4096 + 4096


@pytest.mark.slow
def test_verify_against_pytorch(plain, with_bn):
    for net in (plain, with_bn):
        for preset, depths in DEPTHS.items():
            values = dict(zip(("d1", "d2", "d3", "d4", "d5"), depths))
            assert costmodel.verify(net, values).ok, preset
        for resolution in (97, 256):
            assert costmodel.verify(net, {"resolution": resolution}).ok, resolution  # vgg16 (the defaults)
            assert costmodel.verify(net, {**dict(zip(("d1", "d2", "d3", "d4", "d5"), DEPTHS["vgg11"])),
                                          "resolution": resolution}).ok, resolution
