"""Design-space exploration from the closed forms: compare, sweep, solve.

- `compare(spec, grid)`: a few configurations side by side, each one checked against the
  reference propagator (as `report`), with factors against a baseline row (Tables 4-6 of
  Chen & Su's Hybrid MobileNet).
- `sweep(spec, axes)`: every combination of many values, from the compiled closed forms
  (`fast.Compiled`: roundings exact, the rest vectorised numpy), with an optional Pareto front.
- `solve(spec, symbol, budgets)`: the largest value of one symbol meeting every budget.

Values are exact (Fractions): a range 0.1:1.0:0.05 is k/20 for k = 2..20, never a float sum.
Results are plain data: lists of dicts, a numpy structured array, a dict.
"""

from __future__ import annotations

import itertools
import math
import weakref
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import CheckError, SpecError
from ..expr import ExprError, constant_value, exact_number, parse
from ..network import Network, options_text, resolve_values
from ..spec import MAX_SYMBOL_VALUE, NetworkSpec, check_choice, parse_value
from .grid import Progression

METRICS = ("macs", "flops", "params", "params_non_trainable", "params_with_statistics", "floats_out",
           "peak_floats_out")
class _Sympy:
    """sympy, imported on first use: a sweep whose compiled closed forms are cached needs none."""

    def __getattr__(self, name):
        import sympy as module
        return getattr(module, name)


sympy = _Sympy()

MAX_CONFIGURATIONS = 50_000_000  # streamed in constant memory, but about a minute of work at this size
MAX_RANGE_VALUES = 10_000_000
MAX_BRACKET_STEPS = 64  # solve locates the steps of a bracket this narrow one by one


# --- inputs ----------------------------------------------------------------------------------------


def network_of(source) -> Network:
    """A Network from a path, a NetworkSpec or a Network."""
    if isinstance(source, Network):
        return source
    from .. import load_network
    return load_network(source)


