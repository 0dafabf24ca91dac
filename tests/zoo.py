"""Shared by the tests/test_zoo_<family>.py files: torchvision's published numbers, checked the way
torchvision rounds them."""

import costmodel


def gflops(macs: int) -> float:
    """torchvision's `_ops`: the MACs in billions, to 3 decimals (its "GFLOPS" count multiply-adds)."""
    return round(macs / 1e9, 3)


def preset_values(network, preset: str) -> dict:
    """The symbol values a preset sets, for `costmodel.verify`."""
    return dict(network.spec.presets[preset].values)


def verify_everywhere(network, presets, others):
    """`costmodel.verify` at every preset's own values, then at each (preset, {symbol: value}) of `others`."""
    runs = [(name, {}) for name in presets] + list(others)
    failed = []
    for name, extra in runs:
        values = {**preset_values(network, name), **extra}
        if not costmodel.verify(network, values).ok:
            failed.append((name, extra))
    return failed
