"""Counting conventions as named profiles: what each counter in use calls a layer's cost.

Counters disagree on the same layer: MACs or 2 x MACs, bias or not, batch norm 0 / n / 2n / 4n, ReLU
and pooling counted or not, batch-norm statistics among the parameters (Keras) or not. A profile is
data (a documented rule per layer family) plus one small function per family over costmodel's
per-layer numbers (`network.LayerRow`), the layer's facts as its family file defines them (family,
bias, affine, a pool's reduction and window: `ops.OpDef`) and its input shapes. A family (or, where
a tool tells types apart, a type) a profile has no rule for is an error, never a silent 0. Nothing
here imports torch.

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
- pycls: facebookresearch/pycls's static complexity (pycls/models/blocks.py: conv2d_cx, norm2d_cx,
  pool2d_cx, gap2d_cx, layernorm_cx, linear_cx, SE.complexity; read at commit 5719de6). Its "flops"
  are multiply-adds: conv and linear MACs plus one per output element of a bias; batch and layer
  norm params 2C and nothing else; max pooling, activations, the residual add, squeeze-excitation's
  product, global average pooling and dropout cost no flops. It also counts "acts": the output
  elements of every conv, linear and max-pool layer (nothing else). pycls builds no softmax,
  concatenation, windowed average pooling, layer scale, channel shuffle or split: those are errors.
  Not runnable here (pycls's counter is per model class, not a graph walker); the table it publishes,
  dev/model_complexity.json, is reproduced by costmodel/analyses/reproduction/pycls.py.
"""

from __future__ import annotations

from typing import Any

from dataclasses import dataclass
from typing import Callable

from ..errors import SpecError, install_hint
from ..ops import REGISTRY, lookup
from ..ops.pool import sliding_window
from ..ops.spatial import explicit_pads  # noqa: F401 - part of this module's API

MACS_HEADER = ("convention macs: a MAC is one multiply-accumulate of a convolution or fully-connected "
               "layer (the papers' Mult-Adds); FLOPs = 2 x MACs; params are trainable weights and biases, "
               "batch-norm running statistics counted apart")

FAMILIES = ("conv", "bias", "dense", "batch norm", "layer norm", "activations", "softmax", "pooling", "add",
            "multiply", "concat", "other")

# A layer type's family, as its family file declares it (`OpDef.family` in ops/<family>.py).
FAMILY_OF = {type_: op.family for type_, op in REGISTRY.items()}


@dataclass(frozen=True)
class Layer:
    """What a profile sees of one layer: costmodel's row, the spec's arguments, the input shapes."""

    row: Any  # network.LayerRow
    spec: Any  # spec.LayerSpec
    inputs: tuple  # (H, W, C) of each input
    values: dict  # symbol values

    @property
    def type(self) -> str:
        return self.row.type

    @property
    def op(self):
        """The layer type's definition in its family file: every fact below is read through it."""
        return lookup(self.type)

    @property
    def family(self) -> str:
        return self.op.family

    @property
    def bias(self) -> bool:
        return "bias" in self.op.params and bool(self.spec.args["bias"])

    @property
    def affine(self) -> bool:
        return "affine" in self.op.params and bool(self.spec.args["affine"])

    @property
    def pool(self) -> tuple:
        """(reduction, window) of a pooling layer: ("max" | "avg", "sliding" | "global" | "fractional")."""
        return self.op.facts["pool"], self.op.facts["window"]

    @property
    def ceil_mode(self) -> bool:
        return bool(self.spec.args.get("ceil_mode"))

    @property
    def n_out(self) -> int:
        return self.row.floats_out

    @property
    def n_in(self) -> int:
        """Elements of the first input."""
        h, w, c = self.inputs[0]
        return h * w * c

    def pool_window(self) -> tuple:
        """(kh, kw) and the padded input's element count of a sliding pool."""
        return sliding_window(self.spec.args, self.inputs[0], self.values)


