"""Output (H, W) of a sliding window, in integers: the reference's own reading of the padding modes."""

from __future__ import annotations

from ..errors import SpecError
from .numbers import _fmt, _integer


def _spatial(n_hw, kernel, stride, padding, dilation, values) -> tuple[int, int]:
    """Output (H, W) of a sliding window: TF 'same' is ceil(n/s); 'valid'/explicit floor formula."""
    if padding == "same":
        return tuple(-(-n // s) for n, s in zip(n_hw, stride))
    if padding == "valid":
        pads = (0, 0, 0, 0)
    else:
        top, bottom, left, right = (_integer(p, values, "padding", minimum=0) for p in padding)
        pads = (top, bottom, left, right)
    padded = (n_hw[0] + pads[0] + pads[1], n_hw[1] + pads[2] + pads[3])
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))  # dilated kernel extent
    if span[0] > padded[0] or span[1] > padded[1]:
        dilated = f" (dilated from {_fmt(kernel)})" if span != tuple(kernel) else ""
        raise SpecError(f"kernel {_fmt(span)}{dilated} is larger than the padded input {_fmt(padded)}")
    return tuple((p - e) // s + 1 for p, e, s in zip(padded, span, stride))
