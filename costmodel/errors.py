"""The two kinds of failure costmodel reports.

SpecError is the user's: bad YAML, an unknown layer type, a shape that does not fit. It carries
where it happened (file, line, column, layer) and prints as one line. A spec with several
independent problems raises one SpecError for all of them: its `errors` lists each one (the first
also fills `message`, `file`, `line`, `column`, `layer`), and it prints as one line per error.
CheckError is ours: the symbolic formulas and the reference propagator disagree, so one of them
is wrong.
"""

from __future__ import annotations

import re

MAX_REPORTED = 50  # a file with more problems lists this many, then says how many more
DISTRIBUTION = "cnn-costmodel"  # the name on PyPI ("costmodel" there is an unrelated project)


def install_hint(extra: str) -> str:
    """The command that installs an optional extra: "pip install 'cnn-costmodel[plot]'"."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"


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
        self._others: list[SpecError] = []  # further independent errors, after this one
        self.omitted = 0  # errors found beyond MAX_REPORTED
        self.stopped = False  # the loader stopped looking: there may be more than `omitted`

    @classmethod
    def collect(cls, errors: list["SpecError"]) -> "SpecError":
        """One SpecError carrying several, in order, without repeats (a block called twice with
        the same bad line reports it once)."""
        unique, seen = [], set()
        for error in errors:
            for one in error.errors:
                key = (one.file, one.line, one.column, one.message)
                if key not in seen:
                    seen.add(key)
                    unique.append(one)
        if not unique:
            raise ValueError("SpecError.collect needs at least one error")
        first = unique[0]
        result = cls(first.message, file=first.file, line=first.line, column=first.column, layer=first.layer)
        result._others = unique[1:MAX_REPORTED]
        result.omitted = max(0, len(unique) - MAX_REPORTED) + sum(e.omitted for e in errors)
        return result

    @property
    def errors(self) -> list["SpecError"]:
        """Every error this one carries, itself first (a single error: just itself)."""
        return [self, *self._others]

    def located(self, *, file=None, line=None, column=None, layer=None) -> "SpecError":
        """Fill in whatever location is still unknown; return self for `raise e.located(...)`.
        Only the file reaches the further errors: their own positions are their own."""
        self.file = self.file or file
        if self.line is None:
            self.line, self.column = line, column
        self.layer = self.layer or layer
        for other in self._others:
            other.file = other.file or file
        return self

    def line_text(self) -> str:
        """This error alone, as one line: FILE:LINE:COLUMN: layer N 'name' (type): message."""
        if self.file is None and self.line is None and not self.layer:  # a value or option, not a spec
            return _one_line(self.message)
        where = self.file or "<spec>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        layer = f" layer {_one_line(self.layer)}:" if self.layer else ""
        return f"{where}:{layer} {_one_line(self.message)}"

    def lines(self) -> list[str]:
        """One line per error (and a last one counting those left out)."""
        result = [e.line_text() for e in self.errors]
        if self.omitted:
            at_least = "at least " if self.stopped else ""
            result.append(f"{self.file or '<spec>'}: ... and {at_least}{self.omitted} more "
                          f"error{'s' if self.omitted != 1 else ''}")
        return result

    def __str__(self) -> str:
        return "\n".join(self.lines())


LONG_WORD = re.compile(r"\S{%d,}" % 200)  # a name, number or text of a spec this long is cut in a message


def _one_line(text: str) -> str:
    """Text from a spec (a layer type, a name) may hold line breaks or control characters: escape
    them, so that one error stays one line; and a word of 200 characters or more (a 4,000-digit
    number, a name as long) is cut to its first 80 and last 20, so that the line stays readable."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return LONG_WORD.sub(_cut, text)


def _cut(match) -> str:
    word = match.group(0)
    return f"{word[:80]}...({len(word) - 100:,} characters left out)...{word[-20:]}"


class SpecWarning(UserWarning):
    """A spec that is valid but probably not what its author meant (e.g. a channels-first input);
    the command line prints it as one line on stderr and goes on."""


class CheckError(Exception):
    """The symbolic analysis disagrees with the reference propagator: a bug in costmodel."""
