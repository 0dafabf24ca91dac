"""Pooling: windowed max/avg, global, fractional max pooling. No parameters, and by the MAC
convention no multiply-accumulates (a max is comparisons, an average adds then scales once)."""

from __future__ import annotations

import sympy

from . import Cost, Kind, Param, register
from .spatial import spatial_out

NO_MACS = "pooling: no parameters; comparisons and additions are not multiply-accumulates"

POOL = {
    "kernel": Param(Kind.PAIR, doc="window, k or [kh, kw] (e.g. [1, 2] for EffNet's 1-D pooling)"),
    "stride": Param(Kind.PAIR, None, "stride; defaults to the kernel"),
    "padding": Param(Kind.PADDING, "valid", "same | valid | p | [ph, pw] | [[top, bottom], [left, right]]"),
}


def _window_pool(x, a) -> Cost:
    stride = a["stride"] if a["stride"] is not None else a["kernel"]
    h, w = spatial_out(x, a["kernel"], stride, (1, 1), a["padding"])
    return Cost(shape=(h, w, x[2]))


register("maxpool", params=POOL, zero_cost=NO_MACS, category="pool", aliases=("max_pool",))(_window_pool)
register("avgpool", params=POOL, zero_cost=NO_MACS, category="pool", aliases=("avg_pool",))(_window_pool)


def _global_pool(x, a) -> Cost:
    return Cost(shape=(sympy.Integer(1), sympy.Integer(1), x[2]))


register("global_avgpool", zero_cost=NO_MACS, category="pool")(_global_pool)
register("global_maxpool", zero_cost=NO_MACS, category="pool")(_global_pool)


@register("fractional_maxpool", zero_cost=NO_MACS, category="pool", params={
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
        h, w = sympy.floor(x[0] / a["ratio"]), sympy.floor(x[1] / a["ratio"])
    return Cost(shape=(h, w, x[2]))
