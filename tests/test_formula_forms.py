"""The helpers that make a report's closed-form totals cheaper to show give what sympy gave before:
ops_bound never under count_ops (so `expands` decides as count_ops did), `smooth` is sympy's
`replace`, `expand` is `sympy.expand`, and the eight formula texts are the texts of the old path
(count_ops, replace, expand, the FLOPs expanded again from twice the MACs, a smooth total
expanded twice)."""

import random

import pytest
import sympy

import costmodel
from costmodel import symbolic
from costmodel.symbolic import (MAX_EXPAND_OPS, MakeDivisible, OncePrinter, RoundDivisible, RoundFloor, expand,
                                expands, ops_bound, smooth)

a = sympy.Symbol("alpha", positive=True)
r = sympy.Symbol("resolution", positive=True, integer=True)
x, y = sympy.symbols("x y")

SPECS = ["imagenet/mobilenet_v2", "imagenet/efficientnet", "imagenet/regnet_y", "imagenet/mobilenet_v3"]


def _old_readable(value):
    """symbolic.readable before: sympy's count_ops decides, sympy's expand expands."""
    if not isinstance(value, sympy.Basic) or sympy.count_ops(value) > MAX_EXPAND_OPS:
        return value
    return sympy.expand(value)


def _old_smooth(value):
    if not value.has(symbolic._ChannelRounding):
        return value
    return value.replace(lambda e: isinstance(e, symbolic._ChannelRounding), lambda e: e.args[0])


def _old_formula(net, metric: str, smooth_form: bool) -> str:
    """Network.formula before: text(readable(total)), the smooth total readable(smooth(total)) and
    the FLOPs 2 * the MACs' total, each made again."""
    raw = net.total("macs" if metric == "flops" else metric)
    total = _old_readable(_old_smooth(raw)) if smooth_form else raw
    if metric == "flops":
        total = 2 * total
    return str(_old_readable(total))


@pytest.mark.parametrize(("expr", "bound", "ops"), [
    (x + y, 2 + 1 + 1, 1),  # an Add of two terms (2), two symbols (1 each); count_ops: one ADD
    (-x / 3, (2 + 1) + (1 + 1) + 1, 2),  # Mul(-1/3, x): a Mul of two (3), -1/3 (NEG, DIV), x; NEG + DIV
    (x**2, 2 + 1 + 0, 1),  # a power (2), x, the exponent 2 (nothing); one POW
    (sympy.floor(x / 2 + sympy.Rational(1, 2)), 1 + 2 + (3 + 1 + 1) + 1, 4),  # FLOOR, ADD, DIV, DIV
    (sympy.Max(8, RoundFloor(a)), 1 + 0 + 1 + 1, 2),  # MAX, FLOOR
])
def test_the_bound_of_small_forms(expr, bound, ops):
    assert ops_bound(expr, MAX_EXPAND_OPS) == bound
    assert sympy.count_ops(expr) == ops <= bound


def test_the_bound_stops_above_its_limit():
    big = sympy.Add(*(sympy.Symbol(f"s{i}") * (i + 1) for i in range(100)))  # s0, then 99 Mul(k, s)
    assert ops_bound(big, 10**6) == 100 + 1 + 99 * (3 + 0 + 1)  # the Add, s0, each Mul with its k and s
    assert 10 < ops_bound(big, 10) < 100  # stopped early: above the limit, short of the whole


def _random_form(rng: random.Random, depth: int):
    """A random closed form over the shapes of a spec's: symbols with and without assumptions,
    signed fractions, + - * /, small powers, floor, ceiling, min, max and the channel roundings."""
    if depth == 0 or rng.random() < 0.2:
        return rng.choice([a, r, x, y, sympy.Rational(rng.randint(-9, 9), rng.randint(1, 4)), sympy.Integer(-1)])
    kind = rng.randrange(10)
    u, v = _random_form(rng, depth - 1), _random_form(rng, depth - 1)
    if kind == 0:
        return u + v
    if kind == 1:
        return u - v
    if kind == 2:
        return u * v
    if kind == 3:
        return u / v if v != 0 else u
    if kind == 4:
        return u ** rng.choice([2, -1, -2]) if u != 0 else v
    if kind == 5:
        return sympy.floor(u) + sympy.ceiling(v)
    if kind == 6:
        return sympy.Max(u, v) - sympy.Min(u, 2 * v)
    if kind == 7:
        return RoundFloor(u) * (v + 1)
    if kind == 8:
        return RoundDivisible(u * a, sympy.Integer(8)) + MakeDivisible(a * 16, sympy.Integer(8), sympy.Integer(16))
    return 3 * (u + v) * (u - 1)  # a product of sums: expand has work to do


