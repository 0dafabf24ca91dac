"""Bytes per stored value of each precision costmodel counts storage and memory in (the survey's
fp16 / int8 low-precision storage, seed 001). A module of its own so the command line can offer
the choices without importing the metrics' closed forms."""

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "int8": 1}
