"""A large output file written around the page cache (Linux `O_DIRECT`), for a sweep's text.

A buffered write copies the text into the page cache, and each page the kernel takes for it costs
a page allocation; on a virtual machine whose host backs guest memory lazily (the development
machine: a Firecracker guest with free page reporting) a fresh page costs about 10 us, so 193 MiB
of JSON Lines cost 0.35 to 0.45 s of system time, on one of the two cores the sweep computes on.
With `O_DIRECT` the device reads the text from one reused staging buffer of ours: the same bytes
in the file, about 0.01 s of system time, the wait for the device in the writing thread.

`DirectFile(fd)` is a file-like `write(bytes-like)` and `finish()`. The text is copied into a
page-aligned staging buffer (numpy's copy: the interpreter released meanwhile); each time it holds
STAGE // 2 bytes, its whole pages are written with one `os.write` and the rest moved to its
start. `finish()` writes the last whole pages, turns `O_DIRECT` off and writes the rest (a file's
end need not be aligned). Direct I/O is not kept when:

- the platform has no `O_DIRECT`, or `fcntl` refuses it (some file systems): buffered from the start;
- a direct write fails with EINVAL (an alignment the device refuses) or writes part of its bytes:
  the rest is buffered (a failed write wrote nothing; the file's offset stays where it was);
- the direct writes so far, once MIN_BYTES, ran slower than MIN_RATE (a disk, a network file
  system: the page cache would take the text at memory speed and the sweep would not wait for
  the device): the rest is buffered. (A write's time includes its wait for the interpreter
  after the system call, a few milliseconds: the rate is a lower bound of the device's.)
Every byte is written once, in order, by either way: the file is the same.
"""

from __future__ import annotations

import errno
import mmap
import os
import time

import numpy as np

ALIGN = 1 << 12  # file offsets, lengths and the buffer's address of a direct write: whole 4 KiB pages
STAGE = 8 << 20  # the staging buffer (direct writes of about half of it each)
MIN_RATE = 150 << 20  # bytes per second, a write's wait for the interpreter included: slower, buffered writes
MIN_BYTES = 32 << 20  # written directly before the rate is judged


class DirectFile:
    """Writes to the open file descriptor `fd` (a regular file, at offset 0), directly while that
    works and is fast, else buffered. The caller closes `fd` after `finish()`."""

    def __init__(self, fd: int):
        self.fd = fd
        self.direct = _set_direct(fd, True)
        self.stage = self.pages = None
        if self.direct:
            self.stage = mmap.mmap(-1, STAGE)  # page-aligned, reused for every block
            self.pages = np.frombuffer(self.stage, dtype=np.uint8)
        self.used = 0  # bytes staged, not written yet
        self.direct_bytes, self.direct_seconds = 0, 0.0

    def write(self, text) -> None:
        if not self.direct:
            _write_all(self.fd, text)
            return
        source = np.frombuffer(text, dtype=np.uint8)
        at = 0
        while at < len(source) and self.direct:
            count = min(len(source) - at, STAGE - self.used)
            self.pages[self.used:self.used + count] = source[at:at + count]  # type: ignore[index]
            self.used += count
            at += count
            if self.used >= STAGE // 2:
                self._flush_pages()
        if at < len(source):  # direct writes stopped on the way: the rest buffered
            _write_all(self.fd, source[at:])

    def finish(self) -> None:
        """Everything staged written; the descriptor left without O_DIRECT."""
        if self.direct:
            self._flush_pages()
        if self.used:
            _set_direct(self.fd, False)
            self.direct = False
            _write_all(self.fd, memoryview(self.stage)[:self.used])  # type: ignore[arg-type]
            self.used = 0
        if self.stage is not None:
            self.pages = None
            self.stage.close()
            self.stage = None

    def _flush_pages(self) -> None:
        """The staged whole pages written directly; the partial page moved to the buffer's start.
        On a refusal or a slow device, everything staged is written buffered and direct I/O stops."""
        whole = self.used // ALIGN * ALIGN
        if not whole:
            return
        started = time.perf_counter()
        try:
            written = _write_pages(self.fd, memoryview(self.stage)[:whole])  # type: ignore[arg-type]
        except OSError as e:
            if e.errno != errno.EINVAL:
                raise
            written = 0
        self.direct_seconds += time.perf_counter() - started
        self.direct_bytes += written
        slow = self.direct_bytes >= MIN_BYTES and self.direct_bytes < MIN_RATE * self.direct_seconds
        if written != whole or slow:
            self._stop(written)
            return
        rest = self.used - whole
        self.pages[:rest] = self.pages[whole:self.used]  # type: ignore[index]
        self.used = rest

    def _stop(self, written: int) -> None:
        """Buffered from here on: the staged bytes after the `written` ones go out buffered."""
        _set_direct(self.fd, False)
        self.direct = False
        _write_all(self.fd, memoryview(self.stage)[written:self.used])  # type: ignore[arg-type]
        self.used = 0


def _set_direct(fd: int, on: bool) -> bool:
    """O_DIRECT turned on or off for `fd`; whether it is on."""
    flag = getattr(os, "O_DIRECT", 0)
    if not flag:
        return False
    import fcntl
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | flag if on else flags & ~flag)
    except OSError:
        return False
    return on


def _write_pages(fd: int, view) -> int:
    """One direct write of whole pages; the bytes written."""
    return os.write(fd, view)


def _write_all(fd: int, text) -> None:
    """Every byte of `text` written (os.write may write fewer)."""
    view = memoryview(text).cast("B")
    while len(view):
        view = view[os.write(fd, view):]
