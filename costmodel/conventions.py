"""Counting conventions as named profiles: what each counter in use calls a layer's cost.

Counters disagree on the same layer: MACs or 2 x MACs, bias or not, batch norm 0 / n / 2n / 4n, ReLU
and pooling counted or not, batch-norm statistics among the parameters (Keras) or not. A profile is
data (a documented rule per layer family) plus one small function per layer over costmodel's
per-layer numbers (`network.LayerRow`), the layer's arguments (`LayerSpec.args`: bias, affine,
kernel, padding) and its input shapes. Nothing here imports torch.

Profiles (each was read from the tool's source and, for the runnable ones, checked by running the
tool on the translated torch graph: tests/test_conventions.py):

- macs (default): multiply-accumulates of conv and fully-connected layers, the papers' Mult-Adds.
- torch: torch.utils.flop_counter.FlopCounterMode (torch 2.13): 2 FLOPs per MAC of aten.convolution
  and aten.mm/addmm, nothing else (no bias, batch norm, activation, pooling, add).
- fvcore: fvcore.nn.FlopCountAnalysis (0.1.5): one "flop" per MAC for conv and linear (bias ignored),
  batch norm in eval mode n (2n with affine), adaptive average pooling n_in; every other op is
  unsupported or ignored and counts 0.
- ptflops: ptflops.get_model_complexity_info (0.7.5, default pytorch backend): module hooks plus
  patched torch.nn.functional calls. Because nn.ReLU, nn.ELU, nn.GELU and the pooling modules call
  the patched functions, ptflops counts them twice (hook and functional) with torch 2.13.
- thop: thop.profile (0.1.1): conv and linear MACs without bias, batch norm 2n (4n with affine),
  softmax (3C - 1) per position, average pooling one per output (adaptive: kernel area + 1 per
  output), ReLU, max pooling and unregistered modules 0.
- keras: parameters with batch-norm statistics (Keras' "Total params"); FLOPs as TensorFlow's profiler
  (tf.compat.v1.profiler, float_operation) counts an inference graph from its flops registry:
  Conv2D/DepthwiseConv2dNative/MatMul 2 per MAC, BiasAdd 1 per output, AvgPool/MaxPool kernel area per
  output, Mean (global average pooling) n_in, AddV2 1 per output, Softmax 5 per element; ops with no
  registered statistics (FusedBatchNormV3, Relu, Relu6, Sigmoid, Tanh, Elu, LeakyRelu, Max, ConcatV2)
  0. Not run here (no TensorFlow): hard_swish, hard_sigmoid and gelu are composite ops in Keras whose
  count depends on the Keras version; this profile counts them 0 and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .errors import SpecError, install_hint

MACS_HEADER = ("convention macs: a MAC is one multiply-accumulate of a convolution or fully-connected "
               "layer (the papers' Mult-Adds); FLOPs = 2 x MACs; params are trainable weights and biases, "
               "batch-norm running statistics counted apart")

FAMILIES = ("conv", "bias", "dense", "batch norm", "activations", "softmax", "pooling", "add", "concat", "other")

FAMILY_OF = {
    "conv": "conv", "pointwise": "conv", "dwconv": "conv", "dense": "dense", "batchnorm": "batch norm",
    **{t: "activations" for t in ("relu", "relu6", "leaky_relu", "sigmoid", "tanh", "hard_swish", "hard_sigmoid",
                                  "swish", "elu", "gelu")},
    "softmax": "softmax",
    **{t: "pooling" for t in ("maxpool", "avgpool", "global_avgpool", "global_maxpool", "fractional_maxpool")},
    "add": "add", "concat": "concat",
    **{t: "other" for t in ("dropout", "identity", "flatten", "split", "shuffle", "channel_pad")},
}


@dataclass(frozen=True)
class Layer:
    """What a profile sees of one layer: costmodel's row, the spec's arguments, the input shapes."""

    row: object  # network.LayerRow
    spec: object  # spec.LayerSpec
    inputs: tuple  # (H, W, C) of each input
    values: dict  # symbol values

    @property
    def type(self) -> str:
        return self.row.type

    @property
    def bias(self) -> bool:
        return bool(self.spec.args.get("bias", False))

    @property
    def affine(self) -> bool:
        return bool(self.spec.args.get("affine", False))

    @property
    def n_out(self) -> int:
        return self.row.floats_out

    @property
    def n_in(self) -> int:
        """Elements of the first input."""
        h, w, c = self.inputs[0]
        return h * w * c

    def pool_window(self) -> tuple:
        """(kh, kw) and the padded input's element count of a windowed pool."""
        from . import reference as ref
        h, w, c = self.inputs[0]
        kernel = ref._pair(self.spec.args["kernel"], self.values, "kernel")
        stride = kernel if self.spec.args.get("stride") is None else ref._pair(self.spec.args["stride"], self.values, "stride")
        top, bottom, left, right = explicit_pads(self.spec.args.get("padding") or "valid", (h, w), kernel, stride,
                                                 (1, 1), self.values)
        return kernel, (h + top + bottom) * (w + left + right) * c


