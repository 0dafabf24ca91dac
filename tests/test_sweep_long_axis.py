"""A --range axis is a Progression (analyses/grid.py): first + k * step over one denominator, never
a list. It behaves as the list of its Fractions; a long one gives the same rows as a short list of
the same values (spot rows at both ends, every byte); its texts come from integer digits
(`rowtext.decimals`: Python's float repr of short decimals) and match Python's; and a stream over
10**7 values does not hold them."""

import json
import math
import tracemalloc
from fractions import Fraction

import numpy as np
import pytest

from costmodel import load_network, shipped
from costmodel.analyses import explore
from costmodel.analyses.grid import Progression, Scaled
from costmodel.commands import sweep as sweep_command
from costmodel.outputs import rowtext

SPEC = shipped.path("mobilenet_cifar")


# --- the sequence ------------------------------------------------------------------------------


def test_a_progression_is_the_list_of_its_fractions():
    p = explore.parse_range("1/3:7:2/7")  # (7 + 6k) / 21, k = 0 ... 23: 1/3 + 23 * 2/7 = 6.90 <= 7
    listed = [Fraction(1, 3) + k * Fraction(2, 7) for k in range(24)]
    assert isinstance(p, Progression) and len(p) == 24 and p == listed and list(p) == listed
    assert p[0] == Fraction(1, 3) and p[-1] == listed[-1] and p[5] == listed[5]
    assert p[3:10] == listed[3:10] and p[::5] == listed[::5] and p[10:3:-2] == listed[10:3:-2]
    assert p[30:] == [] and len(p[30:]) == 0
    with pytest.raises(IndexError):
        p[24]
    assert p != listed[:-1] and p != [*listed[:-1], Fraction(7)]


@pytest.mark.parametrize("text", ["0.1:1.0:0.05", "96:224:32", "1/3:7:2/7", "0.25:0.25:1", "3/4:30:3/2"])
def test_its_common_denominator_and_integers_are_those_of_the_list(text):
    p = explore.parse_range(text)
    listed, axis = Scaled(list(p)), Scaled.axis(p)
    assert axis.scale == listed.scale == math.lcm(*(v.denominator for v in p))
    for start, stop in ((0, len(p)), (1, len(p) - 1), (len(p) - 1, len(p))):
        part, expected = axis.part(start, stop), listed.part(start, stop)
        assert part.int64.tolist() == expected.int64.tolist() and part.largest == expected.largest
        assert part.ints.tolist() == expected.ints.tolist()


def test_numerators_beyond_int64_are_python_ints():
    p = Progression(2 ** 70, 3, 1, 5)
    values = p.numerators(0, 5)
    assert values.dtype == object and values.tolist() == [2 ** 70 + 3 * k for k in range(5)]
    assert Scaled.axis(p).part(1, 3).int64 is None and Scaled.axis(p).part(1, 3).largest == 2 ** 70 + 6


@pytest.mark.parametrize("p", [Progression(1, 1, 3, 100), Progression(123456789, 7, 10 ** 9, 100),
                               Progression(2 ** 60 + 1, 2 ** 40, 3, 50), Progression(1, 1, 2 ** 60 + 3, 50)])
def test_floats_are_the_nearest_to_each_exact_value(p):
    assert p.floats(0, len(p)).tolist() == [float(v) for v in p]


def test_which_spans_are_short_decimals():
    assert explore.parse_range("0.000001:1:0.000001").decimals(0, 10) is None  # 1e-06 is written 1e-06
    numerators, exponent = explore.parse_range("0.000001:1:0.000001").decimals(99, 110)
    assert exponent == 6 and numerators.tolist() == list(range(100, 111))  # 0.0001 ... 0.00011
    assert explore.parse_range("1/3:7:2/7").decimals(0, 5) is None  # a third is no decimal
    assert Progression(10 ** 15, 1, 1, 3).decimals(0, 3) is None  # 16 digits
    assert Progression(5, 3, 8, 4).decimals(0, 4)[1] == 3  # eighths: 0.625 = 625 / 10**3


# --- its texts -----------------------------------------------------------------------------------


def python_float_text(x: float, csv: bool) -> str:
    """The sweep's text of a real symbol's value, by Python (sweep._symbol_text)."""
    return sweep_command._float_text(x) if csv else repr(x)


