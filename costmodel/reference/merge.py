"""Layers that join branches of the graph, numerically."""

from __future__ import annotations

from ..errors import SpecError
from .numbers import _costs, _fmt, same_grid

DEFAULTS: dict = {}
MANY_INPUTS = {"add", "concat"}


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


RULES = {"add": _add, "concat": _concat}
FIELDS = {"add": same_grid, "concat": same_grid}
