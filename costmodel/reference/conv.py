"""Convolutions, numerically: standard and grouped, pointwise, depthwise."""

from __future__ import annotations

from ..errors import SpecError
from .numbers import PAIR_ONE, ONE, _channels, _costs, _ints, _integer, _pair
from .spatial import _spatial

# The value of every optional argument a spec may leave out (the README's conventions, written
# here independently of the registry's defaults).
DEFAULTS = {
    "conv": {"stride": PAIR_ONE, "padding": "same", "dilation": PAIR_ONE, "groups": ONE, "bias": True},
    "pointwise": {"stride": PAIR_ONE, "groups": ONE, "bias": True},
    "dwconv": {"stride": PAIR_ONE, "padding": "same", "dilation": PAIR_ONE, "multiplier": ONE, "bias": True},
}
# What a spec's `defaults_of:` changes (the README's table): PyTorch's nn.Conv2d pads 0, Keras'
# Conv2D and DepthwiseConv2D pad 'valid'; bias, stride, dilation, groups and multiplier agree.
FRAMEWORK_DEFAULTS = {
    "pytorch": {"conv": {"padding": "valid"}, "dwconv": {"padding": "valid"}},
    "keras": {"conv": {"padding": "valid"}, "dwconv": {"padding": "valid"}},
}


def conv_numbers(args, values, rounding) -> tuple:
    """A conv's (filters, kernel, stride, dilation, groups) in checked integers (`verify` reads them too)."""
    return (_channels(args["filters"], values, rounding, "filters"), _pair(args["kernel"], values, "kernel"),
            _pair(args["stride"], values, "stride"), _pair(args["dilation"], values, "dilation"),
            _integer(args["groups"], values, "groups"))


def _conv(args, shapes, values, rounding):
    h, w, cin = shapes[0]
    cout, kernel, stride, dilation, groups = conv_numbers(args, values, rounding)
    return _grouped_conv(h, w, cin, cout, kernel, stride, args["padding"], dilation, groups, args["bias"], values)


def _pointwise(args, shapes, values, rounding):
    h, w, cin = shapes[0]
    cout = _channels(args["filters"], values, rounding, "filters")
    stride = _pair(args["stride"], values, "stride")
    groups = _integer(args["groups"], values, "groups")
    return _grouped_conv(h, w, cin, cout, (1, 1), stride, "valid", (1, 1), groups, args["bias"], values)


def _grouped_conv(h, w, cin, cout, kernel, stride, padding, dilation, groups, bias, values):
    if cin % groups:
        raise SpecError(f"groups {groups} does not divide input channels {cin}")
    if cout % groups:
        raise SpecError(f"groups {groups} does not divide filters {cout}")
    ho, wo = _spatial((h, w), kernel, stride, padding, dilation, values)
    per_filter = kernel[0] * kernel[1] * (cin // groups)  # weights seen by one output channel
    params = per_filter * cout + (cout if bias else 0)  # weights + one bias per filter
    macs = ho * wo * cout * per_filter  # one MAC per weight per output position
    return _costs((ho, wo, cout), params, 0, macs)


def _dwconv(args, shapes, values, rounding):
    h, w, cin = shapes[0]
    kernel = _pair(args["kernel"], values, "kernel")
    stride = _pair(args["stride"], values, "stride")
    dilation = _pair(args["dilation"], values, "dilation")
    cout = cin * _integer(args["multiplier"], values, "multiplier")
    ho, wo = _spatial((h, w), kernel, stride, args["padding"], dilation, values)
    params = kernel[0] * kernel[1] * cout + (cout if args["bias"] else 0)  # one kh x kw filter per output channel
    macs = ho * wo * cout * kernel[0] * kernel[1]  # each output sees one kh x kw window of one channel
    return _costs((ho, wo, cout), params, 0, macs)


RULES = {"conv": _conv, "pointwise": _pointwise, "dwconv": _dwconv}


# --- receptive field ---------------------------------------------------------------------------

def window_step(kernel, stride, dilation) -> tuple:
    """A dilated kh-tap window spans dh*(kh-1)+1 input positions: dh*(kh-1) more grid steps."""
    return tuple(d * (k - 1) for k, d in zip(kernel, dilation)), tuple(stride), False


def _window_field(a, values, x, y):
    kernel = _ints(a["kernel"], values)
    stride = kernel if a.get("stride") is None else _ints(a["stride"], values)
    dilation = (1, 1) if a.get("dilation") is None else _ints(a["dilation"], values)
    return window_step(kernel, stride, dilation)


def _pointwise_field(a, values, x, y):
    return window_step((1, 1), _ints(a["stride"], values), (1, 1))


FIELDS = {"conv": _window_field, "dwconv": _window_field, "pointwise": _pointwise_field}
