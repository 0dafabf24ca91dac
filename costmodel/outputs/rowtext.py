"""Rows of numbers as CSV or JSON text, written by numpy a block at a time (a sweep's output).

Python's csv module or one f-string per row costs about a microsecond per row; a sweep writes
millions. Here a block of rows becomes one byte matrix, one row per line: each cell is a field of
fixed width (the widest value of its column in the block), integers written as digits by
table lookup (four digits per lookup), texts from a small table (a symbol's values, false/true),
with the literal text between cells (",", or JSON's `,"name":`) as constant columns. A mask
zeroes each field's padding, so the matrix's non-zero bytes, row by row, are the block's text
(laid out across while it is built, byte position by row, so that each write is contiguous).
Exact: the digits come from integer division of int64 values; Python ints beyond int64 (dtype
object) are written by `str`, one by one.
"""

from __future__ import annotations

import numpy as np

_FOUR_DIGITS = np.frombuffer(b"".join(b"%04d" % i for i in range(10_000)), dtype=np.uint8).reshape(10_000, 4)
_DIGIT_COLUMNS = [np.ascontiguousarray(_FOUR_DIGITS[:, k]) for k in range(4)]  # k-th digit of 0000 ... 9999
_POWERS = np.array([10 ** k for k in range(1, 19)], dtype=np.int64)  # 10 ... 10**18


class Cells:
    """One column of a block as text, laid out across: `matrix` (width x rows bytes, so that each
    byte position of the field is one contiguous row for numpy), `lengths` (bytes used per row),
    right-aligned in the field (the padding on the left is dropped)."""

    def __init__(self, matrix: np.ndarray, lengths: np.ndarray):
        self.matrix, self.lengths = matrix, lengths

    def place(self, out: np.ndarray) -> None:
        """Write the field into `out` (width x rows), its padding as zero bytes."""
        width = self.matrix.shape[0]
        text = np.greater_equal(np.arange(width)[:, None], (width - self.lengths)[None, :])
        np.multiply(self.matrix, text, out=out)


def integers(values: np.ndarray) -> Cells:
    """Decimal text of exact integers (int64, or Python ints in an object array)."""
    values = np.asarray(values)
    if values.dtype == object or (values.size and values.min() < 0):
        return texts([str(v).encode() for v in values.tolist()], np.arange(len(values)))
    values = values.astype(np.int64, copy=False)
    largest = int(values.max()) if values.size else 0
    groups = (len(str(largest)) + 3) // 4
    matrix = np.empty((4 * groups, len(values)), dtype=np.uint8)
    rest = values
    for g in range(groups - 1, -1, -1):  # four digits at a time, lowest first, by table lookup
        rest, four = np.divmod(rest, 10_000)
        for k in range(4):
            np.take(_DIGIT_COLUMNS[k], four, out=matrix[4 * g + k])
    digits = len(str(largest))
    lengths = np.ones(len(values), dtype=np.int64)
    for power in _POWERS[:digits - 1]:  # digits: one more per power of ten <= value
        lengths += values >= power
    return Cells(matrix[4 * groups - digits:], lengths)  # the leading rows no value reaches: dropped


class Table:
    """A table of texts (a symbol's values, b"false"/b"true"), laid out across once, to take
    cells from by index."""

    def __init__(self, texts: list[bytes]):
        width = max((len(t) for t in texts), default=0) or 1
        rows = np.frombuffer(b"".join(t.rjust(width, b" ") for t in texts), dtype=np.uint8).reshape(len(texts), width)
        self.across = np.ascontiguousarray(rows.T)
        self.lengths = np.array([len(t) for t in texts], dtype=np.int64)

    def cells(self, index: np.ndarray) -> Cells:
        return Cells(np.take(self.across, index, axis=1), self.lengths[index])


def texts(table: list[bytes], index: np.ndarray) -> Cells:
    """Cells taken from a table of texts by index."""
    return Table(table).cells(index)


def lines(cells: list[Cells], literals: list[bytes]) -> bytes:
    """The block's text: literals[0] cells[0] literals[1] cells[1] ... literals[-1] on every row
    (len(literals) == len(cells) + 1)."""
    if not cells or not len(cells[0].lengths):
        return b""
    rows = len(cells[0].lengths)
    width = sum(len(t) for t in literals) + sum(c.matrix.shape[0] for c in cells)
    matrix = np.empty((width, rows), dtype=np.uint8)  # across: byte position x row
    at = 0
    for literal, cell in zip(literals, [*cells, None]):
        for byte in literal:
            matrix[at] = byte
            at += 1
        if cell is not None:
            w = cell.matrix.shape[0]
            cell.place(matrix[at:at + w])
            at += w
    # back to one row per line; then each line's bytes but the padding (text never holds a zero byte)
    flat = np.ascontiguousarray(matrix.T).reshape(-1)
    return flat[flat != 0].tobytes()
