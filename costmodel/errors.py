"""The two kinds of failure costmodel reports.

SpecError is the user's: bad YAML, an unknown layer type, a shape that does not fit. It carries
where it happened (file, line, column, layer) and prints as one line. CheckError is ours: the
symbolic formulas and the reference propagator disagree, so one of them is wrong.
"""

from __future__ import annotations


class SpecError(Exception):
    """A problem in a spec, located as precisely as the spec allows."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: int | None = None, layer: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.layer = layer

    def located(self, *, file=None, line=None, column=None, layer=None) -> "SpecError":
        """Fill in whatever location is still unknown; return self for `raise e.located(...)`."""
        self.file = self.file or file
        if self.line is None:
            self.line, self.column = line, column
        self.layer = self.layer or layer
        return self

    def __str__(self) -> str:
        where = self.file or "<spec>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        layer = f" layer {self.layer}:" if self.layer else ""
        return f"{where}:{layer} {self.message}"


class CheckError(Exception):
    """The symbolic analysis disagrees with the reference propagator: a bug in costmodel."""
