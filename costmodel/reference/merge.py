"""Layers that join branches of the graph, numerically."""

from __future__ import annotations

from ..errors import SpecError
from .numbers import _costs, _fmt, same_grid

DEFAULTS: dict = {}
MANY_INPUTS = {"add", "concat", "multiply"}


def _add(args, shapes, values, rounding):
    for other in shapes[1:]:
        if other != shapes[0]:
            raise SpecError(f"add: input shapes differ: {_fmt(shapes[0])} vs {_fmt(other)}")
    return _costs(shapes[0])


def _concat(args, shapes, values, rounding):
    for other in shapes[1:]:
        if other[:2] != shapes[0][:2]:
            raise SpecError(f"concat: input heights/widths differ: {_fmt(shapes[0])} vs {_fmt(other)}")
    return _costs((shapes[0][0], shapes[0][1], sum(s[2] for s in shapes)))


def _multiply(args, shapes, values, rounding):
    """Broadcasting as PyTorch does: per axis, the sizes are equal or one of them is 1."""
    out = shapes[0]
    for other in shapes[1:]:
        if any(m != n and 1 not in (m, n) for m, n in zip(out, other)):
            raise SpecError(f"multiply: input shapes {_fmt(out)} and {_fmt(other)} do not broadcast "
                            f"(each of H, W, C must be equal or 1)")
        out = tuple(max(m, n) for m, n in zip(out, other))
    return _costs(out)


RULES = {"add": _add, "concat": _concat, "multiply": _multiply}
FIELDS = {"add": same_grid, "concat": same_grid, "multiply": same_grid}
