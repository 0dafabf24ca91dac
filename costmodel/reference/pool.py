"""Pooling, numerically: windowed max/avg, global, fractional max pooling."""

from __future__ import annotations

import math
from fractions import Fraction

from ..errors import SpecError
from .conv import _window_field
from .numbers import _costs, _pair, evaluate, whole_input
from .spatial import _spatial

DEFAULTS = {
    "maxpool": {"stride": None, "padding": "valid"},
    "avgpool": {"stride": None, "padding": "valid"},
    "fractional_maxpool": {"ratio": None, "output_size": None},
}


def _pool(args, shapes, values, rounding):
    h, w, c = shapes[0]
    kernel = _pair(args["kernel"], values, "kernel")
    stride = kernel if args.get("stride") is None else _pair(args["stride"], values, "stride")
    padding = args.get("padding") or "valid"
    ho, wo = _spatial((h, w), kernel, stride, padding, (1, 1), values)
    return _costs((ho, wo, c))  # no weights; comparisons/additions are not MACs


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
         "fractional_maxpool": _fractional_maxpool}


def _fractional_field(a, values, x, y):
    """Regions of ceil(in/out) positions at most, in/out positions apart on average."""
    ratio = (Fraction(x[0], y[0]), Fraction(x[1], y[1]))
    return tuple(math.ceil(r) - 1 for r in ratio), ratio, False


FIELDS = {"maxpool": _window_field, "avgpool": _window_field, "global_avgpool": whole_input,
          "global_maxpool": whole_input, "fractional_maxpool": _fractional_field}
