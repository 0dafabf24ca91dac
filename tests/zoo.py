"""Shared by the tests/test_zoo_<family>.py files: a torchvision family's presets against the numbers
torchvision publishes for its builders (weights enums: "num_params", "_ops" = GMACs to 3 decimals),
checked the way torchvision rounds them, and against PyTorch's own forward pass (`costmodel.verify`
on the meta device)."""

import costmodel
from costmodel import shipped


def gflops(macs: int) -> float:
    """torchvision's `_ops`: the MACs in billions, to 3 decimals (its "GFLOPS" count multiply-adds)."""
    return round(macs / 1e9, 3)


def preset_values(network, preset: str) -> dict:
    """The symbol and option values a preset sets, for `costmodel.verify`."""
    chosen = network.spec.presets[preset]
    return {**chosen.values, **chosen.options}


def verify_everywhere(network, presets, others):
    """`costmodel.verify` at every preset's own values, then at each (preset, {symbol: value}) of `others`."""
    runs = [(name, {}) for name in presets] + list(others)
    failed = []
    for name, extra in runs:
        values = {**preset_values(network, name), **extra}
        if not costmodel.verify(network, values).ok:
            failed.append((name, extra))
    return failed


SPECS = shipped.SPECS / "imagenet"


def network(family: str):
    return costmodel.load_network(SPECS / f"{family}.yaml")


def totals(family: str, preset: str | None = None, **values):
    return costmodel.analyze(SPECS / f"{family}.yaml", values, preset=preset).totals


def assert_published(family: str, preset: str, num_params: int, gmacs: float):
    """params to the unit; MACs rounded as torchvision rounds `_ops` (billions, 3 decimals)."""
    t = totals(family, preset)
    assert t.params == num_params, (preset, t.params - num_params)
    assert gflops(t.macs) == gmacs, (preset, t.macs)


def assert_verified(family: str, runs):
    """runs: (preset, resolution) pairs; each must agree with PyTorch layer by layer."""
    net = network(family)
    for preset, resolution in runs:
        values = {**preset_values(net, preset), "resolution": resolution}
        result = costmodel.verify(net, values)
        assert result.ok, (preset, resolution, result.total_mismatches)
