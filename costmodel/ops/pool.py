"""Pooling: windowed max/avg, global, fractional max pooling. No parameters, and by the MAC
convention no multiply-accumulates (a max is comparisons, an average adds then scales once).

Facts the convention profiles read: `pool` ("max" or "avg") and `window` ("sliding", "global" or
"fractional"); `sliding_window` gives a sliding pool's kernel and padded input in integers."""

from __future__ import annotations

import math

from ..errors import SpecError
from ..reference.numbers import _pair, evaluate
from . import Cost, Kind, Param, register, whole_input, window_step
from .arith import ceil, floor
from .spatial import explicit_pads, spatial_out

NO_MACS = "pooling: no parameters; comparisons and additions are not multiply-accumulates"

POOL = {
    "kernel": Param(Kind.PAIR, doc="window, k or [kh, kw] (e.g. [1, 2] for EffNet's 1-D pooling)"),
    "stride": Param(Kind.PAIR, None, "stride; defaults to the kernel"),
    "padding": Param(Kind.PADDING, "valid", "same | valid | p | [ph, pw] | [[top, bottom], [left, right]]"),
}
POOLING = {"zero_cost": NO_MACS, "category": "pool", "family": "pooling"}


def _stride(a):
    return a["stride"] if a["stride"] is not None else a["kernel"]


def _window_pool(x, a) -> Cost:
    h, w = spatial_out(x, a["kernel"], _stride(a), (1, 1), a["padding"])
    return Cost(shape=(h, w, x[2]))


def _window_field(a, x, y):
    return window_step(a["kernel"], _stride(a), (1, 1))


def sliding_window(args, x, values) -> tuple:
    """(kh, kw) and the padded input's element count of a sliding pool, in integers."""
    h, w, c = x
    kernel = _pair(args["kernel"], values, "kernel")
    stride = kernel if args.get("stride") is None else _pair(args["stride"], values, "stride")
    top, bottom, left, right = explicit_pads(args.get("padding") or "valid", (h, w), kernel, stride, (1, 1), values)
    return kernel, (h + top + bottom) * (w + left + right) * c


def _torch_window(reduce: str):
    def build(args, shapes, values, rounding, device):
        from torch import nn

        from ..torch_model import padded
        h, w, _ = shapes[0]
        kernel = _pair(args["kernel"], values, "kernel")
        stride = kernel if args.get("stride") is None else _pair(args["stride"], values, "stride")
        pads = explicit_pads(args.get("padding") or "valid", (h, w), kernel, stride, (1, 1), values)
        if reduce == "max":
            return padded(nn.MaxPool2d(kernel, stride), pads, -math.inf)  # pads never win a max
        return padded(nn.AvgPool2d(kernel, stride), pads)
    return build


def _label(name: str):
    """'mp', or '1d mp' when only one side shrinks (EffNet's 1-D pooling)."""
    def label(arg, x, y) -> str:
        return f"1d {name}" if (y[0] == x[0]) != (y[1] == x[1]) else name
    return label


for _type, _reduce, _short, _alias in [("maxpool", "max", "mp", "max_pool"), ("avgpool", "avg", "ap", "avg_pool")]:
    register(_type, params=POOL, **POOLING, aliases=(_alias,), receptive=_window_field, torch=_torch_window(_reduce),
             label=_label(_short), facts={"pool": _reduce, "window": "sliding"})(_window_pool)


def _global_pool(x, a) -> Cost:
    return Cost(shape=(1, 1, x[2]))


def _torch_global(reduce: str):
    def build(args, shapes, values, rounding, device):
        from torch import nn
        return nn.AdaptiveMaxPool2d(1) if reduce == "max" else nn.AdaptiveAvgPool2d(1)
    return build


for _type, _reduce, _short in [("global_avgpool", "avg", "gap"), ("global_maxpool", "max", "gmp")]:
    register(_type, **POOLING, receptive=whole_input, torch=_torch_global(_reduce), label=lambda arg, x, y, s=_short: s,
             facts={"pool": _reduce, "window": "global"})(_global_pool)


def _fractional_field(a, x, y):
    ratio = tuple(x[axis] / y[axis] for axis in (0, 1))  # mean stride
    return tuple(ceil(r) - 1 for r in ratio), ratio, False  # the widest region: ceil(ratio) positions


def _torch_fractional(args, shapes, values, rounding, device):
    from torch import nn
    h, w, _ = shapes[0]
    if args.get("ratio") is not None:
        r = evaluate(args["ratio"], values)
        size = (math.floor(h / r), math.floor(w / r))
    else:
        size = _pair(args["output_size"], values, "output_size")
    if not (1 <= size[0] <= h and 1 <= size[1] <= w):
        raise SpecError(f"fractional_maxpool output {size[0]}x{size[1]} does not fit the input {h}x{w}")
    # torch needs output + kernel - 1 <= input: 2x2 windows (Graham's), 1 where the size is kept
    kernel = (min(2, h - size[0] + 1), min(2, w - size[1] + 1))
    return nn.FractionalMaxPool2d(kernel, output_size=size)


@register("fractional_maxpool", **POOLING, receptive=_fractional_field, torch=_torch_fractional,
          label=_label("fmp"), facts={"pool": "max", "window": "fractional"}, params={
    "ratio": Param(Kind.NUMBER, None, "pooling ratio r > 1: output = floor(input / r), as TensorFlow"),
    "output_size": Param(Kind.PAIR, None, "explicit output size, n or [h, w], instead of a ratio"),
})
def fractional_maxpool(x, a):
    """Fractional max pooling (Graham 2014), by ratio or by explicit output size."""
    if (a["ratio"] is None) == (a["output_size"] is None):  # network.build turns this into a located error
        raise ValueError("fractional_maxpool needs exactly one of ratio and output_size")
    if a["output_size"] is not None:
        h, w = a["output_size"]
    else:
        h, w = floor(x[0] / a["ratio"]), floor(x[1] / a["ratio"])
    return Cost(shape=(h, w, x[2]))
