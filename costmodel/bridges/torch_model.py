"""A spec as a `torch.nn` graph, for cross-checking costmodel against PyTorch's own counters.

`build_model(spec, values)` evaluates every argument with the reference's expression evaluator and
channel rounding (so channel counts are the ones costmodel reports), builds one module per spec
layer, NCHW, on the `meta` device by default (shapes only, no weights allocated), and wires them in
spec order. Tensors stay 4-D throughout: `dense` and `flatten` output (N, features, 1, 1), which is
the spec's 1 x 1 x features.

Padding follows the spec exactly: TensorFlow's 'same' pads (total = max((out-1)*s + d*(k-1) + 1 - n,
0), the smaller half before, as TF does), explicit pads may be asymmetric; both are an explicit
pad (`Pad`) before the window op whenever they are not zero. Max pooling pads with -inf.

torch is imported here (and, lazily, inside the family builders in ops/): it is an optional extra
(`pip install 'cnn-costmodel[torch]'`); the family files' builders import it when they build. This file
keeps the graph wiring and the few modules torch.nn does not have; each layer's module comes from its
family's definition (`OpDef.torch`, collected in BUILDERS); a type without one is a SpecError, never a
silent pass.
"""

from __future__ import annotations

from fractions import Fraction

import torch
import torch.nn.functional as F
from torch import nn

from .. import reference as ref
from ..errors import SpecError
from ..ops import REGISTRY
from ..spec import NETWORK_INPUT

# --- modules the spec needs that torch.nn does not have as such -------------------------------


class Pad(nn.Module):
    """Explicit (possibly asymmetric) spatial padding: (left, right, top, bottom)."""

    def __init__(self, pads: tuple, value: float = 0.0):
        super().__init__()
        self.pads, self.value = tuple(pads), value

    def forward(self, x):
        return F.pad(x, self.pads, value=self.value)


class Dense(nn.Module):
    """Flatten (N, C, H, W) -> (N, C*H*W), a Linear, back to (N, units, 1, 1)."""

    def __init__(self, features: int, units: int, bias: bool, device):
        super().__init__()
        self.linear = nn.Linear(features, units, bias=bias, device=device)

    def forward(self, x):
        return self.linear(torch.flatten(x, 1)).reshape(x.shape[0], -1, 1, 1)


class Flatten4d(nn.Module):
    def forward(self, x):
        return x.reshape(x.shape[0], -1, 1, 1)


class Add(nn.Module):
    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Multiply(nn.Module):
    """The element-wise product of the inputs, broadcasting as torch does (torchvision's
    SqueezeExcitation: `scale * input`)."""

    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class LayerNorm2d(nn.LayerNorm):
    """Layer norm over the channels of an NCHW tensor, as torchvision's ConvNeXt writes it."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class Scale(nn.Module):
    """A learned multiplier per channel (torchvision's CNBlock layer_scale: a (C, 1, 1) parameter)."""

    def __init__(self, channels: int, device):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels, 1, 1, device=device))

    def forward(self, x):
        return self.weight * x


class Concat(nn.Module):
    def forward(self, *xs):
        return torch.cat(xs, dim=1)


class Split(nn.Module):
    """Keep channel group `index` of `parts` equal groups."""

    def __init__(self, parts: int, index: int):
        super().__init__()
        self.parts, self.index = parts, index

    def forward(self, x):
        return torch.chunk(x, self.parts, dim=1)[self.index]


