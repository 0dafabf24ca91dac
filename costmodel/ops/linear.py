"""Fully connected layers."""

from __future__ import annotations


from ..reference.numbers import _channels
from . import Cost, Kind, Param, register, whole_input


def _torch_dense(args, shapes, values, rounding, device):
    from ..bridges.torch_model import Dense
    h, w, c = shapes[0]
    units = _channels(args["units"], values, rounding, "units")
    return Dense(h * w * c, units, args["bias"], device)


@register("dense", category="fully connected", aliases=("fc", "linear"), family="dense", receptive=whole_input,
          torch=_torch_dense, label=lambda arg, x, y: f"fc {y[2]}", params={
    "units": Param(Kind.CHANNELS, doc="output features"),
    "bias": Param(Kind.BOOL, True, "one bias per output feature"),
})
def dense(x, a):
    """Fully connected layer on the flattened input (H*W*C features), output 1x1xunits."""
    features = x[0] * x[1] * x[2]
    units = a["units"]
    return Cost(
        shape=(1, 1, units),
        params=features * units  # the weight matrix
        + (units if a["bias"] else 0),  # one bias per unit
        macs=features * units,  # each unit: one multiply-accumulate per input feature
    )
