"""Normalisation."""

from __future__ import annotations

from . import Cost, Kind, Param, register, same_grid


def _torch_batchnorm(args, shapes, values, rounding, device):
    from torch import nn
    return nn.BatchNorm2d(shapes[0][2], affine=args["affine"], device=device)


@register("batchnorm", category="batch norm", aliases=("bn", "batch_norm"), family="batch norm",
          receptive=same_grid, torch=_torch_batchnorm, params={
    "affine": Param(Kind.BOOL, True, "learned scale and shift (gamma, beta)"),
})
def batchnorm(x, a):
    """Batch normalisation. Inference folds it into the previous layer, so no MACs are counted."""
    c = x[2]
    return Cost(
        shape=x,
        params=2 * c if a["affine"] else 0,  # gamma and beta per channel (trainable)
        params_non_trainable=2 * c,  # running mean and variance per channel (statistics)
    )
