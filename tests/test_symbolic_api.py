"""Closed forms as a user handles them: plain symbols (`sympy.Symbol("alpha")`, or the name),
`sympy.lambdify` with the default modules, and `net.total(metric, alpha=...)`, each held to report."""

from fractions import Fraction

import numpy as np
import pytest
import sympy

import costmodel
from costmodel import SpecError

CIFAR = "mobilenet_cifar"


def one_conv(rule: str, filters: str = "10*alpha"):
    """A 3x3 conv without bias on 8x8x3: MACs = 8*8 positions x 3*3*3 taps x the rounded filters."""
    return costmodel.load_network(costmodel.from_dict({
        "input": [8, 8, 3], "symbols": {"alpha": 1}, "rounding": rule,
        "layers": [{"type": "conv", "filters": filters, "kernel": 3, "padding": "same", "bias": False}]}))


def report_macs(net, **values):
    return net.evaluate(values).totals.macs


# --- plain symbols ---------------------------------------------------------------------------------

def test_symbols_are_plain_and_found_by_symbol_or_name():
    net = costmodel.load_network(CIFAR)
    assert net.symbols == {"alpha": sympy.Symbol("alpha"), "delta": sympy.Symbol("delta"),
                           "classes": sympy.Symbol("classes")}
    macs = net.total("macs")
    expected = costmodel.analyze(CIFAR, alpha=0.5, delta=2).totals.macs
    by_symbol = macs.subs({sympy.Symbol("alpha"): sympy.Rational(1, 2), sympy.Symbol("delta"): 2})
    by_name = macs.subs({"alpha": sympy.Rational(1, 2), "delta": 2})
    assert by_symbol.free_symbols == {sympy.Symbol("classes")}  # the substitution happened
    assert by_symbol.subs("classes", 10) == by_name.subs("classes", 10) == expected == 5975552
    # a float through subs is a sympy Float: floor(1024*0.5) is still exact here
    assert macs.subs({"alpha": 0.5, "delta": 2, "classes": 10}) == expected


@pytest.mark.parametrize("name", ["imagenet/efficientnet", "imagenet/mobilenet_v2", "imagenet/mnasnet"])
def test_subs_with_floats_gives_report_numbers(name):
    # make_divisible, multiple_of_8 and floor of a float argument: evaluated (not left as a function)
    net = costmodel.load_network(name).at({})
    for alpha in (0.35, 0.75, 1.1, 1.4):
        values = {**{n: sympy.Rational(v.numerator, v.denominator) for n, v in net.values().items()}, "alpha": alpha}
        assert net.total("params").subs(values) == net.evaluate({"alpha": alpha}).totals.params, alpha


def test_closed_forms_print_as_before():
    net = costmodel.load_network(CIFAR)
    assert "floor(1024*alpha)" in str(net.total("macs"))
    effnet = costmodel.load_network("imagenet/efficientnet")
    assert "make_divisible(" in str(effnet.total("params"))


def test_simplification_still_uses_the_assumptions():
    # a 3x3 'same' conv on an integer size: floor((size + 2 - 3)/1 + 1) simplifies to size
    net = costmodel.load_network(costmodel.from_dict({
        "input": ["size", "size", 3], "symbols": {"size": {"default": 8, "integer": True}},
        "layers": [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1, "bias": False}]}))
    size = sympy.Symbol("size")
    assert net.total("macs") == size * size * 4 * 3 * 3 * 3


def test_total_with_values_is_the_checked_number():
    net = costmodel.load_network(CIFAR)
    assert net.total("macs", alpha=0.5, delta=2) == 5975552 == costmodel.analyze(CIFAR, alpha=0.5, delta=2).totals.macs
    assert net.total("flops", {"alpha": "1/2", "delta": 2}) == 2 * 5975552
    assert isinstance(net.total("params", alpha=0.5), int)
    resnet = costmodel.load_network("imagenet/resnet_bottleneck")  # symbolic stage depths: the counts inside
    assert resnet.total("params", preset="resnext50_32x4d") == 25028904  # torchvision's
    # the smooth form's exact value: 1024*alpha channels unrounded, alpha = 1/3
    smooth = net.total("macs", alpha=Fraction(1, 3), smooth_form=True)
    assert smooth == net.total("macs", smooth_form=True).subs({"alpha": sympy.Rational(1, 3), "delta": 1,
                                                               "classes": 10})
    with pytest.raises(SpecError, match="unknown symbol 'beta'"):
        net.total("macs", beta=1)
    with pytest.raises(SpecError, match="unknown metric"):
        net.total("latency", alpha=1)
    with pytest.raises(TypeError, match="values: expected a mapping"):
        net.total("macs", [1])


