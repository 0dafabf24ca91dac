"""`costmodel reproduce`: every published number of the reference papers against ours, as Markdown.

The entries come from `costmodel.reproduction.collect()` (one module per paper). Without options
the report goes to stdout; `--write PATH` writes it; `--check PATH` exits 1 if PATH differs from
what would be written (the test suite runs it on docs/reproduction.md).
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from pathlib import Path

from ..errors import SpecError

REGENERATE = "costmodel reproduce --write docs/reproduction.md"
COLUMNS = ("source", "cell", "published", "ours", "difference", "verdict", "reason")
MAX_REPORT_BYTES = 10_000_000  # --check reads at most this much (the report is about 45 kB)
MISSING = "MISSING REASON"  # verdict None: outside print precision and unexplained (a failure)

from ..cli import examples


def add_parser(sub):
    p = sub.add_parser("reproduce", help="published numbers of the reference papers against ours (Markdown)",
                       epilog=examples("costmodel reproduce > reproduction.md",
                                       "costmodel reproduce --check docs/reproduction.md"))
    where = p.add_mutually_exclusive_group()
    where.add_argument("--write", metavar="PATH", help="write the report to PATH instead of stdout")
    where.add_argument("--check", metavar="PATH", help="exit 1 if PATH differs from the report")
    return p


def run(args) -> int:
    current = None
    if args.check:  # first, so that a path that is not a regular file fails at once
        from ..files import read_text
        current = read_text(args.check, "the report", MAX_REPORT_BYTES)
    text = render()
    if args.write:
        try:
            Path(args.write).write_text(text)
        except OSError as e:
            raise SpecError(f"cannot write the report: {e.strerror}", file=args.write) from None
        return 0
    if args.check:
        if current != text:
            sys.stderr.write(f"{args.check} is out of date; regenerate it with: {REGENERATE}\n")
            return 1
        return 0
    sys.stdout.write(text)
    return 0


def fixed(value: Fraction, places: int) -> str:
    """`value` with `places` decimals, halves rounded away from zero: fixed(Fraction(-1, 8), 2) = '-0.13'."""
    digits = str(math.floor(abs(value) * 10**places + Fraction(1, 2))).rjust(places + 1, "0")
    sign = "-" if value < 0 and digits.strip("0") else ""
    return sign + (f"{digits[:-places]}.{digits[-places:]}" if places else digits)


def decimal(value: Fraction, places: int) -> str:
    """`value` as a decimal: exact when it terminates within 6 places, else '~' and `places` digits."""
    for exact in range(7):
        if (value * 10**exact).denominator == 1:
            return fixed(value, exact)
    return "~" + fixed(value, places)


def _places(published: str) -> int:
    from ..analyses.reproduction import last_digit_unit
    unit = last_digit_unit(published)
    return len(str(unit.denominator)) - 1 + 3  # three digits beyond the printed precision


def markdown_table(headers, rows, align: str) -> str:
    """A Markdown pipe table without padding (the reasons are long: padding every row to the longest
    would bury the numbers); `align` has one letter per column, l or r."""
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
    rule = "|" + "|".join("---:" if a == "r" else ":---" for a in align) + "|"
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def _row(entry) -> list[str]:
    places = _places(entry.published)
    difference = decimal(entry.difference, places)
    if entry.difference > 0:
        difference = f"~+{difference[1:]}" if difference.startswith("~") else f"+{difference}"
    unit = "%" if entry.published.strip().endswith("%") else ""
    return [entry.source, entry.cell, entry.published, decimal(entry.ours, places) + unit, difference + unit,
            entry.verdict or MISSING, entry.reason or ""]


def render(entries=None) -> str:
    """The whole Markdown report for `entries` (default: every reproduction module's)."""
    from ..analyses.reproduction import EXACT, INCONSISTENT, NOT_REPRODUCED, PRINT_PRECISION, collect

    entries = collect() if entries is None else entries
    sources: dict[str, list] = {}
    for entry in entries:
        sources.setdefault(entry.source, []).append(entry)
    verdicts = [EXACT, PRINT_PRECISION, INCONSISTENT, NOT_REPRODUCED, None]
    if all(e.verdict is not None for e in entries):
        verdicts.pop()  # the column of failures appears only when there are some
    summary = [[source, *(sum(e.verdict == v for e in group) for v in verdicts), len(group)]
               for source, group in sources.items()]
    summary.append(["total", *(sum(e.verdict == v for e in entries) for v in verdicts), len(entries)])
    headers = ["source", *(v or MISSING for v in verdicts), "entries"]
    failures = f"; *{MISSING}* (outside print precision with no reason: a failure of ours)" if None in verdicts else ""
    parts = [
        "# Published numbers against ours",
        "",
        f"Generated by `{REGENERATE}` from `costmodel/analyses/reproduction/` (one module per reference paper); "
        "do not edit by hand. `ours` is computed by costmodel from the shipped specs, in the printed unit; "
        "a `~` marks a value rounded for display. Verdicts: *exact*; *within print precision* (less than "
        "one unit of the last printed digit away: the paper rounded or truncated); *paper inconsistent* "
        "(the paper contradicts itself, reason given); *not reproduced* (outside print precision, reason "
        f"given){failures}.",
        "",
        markdown_table(headers, summary, "l" + "r" * (len(headers) - 1)),
    ]
    for source, group in sources.items():
        parts += ["", f"## {source}", "",
                  markdown_table(COLUMNS, [_row(e) for e in group], "llrrrll")]
    return "\n".join(parts) + "\n"
