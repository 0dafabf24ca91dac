"""`costmodel sweep SPEC --range alpha=0.1:1.0:0.05 --grid delta=1,2,4`: every combination,
from the compiled closed forms, with an optional Pareto front."""

from __future__ import annotations

import os
import sys
import tempfile
import time

from ..cli import add_values, assignment, chosen_values, examples, output_file
from ..errors import SpecError

FORMATS = ("table", "markdown", "csv", "json", "jsonl", "latex")
TEXT_FORMATS = ("table", "markdown", "latex")  # a table of at most TABLE_ROWS rows, the summary above it
TABLE_ROWS = 200  # more rows than this on stdout: write them with --out
METRIC_NAMES = ("macs", "flops", "params", "params_non_trainable", "params_with_statistics", "floats_out",
                "peak_floats_out")  # explore.METRICS, without importing the analyses to build the parser
RENDER_THREADS = 2  # blocks turned into text and written at once, a thread each, beside the next (0: inline)
TABLE_VALUES = 2 ** 16  # a symbol with more values than this: its texts made block by block
VERIFY = 5  # rows checked as `report` does (first, last, 3 random), see explore.sweep


def add_parser(sub):
    p = sub.add_parser("sweep", help="every combination of symbol values, from the compiled closed forms",
                       epilog=examples("costmodel sweep mobilenet_cifar --range alpha=0.25:1:0.25 --grid delta=1,2",
                                       "costmodel sweep mobilenet_cifar --grid alpha=0.5,1 --out sweep.csv",
                                       "costmodel sweep mobilenet_cifar --range alpha=0.001:1:0.001 --range delta=1:1000:1 --out s.jsonl"))
    p.add_argument("spec", help="network spec (YAML)")
    p.add_argument("--range", dest="ranges", metavar="NAME=START:STOP:STEP", type=assignment, action="append",
                   default=[], help="values START, START+STEP, ... up to STOP included (repeatable)")
    p.add_argument("--grid", metavar="NAME=V1,V2,...", type=assignment, action="append", default=[],
                   help="listed values of one symbol (repeatable)")
    add_values(p, help="fixed symbol value (repeatable); others keep their defaults")
    p.add_argument("--pareto", metavar="M1,M2", help="mark the Pareto front of two metrics, both minimised "
                   "(macs, flops, params, params_with_statistics, floats_out, peak_floats_out ...)")
    p.add_argument("--out", metavar="FILE.csv|.json|.jsonl", type=output_file(".csv", ".json", ".jsonl"),
                   help="write every row to a file (format from the extension), streamed block by block")
    p.add_argument("--format", choices=FORMATS, default="table", help="stdout format without --out")
    p.add_argument("--plot", metavar="FILE.png|svg", type=output_file(".png", ".svg", ".pdf"), help="scatter of the two --pareto metrics (needs matplotlib)")
    return p


