"""Reading a file named on the command line: a regular file, bounded, whatever the path is.

`/dev/zero`, a FIFO or a multi-gigabyte file must give a one-line SpecError, not a hang or a
MemoryError: the file is checked to be regular before it is opened, and never more than `limit`
bytes (plus one, to tell "too large") are read.
"""

from __future__ import annotations

from pathlib import Path

from .errors import SpecError


def read_text(path, what: str, limit: int) -> str:
    """The UTF-8 text of the regular file `path` (SpecError naming `what` if it is not one, cannot
    be read, is larger than `limit` bytes or is not UTF-8)."""
    file = str(path)
    try:
        if not Path(path).is_file():
            reason = "not a regular file" if Path(path).exists() else "no such file"
            raise SpecError(f"cannot read {what}: {reason}", file=file)
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise SpecError(f"cannot read {what}: {e.strerror or e}", file=file) from None
    if len(data) > limit:
        raise SpecError(f"{what} is larger than {limit:,} bytes", file=file)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SpecError(f"{what} is not UTF-8 text (byte {e.start})", file=file) from None
