"""Convolutions: standard and grouped, depthwise (with a depth multiplier), pointwise."""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from ..reference.conv import conv_numbers
from ..reference.numbers import _channels, _integer, _pair
from . import Cost, Kind, Param, register, window_step
from .spatial import explicit_pads, spatial_out

WINDOW = {
    "kernel": Param(Kind.PAIR, doc="kernel size, k or [kh, kw]"),
    "stride": Param(Kind.PAIR, 1, "stride, s or [sh, sw] (1-D strides such as [2, 1] allowed)"),
    "padding": Param(Kind.PADDING, "same", "same | valid | p | [ph, pw] | [[top, bottom], [left, right]]",
                     frameworks=(("pytorch", "valid"), ("keras", "valid"))),  # nn.Conv2d padding=0, Conv2D 'valid'
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


# --- receptive field: a (dilated) window; pointwise is a 1x1 one -------------------------------

def _window_field(a, x, y):
    return window_step(a["kernel"], a["stride"], a["dilation"])


def _pointwise_field(a, x, y):
    return window_step((1, 1), a["stride"], (1, 1))


# --- PyTorch modules for `verify` (torch imported here, when one is built) --------------------

def torch_conv2d(cin, cout, kernel, stride, padding, dilation, groups, bias, n_hw, values, device):
    """nn.Conv2d with the spec's padding as an explicit (possibly asymmetric) pad before it."""
    from torch import nn

    from ..bridges.torch_model import padded
    if cin % groups or cout % groups:
        raise SpecError(f"groups {groups} must divide input channels {cin} and filters {cout}")
    conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=0, dilation=dilation, groups=groups, bias=bias,
                     device=device)
    return padded(conv, explicit_pads(padding, n_hw, kernel, stride, dilation, values))


def _torch_conv(args, shapes, values, rounding, device):
    h, w, cin = shapes[0]
    cout, kernel, stride, dilation, groups = conv_numbers(args, values, rounding)
    return torch_conv2d(cin, cout, kernel, stride, args["padding"], dilation, groups, args["bias"], (h, w), values,
                        device)


def _torch_pointwise(args, shapes, values, rounding, device):
    h, w, cin = shapes[0]
    cout = _channels(args["filters"], values, rounding, "filters")
    stride = _pair(args["stride"], values, "stride")
    groups = _integer(args["groups"], values, "groups")
    return torch_conv2d(cin, cout, (1, 1), stride, "valid", (1, 1), groups, args["bias"], (h, w), values, device)


def _torch_dwconv(args, shapes, values, rounding, device):
    h, w, cin = shapes[0]
    kernel = _pair(args["kernel"], values, "kernel")
    stride = _pair(args["stride"], values, "stride")
    dilation = _pair(args["dilation"], values, "dilation")
    multiplier = _integer(args["multiplier"], values, "multiplier")
    return torch_conv2d(cin, cin * multiplier, kernel, stride, args["padding"], dilation, cin, args["bias"], (h, w),
                        values, device)


# --- dataflow labels, as EffNet's Table 1: '3x3x64', 'gc4 1x1x32', 'dw 3x3', with a stride suffix ---

def stride_suffix(stride) -> str:
    sh, sw = stride
    if sh == sw == 1:
        return ""
    if 1 in (sh, sw):
        step = max(sh, sw)
        return " + 1d stride" + ("" if step == 2 else f" {step}")
    return " + stride" + ("" if sh == sw == 2 else f" {sh}x{sw}" if sh != sw else f" {sh}")


def _dilated(arg) -> str:
    dh, dw = arg("dilation")
    if (dh, dw) == (1, 1):
        return ""
    return f" dilated {dh}" if dh == dw else f" dilated {dh}x{dw}"


def _groups(arg) -> str:
    groups = arg("groups")
    return f"gc{groups} " if groups != 1 else ""


def _conv_label(arg, x, y) -> str:
    kh, kw = arg("kernel")
    return _groups(arg) + f"{kh}x{kw}x{y[2]}" + _dilated(arg) + stride_suffix(arg("stride"))


def _pointwise_label(arg, x, y) -> str:
    return _groups(arg) + f"1x1x{y[2]}" + stride_suffix(arg("stride"))


def _dwconv_label(arg, x, y) -> str:
    kh, kw = arg("kernel")
    multiplier = arg("multiplier")
    text = f"dw {kh}x{kw}" + (f" (x{multiplier})" if multiplier != 1 else "")
    return text + _dilated(arg) + stride_suffix(arg("stride"))


CONV: dict[str, Any] = {"family": "conv"}


@register("conv", category=_conv_category, aliases=("conv2d",), **CONV, receptive=_window_field,
          torch=_torch_conv, label=_conv_label, params={
    "filters": Param(Kind.CHANNELS, doc="output channels"), **WINDOW,
    "groups": Param(Kind.INT, 1, "groups; must divide input channels and filters"), **BIAS})
def conv(x, a):
    """Standard, grouped (groups > 1) or dilated 2-D convolution."""
    return conv_cost(x, a["kernel"], a["stride"], a["padding"], a["dilation"], a["filters"], a["groups"], a["bias"])


@register("pointwise", category=lambda a: "conv 1x1" if a["groups"] == 1 else "conv 1x1 grouped",
          aliases=("pwconv",), **CONV, receptive=_pointwise_field, torch=_torch_pointwise,
          label=_pointwise_label, params={
    "filters": Param(Kind.CHANNELS, doc="output channels"),
    "stride": Param(Kind.PAIR, 1, "stride, s or [sh, sw]"),
    "groups": Param(Kind.INT, 1, "groups (ShuffleNet's gc)"), **BIAS})
def pointwise(x, a):
    """1x1 convolution."""
    one = (1, 1)
    return conv_cost(x, one, a["stride"], "valid", one, a["filters"], a["groups"], a["bias"])


@register("dwconv", category=lambda a: f"conv dw {a['kernel'][0]}x{a['kernel'][1]}",
          aliases=("depthwise",), **CONV, receptive=_window_field, torch=_torch_dwconv,
          label=_dwconv_label, params={
    **WINDOW, "multiplier": Param(Kind.INT, 1, "depth multiplier: output channels = multiplier * input channels"),
    **BIAS})
def dwconv(x, a):
    """Depthwise convolution: one kh*kw filter per (input channel, multiplier) pair."""
    c_in = x[2]
    return conv_cost(x, a["kernel"], a["stride"], a["padding"], a["dilation"], c_in * a["multiplier"], c_in, a["bias"])
