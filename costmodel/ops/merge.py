"""Layers that join branches of the graph."""

from __future__ import annotations

from .arith import maximum, total

from . import Cost, register, same_grid


def _torch(name: str):
    def build(args, shapes, values, rounding, device):
        from ..bridges import torch_model
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


def _broadcast(a, b):
    """One axis of a broadcast product: equal sizes, or a 1 stretched over the other."""
    if a == b or b == 1:
        return a
    if a == 1:
        return b
    return maximum(a, b)  # a size that is 1 only at some values (the reference refuses any other mismatch)


@register("multiply", many_inputs=True, category="other", family="multiply", receptive=same_grid,
          torch=_torch("Multiply"), label=lambda arg, x, y: "mul",
          zero_cost="element-wise product: one multiplication per output, not a multiply-accumulate")
def multiply(xs, a):
    """Element-wise product of its inputs; a 1x1xC input is broadcast over HxW (squeeze-excitation's
    rescaling of the block input by its channel weights)."""
    shape = xs[0]
    for x in xs[1:]:
        shape = tuple(_broadcast(m, n) for m, n in zip(shape, x))
    return Cost(shape=shape)