def explicit_pads(padding, n_hw, kernel, stride, dilation, values) -> tuple:
    """(top, bottom, left, right) of a spec padding: 'valid', explicit sizes, or TensorFlow's 'same':
    total = max((out - 1)*s + d*(k - 1) + 1 - n, 0) with out = ceil(n / s), the odd one after."""
    from . import reference as ref
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        pads = []
        for n, k, s, d in zip(n_hw, kernel, stride, dilation):
            out = -(-n // s)
            total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
            pads += [total // 2, total - total // 2]
        return tuple(pads)
    return tuple(ref._integer(p, values, "padding", minimum=0) for p in padding)


@dataclass(frozen=True)
class Profile:
    name: str
    unit: str  # what `ops` counts: "MACs" or "FLOPs"
    summary: str  # the report header's text after "convention NAME: "
    rules: dict  # family -> what the tool counts there (README table, `explain`)
    count: Callable  # Layer -> ops
    params_with_statistics: bool = False  # Keras: batch-norm running statistics are parameters
    tool: str = ""  # the tool and version the profile describes

    def header(self) -> str:
        return MACS_HEADER if self.name == "macs" else f"convention {self.name}: {self.summary}"

    def params(self, layer: Layer) -> int:
        row = layer.row
        return row.params + (row.params_non_trainable if self.params_with_statistics else 0)


@dataclass(frozen=True)
class Count:
    """One layer under a profile."""

    ops: int
    params: int


# --- the counting functions, one per profile ----------------------------------------------------


def _macs(layer: Layer) -> int:
    return layer.row.macs


def _torch(layer: Layer) -> int:
    return 2 * layer.row.macs  # aten.convolution / aten.mm / aten.addmm: 2 per MAC; nothing else


def _fvcore(layer: Layer) -> int:
    t = layer.type
    if t in ("conv", "pointwise", "dwconv", "dense"):
        return layer.row.macs  # one per MAC, bias ignored
    if t == "batchnorm":
        return layer.n_in * (2 if layer.affine else 1)  # eval-mode aten::batch_norm
    if t == "global_avgpool":
        return layer.n_in  # aten::adaptive_avg_pool2d: one per input element
    return 0  # relu ignored; max/avg pool, other activations, softmax, add: unsupported ops, skipped


PTFLOPS_TWICE = ("relu", "elu", "gelu")  # nn module hook + patched F.relu / F.elu / F.gelu
PTFLOPS_ONCE = ("relu6", "leaky_relu", "swish", "softmax")  # hook only (relu6 calls F.hardtanh), or F only


def _ptflops(layer: Layer) -> int:
    t = layer.type
    if t in ("conv", "pointwise", "dwconv"):
        return layer.row.macs + (layer.n_out if layer.bias else 0)  # + one bias add per output
    if t == "dense":
        return layer.row.macs + (layer.n_out if layer.bias else 0)
    if t == "batchnorm":
        return layer.n_in * (2 if layer.affine else 1)
    if t in PTFLOPS_TWICE:
        return 2 * layer.n_out
    if t in PTFLOPS_ONCE:
        return layer.n_out
    if t in ("maxpool", "avgpool"):
        return 2 * layer.pool_window()[1]  # hook and F.*_pool2d: the (padded) input's elements, twice
    if t in ("global_avgpool", "global_maxpool"):
        return 2 * layer.n_in  # adaptive pooling: hook and F.adaptive_*_pool2d
    return 0  # sigmoid, tanh, hard_*: no hook; fractional pool, add (a + b), concat: not counted


def _thop(layer: Layer) -> int:
    t = layer.type
    if t in ("conv", "pointwise", "dwconv", "dense"):
        return layer.row.macs  # bias not counted
    if t == "batchnorm":
        return layer.n_in * (4 if layer.affine else 2)  # calculate_norm: 2n, doubled with affine
    if t == "softmax":
        c = layer.inputs[0][2]  # nn.Softmax(dim=1): per position exp + (C - 1) adds + C divisions
        return layer.n_in // c * (3 * c - 1)
    if t == "avgpool":
        return layer.n_out  # one per output
    if t == "global_avgpool":
        h, w, c = layer.inputs[0]
        return (h * w + 1) * c  # adaptive: kernel area + 1 division, per output
    return 0  # ReLU, ReLU6, LeakyReLU, max pooling, dropout: zero_ops; unregistered modules: 0


def _keras(layer: Layer) -> int:
    t = layer.type
    if t in ("conv", "pointwise", "dwconv", "dense"):
        return 2 * layer.row.macs + (layer.n_out if layer.bias else 0)  # Conv2D/MatMul + BiasAdd
    if t == "swish":
        return layer.n_out  # x * sigmoid(x): one Mul per element
    if t == "softmax":
        return 5 * layer.n_in
    if t in ("maxpool", "avgpool"):
        (kh, kw), _ = layer.pool_window()
        return kh * kw * layer.n_out  # kernel area per output
    if t == "global_avgpool":
        return layer.n_in  # Mean: one per input element
    if t == "add":
        return (len(layer.inputs) - 1) * layer.n_out  # one AddV2 per extra input
    return 0  # FusedBatchNormV3, Relu, Relu6, Sigmoid, Tanh, Elu, LeakyRelu, Max, ConcatV2: no flops registered


_RULES_MACS = {
    "conv": "H_out*W_out*C_out*k_h*k_w*C_in/groups", "bias": "0", "dense": "in_features*units",
    "batch norm": "0 (folded at inference)", "activations": "0", "softmax": "0", "pooling": "0", "add": "0",
    "concat": "0", "other": "0"}

PROFILES = {p.name: p for p in [
    Profile("macs", "MACs", "", _RULES_MACS, _macs, tool="the papers' Mult-Adds"),
    Profile("torch", "FLOPs", "torch.utils.flop_counter (FlopCounterMode): FLOPs = 2 x MACs of convolutions and "
            "matrix products only; params are parameter numels, batch-norm statistics apart", {
                "conv": "2 x MACs", "bias": "0", "dense": "2 x MACs (addmm)", "batch norm": "0",
                "activations": "0", "softmax": "0", "pooling": "0", "add": "0", "concat": "0", "other": "0"},
            _torch, tool="torch 2.13 FlopCounterMode"),
    Profile("fvcore", "MACs", "fvcore FlopCountAnalysis: one flop per MAC of conv and linear, batch norm n (2n "
            "with affine), adaptive average pooling n_in, everything else 0; params trainable", {
                "conv": "MACs", "bias": "0", "dense": "MACs", "batch norm": "n (2n with affine), eval mode",
                "activations": "0 (relu ignored, others unsupported)", "softmax": "0 (unsupported)",
                "pooling": "global average: n_in; max, windowed average, fractional: 0 (unsupported)",
                "add": "0 (unsupported)", "concat": "0 (ignored)", "other": "0"},
            _fvcore, tool="fvcore 0.1.5"),
    Profile("ptflops", "MACs", "ptflops (pytorch backend): MACs + bias per output, batch norm n (2n with affine), "
            "ReLU/ELU/GELU 2n and ReLU6/LeakyReLU/SiLU/softmax n, pooling 2 x n_in (module hook and patched "
            "functional both count); params trainable", {
                "conv": "MACs", "bias": "1 per output element", "dense": "MACs + units with bias",
                "batch norm": "n (2n with affine)",
                "activations": "relu, elu, gelu: 2n (counted twice); relu6, leaky_relu, swish: n; "
                               "sigmoid, tanh, hard_*: 0",
                "softmax": "n", "pooling": "max/avg/global: 2 x (padded) input elements (counted twice); fractional: 0",
                "add": "0 (a + b is not patched)", "concat": "0", "other": "0"},
            _ptflops, tool="ptflops 0.7.5 with torch 2.13"),
    Profile("thop", "MACs", "thop profile: MACs of conv and linear without bias, batch norm 2n (4n with affine), "
            "softmax (3C-1) per position, average pooling 1 per output (adaptive: kernel area + 1), ReLU and max "
            "pooling 0; params trainable", {
                "conv": "MACs", "bias": "0", "dense": "MACs", "batch norm": "2n (4n with affine)",
                "activations": "0", "softmax": "(3C - 1) per position",
                "pooling": "avg: 1 per output; global avg: (H*W + 1) per output; max, fractional: 0",
                "add": "0", "concat": "0", "other": "0"},
            _thop, tool="thop 0.1.1"),
    Profile("keras", "FLOPs", "Keras/TensorFlow profiler: FLOPs = 2 x MACs + 1 per bias add, pooling kernel area per "
            "output, global average n_in, add 1 per output, softmax 5n, batch norm and activations 0; params "
            "include batch-norm statistics (Keras' Total params)", {
                "conv": "2 x MACs (Conv2D, DepthwiseConv2dNative)", "bias": "1 per output element (BiasAdd)",
                "dense": "2 x MACs + units with bias (MatMul + BiasAdd)",
                "batch norm": "0 (FusedBatchNormV3 has no flops statistics); 4 params per channel",
                "activations": "0 (no statistics), swish n (Mul); hard_swish, hard_sigmoid, gelu: 0, not modelled",
                "softmax": "5n", "pooling": "max/avg: k_h*k_w per output; global average: n_in (Mean); "
                                            "global max, fractional: 0",
                "add": "1 per output per extra input (AddV2)", "concat": "0", "other": "0"},
            _keras, params_with_statistics=True, tool="TensorFlow profiler flops_registry"),
]}

NAMES = tuple(PROFILES)
DEFAULT = "macs"
PEERS = ("fvcore", "ptflops", "thop")  # tools that run on a torch graph
VERIFIABLE = ("macs", "torch", *PEERS)


def get(name: str) -> Profile:
    if name not in PROFILES:
        raise SpecError(f"unknown convention {name!r} (conventions: {', '.join(NAMES)})")
    return PROFILES[name]


def layers(evaluation) -> list[Layer]:
    """Each row of an Evaluation with its spec arguments and input shapes."""
    from . import reference
    spec = evaluation.network.spec
    shapes = {"input": reference._input_shape(spec, evaluation.values)}
    result = []
    for row, layer_spec in zip(evaluation.rows, spec.layers):
        result.append(Layer(row, layer_spec, tuple(shapes[i] for i in layer_spec.inputs), evaluation.values))
        shapes[row.name] = row.shape
    return result


def layer_counts(evaluation, convention) -> list[Count]:
    """Per layer: the profile's ops and params."""
    profile = convention if isinstance(convention, Profile) else get(convention)
    return [Count(int(profile.count(layer)), profile.params(layer)) for layer in layers(evaluation)]


def totals(evaluation, convention) -> dict:
    """A network's totals under a convention: {"convention", "unit", "ops", "params"}. For callers
    such as `compare` that put a published number beside ours in the paper's own convention."""
    profile = convention if isinstance(convention, Profile) else get(convention)
    counts = layer_counts(evaluation, profile)
    return {"convention": profile.name, "unit": profile.unit, "ops": sum(c.ops for c in counts),
            "params": sum(c.params for c in counts)}


def by_type(evaluation, convention) -> dict:
    """Per layer type: {"layers", "ops", "params"} under a convention (for `explain`)."""
    profile = convention if isinstance(convention, Profile) else get(convention)
    groups: dict = {}
    for layer, count in zip(layers(evaluation), layer_counts(evaluation, profile)):
        g = groups.setdefault(layer.type, {"layers": 0, "ops": 0, "params": 0})
        g["layers"] += 1
        g["ops"] += count.ops
        g["params"] += count.params
    return groups


def run_peer(name: str, model, x) -> tuple[int, int]:
    """Run a peer tool on a torch model and return its (ops, params) totals. fvcore (a jit trace)
    and ptflops need real tensors (torch_model.materialize); thop reads shapes only and also runs
    on the meta device."""
    import importlib.util
    import io

    if name in PEERS and importlib.util.find_spec(name) is None:
        raise SpecError(f"convention {name!r} runs the {name} package, which is not installed "
                        f"({install_hint('peers')}: the versions this profile describes)")
    import torch
    import torch.nn.functional as F
    import torch._dynamo  # noqa: F401 - imported lazily by some ops; under ptflops' patches that import breaks

    # ptflops patches torch.nn.functional and some torch / Tensor ops; put them back whatever happens
    targets = [(F, key) for key in vars(F)] + [(owner, key) for owner in (torch, torch.Tensor)
                                                for key in ("matmul", "mm", "bmm", "addmm", "baddbmm", "mul", "add")]
    saved = [(owner, key, getattr(owner, key)) for owner, key in targets]
    out = io.StringIO()
    try:
        return _run_peer(name, model, x, out)
    finally:
        for owner, key, value in saved:
            if getattr(owner, key) is not value:
                setattr(owner, key, value)


def _run_peer(name, model, x, out) -> tuple[int, int]:
    import contextlib
    import warnings

    with warnings.catch_warnings(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        warnings.simplefilter("ignore")
        if name == "ptflops":
            from ptflops import get_model_complexity_info
            ops, params = get_model_complexity_info(model, tuple(x.shape[1:]), as_strings=False,
                                                    print_per_layer_stat=False, verbose=False)
            if ops is None:
                raise SpecError(f"ptflops failed on the model: {out.getvalue().strip().splitlines()[-1:]}")
        elif name == "thop":
            from thop import profile
            ops, params = profile(model, inputs=(x,), verbose=False)
        elif name == "fvcore":
            from fvcore.nn import FlopCountAnalysis, parameter_count
            analysis = FlopCountAnalysis(model, x)
            analysis.unsupported_ops_warnings(False)
            analysis.uncalled_modules_warnings(False)
            ops, params = analysis.total(), parameter_count(model)[""]
        else:
            raise SpecError(f"no peer tool called {name!r} (peers: {', '.join(PEERS)})")
    if ops != int(ops) or params != int(params):
        raise SpecError(f"{name} returned fractional counts {ops}, {params}")
    return int(ops), int(params)


def readme_table() -> str:
    """The README's table: one row per profile, one column per layer family."""
    cols = ["conv", "bias", "dense", "batch norm", "activations", "softmax", "pooling", "add", "concat"]
    lines = ["| profile | unit | params | " + " | ".join(cols) + " |", "|" + "---|" * (len(cols) + 3)]
    for p in PROFILES.values():
        params = "trainable + BN statistics" if p.params_with_statistics else "trainable"
        lines.append(f"| `{p.name}` ({p.tool}) | {p.unit} | {params} | " + " | ".join(p.rules[c] for c in cols) + " |")
    return "\n".join(lines)
