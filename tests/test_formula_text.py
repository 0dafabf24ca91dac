"""symbolic.text: the text of a closed form as `str` prints it, each distinct subexpression printed
once per process (the per-layer formulas of `--symbolic` repeat their spatial sizes)."""

import subprocess
import sys

import sympy

import costmodel
from costmodel.outputs.report import layer_formulas
from costmodel.symbolic import RoundDivisible, RoundFloor, OncePrinter, readable

a, r, c = sympy.symbols("alpha resolution classes")
SIZE = sympy.floor(sympy.floor(r / 2 - sympy.Rational(1, 2)) / 2)  # two stride-2 layers
CASES = [
    SIZE,
    3 * 3 * 32 * RoundFloor(32 * a) * SIZE**2,  # a conv's MACs on a rounded width
    -SIZE + 7,  # a negative term first in sympy's order
    -2 * a * c,  # a negative product: the sign printed once, in front
    sympy.Rational(-3, 4) * a + sympy.Min(1, c - 1),  # a rational coefficient, a Min
    RoundDivisible(a * 24, sympy.Integer(8)) ** 2 + a / (c + 1),  # a power of a rounding, a quotient
    sympy.Float(2.0) * a + 2 * c,  # 2.0 and 2 are kept apart
    sympy.Integer(0),
]


def test_each_text_is_strs_text():
    printer = OncePrinter()
    for expr in CASES:
        assert printer.doprint(expr) == str(expr)


def test_a_kept_text_does_not_depend_on_where_it_was_first_printed():
    """SIZE is printed inside a power, a product and a sum before it is printed alone (and the
    other way round): the same texts as a fresh printer's."""
    for order in (CASES, CASES[::-1]):
        printer = OncePrinter()
        assert [printer.doprint(e) for e in order] == [str(e) for e in order]


def test_every_layer_formula_of_a_densenet_is_strs_text():
    net = costmodel.load_network("imagenet/densenet121")
    evaluation = net.evaluate()
    formulas = layer_formulas(evaluation)
    assert len(formulas) == len(evaluation.rows)
    for leaf, shown in zip(evaluation.unrolled.leaves(), formulas):
        cost = net.cost_of(leaf)
        assert shown == {"params": str(cost.params), "macs": str(cost.macs),
                         "output_shape": [str(v) for v in cost.shape]}
    assert net.formula("macs") == str(readable(net.total("macs")))


def test_the_symbolic_report_is_the_same_under_any_hash_seed():
    def run(seed):
        env = {"PYTHONHASHSEED": seed, "COSTMODEL_NO_CACHE": "1", "PATH": ""}
        return subprocess.run([sys.executable, "-m", "costmodel", "report", "imagenet/densenet121", "--symbolic",
                               "--format", "json"], capture_output=True, text=True, env=env, check=True).stdout
    assert run("1") == run("2")