# --- lambdify --------------------------------------------------------------------------------------

@pytest.mark.parametrize("modules", ["math", "numpy", "mpmath", None])
def test_lambdify_mobilenet_cifar(modules):
    net = costmodel.load_network(CIFAR)
    args = [net.symbols[n] for n in ("alpha", "delta", "classes")]
    f = sympy.lambdify(args, net.total("macs"), modules=modules) if modules else \
        sympy.lambdify(args, net.total("macs"))
    # floor(32*alpha) steps at k/32; 1/32 and 513/1024 sit on a step, 0.3 and 0.7 between
    for alpha in (1 / 32, 0.25, 0.3, 0.5, 513 / 1024, 0.7, 1.0, 1.5):
        assert f(alpha, 2, 10) == report_macs(net, alpha=alpha, delta=2, classes=10), alpha


@pytest.mark.parametrize("rule", ["floor", "ceil", "nearest", "multiple_of_8"])
@pytest.mark.parametrize("modules", ["math", "numpy"])
def test_lambdify_every_rounding_rule_at_every_hundredth(rule, modules):
    # 10*alpha at alpha = k/100 crosses every step of floor, ceil and nearest, and float arithmetic
    # misses some: 10*0.3 is 3.0000000000000004 (ceil 4, exactly 3); 72*alpha for multiple_of_8
    net = one_conv(rule, "72*alpha" if rule.startswith("multiple") else "10*alpha")
    f = sympy.lambdify([sympy.Symbol("alpha")], net.total("macs"), modules=modules)
    alphas = [k / 100 for k in range(10, 301)]
    expected = [report_macs(net, alpha=a) for a in alphas]
    if modules == "numpy":
        assert f(np.array(alphas)).tolist() == expected
    else:
        assert [f(a) for a in alphas] == expected


def test_lambdify_float_error_is_snapped():
    # floor(100*alpha) at alpha = 0.29: in floats 100*0.29 is 28.999999999999996, floor 28; report 29
    net = one_conv("floor", "100*alpha")
    f = sympy.lambdify([sympy.Symbol("alpha")], net.total("macs"), modules="math")
    assert f(0.29) == 8 * 8 * 3 * 3 * 3 * 29 == report_macs(net, alpha=0.29)


def test_lambdify_math_on_fractions_is_exact():
    # with "math", ints and Fractions go through unsnapped exact arithmetic: a value a hair below a
    # step rounds down, as report does
    net = one_conv("floor", "100*alpha")
    f = sympy.lambdify([sympy.Symbol("alpha")], net.total("macs"), modules="math")
    below = Fraction(29, 100) - Fraction(1, 10**14)
    assert f(below) == 8 * 8 * 3 * 3 * 3 * 28 == report_macs(net, alpha=below)
    assert f(Fraction(29, 100)) == 8 * 8 * 3 * 3 * 3 * 29


@pytest.mark.parametrize("name, symbol, points", [
    ("imagenet/mobilenet_v2", "alpha", [0.35, 0.5, 0.75, 1.0, 1.3, 1.4]),   # multiple_of_8 with Max, ceiling
    ("imagenet/efficientnet", "alpha", [1.0, 1.1, 1.2, 1.4, 1.6, 1.8, 2.0]),  # make_divisible
    ("imagenet/mnasnet", "alpha", [0.5, 0.75, 1.0, 1.3]),
])
@pytest.mark.parametrize("modules", ["math", "numpy"])
def test_lambdify_shipped_specs(name, symbol, points, modules):
    net = costmodel.load_network(name)
    if net.spec.symbolic_repeats:
        net = net.at({})  # repeat counts at the defaults: the closed form in the width only
    free = sympy.Symbol(symbol)
    others = {sympy.Symbol(n): sympy.Rational(v.numerator, v.denominator)
              for n, v in net.values().items() if n != symbol}
    for metric in ("macs", "params"):
        f = sympy.lambdify([free], net.total(metric).xreplace(others), modules=modules)
        for x in points:
            expected = getattr(net.evaluate({symbol: x}).totals, metric)
            assert f(x) == expected, (metric, x)
