"""EfficientNetV2-S, -M and -L against torchvision's published numbers (torchvision.models.efficientnet,
EfficientNet_V2_*_Weights.IMAGENET1K_V1 meta: num_params, _ops at each weights' crop size)."""

import pytest

import costmodel
from zoo import gflops, verify_everywhere

SPEC = "imagenet/efficientnet_v2"  # S with the option stages = 6, M and L with 7
# (preset, torchvision num_params, torchvision _ops in GFLOPS)
PUBLISHED = [
    ("efficientnet_v2_s", 21458488, 8.366),
    ("efficientnet_v2_m", 54139356, 24.582),
    ("efficientnet_v2_l", 118515272, 56.08),
]
# torchvision's _efficientnet_conf("efficientnet_v2_*"): (fused?, expansion, in, out, blocks) per stage
TABLES = {
    "efficientnet_v2_s": [(True, 1, 24, 24, 2), (True, 4, 24, 48, 4), (True, 4, 48, 64, 4), (False, 4, 64, 128, 6),
                          (False, 6, 128, 160, 9), (False, 6, 160, 256, 15)],
    "efficientnet_v2_m": [(True, 1, 24, 24, 3), (True, 4, 24, 48, 5), (True, 4, 48, 80, 5), (False, 4, 80, 160, 7),
                          (False, 6, 160, 176, 14), (False, 6, 176, 304, 18), (False, 6, 304, 512, 5)],
    "efficientnet_v2_l": [(True, 1, 32, 32, 4), (True, 4, 32, 64, 7), (True, 4, 64, 96, 7), (False, 4, 96, 192, 10),
                          (False, 6, 192, 224, 19), (False, 6, 224, 384, 25), (False, 6, 384, 640, 7)],
}


def bn_channels(table) -> int:
    """Batch-norm channels: the stem's, per fused block its conv's (t = 1) or expansion's and
    projection's, per MBConv its expansion's, depthwise's and projection's, and the last 1280."""
    total = table[0][2]
    for fused, t, cin, out, n in table:
        for block in range(n):
            expanded = (cin if block == 0 else out) * t  # all widths are multiples of 8
            if fused:
                total += out if t == 1 else expanded + out
            else:
                total += 2 * expanded + out
    return total + 1280


@pytest.mark.parametrize("preset, params, ops", PUBLISHED)
def test_params_and_gflops_are_torchvisions(preset, params, ops):
    totals = costmodel.analyze(SPEC, preset=preset).totals
    assert totals.params == params
    assert gflops(totals.macs) == ops


@pytest.mark.parametrize("preset", [p for p, _, _ in PUBLISHED])
def test_batch_norm_statistics_are_torchvisions_buffers(preset):
    # torchvision's running_mean and running_var: 2 floats per batch-norm channel
    totals = costmodel.analyze(SPEC, preset=preset).totals
    assert totals.params_non_trainable == 2 * bn_channels(TABLES[preset])


def test_fused_blocks_fuse_the_expansion_into_the_3x3():
    rows = {r.name: r for r in costmodel.analyze(SPEC, preset="efficientnet_v2_s").rows}
    assert rows["stage1.1/conv"].params == 3 * 3 * 24 * 24  # t = 1: one 3x3 conv, no 1x1
    assert "stage1.1/add" in rows  # 24 -> 24 at stride 1: the first block adds too
    assert rows["stage2.1/expand"].params == 3 * 3 * 24 * 96  # 3x3 to 4 x 24
    assert rows["stage2.1/project"].params == 96 * 48
    assert rows["stage4.1/se_fc1"].params == 256 * 16 + 16  # SE to 64 // 4 = 16, with bias


def test_s_has_six_stages_m_and_l_seven():
    for preset, table in TABLES.items():
        evaluation = costmodel.analyze(SPEC, preset=preset)
        stages = {r.name.split(".")[0] for r in evaluation.rows if r.name.startswith("stage")}
        assert stages == {f"stage{k}" for k in range(1, len(table) + 1)}
        assert evaluation.network.spec.option_values == {"stages": len(table)}


@pytest.mark.slow
def test_verify_agrees_with_pytorch():
    network = costmodel.load_network(SPEC)
    others = [("efficientnet_v2_s", {"resolution": 224}), ("efficientnet_v2_s", {"resolution": 301}),
              ("efficientnet_v2_m", {"resolution": 224}), ("efficientnet_v2_l", {"resolution": 257, "n5": 3})]
    assert verify_everywhere(network, ["efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"], others) == []
