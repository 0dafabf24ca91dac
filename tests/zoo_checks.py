"""Checks shared by tests/test_zoo_<family>.py: a torchvision family's presets against the numbers
torchvision publishes for its builders (weights enums: "num_params", "_ops" = GMACs to 3 decimals)
and against PyTorch's own forward pass (`costmodel.verify` on the meta device)."""

import costmodel
from costmodel import shipped

SPECS = shipped.SPECS / "imagenet"


def network(family: str):
    return costmodel.load_network(SPECS / f"{family}.yaml")


def totals(family: str, preset: str | None = None, **values):
    return costmodel.analyze(SPECS / f"{family}.yaml", values, preset=preset).totals


def assert_published(family: str, preset: str, num_params: int, gmacs: float):
    """params to the unit; MACs rounded as torchvision rounds `_ops` (billions, 3 decimals)."""
    t = totals(family, preset)
    assert t.params == num_params, (preset, t.params - num_params)
    assert round(t.macs / 1e9, 3) == gmacs, (preset, t.macs)


def assert_verified(family: str, runs):
    """runs: (preset, resolution) pairs; each must agree with PyTorch layer by layer."""
    net = network(family)
    for preset, resolution in runs:
        values = {**net.spec.presets[preset].values, "resolution": resolution}
        result = costmodel.verify(net, values)
        assert result.ok, (preset, resolution, result.total_mismatches)
