"""The Hybrid MobileNet specs (Chen & Su 2018, seed 004): Tables 1-3 layer by layer, and the
symbolic closed forms against the reference propagator over the paper's grid of alpha, delta, classes."""

import math
from fractions import Fraction

import pytest
import sympy

import costmodel
from costmodel import shipped

SPECS = shipped.SPECS
HYBRID = sorted(SPECS.glob("mobilenet_cifar*.yaml"))
GRID = [(alpha, delta, classes) for alpha in ("1", "0.5", "0.25") for delta in (1, 2, 4) for classes in (10, 100)]


@pytest.fixture(scope="module")
def networks():
    return {path.stem: costmodel.load_network(path) for path in HYBRID}


def test_all_three_tables_are_shipped():
    assert {"mobilenet_cifar", "mobilenet_cifar_fmp", "mobilenet_cifar_maxpool"} <= {p.stem for p in HYBRID}


@pytest.mark.parametrize("spec", [p.stem for p in HYBRID])
def test_symbolic_equals_reference_on_the_papers_grid(networks, spec):
    net = networks[spec]
    s = net.symbols
    for alpha, delta, classes in GRID:
        # evaluate() substitutes into the closed forms and refuses (CheckError) unless the reference
        # propagator agrees on every layer's shape, params, statistics, MACs and floats out
        result = net.evaluate({"alpha": alpha, "delta": delta, "classes": classes})
        # 32*alpha ... 1024*alpha are whole at these alphas, so the smooth closed form is exact too
        subs = {s["alpha"]: sympy.Rational(alpha), s["delta"]: delta, s["classes"]: classes}
        for metric in ("params", "params_non_trainable", "macs", "floats_out"):
            assert net.total(metric, smooth_form=True).subs(subs) == getattr(result.totals, metric), \
                (spec, alpha, delta, classes, metric)


def input_sizes(result) -> dict:
    """Each layer's input shape: what the papers' "Input Size" column lists."""
    shapes = {"input": (32, 32, 3), **{r.name: r.shape for r in result.rows}}
    return {r.name: shapes[r.inputs[0]] for r in result.rows}


A, D, K = Fraction(1, 2), 2, 100   # alpha = 0.5, delta = 2: "32 alpha" and "32 alpha x delta" differ


def shape(h, c):
    return (h, h, int(c))


