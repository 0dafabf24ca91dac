"""Symbolic results, substituted with numbers, against the reference propagator, field by field.

A disagreement means a formula (ours or the reference's) is wrong; it is never rounded away.
"""

from __future__ import annotations

from .errors import CheckError

FIELDS = ("shape", "params", "params_non_trainable", "macs", "floats_out", "floats_in")


def as_int(value, subs: dict):
    """Substitute symbol values into a closed form; the result must be an exact integer.
    Anything else (a fraction, an unevaluated function) is returned as is and fails `compare`."""
    if isinstance(value, int):
        return value
    result = value.xreplace(subs) if value.free_symbols else value
    if result.is_Integer:
        return int(result)
    return result


def compare(layer, symbolic: dict, reference: dict) -> None:
    """Raise CheckError naming the layer and every field where the two sides differ."""
    problems = [f"{field} symbolic {symbolic[field]} != reference {reference[field]}"
                for field in FIELDS if symbolic[field] != reference[field]]
    if problems:
        raise CheckError(f"layer {layer.index} '{layer.name}' ({layer.type}): " + "; ".join(problems))
