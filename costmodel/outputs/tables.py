"""One layout for every command that prints a table: the five formats, units, colour and width.

- formats: `table` (tabulate's simple), `markdown` (GitHub), `latex` (booktabs + longtable, so a
  long table breaks across pages; the packages are named in the first comment line), `csv` and
  `json` (data: whole numbers stay whole, no total rows; each command builds those itself);
- units: `raw` prints every count as a whole number with thousands separators (12,345,678);
  `si` scales counts by 1000 (K, M, G, T) and bytes by 1024 (KiB, MiB, GiB, TiB), two decimals,
  as torchinfo and Keras print their totals;
- colour (table format only): bold headers and total rows, flagged cells red; `auto` colours when
  stdout is a terminal and NO_COLOR is unset or empty (https://no-color.org);
- width (table format only): columns are dropped in the order the caller gives until the table
  fits; the caller says which were dropped.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys

FORMATS = ("table", "markdown", "csv", "json", "latex")
TEXT_FORMATS = ("table", "markdown", "latex")
UNITS = ("raw", "si")
COLOURS = ("auto", "always", "never")
LATEX_PACKAGES = ("booktabs", "longtable")

_TABLEFMT = {"table": "simple", "markdown": "github", "latex": "latex_booktabs"}
_COUNT_PREFIXES = ("", " K", " M", " G", " T", " P")
_BYTE_PREFIXES = (" B", " KiB", " MiB", " GiB", " TiB", " PiB")


# --- numbers -----------------------------------------------------------------------------------

def count(n: int, units: str = "raw") -> str:
    """A whole count: 5,975,552 (raw) or 5.98 M (si, powers of 1000)."""
    return f"{n:,}" if units == "raw" else _scaled(n, 1000, _COUNT_PREFIXES)


def size(n: int, units: str = "raw") -> str:
    """A number of bytes: 6,607,208 (raw) or 6.30 MiB (si, powers of 1024)."""
    return f"{n:,}" if units == "raw" else _scaled(n, 1024, _BYTE_PREFIXES)


def _scaled(n, base: int, prefixes) -> str:
    if abs(n) < base:
        return f"{n:,}{prefixes[0]}" if isinstance(n, int) else f"{n:.2f}{prefixes[0]}"
    step, value = 0, float(n)
    while abs(value) >= base and step < len(prefixes) - 1:
        value, step = value / base, step + 1
    return f"{value:.2f}{prefixes[step]}"


# --- colour ------------------------------------------------------------------------------------

_BOLD, _RED, _RESET = "\x1b[1m", "\x1b[31m", "\x1b[0m"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def colour_wanted(choice: str = "auto", stream=None) -> bool:
    """`always`, `never`, or `auto`: a terminal and NO_COLOR unset or empty."""
    if choice != "auto":
        return choice == "always"
    stream = sys.stdout if stream is None else stream
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


def bold(text: str, on: bool) -> str:
    return f"{_BOLD}{text}{_RESET}" if on and text else text


def red(text: str, on: bool) -> str:
    return f"{_RED}{text}{_RESET}" if on and text else text


def visible_width(text: str) -> int:
    """The widest line without its colour codes."""
    return max((len(_ANSI.sub("", line)) for line in text.splitlines()), default=0)


# --- width -------------------------------------------------------------------------------------

def terminal_width(requested: int | None, stream=None) -> int | None:
    """The width a table must fit: `--width N` (0: no limit); else the terminal's when stdout is
    one (shutil.get_terminal_size, which reads COLUMNS first); else no limit (a pipe or a file
    gets every column)."""
    import shutil

    if requested is not None:
        return requested or None
    stream = sys.stdout if stream is None else stream
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return None
    return shutil.get_terminal_size().columns


# --- tables ------------------------------------------------------------------------------------

def comment(fmt: str) -> str:
    """What starts a line of prose beside a table: LaTeX's comment sign, else nothing."""
    return "%" if fmt == "latex" else ""


def latex_header() -> str:
    """The first line of every LaTeX output: what a document needs to compile it."""
    packages = ",".join(LATEX_PACKAGES)
    return f"%LaTeX: needs \\usepackage{{{packages}}} (tables are longtables: they break across pages)"


def text_table(rows, headers, align, fmt: str) -> str:
    """rows (lists of cell text) as a table, markdown or LaTeX longtable."""
    if fmt == "table" and _plain(rows, headers, align):
        return simple_table(rows, headers, align)
    from tabulate import tabulate  # here: building the command line's parser reads FORMATS only

    table = tabulate(rows, headers=headers, tablefmt=_TABLEFMT[fmt], colalign=align, disable_numparse=True)
    return longtable(table) if fmt == "latex" else table


# printable ASCII only: outside it tabulate measures widths its own way (colour codes, wide
# characters, line breaks), so such a table goes to tabulate
_NOT_PLAIN = re.compile(r"[^\x20-\x7e]")
_PAD = {"left": "<", "right": ">", "center": "^"}


def _plain(rows, headers, align) -> bool:
    """Whether simple_table prints these rows as tabulate's `simple` format does: text or whole
    numbers, printable ASCII, at least one row, each as long as the header, alignments left, right
    or center."""
    width = len(headers)
    if not rows:  # tabulate then aligns the headers left whatever `align` says
        return False
    if any(a not in _PAD for a in align) or len(align) != width or any(len(row) != width for row in rows):
        return False
    if not {type(cell) for row in rows for cell in row} <= {str, int}:  # None, bool, float: tabulate's rules
        return False
    text = "".join(map(str, headers)) + "".join("".join(map(str, row)) for row in rows)
    return _NOT_PLAIN.search(text) is None


def simple_table(rows, headers, align) -> str:
    """tabulate's `simple` format (disable_numparse), byte for byte, in one pass per column: each
    column as wide as its widest cell or its header plus 2, cells stripped and padded, two spaces
    between columns, a dashed rule under the header, trailing spaces cut (tests/test_tables.py
    compares the two)."""
    columns = [[str(cell).strip() for cell in column] for column in zip(*rows)]
    widths = [max(len(str(h)) + 2, max(map(len, column))) for h, column in zip(headers, columns)]
    line = "  ".join(f"{{:{_PAD[a]}{w}}}" for a, w in zip(align, widths)).format
    lines = [line(*map(str, headers)).rstrip(), "  ".join("-" * w for w in widths)]
    lines += [line(*cells).rstrip() for cells in zip(*columns)]
    return "\n".join(lines)


def fitted(rows, headers, align, fmt: str, width: int | None, drop: list[int]) -> tuple[str, list[int]]:
    """text_table, dropping columns (indices, in the order given) until the table is at most `width`
    characters wide (table format only). Returns the table and the indices dropped."""
    dropped: list[int] = []
    table = text_table(rows, headers, align, fmt)
    while fmt == "table" and width and visible_width(table) > width and len(dropped) < len(drop):
        dropped.append(drop[len(dropped)])
        keep = [i for i in range(len(headers)) if i not in dropped]
        table = text_table([[row[i] for i in keep] for row in rows], [headers[i] for i in keep],
                           [align[i] for i in keep], fmt)
    return table, dropped


def longtable(table: str) -> str:
    """tabulate's booktabs tabular (its escaping of & % _ ...) as a longtable: the header repeats
    on every page."""
    lines = table.splitlines()
    opening = lines[0].replace(r"\begin{tabular}", r"\begin{longtable}")
    body = lines[1:-1]
    rule = body.index(r"\midrule")  # after the header row
    body = body[:rule + 1] + [r"\endhead"] + body[rule + 1:]
    return "\n".join([opening, *body, r"\end{longtable}"])


def csv_text(header, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
