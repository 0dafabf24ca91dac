"""The independent numeric side of `metrics`: kept as a name; it lives in `reference.metrics`
(plain ints and Fractions, no sympy, nothing imported from ops, network, symbolic or metrics)."""

from __future__ import annotations

from .reference import BYTES, compute, depends_on, live_floats, receptive_fields  # noqa: F401
