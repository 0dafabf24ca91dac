"""docs/reproduction.md and `costmodel reproduce`: every published number has a verdict, the
document is what the command generates, and a few of our numbers re-derived by hand."""

from fractions import Fraction
from pathlib import Path

import pytest

from costmodel.cli import main
from costmodel.commands import reproduce
from costmodel.analyses.reproduction import (EXACT, INCONSISTENT, NOT_REPRODUCED, PRINT_PRECISION, Entry, collect,
                                    hybrid_mobilenet)

DOC = Path(__file__).parent.parent / "docs" / "reproduction.md"


@pytest.fixture(scope="module")
def entries():
    return collect()


@pytest.fixture(scope="module")
def generated(entries):
    return reproduce.render(entries)


def test_doc_is_generated(generated):
    current = DOC.read_text()
    if current != generated:
        first = next((i for i, (a, b) in enumerate(zip(current.splitlines(), generated.splitlines())) if a != b),
                     min(len(current.splitlines()), len(generated.splitlines())))
        pytest.fail(f"docs/reproduction.md is out of date (first difference at line {first + 1}): "
                    f"regenerate it with `{reproduce.REGENERATE}`", pytrace=False)


def test_every_entry_has_a_verdict(entries):
    unexplained = [f"{e.source}: {e.cell}: published {e.published}, ours {float(e.ours)}"
                   for e in entries if e.verdict is None]
    assert not unexplained, "outside print precision with no reason:\n" + "\n".join(unexplained)
    for e in entries:
        assert e.verdict in (EXACT, PRINT_PRECISION, INCONSISTENT, NOT_REPRODUCED)
        if e.verdict in (INCONSISTENT, NOT_REPRODUCED):
            assert e.reason and len(e.reason) > 40, (e.source, e.cell)


def test_cells_are_unique(entries):
    keys = [(e.source, e.cell) for e in entries]
    assert len(keys) == len(set(keys))


def test_check_and_write(tmp_path, capsys, monkeypatch, entries, generated):
    monkeypatch.setattr("costmodel.analyses.reproduction.collect", lambda: entries)  # collected once, above
    assert main(["reproduce"]) == 0
    assert capsys.readouterr().out == generated
    path = tmp_path / "reproduction.md"
    assert main(["reproduce", "--write", str(path)]) == 0
    assert path.read_text() == generated
    assert main(["reproduce", "--check", str(path)]) == 0
    path.write_text(generated.replace("within print precision", "close enough", 1))
    assert main(["reproduce", "--check", str(path)]) == 1
    assert "costmodel reproduce --write docs/reproduction.md" in capsys.readouterr().err
    assert main(["reproduce", "--check", str(tmp_path / "missing.md")]) == 2


def test_render_shows_a_missing_reason():
    good = Entry("X Table 1", "a", "5.97", Fraction(5975552, 10**6))
    bad = Entry("X Table 1", "b", "11.58", Fraction(11596288, 10**6))   # 0.016 off, no reason
    text = reproduce.render([good, bad])
    assert "| X Table 1 | a | 5.97 | 5.975552 | +0.005552 | within print precision |  |" in text
    assert "| X Table 1 | b | 11.58 | 11.596288 | +0.016288 | MISSING REASON |  |" in text
    assert "| total | 0 | 1 | 0 | 0 | 1 | 2 |" in text


@pytest.mark.parametrize("value, places, text", [
    (Fraction(1, 8), 2, "0.13"), (Fraction(-1, 8), 2, "-0.13"), (Fraction(-1, 1000), 2, "0.00"),
    (Fraction(73, 137), 5, "0.53285"), (Fraction(139), 0, "139"), (Fraction(5, 2), 0, "3"),
])
def test_fixed(value, places, text):
    assert reproduce.fixed(value, places) == text


def test_decimal_is_exact_when_it_can_be():
    assert reproduce.decimal(Fraction(5975552, 10**6), 5) == "5.975552"
    assert reproduce.decimal(Fraction(73, 137), 5) == "~0.53285"


# --- ours, re-derived by hand --------------------------------------------------------------------

