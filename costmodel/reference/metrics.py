"""The independent numeric side of `costmodel.analyses.metrics`: plain ints and Fractions, no sympy.

It reads the NetworkSpec and the rows of `reference.propagate` (shapes, params, floats in and out)
and the layers' arguments by itself (each family's receptive-field step is in FIELDS, from the
family files); it imports nothing from ops, network, symbolic or metrics, so that
`metrics.evaluate` comparing the two sides checks something.
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import SpecError
from . import FIELDS, NETWORK_INPUT, arguments, evaluate, propagate

BYTES = {"fp32": 4, "fp16": 2, "int8": 1}


def _whole(x: Fraction):
    return x.numerator if x.denominator == 1 else x


def receptive_fields(spec, rows, values) -> list[tuple]:
    """Per layer ((rf_h, rf_w), (jump_h, jump_w), whole_input), walking the layers in order."""
    net = tuple(int(evaluate(node, values)) for node in spec.input)
    state = {NETWORK_INPUT: ((1, 1), (1, 1), False)}
    shape = {NETWORK_INPUT: net, **{row["name"]: row["shape"] for row in rows}}
    result = []
    for layer in spec.layers:
        ins = [state[name] for name in layer.inputs]
        rf = [max(s[0][axis] for s in ins) for axis in (0, 1)]
        out_hw = tuple(shape[layer.name][:2])  # a broadcast 1x1 input does not set the grid's jump
        grid = [s for s, name in zip(ins, layer.inputs) if tuple(shape[name][:2]) != (1, 1) or out_hw == (1, 1)] or ins
        jump = [max(s[1][axis] for s in grid) for axis in (0, 1)]
        everything = any(s[2] for s in ins)
        step = FIELDS.get(layer.type)
        if step is None:
            raise SpecError(f"reference metrics: no receptive-field rule for {layer.type!r}", file=spec.file,
                            line=layer.line, layer=f"{layer.index} '{layer.name}' ({layer.type})")
        span, stride, whole = step(arguments(layer, spec.defaults_of), values, shape[layer.inputs[0]], shape[layer.name])
        # each output sees `span` more input-grid steps, each `jump` input pixels apart
        rf = [rf[axis] + span[axis] * jump[axis] for axis in (0, 1)]
        jump = [jump[axis] * stride[axis] for axis in (0, 1)]
        everything = everything or whole
        if everything:
            rf = [net[0], net[1]]
        state[layer.name] = ((rf[0], rf[1]), (jump[0], jump[1]), everything)
        result.append(((_whole(Fraction(rf[0])), _whole(Fraction(rf[1]))),
                       (_whole(Fraction(jump[0])), _whole(Fraction(jump[1]))), everything))
    return result


def live_floats(spec, rows, values) -> list[int]:
    """Floats held during each step: tensors written before (or by) it and still to be read."""
    h, w, c = (int(evaluate(node, values)) for node in spec.input)
    volume = {NETWORK_INPUT: h * w * c}
    born = {NETWORK_INPUT: 0}
    for step, row in enumerate(rows, start=1):
        volume[row["name"]] = row["floats_out"]
        born[row["name"]] = step
    dies = dict(born)
    for step, layer in enumerate(spec.layers, start=1):
        for name in layer.inputs:
            dies[name] = step if step > dies[name] else dies[name]
    out = []
    for step in range(1, len(rows) + 1):
        total = 0
        for name, size in volume.items():
            if born[name] == step or born[name] < step <= dies[name]:
                total += size
        out.append(total)
    return out


def depends_on(spec, exit_name: str) -> set:
    """Names of the exit layer and of every layer on a path from the input to it."""
    by_name = {layer.name: layer for layer in spec.layers}
    if exit_name not in by_name:
        raise SpecError(f"exit {exit_name!r} is not a layer of {spec.name}", file=spec.file)
    found = set()

    def visit(name):
        if name != NETWORK_INPUT and name not in found:
            found.add(name)
            for parent in by_name[name].inputs:
                visit(parent)

    visit(exit_name)
    return found


def compute(spec, values: dict, *, dtype: str = "fp32", device=None, exits=None, fractions=None) -> dict:
    """Every metric as numbers; `device` is anything with peak_macs_per_second,
    memory_bandwidth and bytes_per_element (Fractions / ints)."""
    if dtype not in BYTES:
        raise SpecError(f"unknown dtype {dtype!r}")
    values = {k: Fraction(v) for k, v in values.items()}
    rows = propagate(spec, values)
    nbytes = BYTES[dtype]
    moved = device.bytes_per_element if device is not None else nbytes
    fields = receptive_fields(spec, rows, values)
    live = live_floats(spec, rows, values)
    layers = []
    for layer, row, (rf, jump, everything), held in zip(spec.layers, rows, fields, live):
        stored = row["params"] + row["params_non_trainable"]
        reads = row["floats_in"] + stored
        access = reads + row["floats_out"]
        entry = {"name": row["name"], "type": layer.type, "reads": reads, "writes": row["floats_out"],
                 "memory_access": access, "rf": rf, "jump": jump, "whole_input": everything, "live": held,
                 "param_bytes": stored * nbytes, "activation_bytes": row["floats_out"] * nbytes,
                 "intensity": _whole(Fraction(row["macs"], access * moved))}
        if device is not None:
            t_compute = Fraction(row["macs"]) / device.peak_macs_per_second
            t_memory = Fraction(access * device.bytes_per_element) / device.memory_bandwidth
            entry["compute_time"] = t_compute
            entry["memory_time"] = t_memory
            entry["latency"] = max(t_compute, t_memory)
            entry["bound"] = "memory" if t_memory > t_compute else "compute"
        layers.append(entry)
    peak = max(live)
    totals = {"memory_access": sum(e["memory_access"] for e in layers), "peak_live": peak,
              "peak_layer": layers[live.index(peak)]["name"],
              "param_bytes": sum(e["param_bytes"] for e in layers),
              "activation_bytes": sum(e["activation_bytes"] for e in layers),
              "peak_activation_bytes": peak * nbytes}
    if device is not None:
        for key in ("compute_time", "memory_time", "latency"):
            totals[key] = sum((e[key] for e in layers), Fraction(0))
        totals["compute_bound_layers"] = len([e for e in layers if e["bound"] == "compute"])
        totals["memory_bound_layers"] = len(layers) - totals["compute_bound_layers"]
    result = {"dtype": dtype, "bytes_per_element": nbytes, "bytes_moved_per_element": moved,
              "layers": layers, "totals": totals}
    if exits:
        position = {row["name"]: i for i, row in enumerate(rows)}
        union: set = set()
        before = {"macs": 0, "params": 0}
        table = []
        for name in exits:
            mine = depends_on(spec, name)
            union |= mine
            entry = {"name": name, "layers": len(mine)}
            for metric in ("macs", "params"):
                entry[metric] = sum(rows[position[n]][metric] for n in mine)
                entry["cumulative_" + metric] = sum(rows[position[n]][metric] for n in union)
                entry["incremental_" + metric] = entry["cumulative_" + metric] - before[metric]
                before[metric] = entry["cumulative_" + metric]
            table.append(entry)
        result["exits"] = table
        if fractions is not None:
            if len(fractions) != len(exits) or sum(fractions) != 1 or min(fractions) < 0:
                raise SpecError("exit fractions must be one non-negative number per exit, summing to 1")
            result["expected_macs"] = _whole(sum((Fraction(f) * e["cumulative_macs"]
                                                  for f, e in zip(fractions, table)), Fraction(0)))
    return result
