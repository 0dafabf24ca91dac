"""Fully connected layers."""

from __future__ import annotations

from . import Cost, Kind, Param, register
import sympy


@register("dense", category="fully connected", aliases=("fc", "linear"), params={
    "units": Param(Kind.CHANNELS, doc="output features"),
    "bias": Param(Kind.BOOL, True, "one bias per output feature"),
})
def dense(x, a):
    """Fully connected layer on the flattened input (H*W*C features), output 1x1xunits."""
    features = x[0] * x[1] * x[2]
    units = a["units"]
    return Cost(
        shape=(sympy.Integer(1), sympy.Integer(1), units),
        params=features * units  # the weight matrix
        + (units if a["bias"] else 0),  # one bias per unit
        macs=features * units,  # each unit: one multiply-accumulate per input feature
    )
