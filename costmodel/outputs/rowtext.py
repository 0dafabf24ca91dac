"""Rows of numbers as CSV or JSON text, written by numpy a block at a time (a sweep's output).

Python's csv module or one f-string per row costs about a microsecond per row; a sweep writes
millions. Here a block of rows becomes one matrix of 8-byte words, one row per line, row after
row as the text runs (so nothing is transposed): each cell is a *slot* of whole words holding the
literal text before it (",", or JSON's `,"name":`) at its start and its text right-aligned at its
end, the bytes between them zero. Integers become digits eight at a time, by arithmetic on int64
(two lookups of four digits each into a table of "0000" ... "9999" as words), their leading zeros
blanked by a mask per word; texts (a symbol's values, false/true) are words of a small table taken
by index. The matrix's bytes without its zero bytes (`bytes.translate`, one pass in C) are the
block's text: no text holds a zero byte. Exact: the digits come from integer division of int64
values; Python ints beyond int64 (dtype object) and negative ones are written by `str`, one by one.
Short decimals (a long `--range` of a real symbol: 0.000123) are integer digits with a point put
in (`decimals`), Python's float repr of them without making a float.
The words are little-endian ("<u8"): the first byte of a text is a word's lowest.
"""

from __future__ import annotations

import numpy as np

WORD = np.dtype("<u8")  # 8 bytes of text, the first one lowest
# "0000" ... "9999" as the low 4 bytes of a word (first digit lowest), and the same shifted to the high 4
_FOUR = np.frombuffer(b"".join(b"%04d" % i for i in range(10_000)), dtype="<u4").astype(WORD)
_FOUR_HIGH = _FOUR << np.uint64(32)
# a word with its first b bytes zeroed, b = 0 ... 8
_KEEP = np.array([(2 ** 64 - 1) >> (8 * b) << (8 * b) if b < 8 else 0 for b in range(9)], dtype=WORD)
# _KEEP_BY_DIGITS[n][w][d]: the mask of word w of an n-word text of d digits, right-aligned: its
# bytes before the first digit zeroed
_KEEP_BY_DIGITS = [[_KEEP[np.clip(8 * n - np.arange(20) - 8 * w, 0, 8)] for w in range(n)] for n in range(4)]
_POWERS = np.array([10 ** k for k in range(1, 19)], dtype=np.int64)  # 10 ... 10**18: digits = 1 + how many <= v


class Cells:
    """One column of a block as text: `words` (rows x n little-endian words), each row's text
    right-aligned in its 8 n bytes with zero bytes before it; `width` the longest text's bytes."""

    def __init__(self, words: np.ndarray, width: int):
        self.words, self.width = words, width

    def __len__(self) -> int:
        return len(self.words)


def integers(values: np.ndarray, minimum: np.ndarray | None = None) -> Cells:
    """Decimal text of exact integers (int64, or Python ints in an object array); with `minimum`
    (int64, at most 19), each row's text at least that many digits, zeros before (7, 3 -> 007)."""
    values = np.asarray(values)
    if values.dtype == object or (values.size and values.min() < 0):
        if minimum is not None:
            raise ValueError("a minimum of digits for int64 values >= 0 only")
        return texts([str(v).encode() for v in values.tolist()], np.arange(len(values)))
    values = values.astype(np.int64, copy=False)
    largest = int(values.max()) if values.size else 0
    width = len(str(largest))
    digits = np.searchsorted(_POWERS[:width - 1], values, side="right") + 1
    if minimum is not None and values.size:
        width = max(width, int(minimum.max()))
        digits = np.maximum(digits, minimum)
    count = (width + 7) // 8
    parts = []
    rest = values
    for w in range(count - 1, -1, -1):  # eight digits at a time, lowest first
        if w:
            rest, eight = np.divmod(rest, 100_000_000)
        else:
            eight = rest
        high, low = np.divmod(eight, 10_000)
        word = np.take(_FOUR, high)
        word |= np.take(_FOUR_HIGH, low)
        word &= np.take(_KEEP_BY_DIGITS[count][w], digits)  # the leading zeros of the 8 * count digits blanked
        parts.append(word)
    words = parts[0][:, None] if count == 1 else np.stack(parts[::-1], axis=1)
    return Cells(words, width)


# the decimal point put into an n-word text (n = 1 ... 3) before its byte p (p = 1 ... 8 n; p = 8 n + 1:
# no point): _BELOW[n][p] the masks of the bytes before p, word by word; _POINT[n][p] the point's bytes
_BELOW = [np.array([[(1 << 8 * min(8, max(0, p - 8 * k))) - 1 if p <= 8 * n else 0 for k in range(n)]
                    for p in range(8 * n + 2)], dtype=WORD) for n in range(4)]
_POINT = [np.array([[ord(".") << 8 * (p - 1 - 8 * k) if p <= 8 * n and 0 <= p - 1 - 8 * k < 8 else 0
                     for k in range(n)] for p in range(8 * n + 2)], dtype=WORD) for n in range(4)]


