"""Layers that join branches of the graph."""

from __future__ import annotations

from .arith import total

from . import Cost, register, same_grid


def _torch(name: str):
    def build(args, shapes, values, rounding, device):
        from .. import torch_model
        return getattr(torch_model, name)()
    return build


@register("add", many_inputs=True, category="other", family="add", receptive=same_grid, torch=_torch("Add"),
          label=lambda arg, x, y: "add", zero_cost="element-wise sum: additions only, not multiply-accumulates")
def add(xs, a):
    """Element-wise sum of inputs of one shape (a residual connection)."""
    return Cost(shape=xs[0])


@register("concat", many_inputs=True, category="other", family="concat", receptive=same_grid,
          torch=_torch("Concat"), label=lambda arg, x, y: "concat", zero_cost="concatenation: a copy, no arithmetic")
def concat(xs, a):
    """Concatenate inputs of one height and width along channels."""
    return Cost(shape=(xs[0][0], xs[0][1], total(x[2] for x in xs)))
