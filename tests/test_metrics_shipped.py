"""Every metric, symbolic == reference, on every shipped spec (specs/**/*.yaml, globbed at run time)
at its default symbol values, with a device profile (roofline) and exits (multi-exit costs)."""

from fractions import Fraction

import pytest

import costmodel
from costmodel import reference_metrics, shipped
from costmodel.analyses import metrics

SPECS = shipped.names()
DEVICE = metrics.load_device(shipped.path("example_device", shipped.PROFILES))
KNOWN_EXITS = {"multi_exit_cifar": ["exit1", "exit2", "exit3"]}


def _exits(network) -> list[str]:
    """The spec's exits if known, else a layer half way through and the last layer."""
    names = [layer.spec.name for layer in network.layers]
    return list(dict.fromkeys([names[len(names) // 2], names[-1]]))


@pytest.mark.parametrize("path", SPECS)
def test_symbolic_equals_reference(path):
    network = costmodel.load_network(shipped.path(path)).at()  # repeat counts over symbols fixed at the defaults
    exits = KNOWN_EXITS.get(path) or _exits(network)
    fractions = [Fraction(1, len(exits))] * len(exits)
    ours = metrics.evaluate(network, dtype="fp16", device=DEVICE, exits=exits, fractions=fractions, verify=False)
    theirs = reference_metrics.compute(network.spec, network.values(), dtype="fp16", device=DEVICE, exits=exits,
                                       fractions=fractions)
    ours.pop("values")
    metrics.compare(ours, theirs)
    assert ours == theirs
    # the totals are the per-layer sums, and the last exit reaching the last layer costs the whole network
    t = ours["totals"]
    assert t["memory_access"] == sum(r["memory_access"] for r in ours["layers"])
    assert t["peak_live"] == max(r["live"] for r in ours["layers"])
    assert t["latency"] == sum(r["latency"] for r in ours["layers"])
    macs = costmodel.analyze(network.spec).totals.macs
    assert ours["exits"][-1]["cumulative_macs"] <= macs


def test_every_spec_is_covered():
    assert "multi_exit_cifar" in SPECS and len(SPECS) > 1
