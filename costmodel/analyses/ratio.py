"""The cost ratio of a depthwise-separable layer thinned by alpha and deepened by delta.

Hybrid MobileNet (Chen & Su 2018), Eqs. (1)-(4): a depthwise k x k conv with depth multiplier
delta on alpha*M channels, then a pointwise conv to alpha*N channels, on a D_F x D_F map. Against
the original (alpha = delta = 1) both the parameter and the MAC ratio are

    ((alpha*D_K^2 + alpha^2*N) * delta) / (D_K^2 + N)  ~=  alpha^2 * delta

Here the layer pair is analysed as a two-layer network by the same machinery as any spec (so the
exact value includes Keras' floor of fractional channel counts and is checked by the reference
propagator), and the paper's closed form is compared with ours symbolically.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..errors import SpecError
from ..network import build
from ..spec import from_dict

LAYER_PAIR = {
    "name": "depthwise-separable layer",
    "input": ["df", "df", "floor(m*alpha)"],
    "rounding": "floor",
    "symbols": {
        "alpha": {"default": 1, "description": "width multiplier"},
        "delta": {"default": 1, "integer": True, "description": "depth multiplier"},
        "m": {"default": 64, "integer": True, "description": "input channels M"},
        "n": {"default": 128, "integer": True, "description": "output channels N"},
        "dk": {"default": 3, "integer": True, "description": "kernel size D_K"},
        "df": {"default": 32, "integer": True, "description": "feature map size D_F"},
    },
    "layers": [
        {"type": "dwconv", "name": "dw", "kernel": "dk", "multiplier": "delta", "bias": False},
        {"type": "pointwise", "name": "pw", "filters": "n*alpha", "bias": False},
    ],
}


def paper_closed_form(alpha, delta, n, dk):
    """((alpha*D_K^2 + alpha^2*N)*delta) / (D_K^2 + N), as printed."""
    return (alpha * dk**2 + alpha**2 * n) * delta / (dk**2 + n)


@dataclass(frozen=True)
class Ratio:
    quantity: str  # "params" or "macs"
    exact: Fraction  # ratio of the two networks' numbers
    closed_form: Fraction | None  # the paper's formula at these values (layer pair only)
    approximation: Fraction  # alpha^2 * delta

    @property
    def relative_error(self) -> float:
        """How far alpha^2*delta is from the exact ratio, relative to it."""
        return float((self.approximation - self.exact) / self.exact)


def _check_knobs(values: dict):
    for name in ("alpha", "delta"):
        if name not in values:
            continue
        if Fraction(values[name]) <= 0:
            raise SpecError(f"{name} must be positive, got {values[name]}")


def layer_ratio(alpha, delta, m=64, n=128, dk=3, df=32) -> list[Ratio]:
    """Ratios for the paper's single layer pair (defaults: its worked example's M, N, D_K, D_F)."""
    values = {"alpha": Fraction(alpha), "delta": Fraction(delta), "m": m, "n": n, "dk": dk, "df": df}
    _check_knobs(values)
    network = build(from_dict(LAYER_PAIR, file="<ratio>"))
    modified = network.evaluate(values).totals
    original = network.evaluate({**values, "alpha": 1, "delta": 1}).totals
    a, d = Fraction(alpha), Fraction(delta)
    closed = paper_closed_form(a, d, Fraction(n), Fraction(dk))
    return [Ratio("params", Fraction(modified.params, original.params), closed, a * a * d),
            Ratio("macs", Fraction(modified.macs, original.macs), closed, a * a * d)]


def smooth_layer_ratio_matches_paper() -> bool:
    """Our closed form with rounding dropped equals the paper's, for all alpha, delta, M, N, D_K, D_F."""
    network = build(from_dict(LAYER_PAIR, file="<ratio>"))
    s = network.symbols
    ones = {s["alpha"]: 1, s["delta"]: 1}
    paper = paper_closed_form(s["alpha"], s["delta"], s["n"], s["dk"])
    for metric in ("params", "macs"):
        # the input's floor(m*alpha) is written in the spec, not a channel rounding: drop it too
        ours = network.total(metric, smooth_form=True).replace(sympy.floor, lambda x: x)
        if sympy.simplify(ours / ours.subs(ones) - paper) != 0:
            return False
    return True


def network_ratio(network, alpha, delta, values: dict | None = None) -> list[Ratio]:
    """Ratios of a whole spec's totals at (alpha, delta) against alpha = delta = 1."""
    missing = [name for name in ("alpha", "delta") if name not in network.spec.symbols]
    if missing:
        raise SpecError(f"the spec declares no symbol {missing[0]!r}; ratio needs alpha and delta",
                        file=network.spec.file)
    values = dict(values or {})
    _check_knobs({"alpha": alpha, "delta": delta})
    modified = network.evaluate({**values, "alpha": alpha, "delta": delta}).totals
    original = network.evaluate({**values, "alpha": 1, "delta": 1}).totals
    for quantity in ("params", "macs"):
        if getattr(original, quantity) == 0:
            raise SpecError(f"{network.spec.name} has no {quantity} at alpha = delta = 1: no ratio", file=network.spec.file)
    a, d = Fraction(alpha), Fraction(delta)
    return [Ratio("params", Fraction(modified.params, original.params), None, a * a * d),
            Ratio("macs", Fraction(modified.macs, original.macs), None, a * a * d)]