def run(args) -> int:
    if "numpy" not in sys.modules:  # this process's numpy: no BLAS thread (costmodel multiplies no matrices)
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from ..analyses import explore
    from .. import load_network

    net = load_network(args.spec)
    axes: dict = {}
    for name, text in args.ranges:
        axes[name] = explore.parse_range(text, f"--range {name}")
    for name, text in args.grid:
        if name in axes:
            raise SpecError(f"{name} is given twice (--range/--grid)")
        axes[name] = explore.parse_list(text, f"--grid {name}")
    if len(axes) != len(args.ranges) + len(args.grid):
        raise SpecError("--range: a symbol is given twice")
    if set(dict(args.values)) & set(axes):
        raise SpecError(f"--set and --range/--grid both give {', '.join(sorted(set(dict(args.values)) & set(axes)))}")
    fixed = {n: v for n, v in chosen_values(args, net.spec).items() if n not in axes}  # the axes win over a preset
    net = net.for_values(fixed)  # the tree of the options fixed (an option among the axes is refused)
    pareto = tuple(m.strip() for m in args.pareto.split(",")) if args.pareto else None
    if args.plot and not pareto:
        pareto = ("macs", "params")
    started = time.perf_counter()
    sweep = explore.stream(net, axes, fixed=fixed, pareto=pareto, verify=VERIFY)
    swept = list(axes)
    front: list = []  # the rows on the Pareto front, printed after --out
    if args.out or args.format not in TEXT_FORMATS:
        _reuse_freed_memory()
    if args.out:
        fmt = _format_of(args.out)
        plotted = _write_file(sweep, args.out, fmt, front)
    elif args.format in TEXT_FORMATS:
        plotted = rows = _table_rows(sweep)
    else:
        plotted = _write(sweep, sys.stdout.buffer, args.format, front, collect=bool(args.plot))
    summary = _summary(net, sweep, time.perf_counter() - started)
    if args.out:
        on_front = f"; {len(front):,} on the Pareto front of {' and '.join(pareto)}" if pareto else ""
        sys.stdout.write(f"{summary}\nwrote {sweep.kept:,} rows to {args.out}{on_front}\n")
        if pareto:
            sys.stdout.write(render(_joined(front, sweep), "table", swept))
    elif args.format in TEXT_FORMATS:
        from ..outputs import tables
        header = [tables.latex_header()] if args.format == "latex" else []
        sys.stdout.write("".join(f"{line}\n" for line in [*header, tables.comment(args.format) + summary,
                                                        *([""] if args.format == "markdown" else [])]))
        sys.stdout.write(render(rows, args.format, swept))
    else:
        sys.stdout.flush()
        sys.stderr.write(summary + "\n")
    if args.plot:
        from ..outputs import plot
        plot.sweep_scatter(plotted, args.plot, pareto, swept, title=net.spec.name)
    return 0


def _reuse_freed_memory() -> None:
    """Ask glibc's malloc to keep freed blocks for the next ones instead of returning them to the
    system: each block of a sweep allocates and frees the same few large arrays, and fresh pages
    cost a page fault each (about a tenth of a second of system time per 10**6 rows); and to keep
    one heap for every thread (the threads that render blocks would each take an arena of their own,
    and fresh pages with it). Elsewhere (no glibc) nothing happens."""
    import ctypes
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 256 << 20)  # M_MMAP_THRESHOLD: arrays below 256 MiB from the heap
        libc.mallopt(-1, 512 << 20)  # M_TRIM_THRESHOLD: keep up to 512 MiB of freed heap
        libc.mallopt(-8, 1)  # M_ARENA_MAX: the render threads' blocks from the same heap, reused
    except (OSError, AttributeError):
        pass


def _summary(net, sweep, elapsed: float) -> str:
    from ..network import options_text

    skipped = sweep.total - sweep.kept
    built = options_text(net.spec)  # the options of the tree swept
    return (f"{net.spec.name}{f' ({built})' if built else ''}: {sweep.total:,} configurations in {elapsed:.3f} s "
            f"({sweep.verified} rows checked as report does)"
            + (f"; {skipped:,} left out (the network does not fit: a size below 1 or above 2**40, groups that do not divide, "
               f"or a count that is not whole{_zero_divisions(sweep.divide_by_zero)})" if skipped else ""))


def _zero_divisions(count: int) -> str:
    """The part of the summary for configurations `report` refuses with "division by zero"."""
    if not count:
        return ""
    return f"; {count:,} of them divide by zero, which report refuses as 'division by zero'"


def _format_of(path: str) -> str:
    for ext, fmt in ((".csv", "csv"), (".jsonl", "jsonl"), (".json", "json")):
        if path.lower().endswith(ext):
            return fmt
    raise SpecError(f"--out {path}: expected a .csv, .json or .jsonl file")


def _table_rows(sweep):
    """The rows for a table on stdout, refused beyond TABLE_ROWS before the whole grid is computed."""
    parts, count = [], 0
    for chunk in sweep.chunks():
        count += len(chunk)
        if count > TABLE_ROWS:
            raise SpecError(f"more than {TABLE_ROWS:,} rows: too many for a table on stdout; use --out FILE.csv "
                            f"or --format csv")
        parts.append(chunk)
    return _joined(parts, sweep)


def _joined(parts: list, sweep):
    """Chunks as one structured array (as explore.sweep returns)."""
    return sweep.table(parts)


