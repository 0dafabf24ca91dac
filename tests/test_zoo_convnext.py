"""specs/imagenet/convnext.yaml: torchvision's ConvNeXt builders, parameters to the unit and MACs as
torchvision prints them; PyTorch agrees at several resolutions."""

import pytest

from zoo import assert_published, assert_verified, network, totals

# torchvision/models/convnext.py, ConvNeXt_{Tiny,Small,Base,Large}_Weights.IMAGENET1K_V1 meta:
# "num_params" and "_ops" (GFLOPS, i.e. multiply-accumulates in billions, 3 decimals)
TORCHVISION = {
    "convnext_tiny": (28_589_128, 4.456),
    "convnext_small": (50_223_688, 8.684),
    "convnext_base": (88_591_464, 15.355),
    "convnext_large": (197_767_336, 34.361),
}


def test_presets_are_the_builders():
    assert sorted(network("convnext").spec.presets) == sorted(TORCHVISION)


@pytest.mark.parametrize("preset", sorted(TORCHVISION))
def test_matches_torchvision(preset):
    assert_published("convnext", preset, *TORCHVISION[preset])


@pytest.mark.parametrize("preset", sorted(TORCHVISION))
def test_no_batch_norm_statistics(preset):
    # layer norms only: torchvision's ConvNeXt has no buffers
    assert totals("convnext", preset).params_non_trainable == 0


def test_small_is_tiny_with_eighteen_more_stage3_blocks():
    # a stage-3 CNBlock at 14x14, width 384: dw 7x7 (49 per channel) + 1x1 384->1536 + 1x1 1536->384
    block_macs = 14 * 14 * (49 * 384 + 384 * 1536 + 1536 * 384)
    # weights and biases: dw 49*384 + 384, layer norm 2*384, 1x1s 384*1536 + 1536 and 1536*384 + 384,
    # layer scale 384
    block_params = 49 * 384 + 384 + 2 * 384 + 384 * 1536 + 1536 + 1536 * 384 + 384 + 384
    tiny, small = totals("convnext", "convnext_tiny"), totals("convnext", "convnext_small")
    assert small.macs - tiny.macs == (27 - 9) * block_macs
    assert small.params - tiny.params == (27 - 9) * block_params


@pytest.mark.slow
def test_agrees_with_pytorch():
    runs = [(p, 224) for p in sorted(TORCHVISION)]
    runs += [(p, r) for p in ("convnext_tiny", "convnext_large") for r in (160, 100)]
    assert_verified("convnext", runs)
