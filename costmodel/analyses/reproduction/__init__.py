"""Published numbers against ours: one Entry per number a paper prints.

Each module in this package covers one reference (see ../shared/seeds/README.md) and defines
`entries() -> list[Entry]`, computing `ours` with costmodel itself from the shipped specs.
`collect()` gathers them all, sorted by module name, for the report and its test.

Verdicts:
- exact: ours equals the printed value;
- within print precision: the printed value is ours rounded (to within half a unit of its last
  printed digit) or truncated (ours is above it by less than one unit);
- paper inconsistent: the paper contradicts itself; `reason` shows the arithmetic;
- not reproduced: outside print precision for a reason we can state but not resolve (`reason`).
An entry outside print precision without a reason is a failure of ours, and the tests say so.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from fractions import Fraction

EXACT = "exact"
PRINT_PRECISION = "within print precision"
INCONSISTENT = "paper inconsistent"
NOT_REPRODUCED = "not reproduced"


def last_digit_unit(printed: str) -> Fraction:
    """One unit of the last printed digit: '5.97' -> 1/100, '139' -> 1, '45.2%' -> 1/10."""
    text = printed.strip().rstrip("%").replace(",", "")
    return Fraction(1, 10 ** len(text.split(".")[1])) if "." in text else Fraction(1)


def printed_value(printed: str) -> Fraction:
    return Fraction(printed.strip().rstrip("%").replace(",", ""))


@dataclass(frozen=True)
class Entry:
    source: str        # e.g. "004 Table 4" (seed file prefix and table)
    cell: str          # e.g. "CIFAR-10, delta=2, alpha=0.5, Million Mult-Adds"
    published: str     # exactly as printed, e.g. "5.97"
    ours: Fraction | int  # our value in the printed unit, e.g. Fraction(5975552, 10**6) (kept as a Fraction)
    reason: str | None = None       # why ours differs (required outside print precision)
    inconsistent: bool = False      # the reason is an internal contradiction of the paper

    def __post_init__(self):
        object.__setattr__(self, "ours", Fraction(self.ours))
        if self.inconsistent and not self.reason:
            raise ValueError(f"{self.source} {self.cell}: 'paper inconsistent' needs a reason")

    @property
    def difference(self) -> Fraction:
        return self.ours - printed_value(self.published)

    @property
    def verdict(self) -> str | None:
        """None: outside print precision with no reason given (a failure)."""
        if self.difference == 0:
            return EXACT
        unit = last_digit_unit(self.published)
        rounded_or_truncated = -unit / 2 <= self.difference < unit
        if rounded_or_truncated and not self.inconsistent:
            return PRINT_PRECISION
        if self.reason is None:
            return None
        return INCONSISTENT if self.inconsistent else NOT_REPRODUCED


def collect() -> list[Entry]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    result = []
    for name in names:
        result += importlib.import_module(f"{__name__}.{name}").entries()
    return result