@dataclass(frozen=True)
class Profile:
    name: str
    unit: str  # what `ops` counts: "MACs" or "FLOPs"
    summary: str  # the report header's text after "convention NAME: "
    rules: dict  # family -> what the tool counts there (README table, `explain`)
    count: Callable  # Layer -> ops
    params_with_statistics: bool = False  # Keras: batch-norm running statistics are parameters
    tool: str = ""  # the tool and version the profile describes
    params_uncounted: tuple = ()  # families whose parameters the tool does not count (thop: unhooked modules)
    acts: Callable | None = None  # Layer -> activations the tool counts (pycls), None if it counts none
    acts_rule: str = ""  # what `acts` counts (README, `explain`)

    def header(self) -> str:
        return MACS_HEADER if self.name == "macs" else f"convention {self.name}: {self.summary}"

    def params_note(self, family: str) -> str:
        """Why this profile's params for a family are not the trainable count ('' when they are)."""
        if family in self.params_uncounted:
            return f"{self.name} counts no parameters of this type (it has no rule for its module)"
        if self.params_with_statistics and family == "batch norm":
            return f"batch-norm statistics are parameters in {self.name}"
        return ""

    def params(self, layer: Layer) -> int:
        row = layer.row
        if layer.family in self.params_uncounted:
            return 0
        return row.params + (row.params_non_trainable if self.params_with_statistics else 0)


@dataclass(frozen=True)
class Count:
    """One layer under a profile."""

    ops: int
    params: int
    acts: int | None = None  # None: the profile counts no activations


# --- the counting functions, one per profile: a rule per family, read from the layer's definition ---


def _by_family(profile: str, table: dict) -> Callable:
    """A profile's count: its rule for the layer's family. A family the profile has no rule for is
    an error, never a silent 0."""
    def count(layer: Layer) -> int:
        rule = table.get(layer.family)
        if rule is None:
            raise SpecError(f"convention {profile!r} has no rule for layer type {layer.type!r} "
                            f"(family {layer.family!r})")
        return rule(layer)
    return count


def _per_type(profile: str, per_output: dict) -> Callable:
    """Within a family, where the tool tells the types apart (by torch module or TF op): ops per
    output element, by type; a type missing from the table is an error."""
    def rule(layer: Layer) -> int:
        if layer.type not in per_output:
            raise SpecError(f"convention {profile!r} has no rule for layer type {layer.type!r}")
        return per_output[layer.type] * layer.n_out
    return rule


def _zero(layer: Layer) -> int:
    return 0


def _macs(layer: Layer) -> int:
    return layer.row.macs


def _torch(layer: Layer) -> int:
    return 2 * layer.row.macs  # aten.convolution / aten.mm / aten.addmm: 2 per MAC; nothing else


def _with_bias(layer: Layer) -> int:
    return layer.n_out if layer.bias else 0  # one bias add per output element


def _bn_per_input(plain: int, affine: int) -> Callable:
    return lambda layer: layer.n_in * (affine if layer.affine else plain)


_fvcore = _by_family("fvcore", {
    "conv": _macs, "dense": _macs,  # one per MAC, bias ignored
    "batch norm": _bn_per_input(1, 2),  # eval-mode aten::batch_norm
    "layer norm": _bn_per_input(4, 5),  # aten::layer_norm: 4 per input element, 5 with affine
    # aten::adaptive_avg_pool2d (global or to a size): one per input element; max/avg pool: unsupported ops, skipped
    "pooling": lambda layer: layer.n_in if layer.pool in (("avg", "global"), ("avg", "adaptive")) else 0,
    "activations": _zero, "softmax": _zero, "add": _zero, "concat": _zero, "other": _zero,  # relu ignored; unsupported
    "multiply": _zero,  # aten::mul is ignored
})

# nn module hook + patched F.relu / F.elu / F.gelu: twice; relu6 (calls F.hardtanh), leaky_relu, swish: once
PTFLOPS_ACTIVATIONS = {"relu": 2, "elu": 2, "gelu": 2, "relu6": 1, "leaky_relu": 1, "swish": 1,
                       "sigmoid": 0, "tanh": 0, "hard_swish": 0, "hard_sigmoid": 0}  # no hook: 0