@pytest.mark.parametrize("csv", [False, True])
@pytest.mark.parametrize("exponent", [0, 1, 3, 4, 6, 9, 15, 18])
def test_decimals_are_pythons_float_texts(exponent, csv):
    rng = np.random.default_rng(exponent)
    low, high = 10 ** max(0, exponent - 4), 10 ** 15
    values = rng.integers(low, high, 400)
    values = np.concatenate([values, values // 10 ** 3 * 10 ** 3, values // 10 ** 9 * 10 ** 9,  # trailing zeros
                             [low, low + 1, high - 1]])
    values = values[values >= low]
    values = np.concatenate([values, [v for v in (10 ** exponent, 7 * 10 ** exponent, 10 ** (exponent + 1))
                                      if v < high]])  # whole values: 1.0 (CSV 1)
    text = rowtext.lines([rowtext.decimals(values, exponent, csv)], [b"", b"\n"]).decode().split("\n")[:-1]
    assert text == [python_float_text(int(v) / 10 ** exponent, csv) for v in values.tolist()]


def test_integers_with_a_minimum_of_digits():
    values = np.array([7, 0, 123, 10 ** 17], dtype=np.int64)
    text = rowtext.lines([rowtext.integers(values, np.array([3, 1, 2, 19]))], [b"", b"\n"])
    assert text.decode().split("\n")[:-1] == ["007", "0", "123", "0" + str(10 ** 17)]


# --- a long axis against a short list ----------------------------------------------------------


def spot_rows(cli, tmp_path, long_axis: list, listed: list, fmt: str) -> tuple[list, list]:
    """The rows of a sweep over a long --range, and of the same sweep over a --grid of some of its
    values (the same rows, in the same order, where they fit)."""
    assert cli(["sweep", str(SPEC), *long_axis, "--out", str(tmp_path / f"long.{fmt}")])[0] == 0
    assert cli(["sweep", str(SPEC), *listed, "--out", str(tmp_path / f"short.{fmt}")])[0] == 0
    return ((tmp_path / f"long.{fmt}").read_text().splitlines(), (tmp_path / f"short.{fmt}").read_text().splitlines())


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_long_real_axis_gives_the_rows_of_a_short_list_of_its_values(cli, tmp_path, fmt):
    # 200,000 values (k + 1) / 200,000 at index k: 0.000005 ... 1; alpha < 1/32 gives no channels, so the
    # first row that fits is index 6,249 (6,250 / 200,000 = 0.03125); listed: the first 40 that fit, the last 40
    values = explore.parse_range("0.000005:1:0.000005")
    assert len(values) == 200_000 and values[6249] == Fraction(1, 32)
    chosen = [*range(6249, 6289), *range(200_000 - 40, 200_000)]
    listed = ",".join(str(values[k]) for k in chosen)  # Fractions as text: 1/32 ...
    long_rows, short_rows = spot_rows(cli, tmp_path, ["--range", "alpha=0.000005:1:0.000005"],
                                      ["--grid", f"alpha={listed}"], fmt)
    header = 1 if fmt == "csv" else 0
    assert len(long_rows) == header + 200_000 - 6249 and len(short_rows) == header + 80
    assert long_rows[:header + 40] == short_rows[:header + 40] and long_rows[-40:] == short_rows[-40:]
    first = json.loads(long_rows[0]) if fmt == "jsonl" else dict(zip(long_rows[0].split(","), long_rows[1].split(",")))
    assert float(first["alpha"]) == 0.03125 and int(first["macs"]) > 0


def test_a_long_integer_axis_gives_the_rows_of_a_short_list_of_its_values(cli, tmp_path):
    long_rows, short_rows = spot_rows(cli, tmp_path, ["--range", "delta=1:70000:1", "--grid", "alpha=0.25"],
                                      ["--grid", "delta=1,2,3,69999,70000", "--grid", "alpha=0.25"], "jsonl")
    assert len(long_rows) == 70_000 and long_rows[:3] + long_rows[-2:] == short_rows
    assert [json.loads(r)["delta"] for r in short_rows] == [1, 2, 3, 69999, 70000]


