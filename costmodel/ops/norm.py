"""Normalisation (batch, layer) and the per-channel learned scale."""

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


def _torch_layernorm(args, shapes, values, rounding, device):
    from ..bridges.torch_model import LayerNorm2d
    return LayerNorm2d(shapes[0][2], elementwise_affine=args["affine"], device=device)


@register("layernorm", category="layer norm", aliases=("layer_norm",), family="layer norm", receptive=same_grid,
          torch=_torch_layernorm, label=lambda arg, x, y: "ln", params={
    "affine": Param(Kind.BOOL, True, "learned scale and shift (gamma, beta) per channel"),
})
def layernorm(x, a):
    """Layer normalisation over the channels at each position (ConvNeXt's LayerNorm2d): statistics
    are computed at run time, none are stored; no MACs (as batch norm: scaling, not multiply-accumulates)."""
    return Cost(shape=x, params=2 * x[2] if a["affine"] else 0)  # gamma and beta per channel


def _torch_scale(args, shapes, values, rounding, device):
    from ..bridges.torch_model import Scale
    return Scale(shapes[0][2], device)


@register("scale", category="other", aliases=("layer_scale",), family="multiply", receptive=same_grid,
          torch=_torch_scale, label=lambda arg, x, y: "scale",
          zero_cost="per-channel scale: one multiplication per output, not a multiply-accumulate")
def scale(x, a):
    """A learned per-channel multiplier (ConvNeXt's layer scale, CaiT's LayerScale)."""
    return Cost(shape=x, params=x[2])  # one multiplier per channel
