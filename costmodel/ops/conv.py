"""Convolutions: standard and grouped, depthwise (with a depth multiplier), pointwise."""

from __future__ import annotations

from . import Cost, Kind, Param, register
from .spatial import spatial_out

WINDOW = {
    "kernel": Param(Kind.PAIR, doc="kernel size, k or [kh, kw]"),
    "stride": Param(Kind.PAIR, 1, "stride, s or [sh, sw] (1-D strides such as [2, 1] allowed)"),
    "padding": Param(Kind.PADDING, "same", "same | valid | p | [ph, pw] | [[top, bottom], [left, right]]"),
    "dilation": Param(Kind.PAIR, 1, "dilation, d or [dh, dw]"),
}
BIAS = {"bias": Param(Kind.BOOL, True, "one bias per output channel")}


def _conv_category(a) -> str:
    kh, kw = a["kernel"]
    if a["groups"] != 1:
        return f"conv {kh}x{kw} grouped"
    return f"conv {kh}x{kw}"


def conv_cost(x, kernel, stride, padding, dilation, c_out, groups, bias) -> Cost:
    """Shared by conv, pointwise and depthwise: a (possibly grouped) 2-D convolution."""
    h, w = spatial_out(x, kernel, stride, dilation, padding)
    c_in = x[2]
    taps = kernel[0] * kernel[1] * (c_in / groups)  # inputs seen by one output value
    return Cost(
        shape=(h, w, c_out),
        params=taps * c_out  # one kh*kw*(c_in/groups) filter per output channel
        + (c_out if bias else 0),  # one bias per output channel
        macs=h * w * c_out * taps,  # each output value: one multiply-accumulate per tap
    )


@register("conv", category=_conv_category, aliases=("conv2d",), params={
    "filters": Param(Kind.CHANNELS, doc="output channels"), **WINDOW,
    "groups": Param(Kind.INT, 1, "groups; must divide input channels and filters"), **BIAS})
def conv(x, a):
    """Standard, grouped (groups > 1) or dilated 2-D convolution."""
    return conv_cost(x, a["kernel"], a["stride"], a["padding"], a["dilation"], a["filters"], a["groups"], a["bias"])


@register("pointwise", category=lambda a: "conv 1x1" if a["groups"] == 1 else "conv 1x1 grouped",
          aliases=("pwconv",), params={
    "filters": Param(Kind.CHANNELS, doc="output channels"),
    "stride": Param(Kind.PAIR, 1, "stride, s or [sh, sw]"),
    "groups": Param(Kind.INT, 1, "groups (ShuffleNet's gc)"), **BIAS})
def pointwise(x, a):
    """1x1 convolution."""
    one = (1, 1)
    return conv_cost(x, one, a["stride"], "valid", one, a["filters"], a["groups"], a["bias"])


@register("dwconv", category=lambda a: f"conv dw {a['kernel'][0]}x{a['kernel'][1]}",
          aliases=("depthwise",), params={
    **WINDOW, "multiplier": Param(Kind.INT, 1, "depth multiplier: output channels = multiplier * input channels"),
    **BIAS})
def dwconv(x, a):
    """Depthwise convolution: one kh*kw filter per (input channel, multiplier) pair."""
    c_in = x[2]
    return conv_cost(x, a["kernel"], a["stride"], a["padding"], a["dilation"], c_in * a["multiplier"], c_in, a["bias"])