def _ptflops_pool(layer: Layer) -> int:
    _, window = layer.pool
    if window == "sliding" and layer.ceil_mode:
        return 2 * layer.n_in  # the padding is the module's own (PyTorch's ceil rule reads it): the input, twice
    if window == "sliding":
        return 2 * layer.pool_window()[1]  # hook and F.*_pool2d: the (padded) input's elements, twice
    if window in ("global", "adaptive"):
        return 2 * layer.n_in  # adaptive pooling: hook and F.adaptive_*_pool2d
    return 0  # fractional pooling: not counted


_ptflops = _by_family("ptflops", {
    "conv": lambda layer: layer.row.macs + _with_bias(layer), "dense": lambda layer: layer.row.macs + _with_bias(layer),
    "batch norm": _bn_per_input(1, 2), "activations": _per_type("ptflops", PTFLOPS_ACTIVATIONS),
    "softmax": lambda layer: layer.n_out, "pooling": _ptflops_pool,
    "add": _zero, "concat": _zero, "other": _zero, "multiply": _zero,  # a + b, a * b are not patched
    "layer norm": _zero,  # LayerNorm2d subclasses nn.LayerNorm: no hook for its type, F.layer_norm not patched
})


def _thop_softmax(layer: Layer) -> int:
    c = layer.inputs[0][2]  # nn.Softmax(dim=1): per position exp + (C - 1) adds + C divisions
    return layer.n_in // c * (3 * c - 1)


def _thop_adaptive(layer: Layer) -> int:
    """calculate_adaptive_avg: int((kernel + 1) * outputs), the kernel being the in/out area in doubles,
    so n_in + n_out exactly when out divides in (global pooling), and possibly one less otherwise."""
    (h, w, _), (ho, wo, _) = layer.inputs[0], layer.row.shape
    kernel = (h / ho) * (w / wo)  # torch.prod of the float64 ratios: float arithmetic on purpose
    return int((kernel + 1) * layer.n_out)


def _thop_pool(layer: Layer) -> int:
    if layer.pool == ("avg", "sliding"):
        return layer.n_out  # one per output
    if layer.pool in (("avg", "global"), ("avg", "adaptive")):
        return _thop_adaptive(layer)
    return 0  # max pooling: zero_ops; fractional: unregistered


_thop = _by_family("thop", {
    "conv": _macs, "dense": _macs,  # bias not counted
    "batch norm": _bn_per_input(2, 4),  # calculate_norm: 2n, doubled with affine
    "softmax": _thop_softmax, "pooling": _thop_pool,
    "activations": _zero, "add": _zero, "concat": _zero, "other": _zero,  # zero_ops or unregistered modules
    "layer norm": _zero, "multiply": _zero,  # LayerNorm2d, the scale and a * b: unregistered
})

# TensorFlow registers flops for Mul (swish: x * sigmoid(x)) only among the activations
KERAS_ACTIVATIONS = {"swish": 1, "relu": 0, "relu6": 0, "leaky_relu": 0, "sigmoid": 0, "tanh": 0, "elu": 0,
                     "hard_swish": 0, "hard_sigmoid": 0, "gelu": 0}  # the last three: composite, not modelled


def _keras_pool(layer: Layer) -> int:
    if layer.pool[1] == "adaptive" or layer.ceil_mode:
        raise SpecError(f"convention 'keras' has no rule for layer type {layer.type!r}"
                        f"{' with ceil_mode' if layer.ceil_mode else ''} (Keras has no such pooling)")
    if layer.pool[1] == "sliding":
        (kh, kw), _ = layer.pool_window()
        return kh * kw * layer.n_out  # kernel area per output
    if layer.pool == ("avg", "global"):
        return layer.n_in  # Mean: one per input element
    return 0  # Max (global max), fractional: no flops registered


