"""Layers that keep the shape and cost nothing under the MAC convention, each with its reason,
plus the reshaping ones (flatten, channel split / shuffle / zero-padding)."""

from __future__ import annotations

import sympy

from . import Cost, Kind, Param, register

ACTIVATION = "activation: no parameters; element-wise, not a multiply-accumulate"


def _same_shape(x, a) -> Cost:
    return Cost(shape=x)


for _name, _reason, _params in [
    ("relu", ACTIVATION, {}),
    ("relu6", ACTIVATION, {}),
    ("leaky_relu", ACTIVATION, {"slope": Param(Kind.NUMBER, "3/10", "negative slope (Keras' default 0.3)")}),
    ("sigmoid", ACTIVATION, {}),
    ("tanh", ACTIVATION, {}),
    ("hard_swish", ACTIVATION, {}),
    ("hard_sigmoid", ACTIVATION, {}),
    ("swish", ACTIVATION, {}),
    ("elu", ACTIVATION, {}),
    ("gelu", ACTIVATION, {}),
    ("softmax", "softmax: no parameters; exponentials and a division, not multiply-accumulates", {}),
    ("dropout", "dropout: identity at inference", {"rate": Param(Kind.NUMBER, 0, "drop probability (training only)")}),
    ("identity", "identity: passes its input through", {}),
    ("shuffle", "channel shuffle: a permutation, no arithmetic", {"groups": Param(Kind.INT, doc="groups; must divide channels")}),
]:
    register(_name, params=_params, zero_cost=_reason, category="other")(_same_shape)


@register("flatten", zero_cost="flatten: a reshape, no arithmetic", category="other")
def flatten(x, a):
    """H x W x C -> 1 x 1 x (H*W*C)."""
    return Cost(shape=(sympy.Integer(1), sympy.Integer(1), x[0] * x[1] * x[2]))


@register("split", zero_cost="channel split: a view, no arithmetic", category="other", params={
    "parts": Param(Kind.INT, 2, "number of equal channel groups"),
    "index": Param(Kind.INT, 0, "which group this layer keeps (0-based)"),
})
def split(x, a):
    """Keep one of `parts` equal channel groups (ShuffleNet v2's channel split)."""
    return Cost(shape=(x[0], x[1], x[2] / a["parts"]))


@register("channel_pad", zero_cost="zero-padding of channels: no arithmetic", category="other", params={
    "channels": Param(Kind.CHANNELS, doc="output channels (input channels padded with zeros)"),
})
def channel_pad(x, a):
    """Pad channels with zeros (ResNet's parameter-free 'option A' shortcut)."""
    return Cost(shape=(x[0], x[1], a["channels"]))
