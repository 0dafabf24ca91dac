"""simple_table, our own printer of the `table` format, prints what tabulate's `simple` format
prints, byte for byte, and text_table hands it only the tables it can print so."""

import random

import pytest

from costmodel.outputs import tables

tabulate = pytest.importorskip("tabulate").tabulate


def tabulated(rows, headers, align):
    return tabulate(rows, headers=headers, tablefmt="simple", colalign=align, disable_numparse=True)


def test_a_small_table_by_hand():
    # widths: max(len("a") + 2, len("xyz")) = 3 and max(len("bb") + 2, len("1,234")) = 5
    text = tables.simple_table([["xyz", "1,234"], ["q", "5"]], ["a", "bb"], ["left", "right"])
    assert text == "a       bb\n---  -----\nxyz  1,234\nq        5"
    assert text == tabulated([["xyz", "1,234"], ["q", "5"]], ["a", "bb"], ["left", "right"])


CELLS = ["", " ", "x", " padded ", "1,234,567", "-3", "1.50", "conv2d_3", "True", "a b", "8x8x16", 0, 7, 123456789]


@pytest.mark.parametrize("seed", range(200))
def test_random_tables_match_tabulate(seed):
    rnd = random.Random(seed)
    columns = rnd.randint(1, 6)
    headers = [rnd.choice(["#", "name", "  spaced ", "MACs", "", "output HxWxC"]) for _ in range(columns)]
    align = [rnd.choice(["left", "right", "center"]) for _ in range(columns)]
    rows = [[rnd.choice(CELLS) for _ in range(columns)] for _ in range(rnd.randint(1, 8))]
    assert tables._plain(rows, headers, align)
    assert tables.simple_table(rows, headers, align) == tabulated(rows, headers, align)


@pytest.mark.parametrize("rows, headers, align", [
    ([["\x1b[1mtotal\x1b[0m"]], ["name"], ["left"]),  # colour codes: tabulate measures them as invisible
    ([["å"]], ["name"], ["left"]),  # not ASCII: wide characters
    ([["two\nlines"]], ["name"], ["left"]),  # a line break: a multi-line cell
    ([[None]], ["name"], ["left"]),  # tabulate's missing value
    ([[1.5]], ["x"], ["right"]),  # a float: tabulate's number format
    ([["1"]], ["x"], ["decimal"]),  # an alignment we do not print
    ([["1", "2"]], ["x"], ["left"]),  # a row longer than the header
    ([], ["x", "y"], ["right", "center"]),  # no rows: tabulate aligns the headers left
])
def test_what_goes_to_tabulate(rows, headers, align):
    assert not tables._plain(rows, headers, align)
    assert tables.text_table(rows, headers, align, "table") == tabulated(rows, headers, align)
