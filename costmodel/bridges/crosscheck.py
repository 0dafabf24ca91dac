"""Cross-check costmodel against PyTorch: `verify(spec, values)`.

The spec is translated into a torch.nn graph (torch_model.py) on the `meta` device and run once on
an input of the spec's shape (NCHW, batch 1) under `torch.utils.flop_counter.FlopCounterMode`. Per
layer, and in total, four things are compared with costmodel's own (already reference-checked)
numbers:

- output shape: the module's output (N, C, H, W) read as H x W x C;
- params: numel of the module's parameters (weights, biases, batch norm's gamma and beta);
- batch-norm statistics: numel of the `running_mean` and `running_var` buffers
  (`num_batches_tracked` is a counter, not a statistic);
- MACs: FlopCounterMode's count / 2. It counts 2 FLOPs per multiply-accumulate for convolutions
  (aten.convolution) and matrix products (aten.mm / addmm), and nothing for any other operator
  (bias, batch norm, activations, pooling, add, concat...), which is the `macs` convention exactly.
  An odd FLOP count, or FLOPs counted outside every layer, is reported as a mismatch.

With a convention other than `macs` the MAC column is that convention's count (conventions.py):
`torch` compares 2 x MACs with FlopCounterMode's FLOPs directly; `fvcore`, `ptflops` and `thop` also
run that tool on the same graph (built on the CPU: those tools need real tensors) and compare its
total with the profile's; `keras` has no runnable counterpart here and is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import PurePath
from typing import Any

from ..errors import SpecError, install_hint

FIELDS = ("shape", "params", "params_non_trainable", "macs")
STAT_BUFFERS = ("running_mean", "running_var")


def _torch(source):
    try:
        import torch  # noqa: F401
    except ImportError:
        file = str(source) if isinstance(source, (str, PurePath)) else None
        raise SpecError(f"costmodel verify needs PyTorch: {install_hint('torch')}", file=file) from None
    from . import torch_model
    return torch_model


@dataclass(frozen=True)
class LayerCheck:
    """One layer: costmodel's numbers, PyTorch's, and the fields where they differ."""

    index: int
    name: str
    type: str
    ours: dict
    torch: dict
    mismatches: tuple = ()

    @property
    def ok(self) -> bool:
        return not self.mismatches


@dataclass(frozen=True)
class Verification:
    network: str
    values: dict
    convention: str
    unit: str
    layers: tuple
    totals_ours: dict
    totals_torch: dict
    total_mismatches: tuple = ()
    peer: dict | None = field(default=None)  # {"tool", "ops", "params", "expected_ops", "expected_params"}

    @property
    def ok(self) -> bool:
        return all(layer.ok for layer in self.layers) and not self.total_mismatches

    @property
    def mismatched_layers(self) -> list:
        return [layer for layer in self.layers if not layer.ok]


def measure(model, x) -> tuple[dict, int]:
    """Run `model` once under FlopCounterMode: per spec layer name, its output shape (H, W, C),
    params, batch-norm statistics and FLOPs; and the FLOPs counted outside every layer."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        model(x)
    counts = counter.get_flop_counts()
    root = type(model).__name__
    result, inside = {}, 0
    for key, name, _ in model.plan:
        module = model.layers[key]
        out = model.outputs[name]
        n, c, h, w = out.shape
        flops = sum(counts.get(f"{root}.layers.{key}", {}).values())
        inside += flops
        stats = sum(buf.numel() for buf_name, buf in module.named_buffers() if buf_name.split(".")[-1] in STAT_BUFFERS)
        result[name] = {"shape": (int(h), int(w), int(c)), "params": sum(p.numel() for p in module.parameters()),
                        "params_non_trainable": stats, "flops": flops}
    outside = sum(counts.get("Global", {}).values()) - inside
    return result, outside