def _mapping(value, parameter: str, expected: str = "symbol name to values") -> dict:
    """A mapping argument of the API (None: empty); another type is a TypeError naming it."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{parameter}: expected a mapping of {expected}, got {type(value).__name__}")
    return dict(value)


def parse_range(text: str, name: str = "range") -> Progression:
    """'START:STOP:STEP', STOP included when on the grid; exact (0.1:1.0:0.05 -> 2/20 ... 20/20),
    never a list: a Progression (a sequence of Fractions, evaluated block by block)."""
    parts = text.split(":")
    if len(parts) != 3:
        raise SpecError(f"{name}: expected START:STOP:STEP, got {text!r}")
    start, stop, step = (parse_value(p.strip(), f"{name} {what}") for p, what in zip(parts, ("start", "stop", "step")))
    if step <= 0:
        raise SpecError(f"{name}: step must be positive, got {step}")
    if stop < start:
        raise SpecError(f"{name}: stop {stop} is below start {start}")
    count = math.floor((stop - start) / step) + 1
    if count > MAX_RANGE_VALUES:
        raise SpecError(f"{name}: {count:,} values, more than {MAX_RANGE_VALUES:,}")
    scale = math.lcm(start.denominator, step.denominator)  # start + k*step = (a + k*b) / scale, exactly
    a, b = start.numerator * (scale // start.denominator), step.numerator * (scale // step.denominator)
    return Progression(a, b, scale, count)


def parse_list(text: str, name: str = "grid") -> list[Fraction]:
    """'1,2,4' or '0.25, 0.5' -> exact values."""
    items = [t.strip() for t in text.split(",")]
    if not all(items):
        raise SpecError(f"{name}: expected comma-separated values, got {text!r}")
    return [parse_value(t, f"{name} value") for t in items]


def exact(value, what: str = "value") -> Fraction:
    """A symbol value as an exact Fraction: text as `--set` reads it, a Python number as
    `expr.exact_number` does (a float is the exact decimal of its shortest repr: 0.1 -> 1/10,
    numpy's 0.30000000000000004 stays what it is). NaN and inf raise SpecError."""
    if isinstance(value, Fraction):
        return value
    return parse_value(value, what, program=True)


def _values(raw, name: str) -> Sequence[Fraction]:
    what = f"value of {name}"
    if isinstance(raw, str):
        return parse_range(raw, name) if ":" in raw else parse_list(raw, name)
    if isinstance(raw, Progression):
        return raw
    if isinstance(raw, range):  # integers start + k * step, not listed
        return Progression(raw.start, raw.step, 1, len(raw))
    if isinstance(raw, np.ndarray) and raw.ndim != 1:
        raise TypeError(f"values of {name}: expected a 1-D array, got {raw.ndim} dimensions")
    if isinstance(raw, (list, tuple, np.ndarray, range)):
        return [exact(v, what) for v in raw]  # numpy scalars stay themselves (float32's 0.1 is 1/10)
    return [exact(raw, what)]


def _axes(spec: NetworkSpec, axes: dict, fixed: dict | None, *, options: bool = False,
          command: str = "sweep") -> dict[str, Sequence[Fraction]]:
    """Every symbol of the spec with its list of values (defaults for the ones not given),
    each value validated as `report --set` would (declared, positive, integer if declared so).
    With `options`, also every option (compare builds each option's tree); without, an option
    among the axes is refused (one compiled closed form is one tree), and one in `fixed` must be
    the tree's own (the caller built it: Network.for_values)."""
    axes = _mapping(axes, "axes")
    if not options:
        varied = [name for name in axes if name in spec.options]
        if varied:
            raise SpecError(f"{command}: {varied[0]} is an option (it selects the network's structure, and "
                            f"{command} runs one tree's closed forms): fix it with --set {varied[0]}=V or a preset, "
                            f"or compare its values with `costmodel compare --grid {varied[0]}=...`", file=spec.file)
    given = {name: _values(raw, name) for name, raw in {**_mapping(fixed, "fixed"), **axes}.items()}
    for name, values in given.items():
        if not values:
            raise SpecError(f"no values for {name}", file=spec.file)
        if not _distinct(values):
            raise SpecError(f"{name}: repeated values", file=spec.file)
        integer = name in spec.symbols and spec.symbols[name].integer
        if not (options and name in spec.options) and name in spec.symbols and _plain_progression(values, integer):
            resolve_values(spec, {name: values[0]})  # the name checked once; every value is plain
            continue
        for i, v in enumerate(values):
            if options and name in spec.options:
                try:
                    check_choice(spec.options[name], v)
                except SpecError as e:
                    raise e.located(file=spec.file) from None
            elif i == 0 or name not in spec.symbols or not _plain(v, integer):  # the name checked once; an unusual value as --set checks it
                resolve_values(spec, {name: v})
    defaults = {**spec.defaults(), **(spec.option_values if options else {})}
    return {name: given.get(name, [defaults[name]]) for name in (*spec.symbols, *(spec.options if options else ()))}


def _plain(value, integer: bool) -> bool:
    """A value `resolve_values` accepts as it is: an exact Fraction in (0, MAX_SYMBOL_VALUE] with a
    denominator of at most 64 bits, whole for an integer symbol (a range's thousands of values are
    checked at this cost; any other value goes through `resolve_values`, which says what is wrong)."""
    if type(value) is not Fraction:
        return False
    numerator, denominator = value.numerator, value.denominator  # denominator > 0: compared as integers
    return 0 < numerator <= MAX_SYMBOL_VALUE * denominator and denominator.bit_length() <= 64 \
        and (not integer or denominator == 1)


def _plain_progression(values, integer: bool) -> bool:
    """Whether every value of a Progression is `_plain`, from its ends: the values lie between
    them; each value's reduced denominator divides the common one; integers when that is 1."""
    if not isinstance(values, Progression) or not len(values):
        return False
    scale = values.reduced()[2]
    return _plain(values[0], integer) and _plain(values[-1], integer) and scale.bit_length() <= 64 \
        and (not integer or scale == 1)


def _distinct(values) -> bool:
    """No value twice: at once for a Progression of a nonzero step, or increasing values (a
    range's), else by a set."""
    if isinstance(values, Progression):
        return len(values) < 2 or values.step != 0
    if all(type(v) is Fraction for v in values) and \
            all(a.numerator * b.denominator < b.numerator * a.denominator for a, b in zip(values, values[1:])):
        return True
    return len(set(values)) == len(values)


def metric_text(metric: str) -> str:
    return {"macs": "MACs", "flops": "FLOPs", "params": "params", "params_non_trainable": "batch-norm statistics",
            "params_with_statistics": "params + batch-norm statistics", "floats_out": "floats out",
            "peak_floats_out": "peak floats out"}[metric]


def _check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise SpecError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    return metric


def totals_of(evaluation) -> dict:
    t = evaluation.totals
    return {"macs": t.macs, "flops": t.flops, "params": t.params, "params_non_trainable": t.params_non_trainable,
            "params_with_statistics": t.params_with_statistics, "floats_out": t.floats_out,
            "peak_floats_out": t.peak_floats_out}


# --- compare ---------------------------------------------------------------------------------------


def compare(source, grid: dict | None = None, *, fixed: dict | None = None, baseline: dict | None = None,
            convention: str | None = None) -> list[dict]:
    """One row per configuration of the Cartesian product of `grid` (symbol -> values), other
    symbols at `fixed` or their defaults. The first row is the baseline (`baseline` values over
    the fixed ones; by default the first configuration of the grid).

    Each row: {"values": {symbol: Fraction}, "baseline": bool, every metric of METRICS (int),
    "macs_factor", "params_factor", "params_with_statistics_factor" (Fraction, row / baseline)}.
    Every row is evaluated by `Network.evaluate`, checked against the reference propagator.
    With a `convention` (conventions.PROFILES), each row also has "convention": {"convention",
    "unit", "ops", "params"}, the totals as that counter reports them, and "convention_ops_factor"."""
    net = network_of(source)
    grid = _mapping(grid, "grid")
    if convention is not None and not isinstance(convention, str):
        raise TypeError(f"convention: expected a str, got {type(convention).__name__}")
    axes = _axes(net.spec, grid, fixed, options=True)  # a row with other options: evaluate builds its tree
    names = [*grid, *(n for n in axes if n not in grid)]  # the grid's order: first varies slowest
    configs = [dict(zip(names, combo)) for combo in itertools.product(*(axes[n] for n in names))]
    if baseline is None:
        base = configs[0]
    else:
        base = {n: v[0] for n, v in _axes(net.spec, {}, {**_mapping(fixed, "fixed"), **_mapping(baseline, "baseline")},
                                          options=True).items()}
    def row(values, is_baseline: bool) -> dict:
        evaluation = net.evaluate(values)
        result = _compare_row(values, totals_of(evaluation), base_totals, is_baseline)
        if convention is not None:
            from .conventions import totals
            result["convention"] = totals(evaluation, convention)
            base_ops = base_convention["ops"] if base_convention else result["convention"]["ops"]
            result["convention_ops_factor"] = Fraction(result["convention"]["ops"], base_ops) if base_ops else None
        return result

    base_totals, base_convention = totals_of(net.evaluate(base)), None
    rows = [row(base, True)]
    base_convention = rows[0].get("convention")
    rows += [row(config, False) for config in configs if config != base]
    return rows


def _compare_row(values, totals, base, is_baseline) -> dict:
    row = {"values": dict(values), "baseline": is_baseline, **totals}
    for metric in ("macs", "params", "params_with_statistics"):
        row[f"{metric}_factor"] = Fraction(totals[metric], base[metric]) if base[metric] else None
    return row


# --- sweep -----------------------------------------------------------------------------------------

_COMPILED: "weakref.WeakKeyDictionary[Network, object]" = weakref.WeakKeyDictionary()


def compiled(net: Network):
    """The network's totals, per-layer output sizes and floats out compiled once (fast.Compiled):
    (evaluator, size names, floats-out names, the largest constant floats out). Kept per network,
    and in the cache (cache.stored: keyed on the spec and costmodel's version, checksummed) as
    plain data when every part is a polynomial or a rounding of one, so that a sweep of a spec
    seen before needs no sympy; the rows it gives are still checked against `report`."""
    if net not in _COMPILED:
        from .. import cache
        _COMPILED[net] = cache.stored(SWEEP_CACHE_KIND, net.spec, lambda: _compile(net), _compiled_from_data)
    return _COMPILED[net]


SWEEP_CACHE_KIND = "sweep-compiled-1"


def _compile(net: Network):
    from .fast import Compiled
    exprs = {m: net.total(m) for m in ("macs", "params", "params_non_trainable", "floats_out")}
    layers = list(net.distinct_layers())  # (closed forms, 1 or 0 where a repeat's template may be absent)
    sizes = {v for layer, _ in layers for v in layer.shape if isinstance(v, sympy.Basic) and v.free_symbols}
    sizes |= {q for q in _group_quotients(net) if q.free_symbols}  # not whole: -1, so the row does not fit
    sizes |= {sympy.ceiling(c) for c in _channel_arguments(net) if c.free_symbols}  # >= 1 iff c > 0
    outs = {layer.floats_out * present for layer, present in layers if (layer.floats_out * present).free_symbols}
    constant_peak = max((int(layer.floats_out) for layer, present in layers
                         if not (layer.floats_out * present).free_symbols), default=0)
    size_names = {f"size{i}": v for i, v in enumerate(sorted(sizes, key=sympy.default_sort_key))}
    out_names = {f"out{i}": v for i, v in enumerate(sorted(outs, key=sympy.default_sort_key))}
    symbols = [net.symbols[n] for n in net.spec.symbols]
    evaluator = Compiled(symbols, {**exprs, **size_names, **out_names}).evaluator
    result = (evaluator, list(size_names), list(out_names), constant_peak)
    grid_data = evaluator.data()
    data = None if grid_data is None else {"grid": grid_data, "sizes": list(size_names), "outs": list(out_names),
                                           "peak": constant_peak}
    return result, data


def _compiled_from_data(data: dict):
    """`compiled`'s tuple from the cache's data; ValueError if the data is not what _compile writes."""
    from .grid import Evaluator
    evaluator = Evaluator.from_data(data["grid"])
    sizes, outs, peak = [str(n) for n in data["sizes"]], [str(n) for n in data["outs"]], data["peak"]
    needed = {"macs", "params", "params_non_trainable", "floats_out", *sizes, *outs}
    if set(evaluator.names) != needed or not isinstance(peak, int) or peak < 0:
        raise ValueError("sweep cache entry: not the closed forms a sweep needs")
    return evaluator, sizes, outs, peak


def _channel_arguments(net: Network) -> list:
    """Every channel-count argument before rounding: `report` refuses one that is not positive,
    even where the rounding rule would lift it to a positive count (multiple_of_8 of -16 is 8)."""
    from ..expr import IN_CHANNELS
    from ..ops import Kind, lookup
    from ..symbolic import to_sympy

    found = []
    for layer, _ in net.distinct_layers():
        params = lookup(layer.spec.type).params
        symbols = net.symbols
        if len(layer.spec.inputs) == 1:  # `in_channels`: the layer's input's channel count
            symbols = {**symbols, IN_CHANNELS: net.shape_of(layer.spec.inputs[0])[2]}
        for name, value in layer.spec.args.items():
            if name in params and params[name].kind is Kind.CHANNELS and value is not None \
                    and not isinstance(value, (bool, str)):
                found.append(to_sympy(value, symbols))
    return found


def _group_quotients(net: Network) -> list:
    """Channels per group of every grouped layer: `report` refuses a configuration where one is
    not a whole number (groups that do not divide the input or output channels)."""
    quotients = []
    for layer, _ in net.distinct_layers():
        spec = layer.spec
        divisor = {"conv": "groups", "pointwise": "groups", "shuffle": "groups"}.get(spec.type)
        if divisor is None:
            continue
        groups = layer.args[divisor]  # as derived (in_channels substituted)
        quotients.append(net.shape_of(spec.inputs[0])[2] / groups)
        if spec.type != "shuffle":
            quotients.append(layer.shape[2] / groups)
    return quotients


def sweep(source, axes: dict, *, fixed: dict | None = None, pareto: tuple | list | None = None,
          verify: int = 0) -> np.ndarray:
    """Every combination of `axes` (symbol -> list of values, or 'START:STOP:STEP', or '1,2,4'),
    other symbols at `fixed` or their defaults, evaluated from the compiled exact closed forms.

    Returns a numpy structured array, one row per configuration that fits (configurations where a
    size or channel count falls below 1, which `report` refuses, are left out): a field per symbol
    (int64 for integer symbols, else float64), a field per metric of METRICS (int64; Python ints,
    dtype object, for a metric with a value beyond int64: exact either way) and, with
    `pareto=(m1, m2)`, a bool field `pareto` marking the configurations no other one beats on
    both metrics (both minimised).

    The fit test covers sizes and channel counts below 1 or above 2**40, channels per group that
    are not whole, totals that are not whole and divisions by zero; other refusals of `report`
    (adds of unequal shapes ...) are not predicted. `verify=N` evaluates the first, the last and
    N - 2 random rows as `report` does (checked against the reference propagator) and raises
    SpecError if one is refused, CheckError if one differs.

    The rows are computed in blocks (`stream`, which gives them one block at a time, in constant
    memory); this function joins the blocks."""
    if not isinstance(verify, int) or isinstance(verify, bool):
        raise TypeError(f"verify: expected an int, got {type(verify).__name__}")
    return stream(network_of(source).for_values(_mapping(fixed, "fixed")), axes, fixed=fixed, pareto=pareto,
                  verify=verify).table()


CHUNK_ROWS = 2 ** 16  # configurations evaluated at once by a streaming sweep


class Chunk:
    """The configurations of one block that fit, in grid order: `flat` (their indices in the
    C-order flattening of the grid over the spec's symbols), `index` (symbol -> index into the
    symbol's values), `columns` (metric -> exact integers: int64, or Python ints beyond int64)
    and `pareto` (a bool array, or None without a front)."""

    def __init__(self, flat, index: dict, columns: dict):
        self.flat, self.index, self.columns, self.pareto = flat, index, columns, None

    def __len__(self) -> int:
        return len(self.flat)


class Stream:
    """A sweep evaluated block by block (`chunks()`), in constant memory whatever the grid's size.
    After the chunks have been consumed, `total`, `kept` and `divide_by_zero` count the
    configurations, those that fit and those that divide by zero; `verified` the rows checked as
    `report` does. With a Pareto front, `chunks()` makes two passes: the first finds the front
    (keeping only its candidates), the second gives the rows marked."""

    def __init__(self, net: Network, values: dict, pareto, verify: int, rows: int):
        self.net, self.values, self.pareto, self.verify, self.rows = net, values, pareto, verify, rows
        self.symbols = list(net.spec.symbols)
        self.shape = [len(values[n]) for n in self.symbols]
        self.total = math.prod(self.shape)
        self.kept = self.divide_by_zero = self.verified = 0
        self._floats: dict = {}  # symbol -> its values as floats (a list's; a Progression's made by span)

    def chunks(self):
        front = self._front() if self.pareto else None
        self.kept = self.divide_by_zero = self.verified = 0
        self._checked: set = set()
        rng = np.random.default_rng(0)
        pending = sorted({0, *rng.integers(0, self.total, max(0, self.verify - 2)).tolist()}) if self.verify else []
        last = None
        for chunk, zeros in self._evaluate():
            self.divide_by_zero += zeros
            if not len(chunk):
                continue
            self.kept += len(chunk)
            while pending and pending[0] <= chunk.flat[-1]:  # the first row that fits at or after each pick
                position = int(np.searchsorted(chunk.flat, pending.pop(0)))
                self._check(chunk, position)
            last = chunk
            if front is not None:
                chunk.pareto = np.isin(chunk.flat, front)
            yield chunk
        if self.verify and last is not None:  # the last row that fits
            self._check(last, len(last) - 1)

    def table(self, parts: list | None = None) -> np.ndarray:
        """Every row (or the rows of the chunks `parts`) as one structured array (memory grows
        with the grid)."""
        parts = list(self.chunks()) if parts is None else parts
        dtype: list[tuple[str, Any]] = [(n, np.int64 if self.net.spec.symbols[n].integer else np.float64) for n in self.symbols]
        dtype += [(m, object if any(p.columns[m].dtype == object for p in parts) else np.int64) for m in METRICS]
        dtype += [("pareto", bool)] if self.pareto else []
        result = np.empty(sum(len(p) for p in parts), dtype=dtype)
        at = 0
        for part in parts:
            rows = result[at:at + len(part)]
            for n in self.symbols:
                rows[n] = self.floats_at(n, part.index[n])
            for m in METRICS:
                rows[m] = part.columns[m]
            if self.pareto:
                rows["pareto"] = part.pareto
            at += len(part)
        return result

    def floats_at(self, name: str, index: np.ndarray) -> np.ndarray:
        """float(value) of symbol `name` at each index (each the float nearest the exact value)."""
        values = self.values[name]
        if isinstance(values, Progression):  # the span the indices cover, not the whole axis
            low = int(index.min()) if len(index) else 0
            high = int(index.max()) + 1 if len(index) else 0
            return values.floats(low, high)[index - low]
        if name not in self._floats:
            self._floats[name] = np.array([float(v) for v in values], dtype=np.float64)
        return self._floats[name][index]

    def _front(self) -> np.ndarray:
        """The flat indices of the Pareto front, in one pass over the chunks: the front of the
        union of the candidates so far and each chunk (a point beaten in a union is beaten)."""
        a_name, b_name = self.pareto
        flat, a, b = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        for chunk, _ in self._evaluate():
            if not len(chunk):
                continue
            flat = np.concatenate([flat, chunk.flat])
            a = np.concatenate([a, chunk.columns[a_name]])
            b = np.concatenate([b, chunk.columns[b_name]])
            keep = pareto_front(a, b)
            flat, a, b = flat[keep], a[keep], b[keep]
        return np.sort(flat)

    def _evaluate(self):
        """(Chunk, configurations in the block that divide by zero) per block of the grid."""
        from ..reference import MAX_DIMENSION
        net = self.net
        function, size_names, out_names, constant_peak = compiled(net)
        values = {n: self.values[n] for n in self.symbols}
        for ranges, grid, undefined in function.blocks(values, self.rows):
            shape = [b - a for a, b in ranges] or [1]  # no symbols: one configuration
            # fits: every output size and channel count in [1, MAX_DIMENSION], every total an integer
            # (NOT_WHOLE is negative), no division by zero; computed before broadcasting (few symbols each)
            fits = ~undefined
            for name in size_names:
                fits = fits & (grid[name] >= 1) & (grid[name] <= MAX_DIMENSION)
            for name in ("macs", "params", "params_non_trainable", "floats_out"):
                fits = fits & (grid[name] >= 0)
            peak = np.full([1] * len(shape), constant_peak, dtype=np.int64)
            for name in out_names:
                peak = np.maximum(peak, grid[name])
            columns = {"macs": grid["macs"], "flops": 2 * _wide(grid["macs"]), "params": grid["params"],
                       "params_non_trainable": grid["params_non_trainable"],
                       "params_with_statistics": _wide(grid["params"]) + _wide(grid["params_non_trainable"]),
                       "floats_out": grid["floats_out"], "peak_floats_out": peak}
            keep = np.flatnonzero(np.broadcast_to(fits, shape))  # positions in the block of the rows kept, C order
            where = np.unravel_index(keep, shape)
            index = {n: where[i] + ranges[i][0] for i, n in enumerate(self.symbols)}
            flat = np.ravel_multi_index(tuple(index[n] for n in self.symbols), self.shape) if self.symbols else where[0]
            every = len(keep) == math.prod(shape)  # the usual block: every row fits, nothing to pick
            columns = {m: _narrow(_kept(a, shape, None if every else keep)) for m, a in columns.items()}
            yield Chunk(np.asarray(flat, dtype=np.int64), index, columns), int(np.broadcast_to(undefined, shape).sum())

    def _check(self, chunk: Chunk, position: int) -> None:
        """Evaluate one row as `report` does; raise if it is refused or differs."""
        net = self.net
        flat = int(chunk.flat[position])
        if flat in self._checked:
            return
        self._checked.add(flat)
        config = {n: self.values[n][int(chunk.index[n][position])] for n in self.symbols}
        self.verified += 1
        try:
            expected = totals_of(net.evaluate(config))
        except SpecError as e:
            text = ", ".join(f"{n}={v}" for n, v in config.items())
            raise SpecError(f"sweep: the configuration {text} passed the closed-form fit test, but the network "
                            f"does not fit there ({e.message})", file=net.spec.file) from None
        got = {m: int(chunk.columns[m][position]) for m in METRICS}
        if got != expected:
            raise CheckError(f"sweep: row {config} gives {got}, report gives {expected}")


def stream(source, axes: dict, *, fixed: dict | None = None, pareto: tuple | list | None = None,
           verify: int = 0, rows: int | None = None) -> Stream:
    """A sweep (see `sweep`) to be consumed block by block: `stream(...).chunks()` yields a
    `Chunk` of at most `rows` configurations at a time (CHUNK_ROWS by default)."""
    net = network_of(source)
    values = _axes(net.spec, axes, fixed)
    total = math.prod(len(v) for v in values.values())
    if total > MAX_CONFIGURATIONS:
        raise SpecError(f"{total:,} configurations, more than {MAX_CONFIGURATIONS:,}: narrow the ranges", file=net.spec.file)
    if pareto is not None:
        if isinstance(pareto, str) or not isinstance(pareto, (tuple, list)) or len(pareto) != 2:
            raise SpecError(f"pareto: expected two metrics, got {pareto!r}")
        pareto = tuple(_check_metric(m) for m in pareto)
    rows = CHUNK_ROWS if rows is None else rows
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
        raise TypeError(f"rows: expected a positive int, got {rows!r}")
    return Stream(net, values, pareto, verify, rows)


def _kept(array: np.ndarray, shape: list, keep: np.ndarray | None) -> np.ndarray:
    """A column broadcast to the block, in C order, at the positions `keep` (None: all of them)."""
    full = np.broadcast_to(array, shape).reshape(-1)  # one copy of the block's cells
    return full if keep is None else full[keep]


def _wide(array: np.ndarray) -> np.ndarray:
    """An int64 array near int64's limit as Python ints, so that doubling or adding cannot wrap."""
    if array.dtype != object and array.size and int(np.abs(array).max()) >= 2 ** 61:
        return array.astype(object)
    return array


def _narrow(array: np.ndarray) -> np.ndarray:
    """Python ints back to int64 when every one fits (the usual case)."""
    if array.dtype == object and all(abs(v) < 2 ** 63 for v in array.flat):
        return array.astype(np.int64)
    return array


def pareto_front(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mask of the points no other point beats: q beats p when q <= p on both and q != p on
    one. Equal points are all kept."""
    if a.size == 0:
        return np.zeros(0, dtype=bool)
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype == object or b.dtype == object:  # Python ints beyond int64: compared exactly
        return _pareto_exact(a.tolist(), b.tolist())
    if a.dtype.kind in "iu" and b.dtype.kind in "iu" and a.min() >= 0 and b.min() >= 0 \
            and int(a.max()) * (int(b.max()) + 1) + int(b.max()) < 2 ** 62:
        order = np.argsort(a.astype(np.int64) * (int(b.max()) + 1) + b, kind="stable")  # one key: faster
    else:
        order = np.lexsort((b, a))
    sa, sb = a[order], b[order]
    group_start = np.searchsorted(sa, sa, side="left")  # first point with the same a
    top = np.iinfo(np.int64).max
    if sb.dtype.kind == "i" and int(sb.max()) < top:  # the least b before each group, exact (no float64 beyond 2**53)
        best_before = np.concatenate([[top], np.minimum.accumulate(sb.astype(np.int64))])[group_start]
    elif sb.dtype.kind == "f":
        best_before = np.concatenate([[np.inf], np.minimum.accumulate(sb)])[group_start]
    else:  # unsigned, or int64's largest value: compared exactly
        return _pareto_exact(a.tolist(), b.tolist())
    front_sorted = (sb < best_before) & (sb == sb[group_start])
    mask = np.empty_like(front_sorted)
    mask[order] = front_sorted
    return mask


def _pareto_exact(a: list, b: list) -> np.ndarray:
    """`pareto_front` on exact numbers, in Python: sorted by (a, b), a point is on the front when
    its b is the least of its a-group and below every b of a smaller a."""
    order = sorted(range(len(a)), key=lambda i: (a[i], b[i]))
    mask = np.zeros(len(a), dtype=bool)
    best_before, start = None, 0
    while start < len(order):
        end = start
        while end < len(order) and a[order[end]] == a[order[start]]:
            end += 1
        least = b[order[start]]
        if best_before is None or least < best_before:
            for i in order[start:end]:
                mask[i] = b[i] == least
            best_before = least
        start = end
    return mask


# --- solve -----------------------------------------------------------------------------------------


class _DivisionByZero(Exception):
    """A closed form divides by zero at the symbol value `at`."""

    def __init__(self, at):
        super().__init__(at)
        self.at = at


class _Exact:
    """The metrics of a network as exact functions of one free symbol (others fixed)."""

    def __init__(self, net: Network, symbol: str, others: dict, budgets: dict):
        from .fast import exact_function
        self.x = net.symbols[symbol]
        subs = {net.symbols[n]: sympy.Rational(v.numerator, v.denominator) for n, v in others.items()}
        needed = set()
        for metric in budgets:
            needed |= {"macs"} if metric in ("macs", "flops") else set()
            needed |= {"params", "params_non_trainable"} if metric == "params_with_statistics" else set()
            needed |= {metric} if metric in ("params", "params_non_trainable", "floats_out") else set()
        self.exprs = {m: net.total(m).xreplace(subs) for m in needed}
        if "peak_floats_out" in budgets:
            outs = {(layer.floats_out * present).xreplace(subs) for layer, present in net.distinct_layers()}
            self.exprs.update({f"out{i}": e for i, e in enumerate(sorted(outs, key=sympy.default_sort_key))})
        self.functions = {m: exact_function([self.x], e) for m, e in self.exprs.items()}
        self.budgets = budgets

    def metrics(self, x) -> dict:
        try:
            v = {m: f(x) for m, f in self.functions.items()}
        except ZeroDivisionError:
            raise _DivisionByZero(x) from None
        out = {}
        for metric in self.budgets:
            if metric == "flops":
                out[metric] = 2 * v["macs"]
            elif metric == "params_with_statistics":
                out[metric] = v["params"] + v["params_non_trainable"]
            elif metric == "peak_floats_out":
                out[metric] = max(val for k, val in v.items() if k.startswith("out"))
            else:
                out[metric] = v[metric]
        return out

    def fits(self, x) -> bool:
        return all(value <= self.budgets[m] for m, value in self.metrics(x).items())


def solve(source, symbol: str, budgets: dict, *, fixed: dict | None = None) -> dict:
    """The largest value of `symbol` whose costs meet every budget (metric -> maximum, e.g.
    {"macs": 6e6}), other symbols at `fixed` or their defaults.

    Costs are taken to grow with the symbol (true of width, depth, resolution and classes).
    Channel rounding makes them a step function of a real symbol, so the largest value is either
    a maximum (attained) or does not exist: every value of the last step that fits does, its upper
    end (the supremum) does not. Integer symbols are searched exactly. The answer is at most the
    largest value a symbol may take (spec.MAX_SYMBOL_VALUE, README "Limits"): when every budget
    still holds there, that is the answer (`capped`).

    Returns a dict: symbol; value (Fraction), the answer to use, within every budget: the maximum,
    or the shortest decimal of the last step when there is none; attained (value is the maximum);
    kind ("maximum" | "supremum"); supremum (the step's upper end, which breaks a budget, or None
    when attained); step (the values giving the same costs as value, (low, high), `step_closed`
    saying which ends are included); capped; example (= value, the configuration checked); costs
    (every metric at value, checked against the reference propagator); values (every symbol's);
    smooth (the rounding-free estimate or None); budgets. Raises SpecError when no value fits."""
    net = network_of(source).for_values(_mapping(fixed, "fixed"))
    spec = net.spec
    if not isinstance(symbol, str):
        raise TypeError(f"symbol: expected a str, got {type(symbol).__name__}")
    budgets = _mapping(budgets, "budgets", "metric to maximum")
    if symbol in spec.options:
        raise SpecError(f"solve: {symbol} is an option (it selects the network's structure), not a symbol: solve for "
                        f"a symbol, with --set {symbol}=V or a preset fixing the option", file=spec.file)
    if symbol not in spec.symbols:
        raise SpecError(f"unknown symbol {symbol!r} (declared symbols: {', '.join(spec.symbols) or 'none'})",
                        file=spec.file)
    if symbol not in spec.read_symbols:
        tree = f" built for {options_text(spec)}" if spec.options else ""
        raise SpecError(f"solve: no cost of this network{tree} depends on {symbol} (its layers do not read it): "
                        f"there is nothing to solve for", file=spec.file)
    if not budgets:
        raise SpecError("no budget: give at least one maximum (e.g. --max-macs 6e6)")
    budgets = {_check_metric(m): _budget(b, m) for m, b in budgets.items()}
    for m, b in budgets.items():
        if b <= 0:
            raise SpecError(f"budget for {metric_text(m)} must be positive, got {b}")
    others = {n: v for n, v in net.values(fixed).items() if n != symbol}
    if fixed and symbol in fixed:
        raise SpecError(f"{symbol} is the symbol solved for: it cannot also be set")
    exact = _Exact(net, symbol, others, budgets)
    smooth = _smooth_estimate(net, exact, others, budgets)
    bound = Fraction(MAX_SYMBOL_VALUE)
    try:
        if exact.fits(bound):  # costs grow with the symbol: nothing larger may be set
            answer = {"value": bound, "kind": "maximum", "attained": True, "supremum": None, "step": (bound, bound),
                      "step_closed": (True, True), "capped": True}
        elif spec.symbols[symbol].integer:
            answer = _solve_integer(exact, symbol)
        else:
            answer = _solve_real(exact, symbol, smooth)
    except _DivisionByZero as e:
        raise SpecError(f"solve: at {symbol} = {_text(e.at)} the network divides by zero (report refuses it: "
                        f"division by zero); solve needs costs defined on the whole search range",
                        file=spec.file) from None
    example = answer["example"] = answer["value"]
    try:
        evaluation = net.evaluate({**others, symbol: example})
    except SpecError as e:
        largest = f"the largest {symbol} may take (README \"Limits\")" if answer["capped"] else "the largest within it"
        raise SpecError(f"no value of {symbol} fits the budget: at {symbol} = {_text(example)}, {largest}, "
                        f"the network does not fit ({e.message})", file=spec.file) from None
    costs = totals_of(evaluation)
    if not all(costs[m] <= b for m, b in budgets.items()):  # the closed form and the check disagree
        raise CheckError(f"solve: {symbol}={example} breaks a budget: {costs}")
    return {"symbol": symbol, **answer, "costs": costs, "values": {**others, symbol: example},
            "smooth": smooth, "budgets": budgets}


def _budget(value, metric: str) -> Fraction:
    """A budget as an exact number: a Python number (a float as its shortest repr, 6e6 -> 6000000)
    or number text ('6e6'); NaN, inf and other text raise SpecError naming the budget."""
    what = f"budget for {metric_text(metric)}"
    try:
        if isinstance(value, str):
            result = constant_value(parse(value.replace("_", "")))
            if result is None:
                raise ExprError(f"expected a number, got {value!r}")
            return result
        return exact_number(value)
    except ExprError as e:
        raise SpecError(f"{what}: {e}") from None
    except TypeError:
        raise TypeError(f"budgets: the {what} must be a number, got {type(value).__name__}") from None


def _text(v) -> str:
    from ..outputs.report import value_text
    return value_text(Fraction(v))


def _smooth_estimate(net, exact: _Exact, others, budgets) -> float | None:
    """Where the rounding-free totals reach the budgets (smallest over budgets), or None."""
    from mpmath.libmp.libhyper import NoConvergence  # sympy's numerics (a sweep imports neither)

    from ..symbolic import smooth
    x = exact.x
    roots = []
    for metric, budget in budgets.items():
        if metric == "peak_floats_out":
            continue
        base = {"macs": ("macs", 1), "flops": ("macs", 2)}.get(metric, (metric, 1))
        if metric == "params_with_statistics":
            expr = exact.exprs["params"] + exact.exprs["params_non_trainable"]
        else:
            expr = base[1] * exact.exprs[base[0]]
        expr = smooth(expr)
        if not expr.free_symbols <= {x} or x not in expr.free_symbols:
            continue
        try:
            candidates = sympy.Poly(expr - sympy.Rational(budget.numerator, budget.denominator), x).nroots()
        except (sympy.PolynomialError, sympy.polys.polyerrors.PolynomialError, NoConvergence):
            continue  # no estimate from this budget: the exact search below does not need one
        real = [float(sympy.re(r)) for r in candidates if abs(sympy.im(r)) < 1e-12 and sympy.re(r) > 0]
        if real:
            roots.append(max(real))
    return min(roots) if roots else None


def _solve_integer(exact: _Exact, symbol: str) -> dict:
    if not exact.fits(1):
        raise SpecError(f"no value of {symbol} fits the budget: {symbol} = 1 already costs "
                        + _over(exact, 1))
    lo, hi = 1, 2
    while exact.fits(hi):
        lo, hi = hi, hi * 2
        if hi > 2 ** 62:
            raise SpecError(f"every {symbol} up to 2**62 fits the budget: no limit found")
    while hi - lo > 1:  # lo fits, hi does not
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if exact.fits(mid) else (lo, mid)
    return {"value": Fraction(lo), "kind": "maximum", "attained": True, "supremum": None,
            "step": (Fraction(lo), Fraction(lo)), "step_closed": (True, True), "capped": False}


def _over(exact: _Exact, x) -> str:
    return ", ".join(f"{metric_text(m)} {int(v):,} > {int(exact.budgets[m]):,}" if exact.budgets[m].denominator == 1
                     else f"{metric_text(m)} {v} > {exact.budgets[m]}"
                     for m, v in exact.metrics(x).items() if v > exact.budgets[m])


def _solve_real(exact: _Exact, symbol: str, smooth: float | None) -> dict:
    start = Fraction(smooth).limit_denominator(10 ** 6) if smooth else Fraction(1)
    lo = hi = start if start > 0 else Fraction(1)
    if exact.fits(lo):
        hi = lo * 2
        while exact.fits(hi):
            lo, hi = hi, hi * 2
            if hi > 2 ** 62:
                raise SpecError(f"every {symbol} up to 2**62 fits the budget: no limit found")
    else:
        lo = hi / 2
        while not exact.fits(lo):
            hi, lo = lo, lo / 2
            if lo < Fraction(1, 2 ** 40):
                raise SpecError(f"no value of {symbol} fits the budget: even as {symbol} approaches 0 "
                                f"(at {float(hi):.3g}) it costs " + _over(exact, hi))
    # narrow the bracket on exact values (lo fits, hi does not) until it holds few steps of the
    # steepest rounding: 2**20 * alpha steps a million times per unit of alpha
    steepest, halvings = _steepest(exact), 0
    while halvings < 24 or (hi - lo) * steepest > MAX_BRACKET_STEPS and halvings < 400:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if exact.fits(mid) else (lo, mid)
        halvings += 1
    points = _breakpoints(exact, lo, hi)
    # the last breakpoint that fits (costs grow with the symbol); pieces between are constant
    a, b = 0, len(points) - 1  # points[0] (lo or the step below it) fits, points[-1] = hi does not
    while b - a > 1:
        m = (a + b) // 2
        a, b = (m, b) if exact.fits(points[m]) else (a, m)
    left, right = points[a], points[b]
    middle = (left + right) / 2
    constant = all(not _local_form(e, exact.x, middle).has(exact.x) for e in exact.exprs.values())
    if not constant:
        raise SpecError(f"the costs vary continuously with {symbol} between roundings (near {float(middle):.6g}): "
                        f"solve handles costs that step with channel rounding; use sweep instead")
    if exact.fits(middle):  # the whole open piece fits, its right end does not: a supremum
        same_left = exact.metrics(left) == exact.metrics(middle)
        return {"value": shortest_decimal(left, right, same_left), "kind": "supremum", "attained": False,
                "supremum": right, "step": (left, right), "step_closed": (same_left, False), "capped": False}
    return {"value": left, "kind": "maximum", "attained": True, "supremum": None, "step": (left, left),
            "step_closed": (True, True), "capped": False}


def shortest_decimal(low: Fraction, high: Fraction, low_included: bool) -> Fraction:
    """The value of [low, high) (or (low, high)) with the fewest decimals, the smallest of those:
    what a user types (`--set alpha=0.501` for [513/1024, 257/512))."""
    scale = 1
    while True:
        k = math.ceil(low * scale)
        if k == low * scale and not low_included:
            k += 1
        if Fraction(k, scale) < high:
            return Fraction(k, scale)
        scale *= 10


_ROUNDING_KINDS = ("RoundFloor", "RoundCeil", "RoundNearest", "RoundDivisible", "MakeDivisible", "floor", "ceiling")


def _nodes(expr) -> list:
    """Every non-arithmetic node of a closed form, nested ones included."""
    from .fast import is_arithmetic
    found, stack = [], [expr]
    while stack:
        node = stack.pop()
        if not isinstance(node, sympy.Basic) or not node.args:
            continue
        if not is_arithmetic(node):
            found.append(node)
        stack.extend(node.args)
    return found


def _linear_roundings(exact: _Exact):
    """(node, kind, slope, offset) for every rounding or Min/Max argument of the free symbol x
    (kind None for Min/Max), each linear: slope * x + offset. SpecError for any other form."""
    x = exact.x
    for expr in exact.exprs.values():
        for node in _nodes(expr):
            if x not in node.free_symbols:
                continue
            name = type(node).__name__
            if name in ("Min", "Max"):
                args = node.args
                pairs = [(p, q) for i, p in enumerate(args) for q in args[i + 1:]]
                arguments, kind = [p - q for p, q in pairs], None
            elif name in _ROUNDING_KINDS:
                arguments, kind = [node.args[0]], name
            else:
                raise SpecError(f"solve cannot locate the steps of {node}")
            for arg in arguments:
                poly = sympy.Poly(arg, x) if arg.is_polynomial(x) else None
                if poly is None or poly.degree() > 1 or any(not c.is_Rational for c in poly.all_coeffs()):
                    raise SpecError(f"solve handles roundings of linear expressions of the symbol; got {node}")
                coeffs = poly.all_coeffs()
                if len(coeffs) < 2 or coeffs[0] == 0:
                    continue
                slope, offset = (Fraction(int(c.p), int(c.q)) for c in coeffs)
                yield node, kind, slope, offset


def _steepest(exact: _Exact) -> Fraction:
    """The largest |slope| of a rounding's argument: about how many steps per unit of x."""
    return max((abs(slope) for _, _, slope, _ in _linear_roundings(exact)), default=Fraction(1))


def _breakpoints(exact: _Exact, lo: Fraction, hi: Fraction) -> list[Fraction]:
    """lo, every value in (lo, hi) where a rounding of the free symbol can step, hi."""
    points = set()
    for node, kind, slope, offset in _linear_roundings(exact):
        # one threshold spacing below lo as well, to find where lo's step begins
        spacing = Fraction(10 * int(node.args[1]), 9) if kind in ("RoundDivisible", "MakeDivisible") else 1
        reach = spacing / abs(slope) if kind else 0
        ends = sorted((slope * (lo - reach) + offset, slope * hi + offset))
        for t in _thresholds(node, kind, *ends):
            point = (t - offset) / slope
            if 0 < point < hi:
                points.add(point)
    below = [p for p in points if p <= lo]
    return [max(below, default=lo), *sorted(p for p in points if p > lo), hi]


def _thresholds(node, kind, low: Fraction, high: Fraction):
    """Argument values in [low, high] where a node's value can change."""
    if kind is None:  # Min/Max: where two arguments cross
        return [Fraction(0)] if low <= 0 <= high else []
    if kind in ("RoundFloor", "RoundCeil", "floor", "ceiling"):
        return [Fraction(k) for k in range(math.ceil(low), math.floor(high) + 1)]
    if kind == "RoundNearest":
        return [Fraction(2 * k + 1, 2) for k in range(math.floor(low - Fraction(1, 2)), math.ceil(high) + 1)]
    # RoundDivisible(v, n), MakeDivisible(v, n, m): floor(v + n/2) // n steps at (j - 1/2) n (and so does
    # the max with m); the 10 % rule flips where 0.9 v crosses a multiple j n, or m: at 10 j n / 9, 10 m / 9
    n, m = int(node.args[1]), int(node.args[-1])
    halves = [(j - Fraction(1, 2)) * n for j in range(math.floor(low / n), math.ceil(high / n) + 2)]
    tenths = [Fraction(10 * j * n, 9) for j in range(math.floor(low * 9 / (10 * n)), math.ceil(high * 9 / (10 * n)) + 2)]
    return [t for t in halves + tenths + [Fraction(10 * m, 9)] if low <= t <= high]


def _local_form(expr, x, at: Fraction):
    """`expr` on the open piece around `at` where no rounding steps: each rounding replaced by
    its value at `at`, each Min/Max by the argument that wins there."""
    from .fast import exact_function, rounding_nodes
    replace = {}
    for node in rounding_nodes(expr):
        if x not in node.free_symbols:
            continue
        if type(node).__name__ in ("Min", "Max"):
            pick = min if type(node).__name__ == "Min" else max
            best = pick(node.args, key=lambda a: exact_function([x], a)(at))
            replace[node] = _local_form(best, x, at)
        else:
            value = exact_function([x], node)(at)
            replace[node] = sympy.Rational(Fraction(value).numerator, Fraction(value).denominator)
    return expr.xreplace(replace)
