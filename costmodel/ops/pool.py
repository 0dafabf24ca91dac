"""Pooling: windowed max/avg (floor or PyTorch's ceil mode), global, adaptive (PyTorch's
AdaptiveAvgPool2d / AdaptiveMaxPool2d to an output size), fractional max pooling. No parameters, and
by the MAC convention no multiply-accumulates (a max is comparisons, an average adds then scales once).

Facts the convention profiles read: `pool` ("max" or "avg") and `window` ("sliding", "global",
"adaptive" or "fractional"); `sliding_window` gives a sliding pool's kernel and padded input in
integers."""

from __future__ import annotations

from typing import Any

import math

from ..errors import SpecError
from ..reference.numbers import _pair, evaluate
from . import Cost, Kind, Param, register, whole_input, window_step
from .arith import EXACT, ceil, floor, gcd, minimum
from .spatial import explicit_pads, spatial_out

NO_MACS = "pooling: no parameters; comparisons and additions are not multiply-accumulates"

POOL = {
    "kernel": Param(Kind.PAIR, doc="window, k or [kh, kw] (e.g. [1, 2] for EffNet's 1-D pooling)",
                    frameworks=(("keras", 2),)),  # MaxPooling2D / AveragePooling2D pool_size=(2, 2)
    "stride": Param(Kind.PAIR, None, "stride; defaults to the kernel"),
    "padding": Param(Kind.PADDING, "valid", "same | valid | p | [ph, pw] | [[top, bottom], [left, right]]"),
    "ceil_mode": Param(Kind.BOOL, False, "PyTorch's ceil_mode: keep a last partial window (explicit padding only)"),
}
POOLING: dict[str, Any] = {"zero_cost": NO_MACS, "category": "pool", "family": "pooling"}


def _stride(a):
    return a["stride"] if a["stride"] is not None else a["kernel"]


def ceil_window_out(n, kernel, stride, before, after):
    """PyTorch's ceil_mode along one axis: ceil in place of floor keeps a last partial window,
    but a window may not start in the right padding (start (out - 1)*s < n + before)."""
    windows = ceil((n + before + after - kernel) / stride) + 1  # partial windows count
    if _known_nonnegative(kernel - stride - after):  # k >= s + after: the last start is inside, no Min needed
        return windows
    return minimum(windows, ceil((n + before) / stride))  # PyTorch drops one starting at or past n + before


def _known_nonnegative(value) -> bool:
    """True for a number (plain or sympy) that is >= 0; False when it is not or not known."""
    return (isinstance(value, EXACT) or getattr(value, "is_number", False)) and bool(value >= 0)


def _window_pool(x, a) -> Cost:
    if not a["ceil_mode"]:
        h, w = spatial_out(x, a["kernel"], _stride(a), (1, 1), a["padding"])
        return Cost(shape=(h, w, x[2]))
    if a["padding"] == "same":  # network.build turns this into a located error
        raise ValueError("ceil_mode needs explicit padding (or valid), not same")
    pads = (0, 0, 0, 0) if a["padding"] == "valid" else a["padding"]
    h, w = (ceil_window_out(x[axis], a["kernel"][axis], _stride(a)[axis], *pads[2 * axis: 2 * axis + 2])
            for axis in (0, 1))
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

        from ..bridges.torch_model import padded
        h, w, _ = shapes[0]
        kernel = _pair(args["kernel"], values, "kernel")
        stride = kernel if args.get("stride") is None else _pair(args["stride"], values, "stride")
        pads = explicit_pads(args.get("padding") or "valid", (h, w), kernel, stride, (1, 1), values)
        if args.get("ceil_mode"):  # PyTorch's rule reads the module's own (symmetric) padding
            window = nn.MaxPool2d if reduce == "max" else nn.AvgPool2d
            return window(kernel, stride, padding=(pads[0], pads[2]), ceil_mode=True)
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


def _adaptive_pool(x, a) -> Cost:
    """Adaptive pooling to an output size (PyTorch's AdaptiveAvgPool2d / AdaptiveMaxPool2d): the
    output is output_size whatever the input; an input smaller than it is repeated, as in PyTorch."""
    h, w = a["output_size"]
    return Cost(shape=(h, w, x[2]))


def adaptive_window(n, out):
    """The widest window of PyTorch's adaptive pooling from n to out positions: window i runs from
    floor(i*n/out) to ceil((i + 1)*n/out), at most ceil((n - gcd(n, out))/out) + 1 positions (over
    the residues of i*n mod out). An input smaller than the output repeats positions (width 1 or 2)."""
    return ceil((n - gcd(n, out)) / out) + 1


def _adaptive_field(a, x, y):
    if y[0] == 1 and y[1] == 1:
        return whole_input(a, x, y)  # output size 1: global pooling
    ratio = tuple(x[axis] / y[axis] for axis in (0, 1))  # mean stride
    return tuple(adaptive_window(x[axis], y[axis]) - 1 for axis in (0, 1)), ratio, False


def _torch_adaptive(reduce: str):
    def build(args, shapes, values, rounding, device):
        from torch import nn
        size = _pair(args["output_size"], values, "output_size")
        return nn.AdaptiveMaxPool2d(size) if reduce == "max" else nn.AdaptiveAvgPool2d(size)
    return build


for _type, _reduce, _short in [("adaptive_avgpool", "avg", "aap"), ("adaptive_maxpool", "max", "amp")]:
    register(_type, **POOLING, receptive=_adaptive_field, torch=_torch_adaptive(_reduce),
             label=lambda arg, x, y, s=_short: f"{s} {y[0]}x{y[1]}", facts={"pool": _reduce, "window": "adaptive"},
             params={"output_size": Param(Kind.PAIR, doc="output size, k or [h, w] (PyTorch's windows: "
                                                         "start floor(i*in/out), end ceil((i+1)*in/out))")},
             )(_adaptive_pool)


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