def test_a_long_axis_of_thirds_is_written_as_python_writes_its_floats(cli, tmp_path):
    # 1/70000 is no short decimal: the texts come from the floats, block by block (longer than TABLE_VALUES)
    assert cli(["sweep", str(SPEC), "--range", "alpha=1/70000:1:1/70000", "--out", str(tmp_path / "t.csv")])[0] == 0
    rows = (tmp_path / "t.csv").read_text().splitlines()[1:]
    ks = [int(round(float(r.split(",")[0]) * 70000)) for r in rows]
    assert ks == list(range(2188, 70001))  # floor(32 * k / 70000) >= 1 from k = 2,188
    assert [r.split(",")[0] for r in rows[:3] + rows[-1:]] == [repr(2188 / 70000), repr(2189 / 70000),
                                                              repr(2190 / 70000), "1"]


# --- constant memory ---------------------------------------------------------------------------


def test_a_stream_over_ten_million_values_does_not_hold_them():
    # a list of 10**7 Fractions is about 1.5 GB; the stream and its first block stay within a few MiB
    net = load_network(SPEC)
    explore.compiled(net)  # its closed forms compiled before counting
    tracemalloc.start()
    try:
        sweep = explore.stream(net, {"alpha": "0.0000001:1:0.0000001"}, verify=0)
        chunk = next(iter(sweep.chunks()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sweep.total == 10 ** 7 and len(chunk) > 0
    assert peak < 64 * 2 ** 20  # bytes: the network, its compiled forms, one block of 2**16 rows


@pytest.mark.parametrize("axis, message", [
    ("delta=0:5:1", "SPEC: delta must be positive, got 0"),  # the first value, from the ends
    ("delta=2:9:1/2", "SPEC: delta is an integer symbol, got 5/2"),  # the second, by the list's check
    ("alpha=0.5:1000000.5:1", "--range alpha stop must be at most 1,000,000 in size, got '1000000.5'"),  # no value beyond
    ("alpha=0.0000001:1.0000001:0.0000001", "--range alpha: 10,000,001 values, more than 10,000,000"),
])
def test_a_bad_range_is_one_located_line(cli, tmp_path, axis, message):
    status, _, err = cli(["sweep", str(SPEC), "--range", axis, "--out", str(tmp_path / "s.csv")])
    assert status == 2 and err.splitlines() == [f"costmodel: {message.replace('SPEC', str(SPEC))}"] and not (tmp_path / "s.csv").exists()


# --- a rounding node's table in int64 --------------------------------------------------------------


@pytest.mark.parametrize("kind, n, m", [("floor", 0, 0), ("ceil", 0, 0), ("nearest", 0, 0), ("divisible", 8, 8),
                                        ("divisible", 3, 1)])
@pytest.mark.parametrize("size", [10 ** 3, 3 * 10 ** 4, 10 ** 8])  # 3 * 10**4: within 10x of the int64 bound
def test_a_node_table_in_int64_is_the_table_in_python_ints(kind, n, m, size, monkeypatch):
    from costmodel.analyses.grid import Polynomial, Rounding
    rng = np.random.default_rng(size + n)
    # 3*a**2*b/7 - 5*a/3 + 11/2 + b**2: rational coefficients of both signs
    argument = Polynomial([((2, 1), Fraction(3, 7)), ((1, 0), Fraction(-5, 3)), ((0, 0), Fraction(11, 2)),
                           ((0, 2), Fraction(1))])
    node = Rounding([0, 1], kind, argument, n, m)
    a = [Fraction(int(v), 4) for v in rng.integers(1, size, 30)]
    b = [Fraction(int(v), 3) for v in rng.integers(1, size, 20)]
    fast = node.table([a, b])
    monkeypatch.setattr(Rounding, "_fits_int64", lambda self, *args: False)
    exact = node.table([a, b])
    assert exact.dtype == object and fast.tolist() == exact.tolist()
    # the bound of |numerator| times divisible's 10 * den: about (size)**3 * 3 * 10 * 10**3 against 2**63
    assert (fast.dtype == np.int64) == (size < 10 ** 5)


def test_a_python_range_is_an_axis_as_its_list():
    # explore.sweep's axes may be a range (a Progression over 1, not listed): the rows of the list
    for axis, listed in ((range(5, 0, -1), [5, 4, 3, 2, 1]), (range(1, 9, 3), [1, 4, 7])):
        got = explore.sweep(SPEC, {"delta": axis, "alpha": [0.5, 1]})
        assert got.tolist() == explore.sweep(SPEC, {"delta": listed, "alpha": [0.5, 1]}).tolist()
        assert len(got) == 2 * len(listed)
