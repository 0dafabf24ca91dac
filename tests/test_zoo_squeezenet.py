"""specs/imagenet/squeezenet.yaml against torchvision's published numbers (torchvision/models/
squeezenet.py, SqueezeNet1_0_Weights / SqueezeNet1_1_Weights: "num_params" and "_ops" in GFLOPS =
MACs / 1e9, rounded to 3 decimals)."""

from pathlib import Path

import pytest

import costmodel

SPEC = Path(costmodel.__file__).parent / "specs" / "imagenet" / "squeezenet.yaml"

PUBLISHED = {"squeezenet1_0": (1248424, 0.819), "squeezenet1_1": (1235496, 0.349)}  # (num_params, _ops)


@pytest.fixture(scope="module")
def versions():
    net = costmodel.load_network(SPEC)
    return {name: net.for_values(preset=name) for name in PUBLISHED}  # the presets set the option v1_1


def fire_params(cin, s, e):
    return (cin * s + s) + (s * e + e) + (s * 9 * e + e)  # squeeze 1x1, expand 1x1, expand 3x3, each + bias


@pytest.mark.parametrize("version", sorted(PUBLISHED))
def test_matches_torchvision(versions, version):
    params, gflops = PUBLISHED[version]
    totals = costmodel.analyze(SPEC, preset=version).totals
    assert totals == costmodel.analyze(versions[version]).totals  # the preset's tree at its defaults
    assert totals.params == params
    assert round(totals.macs / 1e9, 3) == gflops
    assert totals.params_non_trainable == 0  # no batch norm


def test_the_pools_round_up_and_the_fires_concatenate(versions):
    rows = {row.name: row for row in costmodel.analyze(versions["squeezenet1_0"]).rows}
    assert rows["features/conv1"].shape == (109, 109, 96)  # (224 - 7) // 2 + 1
    assert rows["features/pool1"].shape == (54, 54, 96)  # ceil((109 - 3) / 2) + 1; floor would give 54 too
    assert rows["features/pool4"].shape == (27, 27, 256)  # ceil((54 - 3) / 2) + 1 = 27; floor: 26
    assert rows["features/fire2/concat"].shape == (54, 54, 64 + 64)
    assert rows["features/fire2/squeeze"].params == 96 * 16 + 16
    rows = {row.name: row for row in costmodel.analyze(versions["squeezenet1_1"]).rows}
    assert rows["features/conv1"].shape == (111, 111, 64)  # (224 - 3) // 2 + 1
    assert rows["features/pool1"].shape == (55, 55, 64)  # ceil((111 - 3) / 2) + 1


def test_fire_parameters(versions):
    params = sum(row.params for row in costmodel.analyze(versions["squeezenet1_1"]).rows
                 if row.name.startswith("features/fire2/"))
    assert params == fire_params(64, 16, 64)


@pytest.mark.slow
def test_verify_against_pytorch(versions):
    for net in versions.values():
        for resolution in (224, 97, 300):
            assert costmodel.verify(net, {"resolution": resolution}).ok, resolution
