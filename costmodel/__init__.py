"""costmodel: closed-form parameters, MACs and activation volume of CNNs described in YAML.

    import costmodel
    result = costmodel.analyze("specs/mobilenet_cifar.yaml", alpha=0.5, delta=2)
    result.totals.macs                          # 5975552, checked against the reference propagator
    result.rows[0].shape                        # (16, 16, 16)
    net = costmodel.load_network("specs/mobilenet_cifar.yaml")
    net.total("macs")                           # sympy expression in alpha, delta, classes
    net.total("macs", smooth_form=True)         # the same without channel rounding
    net.total("macs", alpha=0.5)                # the number, checked (symbols: net.symbols, plain)
    costmodel.analyze("imagenet/resnet50")      # a shipped spec by name (costmodel.shipped.names())

Pipeline: spec (YAML -> NetworkSpec) -> ops (one formula per layer type) -> network (symbolic
walk, totals) -> check (against reference, an independent numeric propagator) -> report / cli.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Union

from .errors import CheckError, SpecError
from .spec import LayerSpec, NetworkSpec, from_dict, load, loads

if TYPE_CHECKING:
    from .bridges.crosscheck import Verification
    from .network import Evaluation, Network

__version__ = "0.1.0"

# What `analyze`, `load_network` and `verify` read: a path, a shipped spec's name, a spec or a network
Source = Union[str, "os.PathLike[str]", NetworkSpec, "Network"]

__all__ = ["analyze", "verify", "build", "load", "loads", "from_dict", "load_network", "LayerSpec", "NetworkSpec",
           "SpecError", "CheckError", "__version__"]


def build(spec: NetworkSpec) -> Network:
    """Closed-form costs of a spec: a `network.Network`."""
    from .network import build as _build
    return _build(spec)


def load_network(source: Source) -> Network:
    """A spec from a path, a shipped spec's name or an already loaded NetworkSpec, analysed
    symbolically (a Network is returned as it is)."""
    from .network import Network

    if isinstance(source, Network):
        return source
    if isinstance(source, NetworkSpec):
        return build(source)
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source: expected a path, a NetworkSpec or a Network, got {type(source).__name__}")
    return build(load(source))


def verify(source: Source, values: Mapping[str, Any] | None = None, *, convention: str = "macs",
           **symbol_values: Any) -> Verification:
    """Cross-check a spec against PyTorch (needs the `torch` extra): a `verify.Verification` with
    `.ok`, `.layers` (per-layer agreements and mismatches) and the totals of both sides."""
    from .bridges.crosscheck import verify as _verify
    return _verify(source, values, convention=convention, **symbol_values)


def analyze(source: Source, values: Mapping[str, Any] | None = None, *, preset: str | None = None,
            **symbol_values: Any) -> Evaluation:
    """Numbers for one configuration, checked against the reference propagator: an `Evaluation`
    with `.rows`, `.totals`, `.breakdown()` and `.network` (the closed forms). `preset` names one of
    the spec's `presets:`; values given here override its values."""
    if values is not None and not isinstance(values, Mapping):
        raise TypeError(f"values: expected a mapping of symbol name to number, got {type(values).__name__}")
    return load_network(source).evaluate({**(values or {}), **symbol_values}, preset=preset)