def by_cell(source: str, cell: str) -> Entry:
    found = [e for e in hybrid_mobilenet.entries() if e.source == source and e.cell == cell]
    assert len(found) == 1, (source, cell)
    return found[0]


def test_table4_worked_row():
    # delta=2, alpha=0.5: channels 16, 32, 64, 128, 256, 512; depthwise outputs are 2x their inputs
    first = 16 * 16 * 16 * 27                                            # conv 3x3x3x16, stride 2
    dw = 9 * 2 * (16*16*16 + 8*8*32 + 8*8*64 + 4*4*64 + 4*4*128 + 2*2*128 + 5*2*2*256 + 1*1*256 + 1*1*512)
    pw = 2 * (16*16*16*32 + 8*8*32*64 + 8*8*64*64 + 4*4*64*128 + 4*4*128*128 + 2*2*128*256
              + 5*2*2*256*256 + 1*1*256*512 + 1*1*512*512)
    fc = 512 * 10
    e = by_cell("004 Table 4", "CIFAR-10, delta=2, alpha=0.5, Million Mult-Adds")
    assert e.ours == Fraction(first + dw + pw + fc, 10**6) and e.published == "5.97"
    assert e.verdict == PRINT_PRECISION


def test_table4_cifar100_mult_adds_add_the_classifier():
    c10 = by_cell("004 Table 4", "CIFAR-10, delta=2, alpha=1, Million Mult-Adds")
    c100 = by_cell("004 Table 4", "CIFAR-100, delta=2, alpha=1, Million Mult-Adds")
    assert c100.ours - c10.ours == Fraction(1024 * 90, 10**6)   # 90 more classes on 1024 features
    assert c100.verdict == INCONSISTENT                          # the paper prints +0.01


def test_table5_moves_only_the_first_conv():
    t4 = by_cell("004 Table 4", "CIFAR-10, delta=4, alpha=0.25, Million Mult-Adds")
    t5 = by_cell("004 Table 5", "CIFAR-10, delta=4, alpha=0.25, Million Mult-Adds")
    assert t5.ours - t4.ours == Fraction((32 * 32 - 16 * 16) * 8 * 27, 10**6)  # 8 = 32*0.25 filters
    assert t5.verdict == NOT_REPRODUCED


def test_table6_fmp_row():
    # delta=2, alpha=1, Table 3's sizes 32, 22, 15, 10, 6, 4, 2, 1
    first = 32 * 32 * 32 * 27
    dw = 9 * 2 * (22*22*32 + 22*22*64 + 15*15*128 + 15*15*128 + 10*10*256 + 10*10*256
                  + 2*6*6*512 + 2*4*4*512 + 2*2*512 + 2*2*512 + 1*1*1024)
    pw = 2 * (22*22*32*64 + 22*22*64*128 + 15*15*128*128 + 15*15*128*256 + 10*10*256*256 + 10*10*256*512
              + 2*6*6*512*512 + 2*4*4*512*512 + 2*2*512*512 + 2*2*512*1024 + 1*1*1024*1024)
    e = by_cell("004 Table 6", "CIFAR-10, delta=2, alpha=1, Million Mult-Adds")
    assert e.ours == Fraction(first + dw + pw + 1024 * 10, 10**6) and e.published == "139"
    assert e.verdict == PRINT_PRECISION


def test_parameters_do_not_depend_on_the_pooling():
    for table in ("004 Table 5", "004 Table 6"):
        for classes in (10, 100):
            cell = f"CIFAR-{classes}, delta=4, alpha=0.5, Million Parameters"
            assert by_cell(table, cell).ours == by_cell("004 Table 4", cell).ours


def test_ratio_example():
    # dw 3*3*(32*2) + pw (32*2)*64 against 3*3*64 + 64*128; the D_F^2 of the MAC ratio cancels
    for quantity in ("parameters", "computational cost"):
        e = by_cell("004 Sect. III.A", f"ratio of {quantity}, M=64, N=128, D_K=3, D_F=32, alpha=0.5, delta=2")
        assert e.ours == Fraction(9 * 32 * 2 + 32 * 2 * 64, 9 * 64 + 64 * 128) == Fraction(73, 137)
        assert e.published == "0.53" and e.verdict == PRINT_PRECISION