_keras = _by_family("keras", {
    "conv": lambda layer: 2 * layer.row.macs + _with_bias(layer),  # Conv2D + BiasAdd
    "dense": lambda layer: 2 * layer.row.macs + _with_bias(layer),  # MatMul + BiasAdd
    "activations": _per_type("keras", KERAS_ACTIVATIONS), "softmax": lambda layer: 5 * layer.n_in,
    "pooling": _keras_pool, "add": lambda layer: (len(layer.inputs) - 1) * layer.n_out,  # one AddV2 per extra input
    "batch norm": _zero, "concat": _zero, "other": _zero,  # FusedBatchNormV3, ConcatV2: no flops registered
    "layer norm": _zero,  # LayerNormalization: composite, depends on the Keras version; not modelled
    "multiply": lambda layer: layer.n_out,  # one Mul per output element
})


# pycls (pycls/models/blocks.py). Every rule below is one of its *_cx functions, which accumulate
# (flops, params, acts); a layer it builds no module for has no rule.


def _pycls_with_bias(layer: Layer) -> int:
    return layer.row.macs + _with_bias(layer)  # conv2d_cx / linear_cx: k*k*w_in*w_out*h*w//groups (+ w_out*h*w bias)


def _pycls_window(layer: Layer) -> str:
    """Which pycls pooling helper a pooling layer is: pool2d (max, sliding) or gap2d (global average:
    nn.AdaptiveAvgPool2d((1, 1)), so an adaptive average pool to 1x1 is one too)."""
    if layer.pool == ("max", "sliding"):
        return "pool2d"
    if layer.pool == ("avg", "global") or (layer.pool == ("avg", "adaptive") and layer.row.shape[:2] == (1, 1)):
        return "gap2d"
    raise SpecError(f"convention 'pycls' has no rule for layer type {layer.type!r} (pycls pools only with "
                    "pool2d, a max pool, and gap2d, a global average pool)")


def _pycls_pool_ops(layer: Layer) -> int:
    _pycls_window(layer)  # refuses a pool pycls has no helper for
    return 0  # pool2d_cx, gap2d_cx: no flops


def _pycls_pool_acts(layer: Layer) -> int:
    return layer.n_out if _pycls_window(layer) == "pool2d" else 0  # pool2d_cx: w_in*h*w; gap2d_cx: nothing


_PYCLS_OTHER = {"dropout": 0, "identity": 0, "stochastic_depth": 0, "flatten": 0}  # EffHead's dropout,
# drop_connect, x.view: no cx; channel shuffle, split and channel padding: no pycls module (an error)

_pycls = _by_family("pycls", {
    "conv": _pycls_with_bias, "dense": _pycls_with_bias,
    "batch norm": _zero, "layer norm": _zero,  # norm2d_cx, layernorm_cx: params 2C only
    "activations": _zero,  # activation(): no cx function, whatever the function
    "pooling": _pycls_pool_ops,
    "add": _zero,  # ResBlock's x + f(x): not counted
    "multiply": _per_type("pycls", {"multiply": 0}),  # SE's x * f_ex(x): not counted; no layer scale in pycls
    "other": _per_type("pycls", _PYCLS_OTHER),
})  # softmax, concat: pycls's heads end at the logits and no pycls model concatenates

_pycls_acts = _by_family("pycls", {
    "conv": lambda layer: layer.n_out, "dense": lambda layer: layer.n_out,  # conv2d_cx: w_out*h*w; linear_cx: w_out
    "pooling": _pycls_pool_acts,
    "batch norm": _zero, "layer norm": _zero, "activations": _zero, "add": _zero, "multiply": _zero, "other": _zero,
})


_RULES_MACS = {
    "conv": "H_out*W_out*C_out*k_h*k_w*C_in/groups", "bias": "0", "dense": "in_features*units",
    "batch norm": "0 (folded at inference)", "layer norm": "0", "activations": "0", "softmax": "0", "pooling": "0",
    "add": "0", "multiply": "0", "concat": "0", "other": "0"}