def verify(source, values: Mapping[str, Any] | None = None, *, convention: str = "macs",
           **symbol_values: Any) -> Verification:
    """Compare costmodel with PyTorch for one configuration (defaults for unset symbols)."""
    from ..analyses import conventions
    from .. import load_network

    torch_model = _torch(source)
    profile = conventions.get(convention)
    if profile.name not in conventions.VERIFIABLE:
        raise SpecError(f"convention {profile.name!r} has no runnable counterpart to verify against "
                        f"(verifiable: {', '.join(conventions.VERIFIABLE)})")
    from ..network import Network
    network = source if isinstance(source, Network) else load_network(source)  # a path, spec or built Network
    evaluation = network.evaluate({**(values or {}), **symbol_values})
    spec, resolved = evaluation.spec, evaluation.values  # repeats unrolled at these values
    model = torch_model.build_model(spec, resolved)
    measured, outside = measure(model, torch_model.example_input(spec, resolved))
    counts = conventions.layer_counts(evaluation, profile)

    layers = []
    for row, count in zip(evaluation.rows, counts):
        got = measured[row.name]
        ours = {"shape": row.shape, "params": row.params, "params_non_trainable": row.params_non_trainable,
                "macs": row.macs, "ops": count.ops}
        theirs = {"shape": got["shape"], "params": got["params"], "params_non_trainable": got["params_non_trainable"],
                  "macs": Fraction(got["flops"], 2), "flops": got["flops"]}
        theirs["ops"] = theirs["flops"] if profile.name == "torch" else theirs["macs"]
        if profile.name not in ("macs", "torch"):
            theirs["ops"] = None  # a peer tool is compared in total only
        mismatches = tuple(f for f in FIELDS if ours[f] != theirs[f])
        if theirs["ops"] is not None and ours["ops"] != theirs["ops"] and "macs" not in mismatches:
            mismatches += ("ops",)
        layers.append(LayerCheck(row.index, row.name, row.type, ours, theirs, mismatches))

    totals_ours = {"params": evaluation.totals.params, "params_non_trainable": evaluation.totals.params_non_trainable,
                   "macs": evaluation.totals.macs, "ops": sum(c.ops for c in counts)}
    totals_torch = {"params": sum(m["params"] for m in measured.values()),
                    "params_non_trainable": sum(m["params_non_trainable"] for m in measured.values()),
                    "macs": Fraction(sum(m["flops"] for m in measured.values()) + outside, 2)}
    total_mismatches = tuple(f for f in ("params", "params_non_trainable", "macs") if totals_ours[f] != totals_torch[f])
    if outside:
        total_mismatches += (f"{outside} FLOPs counted outside every layer",)

    peer = None
    if profile.name in conventions.PEERS:
        if profile.name == "thop":  # shapes only: runs on the meta model
            ops, params = conventions.run_peer("thop", model, torch_model.example_input(spec, resolved))
        else:
            ops, params = conventions.run_peer(profile.name, torch_model.materialize(model),
                                               torch_model.example_input(spec, resolved, "cpu"))
        expected_params = sum(c.params for c in counts)
        peer = {"tool": profile.name, "ops": ops, "params": params, "expected_ops": totals_ours["ops"],
                "expected_params": expected_params}
        if ops != totals_ours["ops"]:
            total_mismatches += (f"{profile.name} counts {ops:,} {profile.unit}, the profile {totals_ours['ops']:,}",)
        if params != expected_params:
            total_mismatches += (f"{profile.name} counts {params:,} params, the profile {expected_params:,}",)
    return Verification(network=spec.name, values=resolved, convention=profile.name, unit=profile.unit,
                        layers=tuple(layers), totals_ours=totals_ours, totals_torch=totals_torch,
                        total_mismatches=total_mismatches, peer=peer)


# --- text -------------------------------------------------------------------------------------


def _n(value) -> str:
    if isinstance(value, Fraction) and value.denominator != 1:
        return str(value)
    return f"{int(value):,}"


def _shape(shape) -> str:
    return "x".join(str(v) for v in shape)