def _write_file(sweep, path: str, fmt: str, front: list):
    """Stream the rows to a temporary file beside `path`, renamed into place once every row is
    written and the checked rows agree: a refused sweep leaves no file. Written with direct I/O
    where it works and keeps up (`outputs/directfile.py`), else through the page cache."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".sweep-", suffix=".part")
    except OSError as e:
        raise SpecError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        os.fchmod(handle, 0o666 & ~_umask())  # as open() would create it (mkstemp makes it 0600)
        from ..outputs.directfile import DirectFile
        try:
            f = DirectFile(handle)  # around the page cache where the file system allows (see directfile.py)
            collected = _write(sweep, f, fmt, front, collect=False)
            f.finish()
        finally:
            os.close(handle)
        os.replace(temporary, path)
    except OSError as e:
        raise SpecError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return collected


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it: set back at once
    os.umask(mask)
    return mask


def _write(sweep, out, fmt: str, front: list, collect: bool):
    """Write every row to the binary stream `out` in `fmt` (csv, jsonl or json: an array written
    incrementally), one block at a time; keep the Pareto front's rows in `front`. With `collect`,
    also return every row (for --plot)."""
    import numpy as np
    from ..outputs import rowtext
    names = [*sweep.symbols, *METRIC_NAMES, *(["pareto"] if sweep.pareto else [])]
    symbol_texts = {n: _SymbolTexts(sweep, n, fmt) for n in sweep.symbols}
    flags = rowtext.Table([b"0", b"1"] if fmt == "csv" else [b"false", b"true"])
    if fmt == "csv":
        out.write((",".join(names) + "\n").encode())
        literals = [b"", *[b","] * (len(names) - 1), b"\n"]
    else:
        literals = [(("{" if i == 0 else ",") + f'"{n}":').encode() for i, n in enumerate(names)]
        literals.append(b"}\n" if fmt == "jsonl" else b"},\n")
    if fmt == "json":
        out.write(b"[\n")

    def text_of(chunk) -> bytearray:  # in a render thread (_Rendered): numpy releases the interpreter meanwhile
        cells = [symbol_texts[n].cells(chunk.index[n]) for n in sweep.symbols]
        cells += [rowtext.integers(chunk.columns[m]) for m in METRIC_NAMES]
        if sweep.pareto:
            cells.append(flags.cells(chunk.pareto.astype(np.intp)))
        return rowtext.lines(cells, literals)

    held, parts = [b""], []
    pending: list = []

    def write(text) -> None:  # called for one block after another, in the grid's order
        if fmt == "json" and text:  # the last object of the array takes no comma: hold back each block's ",\n"
            out.write(held[0])
            text, held[0] = memoryview(text)[:-2], bytes(text[-2:])
        out.write(text)  # one write per block, of the text as made (a view: no copy)

    try:
        for chunk in sweep.chunks():
            if sweep.pareto and chunk.pareto.any():
                front.append(_subset(chunk, chunk.pareto))
            if collect:
                parts.append(chunk)
            while len(pending) >= max(1, RENDER_THREADS):  # at most this many blocks in memory at once
                pending.pop(0).result()
            pending.append(_Rendered(text_of, write, chunk, pending[-1] if pending else None, RENDER_THREADS > 0))
        while pending:
            pending.pop(0).result()
    finally:
        for rendered in pending:  # a check that failed: the blocks under way finish before the error goes on
            rendered.result(raising=False)
    if fmt == "json":
        out.write(b"\n]\n" if held[0] else b"]\n")
    return _joined(parts, sweep) if collect else None


class _Rendered:
    """One block's text made by `render(chunk)` and given to `write` once the block before
    (`before`, a _Rendered or None) has been written: in a thread of its own when `threaded`
    (numpy and the file's write release the interpreter, so blocks are computed, turned into text
    and written at the same time), else at once. `result()` waits for the block to be written."""

    def __init__(self, render, write, chunk, before: "_Rendered | None", threaded: bool):
        self._error: BaseException | None = None
        self._thread = None
        if threaded:
            import threading
            self._thread = threading.Thread(target=self._run, args=(render, write, chunk, before), daemon=True)
            self._thread.start()
        else:
            self._run(render, write, chunk, before)

    def _run(self, render, write, chunk, before) -> None:
        try:
            text = render(chunk)
            if before is not None:
                before.result()  # raises the block before's error: nothing is written after it
            write(text)
        except BaseException as e:  # handed to the thread that asks for the result
            self._error = e

    def result(self, raising: bool = True) -> None:
        if self._thread is not None:
            self._thread.join()
        if self._error is not None and raising:
            raise self._error


class _SymbolTexts:
    """A symbol's values as the rows show them (`_symbol_text`), as cells taken by index: from one
    table of every value, or, for an axis longer than TABLE_VALUES, a table of the values a block
    spans (blocks are consecutive in the grid, so each spans a short run of a long axis): a long
    axis is never held as text. An integer symbol's range (a Progression over 1) is written as
    its integers, start + index * step, with no table at all."""

    def __init__(self, sweep, name: str, fmt: str):
        from ..outputs import rowtext
        from ..analyses.grid import Progression
        self.rowtext, self.sweep, self.name, self.fmt = rowtext, sweep, name, fmt
        self.values = sweep.values[name]
        self.progression = isinstance(self.values, Progression)
        self.integers = self.progression and sweep.net.spec.symbols[name].integer and self.values.reduced()[2] == 1
        self.span = (0, len(self.values)) if len(self.values) <= TABLE_VALUES and not self.integers else (0, 0)
        self.table = self._table(*self.span) if self.span[1] else None

    def _table(self, start: int, stop: int):
        if self.progression:
            decimal = self.values.decimals(start, stop)
            if decimal is not None:  # short decimals (0.000123): their digits, without a float
                numerators, exponent = decimal
                return self.rowtext.Table.of(self.rowtext.decimals(numerators, exponent, csv=self.fmt == "csv"))
            texts = self.values.floats(start, stop).tolist()  # the floats nearest the values, then their texts
            return self.rowtext.Table([(_float_text(x) if self.fmt == "csv" else repr(x)).encode() for x in texts])
        return self.rowtext.Table([_symbol_text(self.sweep, self.name, v, self.fmt) for v in self.values[start:stop]])

    def cells(self, index):
        if self.integers:
            first, step, _ = self.values.reduced()
            return self.rowtext.integers(first + index * step if abs(first) + abs(step) * len(self.values) < 2 ** 62
                                         else [first + int(i) * step for i in index.tolist()])
        if len(index) and not self.span[0] <= int(index.min()) <= int(index.max()) < self.span[1]:
            self.span = (int(index.min()), int(index.max()) + 1)
            self.table = self._table(*self.span)
        return self.table.cells(index - self.span[0] if self.span[0] else index)


def _subset(chunk, mask):
    from ..analyses.explore import Chunk
    part = Chunk(chunk.flat[mask], {n: i[mask] for n, i in chunk.index.items()},
                 {m: c[mask] for m, c in chunk.columns.items()})
    part.pareto = chunk.pareto[mask]
    return part


def _symbol_text(sweep, name: str, value, fmt: str) -> bytes:
    """A symbol's value as the rows show it: an integer symbol as an integer; a real one as the
    shortest text that reads back as its float (CSV: 1 for 1.0; JSON: a float, 1.0)."""
    if sweep.net.spec.symbols[name].integer:
        return str(int(value)).encode()
    number = float(value)
    return (_float_text(number) if fmt == "csv" else repr(number)).encode()


def _float_text(value: float) -> str:
    """1.0 -> '1', 0.15 -> '0.15' (the shortest text that reads back as the same float)."""
    return str(int(value)) if value.is_integer() else repr(value)


def _cell(rows, name, i):
    value = rows[name][i]
    return _float_text(float(value)) if rows.dtype[name].kind == "f" else int(value)


def render(rows, fmt: str, swept: list[str]) -> str:
    """A table of rows (a structured array, as explore.sweep returns) for the terminal."""
    names = list(rows.dtype.names)
    from ..outputs import tables
    shown = swept + [m for m in ("macs", "params", "params_with_statistics", "peak_floats_out", "pareto") if m in names]
    table = [[_text(rows, n, i) for n in shown] for i in range(len(rows))]
    headers = [{"params_with_statistics": "params + BN stats", "peak_floats_out": "peak floats out",
                "macs": "MACs"}.get(n, n) for n in shown]
    return tables.text_table(table, headers, ["right"] * len(shown), fmt) + "\n"


def _text(rows, name, i) -> str:
    if name == "pareto":
        return "*" if rows["pareto"][i] else ""
    value = _cell(rows, name, i)
    return value if isinstance(value, str) else f"{value:,}"
