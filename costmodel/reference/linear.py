"""Fully connected layers, numerically."""

from __future__ import annotations

from .numbers import _channels, _costs, whole_input

DEFAULTS = {"dense": {"bias": True}}


def _dense(args, shapes, values, rounding):
    h, w, c = shapes[0]
    units = _channels(args["units"], values, rounding, "units")
    features = h * w * c  # implicit flatten
    params = features * units + (units if args["bias"] else 0)  # weight matrix + bias vector
    return _costs((1, 1, units), params, 0, features * units)  # one MAC per weight


RULES = {"dense": _dense}
FIELDS = {"dense": whole_input}
