"""The restricted expression parser: what it accepts, what it refuses, and where."""

import re
from fractions import Fraction

import pytest

from costmodel import expr as ex


@pytest.mark.parametrize("text, expected", [
    ("32*alpha", ex.BinOp("*", ex.Num(Fraction(32)), ex.Name("alpha"))),
    ("1.4", ex.Num(Fraction(7, 5))),                      # decimals are exact: 14/10
    ("2e3", ex.Num(Fraction(2000))),
    ("-x", ex.Neg(ex.Name("x"))),
    ("floor(c*t/2)", ex.Call("floor", (ex.BinOp("/", ex.BinOp("*", ex.Name("c"), ex.Name("t")), ex.Num(Fraction(2))),))),
    ("max(a, 8)", ex.Call("max", (ex.Name("a"), ex.Num(Fraction(8))))),
])
def test_parses_to_tree(text, expected):
    assert ex.parse(text) == expected


@pytest.mark.parametrize("text, value", [
    ("1 + 2 * 3", 7),                 # * before +
    ("(1 + 2) * 3", 9),
    ("2 ** 3 ** 2", 2 ** 9),          # ** is right-associative
    ("-2 ** 2", -4),                  # and binds tighter than unary minus
    ("7 // 2", 3),
    ("-7 // 2", -4),                  # floor division, as Python
    ("7 / 2", Fraction(7, 2)),
    ("ceil(7/2) + floor(7/2)", 4 + 3),
    ("min(3, 1, 2) + max(3, 1, 2)", 1 + 3),
    ("10 - 4 - 3", 3),                # left-associative
    ("1.5e1", 15),
])
def test_precedence_and_values(text, value):
    assert ex.constant_value(ex.parse(text)) == value


@pytest.mark.parametrize("text, message, column", [
    ("__import__('os')", "unexpected character", 12),
    ("__import__", "names starting with '__' are not allowed", 1),
    ("x.__class__", "unexpected character '.'", 2),
    ("max(1, 2)(3)", "unexpected '('", 10),
    ("0.1234567890123457", "more than 15 decimals", 1),
    ("alpha.real", "unexpected character", 6),
    ("open(1)", "unknown function 'open'", 1),
    ("lambda: 1", "unexpected character", 7),
    ("2 ** alpha", "exponent must be an integer constant", 3),
    ("2 ** 100", "exponent must be an integer constant", 3),
    ("2 ** 0.5", "exponent must be an integer constant", 3),
    ("(1 + 2", "expected ')'", 7),
    ("1 +", "ends too early", 4),
    ("1 2", "after a complete expression", 3),
    ("floor", "is a function", 1),
    ("floor(1, 2)", "takes 1 argument", 1),
    ("max(1)", "two or more", 1),
    ("1e99", "out of range", 1),
    ("'abc'", "unexpected character", 1),
])
def test_rejects_with_column(text, message, column):
    with pytest.raises(ex.ExprError) as info:
        ex.parse(text)
    assert message in str(info.value)
    assert info.value.column == column


def test_length_and_depth_limits():
    with pytest.raises(ex.ExprError, match="longer than"):
        ex.parse("1+" * 300 + "1")
    with pytest.raises(ex.ExprError, match="nested deeper"):
        ex.parse("(" * 60 + "1" + ")" * 60)
    with pytest.raises(ex.ExprError, match="nested deeper"):
        ex.parse("-" * 60 + "1")


def test_yaml_values():
    assert ex.from_value(3) == ex.Num(Fraction(3))
    assert ex.from_value(1.4) == ex.Num(Fraction(7, 5))   # not the binary double nearest 1.4
    for bad in (True, None, [1], float("nan"), float("inf")):
        with pytest.raises(ex.ExprError):
            ex.from_value(bad)


def test_substitute_and_names():
    node = ex.parse("out*alpha + k")
    bound = ex.substitute(node, {"out": ex.parse("64"), "k": ex.parse("2*delta")})
    assert ex.names(bound) == {"alpha", "delta"}
    assert ex.to_text(bound) == "((64 * alpha) + (2 * delta))"


def test_size_measures_shared_subtrees_without_walking_them():
    # a(x) -> b(x*x*x) -> ... as block calls build it: 30 levels is 3**30 leaves as a tree
    node = ex.Name("alpha")
    for _ in range(30):
        node = ex.BinOp("*", ex.BinOp("*", node, node), node)
    s = ex.size(node)  # instant: each shared node is measured once, counts saturate past the limits
    assert s.nodes == ex.MAX_NODES + 1 and s.degree == ex.MAX_DEGREE + 1
    with pytest.raises(ex.ExprError, match="more than 2000 parts"):
        ex.check_size(node)


@pytest.mark.parametrize("text, message", [
    ("(a + b) ** 3", "expands to more than 4 terms"),           # 8 terms
    ("a * a * a * a", "degree above 3"),
    ("((2 ** 16) ** 16) ** 16", "larger than 2**2048"),        # 2**4096
])
def test_check_size_refuses(text, message):
    with pytest.raises(ex.ExprError, match=re.escape(message)):
        ex.check_size(ex.parse(text))


@pytest.mark.parametrize("text", ["32*alpha", "(a + b) ** 2", "floor(c*t/2) + 8", "1 + 2 + 3 + 4 + 5 + 6",
                                  "max(8, floor(16*alpha/8 + 1/2)*8) + 8*min(1, max(0, c))"])
def test_check_size_accepts_ordinary_expressions(text):
    assert ex.check_size(ex.parse(text)) == ex.parse(text)