def test_on_random_forms_the_helpers_are_sympys():
    rng = random.Random(11)
    seen = 0
    for _ in range(250):
        expr = _random_form(rng, 3)
        if not isinstance(expr, sympy.Expr) or expr.is_number:
            continue
        seen += 1
        assert sympy.count_ops(expr) <= ops_bound(expr, 10**9), expr
        assert smooth(expr) == _old_smooth(expr), expr
        expanded = sympy.expand(expr)
        assert expand(expr) == expanded, expr
        assert sympy.count_ops(expanded) <= ops_bound(expanded, 10**9), expanded
    assert seen > 150


@pytest.fixture(scope="module", params=SPECS)
def network(request):
    return costmodel.load_network(request.param)


def test_a_shipped_networks_totals(network):
    """Every total, exact and smooth, before and after expanding: the bound is over count_ops,
    and the decision is count_ops' decision; smooth and expand are sympy's."""
    memo: dict = {}
    for metric in ("params", "params_non_trainable", "macs", "floats_out"):
        raw = network.total(metric)
        smoothed = smooth(raw, memo)
        assert smoothed == _old_smooth(raw)
        for form in (raw, smoothed, 2 * raw):
            ops = sympy.count_ops(form)
            assert ops <= ops_bound(form, 10**9)
            assert expands(form) == (ops <= MAX_EXPAND_OPS)
            if ops <= MAX_EXPAND_OPS:
                assert symbolic._terms(form, {}) is not None  # summed as monomials, not by the driver
                expanded = expand(form)
                assert expanded == sympy.expand(form)
                assert expand(expanded) == expanded  # what a smooth total's second readable relies on


def test_a_shipped_networks_formula_texts_are_the_old_paths(network):
    printer = OncePrinter()
    for metric in ("params", "params_non_trainable", "macs", "flops"):
        for smooth_form in (False, True):
            assert network.formula(metric, smooth_form=smooth_form, printer=printer) == \
                _old_formula(network, metric, smooth_form)


def test_the_flops_forms_are_twice_the_macs():
    net = costmodel.load_network("imagenet/mobilenet_v2")
    assert net._shown("flops", False) == 2 * net._shown("macs", False) == sympy.expand(2 * net.total("macs"))
    assert net.total("flops", smooth_form=True) == 2 * net.total("macs", smooth_form=True)


def test_a_form_over_the_limit_is_left_as_built():
    """A total larger than MAX_EXPAND_OPS (the bound is over too, so count_ops decides): not
    expanded, and the FLOPs are then twice the MACs unexpanded as before."""
    terms = [(sympy.Symbol(f"w{i}") + 1) * (sympy.Symbol(f"v{i}") - 2) * RoundFloor(a * (i + 1)) for i in range(800)]
    big = sympy.Add(*terms)
    assert sympy.count_ops(big) > MAX_EXPAND_OPS
    assert ops_bound(big, MAX_EXPAND_OPS) > MAX_EXPAND_OPS
    assert not expands(big)
    assert symbolic.readable(big) is big


g = sympy.Symbol("gw", positive=True, integer=True)
w = sympy.Symbol("w", positive=True, integer=True)
WIDTH = 8 * sympy.floor(2 * a + sympy.Rational(1, 2))  # torchvision's rounding of 16*alpha to a multiple of 8


@pytest.mark.parametrize(("args", "kept"), [
    ((8, WIDTH), True),  # below 8 at alpha = 1/64 (0), above at 64 (1024): sympy can order neither way
    ((g, w), True),  # RegNet's min(gw, w): 8 < 16 at one point, 16 > 8 at another
    ((a, a + 1), False),  # a + 1 is always above: sympy drops alpha
    ((1, sympy.floor(RoundDivisible(32 * a, sympy.Integer(8)) / 4)), False),  # always >= 2 here: sympy decides
    ((0, sympy.Max(8, WIDTH)), False),  # the Max is at least 8: always above 0, sympy decides
    ((1, sympy.Max(0, sympy.ceiling(a * 72 / 5) - sympy.Max(8, WIDTH))), True),  # see the window test below
    ((x, 1), True),  # a plain symbol (any value allowed, as in a closed form given to the user): both orders
    ((x, x + 1), False),
    ((sympy.Symbol("n", negative=True), 1), False),  # assumptions the samples do not respect: sympy decides
    ((3, 5), False),  # numbers: sympy compares them
])
def test_min_max_kept_as_sympy_keeps_them(args, kept):
    args = [sympy.sympify(v) for v in args]
    assert symbolic.unrelated(args) is kept
    for func in (sympy.Max, sympy.Min):
        built = symbolic.lattice(func, args)
        assert built == func(*args) and built.args == func(*args).args
        if kept and not any(isinstance(v, (sympy.Min, sympy.Max)) for v in args):
            assert func(*args, evaluate=False) == func(*args)
            assert func(*args, evaluate=False).args == func(*args).args