PROFILES = {p.name: p for p in [
    Profile("macs", "MACs", "", _RULES_MACS, _macs, tool="the papers' Mult-Adds"),
    Profile("torch", "FLOPs", "torch.utils.flop_counter (FlopCounterMode): FLOPs = 2 x MACs of convolutions and "
            "matrix products only; params are parameter numels, batch-norm statistics apart", {
                "conv": "2 x MACs", "bias": "0", "dense": "2 x MACs (addmm)", "batch norm": "0", "layer norm": "0",
                "activations": "0", "softmax": "0", "pooling": "0", "add": "0", "multiply": "0 (aten.mul)",
                "concat": "0", "other": "0"},
            _torch, tool="torch 2.13 FlopCounterMode"),
    Profile("fvcore", "MACs", "fvcore FlopCountAnalysis: one flop per MAC of conv and linear, batch norm n (2n "
            "with affine), adaptive average pooling n_in, everything else 0; params trainable", {
                "conv": "MACs", "bias": "0", "dense": "MACs", "batch norm": "n (2n with affine), eval mode",
                "layer norm": "4n (5n with affine)",
                "activations": "0 (relu ignored, others unsupported)", "softmax": "0 (unsupported)",
                "pooling": "global or adaptive average: n_in; max, windowed average, fractional: 0 (unsupported)",
                "add": "0 (unsupported)", "multiply": "0 (aten::mul ignored)", "concat": "0 (ignored)", "other": "0"},
            _fvcore, tool="fvcore 0.1.5"),
    Profile("ptflops", "MACs", "ptflops (pytorch backend): MACs + bias per output, batch norm n (2n with affine), "
            "ReLU/ELU/GELU 2n and ReLU6/LeakyReLU/SiLU/softmax n, pooling 2 x n_in (module hook and patched "
            "functional both count); params trainable", {
                "conv": "MACs", "bias": "1 per output element", "dense": "MACs + units with bias",
                "batch norm": "n (2n with affine)", "layer norm": "0 (LayerNorm2d: no hook, F.layer_norm unpatched)",
                "activations": "relu, elu, gelu: 2n (counted twice); relu6, leaky_relu, swish: n; "
                               "sigmoid, tanh, hard_*: 0",
                "softmax": "n", "pooling": "max/avg/global/adaptive: 2 x (padded; with ceil_mode unpadded) input "
                                           "elements (counted twice); fractional: 0",
                "add": "0 (a + b is not patched)", "multiply": "0 (a * b is not patched)", "concat": "0",
                "other": "0"},
            _ptflops, tool="ptflops 0.7.5 with torch 2.13"),
    Profile("thop", "MACs", "thop profile: MACs of conv and linear without bias, batch norm 2n (4n with affine), "
            "softmax (3C-1) per position, average pooling 1 per output (adaptive: kernel area + 1), ReLU and max "
            "pooling 0; params trainable", {
                "conv": "MACs", "bias": "0", "dense": "MACs", "batch norm": "2n (4n with affine)",
                "layer norm": "0, and its params 0 (LayerNorm2d: unregistered)",
                "activations": "0", "softmax": "(3C - 1) per position",
                "pooling": "avg: 1 per output; global or adaptive avg: (in/out area + 1) per output, truncated "
                           "in doubles (n_in + n, or one less); max, fractional: 0",
                "add": "0", "multiply": "0; scale: params 0 (unregistered)", "concat": "0", "other": "0"},
            _thop, tool="thop 0.1.1", params_uncounted=("layer norm", "multiply")),
    Profile("keras", "FLOPs", "Keras/TensorFlow profiler: FLOPs = 2 x MACs + 1 per bias add, pooling kernel area per "
            "output, global average n_in, add 1 per output, softmax 5n, batch norm and activations 0; params "
            "include batch-norm statistics (Keras' Total params)", {
                "conv": "2 x MACs (Conv2D, DepthwiseConv2dNative)", "bias": "1 per output element (BiasAdd)",
                "dense": "2 x MACs + units with bias (MatMul + BiasAdd)",
                "batch norm": "0 (FusedBatchNormV3 has no flops statistics); 4 params per channel",
                "layer norm": "0 (composite, not modelled)",
                "activations": "0 (no statistics), swish n (Mul); hard_swish, hard_sigmoid, gelu: 0, not modelled",
                "softmax": "5n", "pooling": "max/avg: k_h*k_w per output; global average: n_in (Mean); "
                                            "global max, fractional: 0; adaptive, ceil_mode: an error (not in Keras)",
                "add": "1 per output per extra input (AddV2)", "multiply": "1 per output (Mul)", "concat": "0",
                "other": "0"},
            _keras, params_with_statistics=True, tool="TensorFlow profiler flops_registry"),
    Profile("pycls", "MACs", "pycls complexity (pycls/models/blocks.py): flops = multiply-adds of conv and linear "
            "+ 1 per output of a bias; acts = outputs of conv, linear and max pool; params trainable (batch "
            "norm 2C)", {
                "conv": "MACs (conv2d_cx); acts n", "bias": "1 per output element", "dense": "MACs + units with "
                "bias (linear_cx); acts n", "batch norm": "0; params 2C (norm2d_cx)",
                "layer norm": "0; params 2C (layernorm_cx)", "activations": "0 (no cx)",
                "softmax": "an error (no pycls head has one)",
                "pooling": "max: 0, acts n (pool2d_cx); global average: 0 (gap2d_cx); windowed average, "
                           "global max, adaptive to more than 1x1, fractional: an error",
                "add": "0", "multiply": "0 (SE's product); scale: an error", "concat": "an error",
                "other": "dropout, identity, stochastic depth, flatten: 0; shuffle, split, channel pad: an error"},
            _pycls, tool="pycls at 5719de6", acts=_pycls_acts,
            acts_rule="output elements of every conv, linear and max-pool layer"),
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
    from .. import reference
    spec = evaluation.network.spec
    shapes = {"input": reference._input_shape(spec, evaluation.values)}
    result = []
    for row, layer_spec in zip(evaluation.rows, evaluation.layer_specs):
        result.append(Layer(row, layer_spec, tuple(shapes[i] for i in layer_spec.inputs), evaluation.values))
        shapes[row.name] = row.shape
    return result


def layer_counts(evaluation, convention) -> list[Count]:
    """Per layer: the profile's ops and params."""
    profile = convention if isinstance(convention, Profile) else get(convention)
    return [Count(int(profile.count(layer)), profile.params(layer),
                  None if profile.acts is None else int(profile.acts(layer))) for layer in layers(evaluation)]


def totals(evaluation, convention) -> dict:
    """A network's totals under a convention: {"convention", "unit", "ops", "params"}, and "acts"
    where the profile counts activations (pycls). For callers such as `compare` that put a published
    number beside ours in the paper's own convention."""
    profile = convention if isinstance(convention, Profile) else get(convention)
    counts = layer_counts(evaluation, profile)
    result = {"convention": profile.name, "unit": profile.unit, "ops": sum(c.ops for c in counts),
              "params": sum(c.params for c in counts)}
    if profile.acts is not None:
        result["acts"] = sum(c.acts or 0 for c in counts)  # each is set: the profile counts acts
    return result


def by_type(evaluation, convention) -> dict:
    """Per layer type: {"layers", "ops", "params", "acts"} under a convention (for `explain`; acts 0
    where the profile counts none)."""
    profile = convention if isinstance(convention, Profile) else get(convention)
    groups: dict = {}
    for layer, count in zip(layers(evaluation), layer_counts(evaluation, profile)):
        g = groups.setdefault(layer.type, {"layers": 0, "ops": 0, "params": 0, "acts": 0})
        g["layers"] += 1
        g["ops"] += count.ops
        g["params"] += count.params
        g["acts"] += count.acts or 0
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
    cols = ["conv", "bias", "dense", "batch norm", "layer norm", "activations", "softmax", "pooling", "add",
            "multiply", "concat"]
    lines = ["| profile | unit | params | " + " | ".join(cols) + " |", "|" + "---|" * (len(cols) + 3)]
    for p in PROFILES.values():
        params = "trainable + BN statistics" if p.params_with_statistics else "trainable"
        lines.append(f"| `{p.name}` ({p.tool}) | {p.unit} | {params} | " + " | ".join(p.rules[c] for c in cols) + " |")
    return "\n".join(lines)