def test_table2_input_sizes(networks):
    got = input_sizes(networks["mobilenet_cifar_maxpool"].evaluate({"alpha": A, "delta": D, "classes": K}))
    half = lambda n: -(-n // 2)  # max pool 3x3, stride 2, padding 'same': ceil(n / 2)  # noqa: E731
    assert [half(32), half(16), half(8), half(4), half(2)] == [16, 8, 4, 2, 1]
    table2 = [  # (layer, Table 2's "Input Size"), in the table's order
        ("conv1", shape(32, 3)),
        ("mp1", shape(32, 32 * A)),
        ("ds1/dw", shape(16, 32 * A)), ("ds1/pw", shape(16, 32 * A * D)),
        ("mp2", shape(16, 64 * A)),
        ("ds2/dw", shape(8, 64 * A)), ("ds2/pw", shape(8, 64 * A * D)),
        ("ds3/dw", shape(8, 128 * A)), ("ds3/pw", shape(8, 128 * A * D)),
        ("mp3", shape(8, 128 * A)),
        ("ds4/dw", shape(4, 128 * A)), ("ds4/pw", shape(4, 128 * A * D)),
        ("ds5/dw", shape(4, 256 * A)), ("ds5/pw", shape(4, 256 * A * D)),
        ("mp4", shape(4, 256 * A)),
        ("ds6/dw", shape(2, 256 * A)), ("ds6/pw", shape(2, 256 * A * D)),
        *((name, s) for i in range(1, 6)   # "5 x"
          for name, s in ((f"ds7.{i}/dw", shape(2, 512 * A)), (f"ds7.{i}/pw", shape(2, 512 * A * D)))),
        ("mp5", shape(2, 512 * A)),
        ("ds8/dw", shape(1, 512 * A)), ("ds8/pw", shape(1, 512 * A * D)),
        ("ds9/dw", shape(1, 1024 * A)), ("ds9/pw", shape(1, 1024 * A * D)),
        ("pool", shape(1, 1024 * A)),
        ("fc", shape(1, 1024 * A)),
        ("softmax", shape(1, K)),
    ]
    convs_and_pools = [n for n in got if n.endswith(("/dw", "/pw")) or n == "conv1" or n.startswith("mp")
                       or n in ("pool", "fc", "softmax")]
    assert [name for name, _ in table2] == convs_and_pools  # no layer left out, none added
    for name, size in table2:
        assert got[name] == size, name


def test_table2_needs_same_padding():
    # Keras' default 'valid' gives floor((n - 3)/2) + 1: 32 -> 15 -> 7 -> 3 -> 1, and mp5 has no 3x3 window
    assert [(n - 3) // 2 + 1 for n in (32, 15, 7, 3)] == [15, 7, 3, 1]
    text = (SPECS / "mobilenet_cifar_maxpool.yaml").read_text()
    assert text.count("padding: same") == 1
    with pytest.raises(costmodel.SpecError, match="larger than"):
        costmodel.analyze(costmodel.loads(text.replace("padding: same", "padding: valid"), file="valid.yaml"))


FMP_SIZES = [32, 22, 15, 10, 6, 4, 2, 1]  # Table 3's "Input Size" column, pool by pool


def test_table3_input_sizes(networks):
    got = input_sizes(networks["mobilenet_cifar_fmp"].evaluate({"alpha": A, "delta": D, "classes": K}))

    def pair(name, h, cin):  # a dw/pw pair of Table 3 at size h, dw on cin*alpha channels
        return [(f"{name}/dw", shape(h, cin * A)), (f"{name}/pw", shape(h, cin * A * D))]

    table3 = [
        ("conv1", shape(32, 3)),
        ("fmp1", shape(32, 32 * A)), *pair("ds1", 22, 32), *pair("ds2", 22, 64),
        ("fmp2", shape(22, 128 * A)), *pair("ds3", 15, 128), *pair("ds4", 15, 128),
        ("fmp3", shape(15, 256 * A)), *pair("ds5", 10, 256), *pair("ds6", 10, 256),
        ("fmp4", shape(10, 512 * A)), *pair("ds7a.1", 6, 512), *pair("ds7a.2", 6, 512),   # first "2 x"
        ("fmp5", shape(6, 512 * A)), *pair("ds7b.1", 4, 512), *pair("ds7b.2", 4, 512),    # second "2 x"
        ("fmp6", shape(4, 512 * A)), *pair("ds7c", 2, 512), *pair("ds8", 2, 512),
        ("fmp7", shape(2, 1024 * A)), *pair("ds9", 1, 1024),
        ("pool", shape(1, 1024 * A)), ("fc", shape(1, 1024 * A)), ("softmax", shape(1, K)),
    ]
    listed = [n for n in got if n.endswith(("/dw", "/pw")) or n in ("conv1", "pool", "fc", "softmax")
              or n.startswith("fmp")]
    assert [name for name, _ in table3] == listed
    for name, size in table3:
        assert got[name] == size, name
    # 13 depthwise-separable pairs as in Table 1; its "5 x" 512 -> 512 pairs are 2 + 2 + 1 here
    assert sum(n.endswith("/dw") for n in got) == 13
    assert [got[f"fmp{i}"][0] for i in range(1, 8)] == FMP_SIZES[:-1]


def test_table3_sizes_follow_no_single_ratio_1_4():
    r = Fraction(7, 5)  # 1.4, exact
    floor_14 = [math.floor(n / r) for n in FMP_SIZES[:-1]]
    assert floor_14 == [22, 15, 10, 7, 4, 2, 1]  # floor(10/1.4) = floor(7.14) = 7, Table 3 prints 6
    chained, n = [], 32
    for _ in range(7):
        n = math.floor(n / r)
        chained.append(n)
    assert chained == [22, 15, 10, 7, 5, 3, 2]  # TensorFlow's rule from 32 on
    assert [math.ceil(32 / r), round(32 / r)] == [23, 23]  # ceil and round miss the first pool
    # every printed step is floor(in / r) for r in (10/7, 16/11], e.g. 1.44, but 1.4 is outside
    for ratio in (Fraction(10, 7) + Fraction(1, 10**6), Fraction(36, 25), Fraction(16, 11)):
        assert [math.floor(n / ratio) for n in FMP_SIZES[:-1]] == FMP_SIZES[1:]
    assert Fraction(7, 5) < Fraction(10, 7)  # so 1.4 itself gives 7 at the fourth pool


def test_pools_change_macs_not_params(networks):
    for alpha, delta, classes in [("1", 1, 10), ("0.5", 2, 100), ("0.25", 4, 10)]:
        values = {"alpha": alpha, "delta": delta, "classes": classes}
        t1, t2, t3 = (networks[s].evaluate(values).totals
                      for s in ("mobilenet_cifar", "mobilenet_cifar_maxpool", "mobilenet_cifar_fmp"))
        assert t1.params == t2.params == t3.params
        assert t1.params_non_trainable == t2.params_non_trainable == t3.params_non_trainable
        # Table 2 only moves the first conv from a 16x16 to a 32x32 output
        assert t2.macs - t1.macs == (32 * 32 - 16 * 16) * int(32 * Fraction(alpha)) * 27
