"""Shape-keeping layers with no MACs, and the reshaping ones, numerically."""

from __future__ import annotations

from fractions import Fraction

from ..errors import SpecError
from ..expr import Num
from .numbers import EXPRESSION, _channels, _costs, _integer, evaluate, same_grid, whole_input

DEFAULTS = {
    "leaky_relu": {"slope": Num(Fraction(3, 10))},
    "dropout": {"rate": Num(Fraction(0))},
    "stochastic_depth": {"rate": Num(Fraction(0))},
    "split": {"parts": Num(Fraction(2)), "index": Num(Fraction(0))},
}
# `defaults_of: pytorch`: nn.LeakyReLU's negative_slope=0.01, nn.Dropout's p=0.5 (no cost either way)
FRAMEWORK_DEFAULTS = {"pytorch": {"leaky_relu": {"slope": Num(Fraction(1, 100))}, "dropout": {"rate": Num(Fraction(1, 2))}}}


def _elementwise(args, shapes, values, rounding):
    for value in args.values():  # slope, rate...: only checked to evaluate
        if isinstance(value, EXPRESSION):
            evaluate(value, values)
    return _costs(shapes[0])


def _shuffle(args, shapes, values, rounding):
    c = shapes[0][2]
    groups = _integer(args["groups"], values, "groups")
    if c % groups:
        raise SpecError(f"groups {groups} does not divide input channels {c}")
    return _costs(shapes[0])


def _flatten(args, shapes, values, rounding):
    h, w, c = shapes[0]
    return _costs((1, 1, h * w * c))


def _split(args, shapes, values, rounding):
    h, w, c = shapes[0]
    parts = _integer(args["parts"], values, "parts")
    index = _integer(args["index"], values, "index", minimum=0)
    if c % parts:
        raise SpecError(f"parts {parts} does not divide input channels {c}")
    if index >= parts:
        raise SpecError(f"index must be from 0 to {parts - 1}, got {index}")
    return _costs((h, w, c // parts))


def _channel_pad(args, shapes, values, rounding):
    h, w, c = shapes[0]
    channels = _channels(args["channels"], values, rounding, "channels")
    if channels < c:
        raise SpecError(f"channels {channels} is fewer than the input channels {c}")
    return _costs((h, w, channels))


ELEMENTWISE = ("relu", "relu6", "leaky_relu", "sigmoid", "tanh", "hard_swish", "hard_sigmoid", "swish",
               "elu", "gelu", "softmax", "dropout", "identity", "stochastic_depth")
RULES = {**{t: _elementwise for t in ELEMENTWISE},
         "shuffle": _shuffle, "flatten": _flatten, "split": _split, "channel_pad": _channel_pad}
FIELDS = {**{t: same_grid for t in ELEMENTWISE},
          "shuffle": same_grid, "split": same_grid, "channel_pad": same_grid, "flatten": whole_input}
