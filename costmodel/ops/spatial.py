"""Output size of a sliding window along one axis, per padding mode (and, for the numeric users,
the explicit pads a padding mode stands for).

- ``same`` (TensorFlow/Keras): ceil(n / s), whatever the kernel;
- ``valid``: floor((n - d*(k-1) - 1) / s) + 1, windows that fit entirely;
- explicit (before, after): floor((n + before + after - d*(k-1) - 1) / s) + 1, as PyTorch and
  Caffe's floor mode.
"""

from __future__ import annotations

from ..reference.numbers import _integer
from .arith import ceil, floor


def window_out(n, kernel, stride, dilation, padding, axis: int):
    """Output length along `axis` (0 = height, 1 = width)."""
    if padding == "same":
        return ceil(n / stride[axis])
    before, after = (0, 0) if padding == "valid" else padding[2 * axis: 2 * axis + 2]
    span = dilation[axis] * (kernel[axis] - 1) + 1  # extent of the dilated kernel
    return floor((n + before + after - span) / stride[axis]) + 1


def spatial_out(shape, kernel, stride, dilation, padding):
    """(H_out, W_out) of a window op on an (H, W, C) input."""
    return tuple(window_out(shape[axis], kernel, stride, dilation, padding, axis) for axis in (0, 1))


def explicit_pads(padding, n_hw, kernel, stride, dilation, values) -> tuple:
    """(top, bottom, left, right) in integers of a spec padding: 'valid', explicit sizes, or
    TensorFlow's 'same': total = max((out - 1)*s + d*(k - 1) + 1 - n, 0) with out = ceil(n / s), the
    odd one after. The PyTorch modules of `verify` and the pooling facts of the profiles read it."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        pads = []
        for n, k, s, d in zip(n_hw, kernel, stride, dilation):
            out = -(-n // s)
            total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
            pads += [total // 2, total - total // 2]
        return tuple(pads)
    return tuple(_integer(p, values, "padding", minimum=0) for p in padding)