def _plain(value):
    """A whole Fraction as an int (PyTorch's FLOPs / 2 may be a half); shapes as lists."""
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def to_dict(result: Verification) -> dict:
    from ..outputs.report import _json_number

    def numbers(d: dict) -> dict:
        return {k: _plain(v) for k, v in d.items()}

    return {"network": result.network, "values": {k: _json_number(v) for k, v in result.values.items()},
            "convention": result.convention, "unit": result.unit, "ok": result.ok,
            "layers": [{"index": layer.index, "name": layer.name, "type": layer.type, "ok": layer.ok,
                        "ours": numbers(layer.ours), "torch": numbers(layer.torch),
                        "mismatches": list(layer.mismatches)} for layer in result.layers],
            "totals": {"ours": numbers(result.totals_ours), "torch": numbers(result.totals_torch),
                       "mismatches": list(result.total_mismatches)},
            "peer": result.peer}


CSV_FIELDS = ("params", "params_non_trainable", "ops")


def render_csv(result: Verification) -> str:
    """One row per layer, ours beside PyTorch's; no total row."""
    from ..outputs import tables

    header = ["index", "name", "type", "height", "width", "channels", *CSV_FIELDS,
              "torch_height", "torch_width", "torch_channels", *(f"torch_{f}" for f in CSV_FIELDS), "ok", "mismatches"]
    rows = [[layer.index, layer.name, layer.type, *layer.ours["shape"], *(_plain(layer.ours[f]) for f in CSV_FIELDS),
             *layer.torch["shape"], *(_plain(layer.torch.get(f, "")) for f in CSV_FIELDS), int(layer.ok),
             " ".join(layer.mismatches)] for layer in result.layers]
    return tables.csv_text(header, rows)


def render(result: Verification, fmt: str = "table") -> str:
    """The per-layer table of agreements and mismatches, then the totals and a verdict."""
    if fmt == "json":
        import json
        return json.dumps(to_dict(result), indent=2) + "\n"
    if fmt == "csv":
        return render_csv(result)
    import torch

    from ..analyses import conventions
    from ..outputs import tables
    from ..outputs.report import value_text

    c = tables.comment(fmt)
    values = ", ".join(f"{k}={value_text(v)}" for k, v in result.values.items())
    lines = ([tables.latex_header()] if fmt == "latex" else []) + [
        c + f"verify {result.network}" + (f" ({values})" if values else "")
        + f" against PyTorch {torch.__version__.split('+')[0]} (torch.utils.flop_counter, meta device)",
        c + conventions.get(result.convention).header(), ""]
    unit = "MACs" if result.convention == "macs" else result.unit
    rows = []
    for layer in result.layers:
        status = "ok" if layer.ok else "MISMATCH " + "; ".join(
            f"{f}: ours {_fmt(f, layer.ours[f])} torch {_fmt(f, layer.torch[f])}" for f in layer.mismatches)
        rows.append([layer.index, layer.name, layer.type, _shape(layer.ours["shape"]), _n(layer.ours["params"]),
                     _n(layer.ours["params_non_trainable"]), _n(layer.ours["ops"]), status])
    t = result.totals_ours
    rows.append(["", "total", "", "", _n(t["params"]), _n(t["params_non_trainable"]), _n(t["ops"]),
                 "ok" if not result.total_mismatches else "MISMATCH " + "; ".join(result.total_mismatches)])
    lines.append(tables.text_table(rows, ["#", "layer", "type", "output HxWxC", "params", "BN stats", unit, "vs PyTorch"],
                                   ["right", "left", "left", "left", "right", "right", "right", "left"], fmt))
    tt = result.totals_torch
    lines += ["", f"{c}PyTorch: params {_n(tt['params'])}, BN statistics {_n(tt['params_non_trainable'])}, "
                  f"MACs (FLOPs / 2) {_n(tt['macs'])}"]
    if result.peer:
        p = result.peer
        lines.append(f"{c}{p['tool']}: {p['ops']:,} {result.unit}, {p['params']:,} params "
                     f"(profile: {p['expected_ops']:,}, {p['expected_params']:,})")
    bad = result.mismatched_layers
    lines.append(c + ("all {} layers agree".format(len(result.layers)) if result.ok else
                      f"{len(bad)} of {len(result.layers)} layers differ"
                      + (", and the totals" if result.total_mismatches else "")))
    return "\n".join(lines) + "\n"


def _fmt(field_, value) -> str:
    return _shape(value) if field_ == "shape" else _n(value)