class Shuffle(nn.Module):
    """ShuffleNet's channel shuffle: (g, C/g) -> (C/g, g)."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        return x.reshape(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ChannelPad(nn.Module):
    """Zero channels appended after the input's (ResNet's option-A shortcut)."""

    def __init__(self, extra: int):
        super().__init__()
        self.extra = extra

    def forward(self, x):
        return F.pad(x, (0, 0, 0, 0, 0, self.extra))


class SpecModel(nn.Module):
    """One module per spec layer (`layers['l<index>']`), run in spec order; returns the output of
    every sink layer (a tuple if there are several). After a forward, `outputs` maps each layer name
    to its output tensor."""

    def __init__(self, spec, modules: dict, plan: list):
        super().__init__()
        self.spec = spec
        self.layers = nn.ModuleDict(modules)
        self.plan = plan  # (module key, layer name, input names)
        self.outputs: dict = {}

    def forward(self, x):
        outs = {NETWORK_INPUT: x}
        for key, name, inputs in self.plan:
            outs[name] = self.layers[key](*(outs[i] for i in inputs))
        self.outputs = outs
        sinks = self.sinks()
        return outs[sinks[0]] if len(sinks) == 1 else tuple(outs[name] for name in sinks)

    def sinks(self) -> list:
        """Layers no later layer reads: the network's outputs (several for a multi-exit network).
        All are returned, so a tracing counter (fvcore) does not prune an exit as dead code."""
        used = {i for _, _, inputs in self.plan for i in inputs}
        return [name for _, name, _ in self.plan if name not in used]


def module_key(index: int) -> str:
    """The ModuleDict key of spec layer `index` (layer names may hold '.', which torch refuses)."""
    return f"l{index}"


# --- padding ----------------------------------------------------------------------------------


def padded(window: nn.Module, pads: tuple, value: float = 0.0) -> nn.Module:
    top, bottom, left, right = pads
    if not any(pads):
        return window
    return nn.Sequential(Pad((left, right, top, bottom), value), window)


# --- one module per layer type: each family file's builder (ops/<family>.py, OpDef.torch) -----
# (args, input shapes (H, W, C), values, rounding, device) -> nn.Module

BUILDERS = {type_: op.torch for type_, op in REGISTRY.items() if op.torch is not None}


# --- the graph --------------------------------------------------------------------------------


def input_shape(spec, values) -> tuple[int, int, int]:
    """(H, W, C) of the network input for these symbol values."""
    return ref._input_shape(spec, {k: Fraction(v) for k, v in values.items()})


def build_model(spec, values: dict, device: str = "meta") -> SpecModel:
    """The spec as an eval-mode SpecModel for the given (complete) symbol values. Shapes are
    threaded by the reference propagator, so a spec that does not fit fails as it does there."""
    rows = ref.propagate(spec, values)  # raises the located SpecError for anything that does not fit
    values = {k: Fraction(v) for k, v in values.items()}
    shapes = {NETWORK_INPUT: input_shape(spec, values)}
    modules, plan = {}, []
    for layer, row in zip(spec.layers, rows):
        where = f"{layer.index} '{layer.name}' ({layer.type})"
        builder = BUILDERS.get(layer.type)
        if builder is None:
            raise SpecError(f"layer type {layer.type!r} has no PyTorch counterpart in costmodel.bridges.torch_model",
                            file=spec.file, line=layer.line, column=layer.column, layer=where)
        try:
            module = builder(layer.args, [shapes[i] for i in layer.inputs], ref.layer_values(values, layer, shapes),
                             layer.rounding, device)
        except SpecError as e:
            raise SpecError(e.message, file=spec.file, line=layer.line, column=layer.column, layer=where) from None
        modules[module_key(layer.index)] = module
        plan.append((module_key(layer.index), layer.name, layer.inputs))
        shapes[layer.name] = row["shape"]
    return SpecModel(spec, modules, plan).to(device).eval()


def materialize(model: SpecModel) -> SpecModel:
    """The meta model with real CPU tensors (zeros; batch-norm variances ones), for counters that
    need to run a forward pass (ptflops, thop, fvcore). No random initialisation: counts do not
    depend on values, and zeros are quick to make."""
    model = model.to_empty(device="cpu")
    with torch.no_grad():
        for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
            tensor.fill_(1 if name.endswith("running_var") else 0)
    return model


def example_input(spec, values: dict, device: str = "meta", batch: int = 1):
    """An NCHW input of the spec's shape."""
    h, w, c = input_shape(spec, values)
    return torch.zeros(batch, c, h, w, device=device)
