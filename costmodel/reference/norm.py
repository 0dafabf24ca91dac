"""Normalisation and per-channel scaling, numerically."""

from __future__ import annotations

from .numbers import _costs, same_grid

DEFAULTS = {"batchnorm": {"affine": True}, "layernorm": {"affine": True}}


def _batchnorm(args, shapes, values, rounding):
    c = shapes[0][2]
    trainable = 2 * c if args["affine"] else 0  # gamma, beta
    return _costs(shapes[0], trainable, 2 * c, 0)  # running mean and variance are not trained


def _layernorm(args, shapes, values, rounding):
    c = shapes[0][2]
    return _costs(shapes[0], 2 * c if args["affine"] else 0)  # gamma, beta; statistics are not stored


def _scale(args, shapes, values, rounding):
    return _costs(shapes[0], shapes[0][2])  # one learned multiplier per channel


RULES = {"batchnorm": _batchnorm, "layernorm": _layernorm, "scale": _scale}
FIELDS = {"batchnorm": same_grid, "layernorm": same_grid, "scale": same_grid}