def test_a_difference_positive_in_a_window_only_is_seen():
    """MobileNetV2's expansion width: ceil(0.9 * t * c) - make_divisible(c), c = 16 * alpha, is
    above 0 only for some alpha (the 90 % rule adds 8): alpha = 5/8 gives ceil(9) - 8 = 1, while
    1/4096 gives 1 - 8 and 64 gives ceil(921.6) - 8 * 128 (the corner points alone see only below 0)."""
    d = sympy.ceiling(a * 72 / 5) - sympy.Max(8, WIDTH)
    assert d.xreplace({a: sympy.Rational(5, 8)}) == 9 - 8
    assert d.xreplace({a: sympy.Rational(1, 4096)}) == 1 - 8 and d.xreplace({a: 64}) == 922 - 8 * 128
    assert symbolic.unrelated([sympy.Integer(0), d])
    assert sympy.Max(0, d, evaluate=False) == sympy.Max(0, d)


@pytest.mark.parametrize("func", [sympy.Min, sympy.Max])
def test_lattice_is_sympys_min_max(func):
    """lattice(func, args) == func(*args), structure and argument order, on random arguments with
    a Min or Max among them (sympy flattens and collapses those first)."""
    rng = random.Random(7)
    shortcut = 0
    for _ in range(120):
        args = [_random_form(rng, 2).xreplace({x: a, y: r}) for _ in range(rng.choice([2, 3]))]
        if rng.random() < 0.5:
            args.append(rng.choice([sympy.Min, sympy.Max])(args[0] + 1, 8 * RoundFloor(a * 2)))
        if any(not isinstance(v, sympy.Expr) or v.has(sympy.zoo, sympy.nan) for v in args):
            continue
        try:
            expected = func(*args)
        except ValueError:  # a complex argument: sympy refuses, and so does lattice
            with pytest.raises(ValueError):
                symbolic.lattice(func, args)
            continue
        built = symbolic.lattice(func, args)
        assert built == expected and built.args == expected.args, args
        kept = func._collapse_arguments(frozenset(func._new_args_filter(args)))
        shortcut += symbolic.unrelated(kept)
    assert shortcut > 10  # the shortcut taken, not only sympy


def test_the_roundings_number_is_their_evaluation():
    """Each rounding's `number` (exact numbers in, used by the sample points) is what it evaluates
    to on Rationals: e.g. divisible(29, 8) = 32 (nearest multiple 32), divisible(13, 8) = 16 (8 is
    below 0.9 * 13 = 11.7, so one more 8)."""
    from fractions import Fraction
    assert RoundDivisible.number(Fraction(29), Fraction(8)) == 32
    assert RoundDivisible.number(Fraction(13), Fraction(8)) == 8 + 8
    rng = random.Random(3)
    for _ in range(200):
        v = Fraction(rng.randint(1, 4000), rng.randint(1, 64))
        q = sympy.Rational(v.numerator, v.denominator)
        for cls in (RoundFloor, symbolic.RoundCeil, symbolic.RoundNearest):
            assert cls(q) == cls.number(v), (cls, v)
        assert RoundDivisible(q, 8) == RoundDivisible.number(v, Fraction(8))
        assert MakeDivisible(q, 8, 16) == MakeDivisible.number(v, Fraction(8), Fraction(16))


def test_expand_sums_monomials_on_polynomials_and_hands_the_rest_to_sympys_walk():
    """`expand` builds a polynomial in atoms as a sum of monomials (`_terms`) and gives
    sympy.expand's result; a float or a power of a sum with a negative exponent goes to the driver."""
    product = (a + 1) * (RoundFloor(a * 3) - 2) * (r + sympy.Rational(1, 2)) ** 2
    assert symbolic._terms(product, {}) is not None
    assert expand(product) == sympy.expand(product)
    assert expand(product).args == sympy.expand(product).args
    for form in (sympy.Float(0.5) * (a + 1) * r, 1 / (a + 1) * (r + 2)):
        assert symbolic._terms(form, {}) is None
        assert expand(form) == sympy.expand(form)
    rng = random.Random(13)
    summed = 0
    for _ in range(200):
        expr = _random_form(rng, 3)
        if not isinstance(expr, sympy.Expr) or expr.has(sympy.zoo, sympy.nan):
            continue
        summed += symbolic._terms(expr, {}) is not None
        assert expand(expr) == sympy.expand(expr), expr
    assert summed > 80


def test_on_random_pairs_a_kept_min_max_is_sympys():
    rng = random.Random(5)
    kept = 0
    for _ in range(150):
        u, v = _random_form(rng, 2), _random_form(rng, 2)
        args = [u.xreplace({x: a, y: r}), v.xreplace({x: a, y: r})]  # the deriver's symbols only
        if symbolic.unrelated(args):
            kept += 1
            for func in (sympy.Max, sympy.Min):
                assert func(*args, evaluate=False) == func(*args), args
    assert kept > 20


def test_the_deriver_builds_each_min_max_once():
    from costmodel.closedform import derive
    deriver = derive(costmodel.load_network("imagenet/regnet_y").spec)
    mins = [key for key in deriver.built if key[0] == "min"]
    assert len(mins) == 4  # min(gw, w1) ... min(gw, w4), each built once for its 20-odd uses
