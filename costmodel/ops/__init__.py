"""The one registry of layer types, keyed by the spec's ``type``.

Each entry says which arguments the type takes (so the spec loader can check them and fill in
defaults) and holds one function that, given the input shape(s) and the arguments, returns every
metric of the layer: output shape, parameters, batch-norm statistics, multiply-accumulates.
Formulas know nothing about networks, and run on plain exact numbers (the numeric path, no sympy)
as well as on sympy expressions (the closed forms): see arith.py.

Beside the formula, the entry holds everything else costmodel knows about the type, so that a
layer family lives in one file (conv.py, pool.py, linear.py, norm.py, elementwise.py, merge.py):
its breakdown category, its receptive-field step (`metrics`), its PyTorch module (`verify`; torch
is imported inside the builder only), its short label (`dataflow`), and the facts the convention
profiles read (its family, and static facts such as a pool's reduction and window).

A type that costs nothing says why (``zero_cost``), once, here: there are no silent zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

from .arith import EXACT


class Kind(Enum):
    """How a spec value is read (see spec.normalize_arg)."""

    INT = "integer expression"
    CHANNELS = "channel count (rounded by the spec's rounding rule)"
    NUMBER = "number expression"
    PAIR = "integer or [height, width] pair"
    PADDING = "'same', 'valid', an integer, [height, width] or [[top, bottom], [left, right]]"
    BOOL = "true or false"


REQUIRED = object()


@dataclass(frozen=True)
class Param:
    """An argument of a layer type. `default` is costmodel's own; `frameworks` holds the defaults
    that differ under a spec's `defaults_of:` (("pytorch", value), ...), as the framework's layer
    class has them (nn.Conv2d's padding=0, Keras' MaxPooling2D pool_size=(2, 2) ...)."""

    kind: Kind
    default: object = REQUIRED
    doc: str = ""
    frameworks: tuple = ()

    def default_for(self, framework: str):
        """The default under `defaults_of: framework` (FRAMEWORKS)."""
        return dict(self.frameworks).get(framework, self.default)


# `defaults_of:` in a spec: whose default arguments a layer gets when the spec leaves one out
FRAMEWORKS = ("costmodel", "pytorch", "keras")


Shape = tuple  # (H, W, C): plain numbers or sympy expressions


@dataclass(frozen=True)
class Cost:
    """What one layer produces and costs. Parameters exclude batch-norm running statistics,
    which are `params_non_trainable` (Keras counts them among its parameters). Plain numbers
    (the numeric path) or sympy expressions (a closed form: plain ones become sympy integers)."""

    shape: Shape
    params: object = 0
    params_non_trainable: object = 0
    macs: object = 0

    def __post_init__(self):
        if len(self.shape) != 3:
            raise ValueError(f"a shape is (H, W, C), got {self.shape!r}")
        values = (*self.shape, self.params, self.params_non_trainable, self.macs)
        if all(isinstance(v, EXACT) for v in values):
            if any(v < 0 for v in values):
                raise ValueError(f"a cost or size cannot be negative, got {min(values)}")
            return
        from ..symbolic import as_sympy
        for name in ("params", "params_non_trainable", "macs"):  # formulas may return 0 for an absent term
            object.__setattr__(self, name, as_sympy(getattr(self, name)))
        object.__setattr__(self, "shape", tuple(as_sympy(v) for v in self.shape))
        for value in (*self.shape, self.params, self.params_non_trainable, self.macs):
            if value.is_number and value.is_negative:
                raise ValueError(f"a cost or size cannot be negative, got {value}")


@dataclass(frozen=True)
class OpDef:
    type: str
    formula: Callable
    params: dict
    many_inputs: bool
    zero_cost: str | None
    category: Callable | str
    doc: str = field(default="")
    family: str = "other"  # the convention profiles' family (conventions.FAMILIES)
    receptive: Callable | None = None  # (sympy args, input shape, output shape) -> receptive-field step
    torch: Callable | None = None  # (args, input shapes, values, rounding, device) -> torch.nn.Module
    label: Callable | None = None  # (arg, input shape, output shape) -> dataflow's short name
    facts: dict = field(default_factory=dict)  # static facts: pool "max"/"avg", window "sliding"/...


REGISTRY: dict[str, OpDef] = {}
ALIASES: dict[str, str] = {}


def register(type_: str, *, params: dict | None = None, many_inputs: bool = False,
             zero_cost: str | None = None, category: Callable | str | None = None,
             aliases: tuple = (), family: str | None = None, receptive: Callable | None = None,
             torch: Callable | None = None, label: Callable | None = None, facts: dict | None = None):
    """Decorator: add a layer type. A duplicate name is a programming error and raises; so is a
    type without a family or a receptive-field step (there are no silent defaults)."""

    def add(formula: Callable) -> Callable:
        for name in (type_, *aliases):
            if name in REGISTRY or name in ALIASES:
                raise ValueError(f"layer type {name!r} is registered twice")
        if family is None or receptive is None:
            raise ValueError(f"layer type {type_!r} needs a family and a receptive-field step")
        REGISTRY[type_] = OpDef(type_, formula, dict(params or {}), many_inputs, zero_cost,
                                category or type_, (formula.__doc__ or "").strip(), family, receptive, torch,
                                label, dict(facts or {}))
        for alias in aliases:
            ALIASES[alias] = type_
        return formula

    return add


def find(type_: str) -> OpDef | None:
    """The op of a layer type or alias, or None (the spec builder says which types exist)."""
    return REGISTRY.get(ALIASES.get(type_, type_))


def lookup(type_: str) -> OpDef:
    """The op of a layer type that validation has accepted (KeyError for another: a bug of ours)."""
    return REGISTRY[ALIASES.get(type_, type_)]


def category_of(op: OpDef, args: dict) -> str:
    """The row of a resource-per-layer-type breakdown this layer belongs to."""
    return op.category(args) if callable(op.category) else op.category


# --- receptive-field steps: (span in input-grid steps per axis, stride per axis, sees everything) ---
# metrics: rf += span * jump, jump *= stride, per axis; a layer that sees everything has rf = the input.

ONE, ZERO = 1, 0


def same_grid(a, x, y) -> tuple:
    """One output position per input position: the field and the jump are unchanged."""
    return (ZERO, ZERO), (ONE, ONE), False


def whole_input(a, x, y) -> tuple:
    """Every output sees the whole map: one window the size of the input."""
    return (ZERO, ZERO), (x[0], x[1]), True


def window_step(kernel, stride, dilation) -> tuple:
    """A dilated k-tap window: each output sees d*(k-1) more input-grid steps than its input did."""
    return tuple(d * (k - 1) for k, d in zip(kernel, dilation)), tuple(stride), False


# Importing the families fills the registry.
from . import conv, linear, merge, norm, pool, elementwise  # noqa: E402, F401
