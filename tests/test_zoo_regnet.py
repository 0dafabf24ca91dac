"""specs/imagenet/regnet_x.yaml and regnet_y.yaml: every torchvision regnet_x_* / regnet_y_* builder,
parameters to the unit and MACs as torchvision prints them; batch-norm statistics as torchvision's
buffers; PyTorch agrees at several resolutions."""

import pytest

from zoo import assert_published, assert_verified, network, totals

# torchvision/models/regnet.py, RegNet_{X,Y}_*_Weights meta: "num_params" and "_ops" (GFLOPS, i.e.
# multiply-accumulates in billions, 3 decimals) of the IMAGENET1K weights at crop 224; regnet_y_128gf
# has only SWAG weights: its IMAGENET1K_SWAG_LINEAR_V1 entry is at crop 224.
TORCHVISION = {
    "regnet_x": {
        "regnet_x_400mf": (5_495_976, 0.414), "regnet_x_800mf": (7_259_656, 0.8),
        "regnet_x_1_6gf": (9_190_136, 1.603), "regnet_x_3_2gf": (15_296_552, 3.177),
        "regnet_x_8gf": (39_572_648, 7.995), "regnet_x_16gf": (54_278_536, 15.941),
        "regnet_x_32gf": (107_811_560, 31.736),
    },
    "regnet_y": {
        "regnet_y_400mf": (4_344_144, 0.402), "regnet_y_800mf": (6_432_512, 0.834),
        "regnet_y_1_6gf": (11_202_430, 1.612), "regnet_y_3_2gf": (19_436_338, 3.176),
        "regnet_y_8gf": (39_381_472, 8.473), "regnet_y_16gf": (83_590_140, 15.912),
        "regnet_y_32gf": (145_046_770, 32.28), "regnet_y_128gf": (644_812_894, 127.518),
    },
}
# the IMAGENET1K_SWAG_E2E_V1 weights are evaluated at crop 384: "_ops" there
SWAG_384 = {"regnet_y_16gf": 46.735, "regnet_y_32gf": 94.826, "regnet_y_128gf": 374.57}

PRESETS = [(family, preset) for family, presets in TORCHVISION.items() for preset in presets]

# The paper's 24 designs: pycls MODEL_ZOO.md (the dds_baselines), "flops (B)" (multiply-accumulates)
# and "params (M)", both to one decimal
PYCLS = {
    "regnet_x": {
        "RegNetX-200MF": (0.2, 2.7), "RegNetX-400MF": (0.4, 5.2), "RegNetX-600MF": (0.6, 6.2),
        "RegNetX-800MF": (0.8, 7.3), "RegNetX-1.6GF": (1.6, 9.2), "RegNetX-3.2GF": (3.2, 15.3),
        "RegNetX-4.0GF": (4.0, 22.1), "RegNetX-6.4GF": (6.5, 26.2), "RegNetX-8.0GF": (8.0, 39.6),
        "RegNetX-12GF": (12.1, 46.1), "RegNetX-16GF": (15.9, 54.3), "RegNetX-32GF": (31.7, 107.8),
    },
    "regnet_y": {
        "RegNetY-200MF": (0.2, 3.2), "RegNetY-400MF": (0.4, 4.3), "RegNetY-600MF": (0.6, 6.1),
        "RegNetY-800MF": (0.8, 6.3), "RegNetY-1.6GF": (1.6, 11.2), "RegNetY-3.2GF": (3.2, 19.4),
        "RegNetY-4.0GF": (4.0, 20.6), "RegNetY-6.4GF": (6.4, 30.6), "RegNetY-8.0GF": (8.0, 39.2),
        "RegNetY-12GF": (12.1, 51.8), "RegNetY-16GF": (15.9, 83.6), "RegNetY-32GF": (32.3, 145.0),
    },
}
PAPER = [(family, preset) for family, presets in PYCLS.items() for preset in presets]


@pytest.mark.parametrize("family", sorted(TORCHVISION))
def test_presets_are_the_builders_and_the_papers_designs(family):
    assert sorted(network(family).spec.presets) == sorted([*TORCHVISION[family], *PYCLS[family]])


@pytest.mark.parametrize("family,preset", PAPER)
def test_papers_designs_match_pycls(family, preset):
    gmacs, mparams = PYCLS[family][preset]
    t = totals(family, preset)
    assert (round(t.macs / 1e9, 1), round(t.params / 1e6, 1)) == (gmacs, mparams)


def test_pycls_and_torchvision_differ_where_their_width_rules_do():
    # the rule generates 392 = 24.5 x 16 for stage 4 (group width 16): pycls's round(392 / 16) * 16
    # rounds half to even (24 x 16 = 384), torchvision's _make_divisible(392, 16) half up (25 x 16)
    x = network("regnet_x").spec.presets
    assert (x["RegNetX-400MF"].values["w4"], x["regnet_x_400mf"].values["w4"]) == (round(24.5) * 16, 25 * 16)
    assert totals("regnet_x", "regnet_x_400mf").params > totals("regnet_x", "RegNetX-400MF").params


@pytest.mark.parametrize("family,preset", PRESETS)
def test_matches_torchvision(family, preset):
    assert_published(family, preset, *TORCHVISION[family][preset])


@pytest.mark.parametrize("preset", sorted(SWAG_384))
def test_swag_resolution_384(preset):
    assert round(totals("regnet_y", preset, resolution=384).macs / 1e9, 3) == SWAG_384[preset]


@pytest.mark.parametrize("family,preset", PRESETS + PAPER)
def test_batch_norm_statistics(family, preset):
    v = network(family).spec.presets[preset].values
    # batch norms: the stem's 32 channels; per block a, b, c at the stage width; the projection's once a stage
    channels = 32 + sum(v[f"d{i}"] * 3 * v[f"w{i}"] + v[f"w{i}"] for i in range(1, 5))
    # torchvision's buffers: running mean and variance, one each per channel
    assert totals(family, preset).params_non_trainable == 2 * channels


def test_regnet_x_8gf_clamps_the_group_width_in_stage_1():
    # group_width 120 > stage-1 width 80: torchvision takes min(120, 80) = 80, so one group there
    v = network("regnet_x").spec.presets["regnet_x_8gf"].values
    assert (v["gw"], v["w1"]) == (120, 80)
    net = network("regnet_x")
    rows = {r.name: r for r in net.evaluate(v).rows}
    # 3x3 conv of the first block, 32 -> 80 at stride 2 (no bias): 3*3*80/1 weights per output channel
    assert rows["block1.1/f/b"].params == 3 * 3 * 80 * 80


@pytest.mark.slow
def test_agrees_with_pytorch():
    for family, presets in TORCHVISION.items():
        smallest = min(presets, key=lambda p: presets[p][0])
        assert_verified(family, [(p, 224) for p in presets] + [(smallest, 160), (smallest, 97)])
    # two of the paper's designs whose widths no torchvision builder has
    assert_verified("regnet_x", [("RegNetX-400MF", 224)])
    assert_verified("regnet_y", [("RegNetY-800MF", 224)])
