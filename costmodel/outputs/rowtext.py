"""Rows of numbers as CSV or JSON text, written by numpy a block at a time (a sweep's output).

Python's csv module or one f-string per row costs about a microsecond per row; a sweep writes
millions. Here a block of rows becomes one byte matrix, one row per line: each cell is a field of
fixed width (the widest value of its column in the block), integers written as digits by
table lookup (four digits per lookup), texts from a small table (a symbol's values, false/true),
with the literal text between cells (",", or JSON's `,"name":`) as constant columns. A mask
keeps each cell's own digits and drops the padding, so `matrix[mask]` is the block's text in
row order. Exact: the digits come from integer division of int64 values; Python ints beyond
int64 (dtype object) are written by `str`, one by one.
"""

from __future__ import annotations

import numpy as np

_FOUR_DIGITS = np.frombuffer(b"".join(b"%04d" % i for i in range(10_000)), dtype=np.uint8).reshape(10_000, 4)
_POWERS = np.array([10 ** k for k in range(1, 19)], dtype=np.int64)  # 10 ... 10**18


class Cells:
    """One column of a block as text: `matrix` (rows x width bytes), `lengths` (bytes used per
    row) and where the text sits in its field (right-aligned digits, or left-aligned texts)."""

    def __init__(self, matrix: np.ndarray, lengths: np.ndarray, right: bool):
        self.matrix, self.lengths, self.right = matrix, lengths, right

    def mask(self) -> np.ndarray:
        width = self.matrix.shape[1]
        if self.right:
            return np.arange(width) >= (width - self.lengths)[:, None]
        return np.arange(width) < self.lengths[:, None]


def integers(values: np.ndarray) -> Cells:
    """Decimal text of exact integers (int64, or Python ints in an object array)."""
    values = np.asarray(values)
    if values.dtype == object or (values.size and values.min() < 0):
        return texts([str(v).encode() for v in values.tolist()], np.arange(len(values)))
    values = values.astype(np.int64, copy=False)
    largest = int(values.max()) if values.size else 0
    groups = (len(str(largest)) + 3) // 4
    matrix = np.empty((len(values), 4 * groups), dtype=np.uint8)
    rest = values
    for g in range(groups - 1, -1, -1):  # four digits at a time, lowest first
        rest, digits = np.divmod(rest, 10_000)
        matrix[:, 4 * g:4 * g + 4] = _FOUR_DIGITS[digits]
    lengths = 1 + np.searchsorted(_POWERS, values, side="right")  # digits: one more per power of ten <= value
    return Cells(matrix, lengths, right=True)


def texts(table: list[bytes], index: np.ndarray) -> Cells:
    """Cells taken from a table of texts (a symbol's values, b"false"/b"true") by index."""
    width = max((len(t) for t in table), default=0) or 1
    lookup = np.frombuffer(b"".join(t.ljust(width, b" ") for t in table), dtype=np.uint8).reshape(len(table), width)
    lengths = np.array([len(t) for t in table], dtype=np.int64)
    return Cells(lookup[index], lengths[index], right=False)


def lines(cells: list[Cells], literals: list[bytes]) -> bytes:
    """The block's text: literals[0] cells[0] literals[1] cells[1] ... literals[-1] on every row
    (len(literals) == len(cells) + 1)."""
    if not cells or not len(cells[0].lengths):
        return b""
    rows = len(cells[0].lengths)
    parts, masks = [], []
    for literal, cell in zip(literals, [*cells, None]):
        if literal:
            constant = np.frombuffer(literal, dtype=np.uint8)
            parts.append(np.broadcast_to(constant, (rows, len(constant))))
            masks.append(np.ones((rows, len(constant)), dtype=bool))
        if cell is not None:
            parts.append(cell.matrix)
            masks.append(cell.mask())
    return np.concatenate(parts, axis=1)[np.concatenate(masks, axis=1)].tobytes()
