"""Normalisation, numerically."""

from __future__ import annotations

from .numbers import _costs, same_grid

DEFAULTS = {"batchnorm": {"affine": True}}


def _batchnorm(args, shapes, values, rounding):
    c = shapes[0][2]
    trainable = 2 * c if args["affine"] else 0  # gamma, beta
    return _costs(shapes[0], trainable, 2 * c, 0)  # running mean and variance are not trained


RULES = {"batchnorm": _batchnorm}
FIELDS = {"batchnorm": same_grid}
