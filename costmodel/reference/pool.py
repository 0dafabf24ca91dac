"""Pooling, numerically: windowed max/avg (floor or ceil mode), global, adaptive, fractional max pooling."""

from __future__ import annotations

import math
from fractions import Fraction

from ..errors import SpecError
from ..expr import Num
from .conv import _window_field
from .numbers import _costs, _fmt, _integer, _pair, evaluate, whole_input
from .spatial import _spatial

DEFAULTS = {
    "maxpool": {"stride": None, "padding": "valid", "ceil_mode": False},
    "avgpool": {"stride": None, "padding": "valid", "ceil_mode": False},
    "fractional_maxpool": {"ratio": None, "output_size": None},
}
# `defaults_of: keras`: MaxPooling2D and AveragePooling2D have pool_size=(2, 2); PyTorch's kernel_size
# is required; the stride (the window), padding (none) and floor mode agree everywhere.
FRAMEWORK_DEFAULTS = {
    "keras": {"maxpool": {"kernel": (Num(Fraction(2)), Num(Fraction(2)))},
              "avgpool": {"kernel": (Num(Fraction(2)), Num(Fraction(2)))}},
}


def _pool(args, shapes, values, rounding):
    h, w, c = shapes[0]
    kernel = _pair(args["kernel"], values, "kernel")
    stride = kernel if args.get("stride") is None else _pair(args["stride"], values, "stride")
    padding = args.get("padding") or "valid"
    if args.get("ceil_mode"):
        ho, wo = _ceil_mode((h, w), kernel, stride, padding, values)
    else:
        ho, wo = _spatial((h, w), kernel, stride, padding, (1, 1), values)
    return _costs((ho, wo, c))  # no weights; comparisons/additions are not MACs


def _ceil_mode(n_hw, kernel, stride, padding, values) -> tuple[int, int]:
    """PyTorch's ceil_mode (pooling_output_shape): out = ceil((n + 2p - k)/s) + 1, less one if the
    last window would start in the right padding, i.e. at or past n + p. PyTorch pads each side
    alike, by at most half the kernel."""
    if padding == "same":
        raise SpecError("ceil_mode needs explicit padding (p or [ph, pw]) or valid, not same")
    pads = (0, 0, 0, 0) if padding == "valid" else tuple(_integer(p, values, "padding", minimum=0) for p in padding)
    out = []
    for axis, (n, k, s) in enumerate(zip(n_hw, kernel, stride)):
        before, after = pads[2 * axis], pads[2 * axis + 1]
        if before != after or 2 * before > k:
            raise SpecError(f"ceil_mode: padding {before}, {after} must be equal on both sides and at most half "
                            f"the kernel {k} (PyTorch's pooling padding)")
        if k > n + before + after:
            raise SpecError(f"kernel {_fmt(kernel)} is larger than the padded input")
        size = -(-(n + before + after - k) // s) + 1  # ceil instead of floor: a partial last window
        if (size - 1) * s >= n + before:  # it would start in the right padding
            size -= 1
        out.append(size)
    return tuple(out)


MAX_ADAPTIVE = 2**16  # an adaptive pool's output side; the receptive field tries each window


def _adaptive_pool(args, shapes, values, rounding):
    ho, wo = _pair(args["output_size"], values, "output_size")  # whatever the input: PyTorch repeats a smaller one
    if max(ho, wo) > MAX_ADAPTIVE:
        raise SpecError(f"output_size {ho}x{wo}: above {MAX_ADAPTIVE} (too large to be a real network)")
    return _costs((ho, wo, shapes[0][2]))


def _global_pool(args, shapes, values, rounding):
    return _costs((1, 1, shapes[0][2]))


def _fractional_maxpool(args, shapes, values, rounding):
    h, w, c = shapes[0]
    ratio, size = args.get("ratio"), args.get("output_size")
    if (ratio is None) == (size is None):
        raise SpecError("fractional_maxpool needs exactly one of ratio and output_size")
    if ratio is not None:
        r = evaluate(ratio, values)
        if r <= 1:
            raise SpecError(f"ratio must be greater than 1, got {r}")
        ho, wo = math.floor(h / r), math.floor(w / r)
        if ho < 1 or wo < 1:
            raise SpecError(f"ratio {r} leaves no output from a {h}x{w} input")
    else:
        ho, wo = _pair(size, values, "output_size")
        if ho > h or wo > w:
            raise SpecError(f"output_size {ho}x{wo} is larger than the input {h}x{w}")
    return _costs((ho, wo, c))


RULES = {"maxpool": _pool, "avgpool": _pool, "global_avgpool": _global_pool, "global_maxpool": _global_pool,
         "fractional_maxpool": _fractional_maxpool, "adaptive_avgpool": _adaptive_pool,
         "adaptive_maxpool": _adaptive_pool}


def _fractional_field(a, values, x, y):
    """Regions of ceil(in/out) positions at most, in/out positions apart on average."""
    ratio = (Fraction(x[0], y[0]), Fraction(x[1], y[1]))
    return tuple(math.ceil(r) - 1 for r in ratio), ratio, False


def _adaptive_field(a, values, x, y):
    """PyTorch's window i covers floor(i*n/out) to ceil((i+1)*n/out): the widest, found by trying
    each; output 1 on both axes is global pooling (the whole input)."""
    if y[:2] == (1, 1):
        return whole_input(a, values, x, y)
    widest = tuple(max(-(-(i + 1) * n // o) - i * n // o for i in range(o)) for n, o in zip(x[:2], y[:2]))
    return tuple(k - 1 for k in widest), (Fraction(x[0], y[0]), Fraction(x[1], y[1])), False


FIELDS = {"maxpool": _window_field, "avgpool": _window_field, "global_avgpool": whole_input,
          "global_maxpool": whole_input, "fractional_maxpool": _fractional_field,
          "adaptive_avgpool": _adaptive_field, "adaptive_maxpool": _adaptive_field}
