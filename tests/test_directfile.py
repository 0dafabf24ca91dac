"""The sweep's file writer (outputs/directfile.py): direct I/O where the file system allows, else
buffered, and the same bytes in the file either way: pieces of every size across the staging
buffer's and the pages' boundaries, a refused direct write, a partial one, a slow device."""

import errno
import os

import numpy as np
import pytest

from costmodel.outputs import directfile


def pieces(seed: int) -> list[bytes]:
    """Texts of 0 to 3 pages and a few bytes, no zero byte (as a sweep's text)."""
    rng = np.random.default_rng(seed)
    sizes = [0, 1, 4095, 4096, 4097, 3 * 4096 + 5, *rng.integers(0, 3 * 4096 + 9, 40).tolist()]
    return [bytes(rng.integers(1, 256, n, dtype=np.uint8)) for n in sizes]


def written(path, texts, as_views: bool = False) -> tuple[bytes, directfile.DirectFile]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        f = directfile.DirectFile(fd)
        for t in texts:
            f.write(memoryview(bytearray(t)) if as_views else t)
        f.finish()
    finally:
        os.close(fd)
    with open(path, "rb") as g:
        return g.read(), f


@pytest.fixture
def small_stage(monkeypatch):
    monkeypatch.setattr(directfile, "STAGE", 4 * directfile.ALIGN)  # a direct write every 2 pages or so


@pytest.mark.parametrize("seed", [0, 1])
def test_the_file_holds_every_piece_in_order(tmp_path, small_stage, seed):
    texts = pieces(seed)
    data, f = written(tmp_path / "out.jsonl", texts, as_views=bool(seed))
    assert data == b"".join(texts)
    assert not f.direct and f.used == 0  # finished: the tail written buffered, nothing staged
    if direct_here(tmp_path):
        assert f.direct_bytes > 0 and f.direct_bytes % directfile.ALIGN == 0  # whole pages went directly


def direct_here(directory) -> bool:
    """Whether this file system takes O_DIRECT (where it does not, every write is buffered)."""
    fd = os.open(directory / "probe", os.O_WRONLY | os.O_CREAT)
    try:
        return directfile._set_direct(fd, True)
    finally:
        os.close(fd)


def test_without_o_direct_everything_is_buffered(tmp_path, small_stage, monkeypatch):
    monkeypatch.setattr(directfile, "_set_direct", lambda fd, on: False)
    texts = pieces(2)
    data, f = written(tmp_path / "out.csv", texts)
    assert data == b"".join(texts) and f.direct_bytes == 0 and f.stage is None


@pytest.mark.parametrize("answer", ["refused", "partial"])
def test_a_refused_or_partial_direct_write_leaves_the_rest_buffered(tmp_path, small_stage, monkeypatch, answer):
    calls = []

    def write_pages(fd, view):
        calls.append(len(view))
        if len(calls) == 2:  # the second direct write: EINVAL (nothing written), or half its pages
            if answer == "refused":
                raise OSError(errno.EINVAL, "Invalid argument")
            half = len(view) // 2 // directfile.ALIGN * directfile.ALIGN
            return os.write(fd, view[:half])
        return os.write(fd, view)
    monkeypatch.setattr(directfile, "_write_pages", write_pages)
    monkeypatch.setattr(directfile, "_set_direct", lambda fd, on: on)  # "direct" on any file system
    texts = pieces(3)
    data, f = written(tmp_path / "out.jsonl", texts)
    assert data == b"".join(texts)
    assert len(calls) == 2  # no direct write after the one that failed


def test_another_error_of_a_direct_write_is_raised(tmp_path, small_stage, monkeypatch):
    def full(fd, view):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(directfile, "_write_pages", full)
    monkeypatch.setattr(directfile, "_set_direct", lambda fd, on: on)
    with pytest.raises(OSError) as e:
        written(tmp_path / "out.jsonl", pieces(4))
    assert e.value.errno == errno.ENOSPC


def test_a_slow_device_gets_buffered_writes(tmp_path, small_stage, monkeypatch):
    calls = []

    def write_pages(fd, view):
        calls.append(len(view))
        return os.write(fd, view)
    monkeypatch.setattr(directfile, "_write_pages", write_pages)
    monkeypatch.setattr(directfile, "_set_direct", lambda fd, on: on)
    monkeypatch.setattr(directfile, "MIN_BYTES", 3 * directfile.ALIGN)  # judged after the second write
    monkeypatch.setattr(directfile, "MIN_RATE", 2 ** 62)  # no device is this fast
    texts = pieces(5)
    data, f = written(tmp_path / "out.jsonl", texts)
    assert data == b"".join(texts)
    assert sum(calls) >= 3 * directfile.ALIGN > sum(calls[:-1])  # stopped once judged slow