def decimals(numerators: np.ndarray, exponent: int, csv: bool) -> Cells:
    """The text Python's float repr gives the exact decimal numerators / 10**exponent (int64 in
    [10**(exponent - 4), 10**15): at least 1e-4, at most 15 significant digits, so the shortest
    text that reads back as its float is the decimal itself, positional): digits, a point, the
    fraction without its trailing zeros, at least one (0.032, 1.0, 12.5). With `csv`, a whole
    value without its point (1), as the CSV of a sweep writes it. The digits are `integers`'
    with a minimum count (the fraction's, plus the 0 of 0.5), the point put in by shifting the
    bytes before it one place."""
    values = np.asarray(numerators, dtype=np.int64)
    if exponent == 0:  # whole values: 7 is "7.0" (CSV: "7")
        if csv:
            return integers(values)
        values, exponent = values * 10, 1
    kept = values.copy()  # the numerators without the fraction's trailing zeros
    zeros = np.zeros(len(values), dtype=np.int64)
    rows = np.arange(len(values))
    for _ in range(exponent - 1):  # at most exponent - 1 dropped: one digit after the point stays
        rows = rows[kept[rows] % 10 == 0]
        if not len(rows):
            break
        kept[rows] //= 10
        zeros[rows] += 1
    fraction = exponent - zeros  # digits after the point, >= 1
    whole = csv & (fraction == 1) & (kept % 10 == 0)  # CSV: 2.0 written 2
    if whole.any():
        kept = np.where(whole, kept // 10, kept)
        fraction = np.where(whole, 0, fraction)
    cells = integers(kept, fraction + 1)  # at least one digit before the point
    words, width = cells.words, cells.width + 1
    n = words.shape[1]
    if width > 8 * n:  # the point needs a word more
        words, n = np.concatenate([np.zeros((len(words), 1), dtype=WORD), words], axis=1), n + 1
    cut = np.where(whole, 8 * n + 1, 8 * n - fraction)  # the first byte after the point (no point: 8 n + 1)
    below = np.take(_BELOW[n], cut, axis=0)
    low = words & below
    moved = low >> np.uint64(8)  # the bytes before the point one place earlier
    moved[:, :-1] |= low[:, 1:] << np.uint64(56)
    return Cells((words & ~below) | moved | np.take(_POINT[n], cut, axis=0), width)


def _words_of(texts: list[bytes], width: int) -> np.ndarray:
    """Texts right-aligned in whole words, zero bytes before each (len(texts) x words)."""
    count = max(1, (width + 7) // 8)
    joined = b"".join(t.rjust(8 * count, b"\0") for t in texts)
    return np.frombuffer(joined, dtype=WORD).reshape(len(texts), count)


class Table:
    """A table of texts (a symbol's values, b"false"/b"true") as words, to take cells from by index."""

    def __init__(self, texts: list[bytes]):
        if any(b"\0" in t for t in texts):
            raise ValueError("a text holds a zero byte")
        self.width = max((len(t) for t in texts), default=0)
        self.words = _words_of(texts, self.width)

    @classmethod
    def of(cls, cells: Cells) -> "Table":
        """The texts of `cells`, to take by index."""
        table = object.__new__(cls)
        table.words, table.width = cells.words, cells.width
        return table

    def cells(self, index: np.ndarray) -> Cells:
        return Cells(np.take(self.words, index, axis=0), self.width)


def texts(table: list[bytes], index: np.ndarray) -> Cells:
    """Cells taken from a table of texts by index."""
    return Table(table).cells(index)


def _slot(literal: bytes, width: int) -> tuple[int, np.ndarray]:
    """The words of a slot holding `literal` then a text of up to `width` bytes: (its length in
    words, the literal's bytes as words at its start)."""
    count = max(1, (len(literal) + width + 7) // 8)
    return count, np.frombuffer(literal.ljust(8 * count, b"\0"), dtype=WORD)


SLICE_ROWS = 2048  # rows laid out at once: their words stay in the processor's cache while each slot is written


def lines(cells: list[Cells], literals: list[bytes]) -> bytearray:
    """The block's text: literals[0] cells[0] literals[1] cells[1] ... literals[-1] on every row
    (len(literals) == len(cells) + 1)."""
    if not cells or not len(cells[0]):
        return bytearray()
    rows = len(cells[0])
    pieces = []  # the row's words, left to right: arrays of rows x n words (a literal alone: broadcast)
    for literal, cell in zip(literals, cells):
        count, constant = _slot(literal, cell.width)
        own = cell.words.shape[1]  # the cell's words: the slot's last ones
        if count > own:  # the literal alone
            pieces.append(np.broadcast_to(constant[:count - own], (rows, count - own)))
        overlap = constant[count - own:]  # the literal's end in the text's blank bytes, if it reaches
        pieces.append(cell.words | overlap if overlap.any() else cell.words)
    tail = literals[-1]
    if tail:
        tail_words = np.frombuffer(tail.ljust(8 * ((len(tail) + 7) // 8), b"\0"), dtype=WORD)
        pieces.append(np.broadcast_to(tail_words, (rows, len(tail_words))))
    width = sum(p.shape[1] for p in pieces)
    buffer = bytearray(8 * width * rows)
    matrix = np.frombuffer(buffer, dtype=WORD).reshape(rows, width)
    for start in range(0, rows, SLICE_ROWS):  # a slice of rows at a time: its words stay in cache
        stop = start + SLICE_ROWS
        np.concatenate([p[start:stop] for p in pieces], axis=1, out=matrix[start:stop])
    return buffer.translate(None, b"\0")  # the padding dropped: text never holds a zero byte
