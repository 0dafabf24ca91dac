"""Layers that keep the shape and cost nothing under the MAC convention, each with its reason,
plus the reshaping ones (flatten, channel split / shuffle / zero-padding)."""

from __future__ import annotations

from typing import Any


from ..errors import SpecError
from ..reference.numbers import _channels, _integer, evaluate
from . import Cost, Kind, Param, register, same_grid, whole_input

ACTIVATION = "activation: no parameters; element-wise, not a multiply-accumulate"


def _same_shape(x, a) -> Cost:
    return Cost(shape=x)


def _module(name: str, *numbers: str, **options):
    """A builder of torch.nn.<name>(*the numeric arguments `numbers`, **options)."""
    def build(args, shapes, values, rounding, device):
        from torch import nn
        return getattr(nn, name)(*(float(evaluate(args[n], values)) for n in numbers), **options)
    return build


def _with_rate(name: str, module):
    """A builder for a layer with a drop probability `rate` (from 0 to 1), of the module `module`."""
    def build(args, shapes, values, rounding, device):
        rate = float(evaluate(args["rate"], values))
        if not 0 <= rate <= 1:
            raise SpecError(f"{name} rate must be from 0 to 1, got {rate}")
        return module(args, shapes, values, rounding, device)
    return build


_torch_dropout = _with_rate("dropout", _module("Dropout", "rate"))
_torch_stochastic_depth = _with_rate("stochastic_depth", _module("Identity"))  # torchvision's StochasticDepth in eval


def _torch_shuffle(args, shapes, values, rounding, device):
    from ..bridges.torch_model import Shuffle
    groups = _integer(args["groups"], values, "groups")
    if shapes[0][2] % groups:
        raise SpecError(f"groups {groups} does not divide input channels {shapes[0][2]}")
    return Shuffle(groups)


ALIASES = {"swish": ("silu",)}  # x * sigmoid(x): PyTorch's SiLU is Keras' swish

for _name, _reason, _family, _torch, _params in [
    ("relu", ACTIVATION, "activations", _module("ReLU"), {}),
    ("relu6", ACTIVATION, "activations", _module("ReLU6"), {}),
    ("leaky_relu", ACTIVATION, "activations", _module("LeakyReLU", "slope"),
     {"slope": Param(Kind.NUMBER, "3/10", "negative slope (Keras' default 0.3)",
                     frameworks=(("pytorch", "1/100"),))}),  # nn.LeakyReLU negative_slope=0.01
    ("sigmoid", ACTIVATION, "activations", _module("Sigmoid"), {}),
    ("tanh", ACTIVATION, "activations", _module("Tanh"), {}),
    ("hard_swish", ACTIVATION, "activations", _module("Hardswish"), {}),
    ("hard_sigmoid", ACTIVATION, "activations", _module("Hardsigmoid"), {}),
    ("swish", ACTIVATION, "activations", _module("SiLU"), {}),
    ("elu", ACTIVATION, "activations", _module("ELU"), {}),
    ("gelu", ACTIVATION, "activations", _module("GELU"), {}),
    ("softmax", "softmax: no parameters; exponentials and a division, not multiply-accumulates", "softmax",
     _module("Softmax", dim=1), {}),
    ("dropout", "dropout: identity at inference", "other", _torch_dropout,
     {"rate": Param(Kind.NUMBER, 0, "drop probability (training only)",
                    frameworks=(("pytorch", "1/2"),))}),  # nn.Dropout p=0.5
    ("identity", "identity: passes its input through", "other", _module("Identity"), {}),
    ("stochastic_depth", "stochastic depth: drops a residual branch in training only, the identity at inference",
     "other", _torch_stochastic_depth, {"rate": Param(Kind.NUMBER, 0, "drop probability (training only)")}),
    ("shuffle", "channel shuffle: a permutation, no arithmetic", "other", _torch_shuffle,
     {"groups": Param(Kind.INT, doc="groups; must divide channels")}),
]:
    register(_name, params=_params, zero_cost=_reason, category="other", family=_family, receptive=same_grid,
             torch=_torch, aliases=ALIASES.get(_name, ()))(_same_shape)

RESHAPE: dict[str, Any] = {"category": "other", "family": "other"}


def _torch_flatten(args, shapes, values, rounding, device):
    from ..bridges.torch_model import Flatten4d
    return Flatten4d()


@register("flatten", zero_cost="flatten: a reshape, no arithmetic", **RESHAPE, receptive=whole_input,
          torch=_torch_flatten)
def flatten(x, a):
    """H x W x C -> 1 x 1 x (H*W*C)."""
    return Cost(shape=(1, 1, x[0] * x[1] * x[2]))


def _torch_split(args, shapes, values, rounding, device):
    from ..bridges.torch_model import Split
    parts = _integer(args["parts"], values, "parts")
    index = _integer(args["index"], values, "index", minimum=0)
    if shapes[0][2] % parts or index >= parts:
        raise SpecError(f"split: {parts} parts of {shapes[0][2]} channels, index {index}")
    return Split(parts, index)


@register("split", zero_cost="channel split: a view, no arithmetic", **RESHAPE, receptive=same_grid,
          torch=_torch_split, label=lambda arg, x, y: "split", params={
    "parts": Param(Kind.INT, 2, "number of equal channel groups"),
    "index": Param(Kind.INT, 0, "which group this layer keeps (0-based)"),
})
def split(x, a):
    """Keep one of `parts` equal channel groups (ShuffleNet v2's channel split)."""
    return Cost(shape=(x[0], x[1], x[2] / a["parts"]))


def _torch_channel_pad(args, shapes, values, rounding, device):
    from ..bridges.torch_model import ChannelPad
    channels = _channels(args["channels"], values, rounding, "channels")
    if channels < shapes[0][2]:
        raise SpecError(f"channels {channels} is fewer than the input channels {shapes[0][2]}")
    return ChannelPad(channels - shapes[0][2])


@register("channel_pad", zero_cost="zero-padding of channels: no arithmetic", **RESHAPE, receptive=same_grid,
          torch=_torch_channel_pad, label=lambda arg, x, y: "pad", params={
    "channels": Param(Kind.CHANNELS, doc="output channels (input channels padded with zeros)"),
})
def channel_pad(x, a):
    """Pad channels with zeros (ResNet's parameter-free 'option A' shortcut)."""
    return Cost(shape=(x[0], x[1], a["channels"]))
