"""Metrics beyond params and MACs (costmodel.analyses.metrics, checked against costmodel.reference_metrics):
hand-sized cases with their arithmetic."""

import ast
import functools
import json
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import costmodel
from costmodel import reference_metrics, shipped
from costmodel.analyses import metrics
from costmodel.cli import main
from costmodel.errors import CheckError, SpecError

ROOT = Path(__file__).parent.parent


def spec(layers: str, input_shape="[32, 32, 3]", symbols: str = "{}", exits=None):
    text = f"input: {input_shape}\nsymbols: {symbols}\n" + (f"exits: [{', '.join(exits)}]\n" if exits else "") \
        + "layers:\n" + textwrap.indent(textwrap.dedent(layers), "  ")
    return costmodel.loads(text, file="test.yaml")


def measure(layers: str, input_shape="[32, 32, 3]", symbols: str = "{}", values=None, outputs=None, **options):
    """Numbers of both sides (evaluate refuses to return unless they agree) and the closed forms.
    `outputs`: the spec's `exits:` (a layer no layer reads must be one)."""
    network = costmodel.build(spec(layers, input_shape, symbols, outputs))
    return metrics.evaluate(network, values or {}, **options), metrics.Metrics(network)


# --- receptive field and jump: the lecture's examples (seed 002) ------------------------------

RF_CASES = [
    # seed 002 L106-L109: with 3x3 filters the RF is 3x3 after 1 conv layer, 5x5 after 2
    ("two 3x3", "- {type: conv, filters: 4, kernel: 3}\n" * 2, (1 + 2 + 2, 1 + 2 + 2), (1, 1)),
    ("three 3x3", "- {type: conv, filters: 4, kernel: 3}\n" * 3, (1 + 2 * 3, 1 + 2 * 3), (1, 1)),
    # L96-L99: with 5x5 filters, 9x9 after 2 layers
    ("two 5x5", "- {type: conv, filters: 4, kernel: 5}\n" * 2, (5 + 4, 5 + 4), (1, 1)),
    # L129: [5x5 stride 2] then [5x5 stride 1]: 5 + (5-1)*2 = 13
    ("5x5 s2 then 5x5", "- {type: conv, filters: 4, kernel: 5, stride: 2}\n- {type: conv, filters: 4, kernel: 5}\n",
     (5 + 4 * 2, 5 + 4 * 2), (2, 2)),
    # L136-L140: 3x3 stride 2 then 3x3: the slide corrects 5x5 to 7x7 = 3 + (3-1)*2
    ("3x3 s2 then 3x3", "- {type: conv, filters: 4, kernel: 3, stride: 2}\n- {type: conv, filters: 4, kernel: 3}\n",
     (3 + 2 * 2, 3 + 2 * 2), (2, 2)),
    # rectangular kernels, height and width apart: 1x3 then 3x1 covers 3x3
    ("1x3 then 3x1", "- {type: dwconv, kernel: [1, 3]}\n- {type: dwconv, kernel: [3, 1]}\n", (1 + 2, 1 + 2), (1, 1)),
    # a [2, 1] stride, then 3x3: height 3 + 2*2, width 3 + 2*1
    ("2x1 s[2,1] then 3x3", "- {type: conv, filters: 4, kernel: [2, 1], stride: [2, 1]}\n"
     "- {type: conv, filters: 4, kernel: 3}\n", (2 + 2 * 2, 1 + 2 * 1), (2, 1)),
    # dilation 2: a 3x3 spans 2*(3-1)+1 = 5; then a 3x3 at jump 1 adds 2
    ("dilated 3x3 then 3x3", "- {type: conv, filters: 4, kernel: 3, dilation: 2}\n- {type: conv, filters: 4, kernel: 3}\n",
     (5 + 2, 5 + 2), (1, 1)),
    # 2x2 max pooling (stride = kernel = 2), then 3x3: 2 + (3-1)*2
    ("pool then 3x3", "- {type: maxpool, kernel: 2}\n- {type: conv, filters: 4, kernel: 3}\n", (2 + 2 * 2, 2 + 2 * 2), (2, 2)),
    # a 1x1 with stride 2 adds nothing to the RF but doubles the jump; then 3x3: 1 + 2*2
    ("1x1 s2 then 3x3", "- {type: pointwise, filters: 4, stride: 2}\n- {type: conv, filters: 4, kernel: 3}\n",
     (1 + 2 * 2, 1 + 2 * 2), (2, 2)),
    # branches: concat of a 1x1 path and a 3x3 -> 3x3 path takes the max over paths: 5
    ("branches", "- {type: pointwise, name: a, filters: 4, input: input}\n"
     "- {type: conv, name: b1, filters: 4, kernel: 3, input: input}\n- {type: conv, name: b2, filters: 4, kernel: 3}\n"
     "- {type: concat, inputs: [a, b2]}\n", (5, 5), (1, 1)),
    # global pooling and dense see the whole 32x32 input
    ("global pool", "- {type: conv, filters: 4, kernel: 3}\n- {type: global_avgpool}\n", (32, 32), (1 * 32, 1 * 32)),
    ("dense", "- {type: dense, units: 10}\n", (32, 32), (32, 32)),
    # ceil mode keeps the window: 3x3 stride 2, then 3x3: 3 + (3-1)*2
    ("ceil-mode pool then 3x3", "- {type: maxpool, kernel: 3, stride: 2, ceil_mode: true}\n"
     "- {type: conv, filters: 4, kernel: 3}\n", (3 + 2 * 2, 3 + 2 * 2), (2, 2)),
    # adaptive 32 -> 5: the widest of PyTorch's windows is ceil((32 - gcd(32, 5))/5) + 1 = 8; 32/5 apart on average
    ("adaptive to 5", "- {type: adaptive_avgpool, output_size: 5}\n", (8, 8), (Fraction(32, 5), Fraction(32, 5))),
    # adaptive 32 -> [16, 1]: height windows of 2 (32/16 exact); width 1 is global: the whole input
    ("adaptive to 16x1", "- {type: adaptive_maxpool, output_size: [16, 1]}\n", (2, 32), (2, 32)),
    # output 1 is global pooling: the whole input
    ("adaptive to 1", "- {type: conv, filters: 4, kernel: 3}\n- {type: adaptive_avgpool, output_size: 1}\n",
     (32, 32), (32, 32)),
    # squeeze-excitation: the channel weights see the whole input, so every rescaled output does; the grid
    # (jump 1) is the body's, not the broadcast 1x1 weights'
    ("squeeze-excitation", "- {type: conv, name: body, filters: 4, kernel: 3}\n- {type: global_avgpool}\n"
     "- {type: sigmoid, name: gate}\n- {type: multiply, inputs: [gate, body]}\n", (32, 32), (1, 1)),
]


@pytest.mark.parametrize("case", RF_CASES, ids=[c[0] for c in RF_CASES])
def test_receptive_field(case):
    _, layers, rf, jump = case
    numbers, closed = measure(layers)
    last = numbers["layers"][-1]
    assert (last["rf"], last["jump"]) == (rf, jump)
    assert tuple(closed.layers[-1].rf) == rf  # the closed form is a number here


def test_fractional_max_pooling_receptive_field():
    """32 -> 22 by fractional max pooling: regions of at most ceil(32/22) = 2 pixels, 32/22 = 16/11 apart
    on average; a 3x3 conv after it: 2 + (3-1)*16/11 = 54/11 (a mean, hence fractional)."""
    numbers, _ = measure("- {type: fractional_maxpool, output_size: 22}\n- {type: dwconv, kernel: 3}\n")
    pool, conv = numbers["layers"]
    assert (pool["rf"], pool["jump"]) == ((2, 2), (Fraction(16, 11), Fraction(16, 11)))
    assert conv["rf"] == (2 + 2 * Fraction(16, 11),) * 2 == (Fraction(54, 11),) * 2


@pytest.mark.parametrize("path,values", [
    ("multi_exit_cifar", {"width": 16, "classes": 100}),
    ("mobilenet_cifar", {"alpha": Fraction(1, 2), "delta": 2}),
    ("blocks/shortcut_projection", {"size": 17}),
])
def test_sides_agree_away_from_the_defaults(path, values):
    network = costmodel.load_network(shipped.path(path))
    metrics.evaluate(network, values, dtype="int8", device=DEVICE, exits=[network.layers[-1].spec.name],
                     fractions=[Fraction(1)])


def test_receptive_field_per_layer_and_symbolic_input():
    """Per layer, and the whole-input RF of a dense layer is the (symbolic) input size."""
    numbers, closed = measure("""\
        - {type: conv, filters: 4, kernel: 5, stride: 2}
        - {type: conv, filters: 4, kernel: 5}
        - {type: dense, units: 10}
        """, input_shape="[size, size, 3]", symbols="{size: {default: 32, integer: true}}")
    assert [r["rf"] for r in numbers["layers"]] == [(5, 5), (13, 13), (32, 32)]
    assert [r["whole_input"] for r in numbers["layers"]] == [False, False, True]
    size = sympy.Symbol("size")  # closed forms are given in plain symbols, as a user writes them
    assert closed.layers[-1].rf == (size, size)


# --- memory access cost (ShuffleNet v2, guideline G1) ------------------------------------------

def test_shufflenet_v2_1x1_formula():
    """A 1x1 conv without bias from c1 to c2 channels on h x w: MAC = h*w*(c1 + c2) + c1*c2."""
    network = costmodel.build(spec("- {type: pointwise, filters: c2, bias: false}\n", input_shape="[h, w, c1]",
                                   symbols="{h: {default: 8, integer: true}, w: {default: 8, integer: true}, c1: 16, c2: 32}"))
    m = metrics.Metrics(network).layers[0]
    h, w, c1, c2 = (network.symbols[n] for n in ("h", "w", "c1", "c2"))
    assert sympy.simplify(m.memory_access - (h * w * (c1 + c2) + c1 * c2)) == 0
    assert sympy.simplify(m.reads - (h * w * c1 + c1 * c2)) == 0 and sympy.simplify(m.writes - h * w * c2) == 0
    numbers = metrics.evaluate(network)
    assert numbers["layers"][0]["memory_access"] == 8 * 8 * (16 + 32) + 16 * 32


def test_equal_widths_minimise_memory_access_closed_form():
    """For fixed MACs B = h*w*c1*c2, MAC(c1) = h*w*(c1 + B/(h*w*c1)) + B/(h*w) is least at c1 = c2."""
    h, w, c1, b = sympy.symbols("h w c1 B", positive=True)
    c2 = b / (h * w * c1)
    cost = h * w * (c1 + c2) + c1 * c2
    stationary = sympy.solve(sympy.diff(cost, c1), c1)
    assert len(stationary) == 1
    best = stationary[0]
    assert sympy.simplify(best - c2.subs(c1, best)) == 0  # c1 = c2 there
    assert sympy.simplify(sympy.diff(cost, c1, 2).subs(c1, best)).is_positive  # a minimum
    # and the bound: MAC >= 2*sqrt(h*w*B) + B/(h*w)
    assert sympy.simplify(cost.subs(c1, best) - (2 * sympy.sqrt(h * w * b) + b / (h * w))) == 0


def test_equal_widths_minimise_memory_access_on_a_spec():
    """The same on a small spec: 1x1 convs on 8x8 with c1*c2 = 64*64 fixed (same MACs)."""
    layers = "- {type: pointwise, filters: c2, bias: false}\n"
    found = {}
    for c1, c2 in [(16, 256), (32, 128), (64, 64), (128, 32), (256, 16)]:
        numbers, _ = measure(layers, input_shape="[8, 8, c1]", symbols="{c1: 1, c2: 1}", values={"c1": c1, "c2": c2})
        found[(c1, c2)] = numbers["layers"][0]["memory_access"]
    assert found == {(16, 256): 8 * 8 * (16 + 256) + 16 * 256, (32, 128): 8 * 8 * (32 + 128) + 32 * 128,
                     (64, 64): 8 * 8 * (64 + 64) + 64 * 64, (128, 32): 8 * 8 * (128 + 32) + 128 * 32,
                     (256, 16): 8 * 8 * (256 + 16) + 256 * 16}
    assert min(found, key=found.get) == (64, 64)


def test_memory_access_counts_weights_and_statistics():
    # conv 3x3, 3 -> 8 with bias, then batch norm: reads inputs + weights (+ 4 values per channel)
    numbers, _ = measure("- {type: conv, filters: 8, kernel: 3}\n- {type: batchnorm}\n", input_shape="[4, 4, 3]")
    conv, bn = numbers["layers"]
    assert conv["memory_access"] == 4 * 4 * 3 + (3 * 3 * 3 * 8 + 8) + 4 * 4 * 8
    assert bn["memory_access"] == 4 * 4 * 8 + 4 * 8 + 4 * 4 * 8
    assert numbers["totals"]["memory_access"] == conv["memory_access"] + bn["memory_access"]


# --- peak activation memory --------------------------------------------------------------------

RESIDUAL = """\
    - {type: conv, name: c1, filters: c, kernel: 3, bias: false}
    - {type: conv, name: c2, filters: c, kernel: 3, bias: false}
    - {type: add, name: sum, inputs: [c1, c2]}
    - {type: pointwise, name: c3, filters: 4, bias: false}
    """


def test_peak_memory_residual_dag():
    """input 4x4x2 (32 floats); c1, c2, sum: 4x4xc; c3: 4x4x4 (64). At c = 8:
    step 1 (c1): input + c1 = 32 + 128; step 2 (c2): c1 (still needed by sum) + c2 = 128 + 128 (the input
    is freed after c1, its last reader); step 3 (sum): c1 + c2 + sum = 3*128; step 4 (c3): sum + c3 = 128 + 64."""
    numbers, closed = measure(RESIDUAL, input_shape="[4, 4, 2]", symbols="{c: 8}")
    assert [r["live"] for r in numbers["layers"]] == [32 + 128, 128 + 128, 3 * 128, 128 + 64]
    t = numbers["totals"]
    assert (t["peak_live"], t["peak_layer"]) == (3 * 128, "sum")
    assert t["peak_activation_bytes"] == 4 * 3 * 128
    # symbolic: Max(32 + 16c, 32c, 48c, 16c + 64); at c = 1 the last step peaks: 16 + 64 = 80
    c = closed.network.symbols["c"]
    positive = {c: sympy.Symbol("c", positive=True)}  # closed forms are in plain symbols: say c > 0 here
    assert sympy.simplify((closed.peak_live().doit() - sympy.Max(32 + 16 * c, 48 * c, 16 * c + 64))
                          .xreplace(positive)) == 0
    small, _ = measure(RESIDUAL, input_shape="[4, 4, 2]", symbols="{c: 8}", values={"c": 1})
    assert (small["totals"]["peak_live"], small["totals"]["peak_layer"]) == (16 + 64, "c3")


def test_peak_memory_of_squeeze_excitation():
    """body 8x8x4 (256 floats) is held while its channel weights (1x1x4) are computed, and the
    multiply writes a full 8x8x4: input 8x8x2 (128) + body is step 1; the multiply holds body, gate, out."""
    numbers, _ = measure("""\
        - {type: conv, name: body, filters: 4, kernel: 3}
        - {type: global_avgpool, name: pool}
        - {type: sigmoid, name: gate}
        - {type: multiply, name: mul, inputs: [body, gate]}
        """, input_shape="[8, 8, 2]")
    assert [r["live"] for r in numbers["layers"]] == [128 + 256, 256 + 4, 256 + 4 + 4, 256 + 4 + 256]
    assert numbers["totals"]["peak_live"] == 256 + 4 + 256
    assert numbers["layers"][-1]["writes"] == 8 * 8 * 4  # the broadcast output, not the 1x1 weights


def test_network_input_lives_until_its_last_reader():
    """x -> c1 -> c2 -> add(c2, x): the input (4*4*2 = 32) is held through the add."""
    numbers, _ = measure("""\
        - {type: conv, name: c1, filters: 2, kernel: 3}
        - {type: conv, name: c2, filters: 2, kernel: 3}
        - {type: add, inputs: [c2, input]}
        """, input_shape="[4, 4, 2]")
    assert [r["live"] for r in numbers["layers"]] == [32 + 32, 32 + 32 + 32, 32 + 32 + 32]


def test_peak_memory_of_a_chain_is_the_largest_pair():
    numbers, _ = measure("""\
        - {type: conv, filters: 16, kernel: 3}
        - {type: maxpool, kernel: 2}
        - {type: conv, filters: 32, kernel: 3}
        """, input_shape="[8, 8, 3]")
    pairs = [8 * 8 * 3 + 8 * 8 * 16, 8 * 8 * 16 + 4 * 4 * 16, 4 * 4 * 16 + 4 * 4 * 32]
    assert [r["live"] for r in numbers["layers"]] == pairs
    assert numbers["totals"]["peak_live"] == max(pairs) == 8 * 8 * 16 + 4 * 4 * 16
    assert numbers["totals"]["peak_layer"] == "maxpool1"


# --- storage per precision ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype,size", [("fp32", 4), ("fp16", 2), ("int8", 1)])
def test_storage_bytes(dtype, size):
    numbers, _ = measure("- {type: conv, filters: 8, kernel: 3}\n- {type: batchnorm}\n", input_shape="[4, 4, 3]",
                         dtype=dtype)
    conv, bn = numbers["layers"]
    assert conv["param_bytes"] == size * (3 * 3 * 3 * 8 + 8)
    assert bn["param_bytes"] == size * (2 * 8 + 2 * 8)  # gamma, beta + running mean, variance
    assert conv["activation_bytes"] == size * 4 * 4 * 8
    assert numbers["totals"]["param_bytes"] == size * (3 * 3 * 3 * 8 + 8 + 4 * 8)
    assert numbers["totals"]["activation_bytes"] == size * 2 * 4 * 4 * 8


# --- roofline ----------------------------------------------------------------------------------

DEVICE = metrics.Device("test", peak_macs_per_second=Fraction(10**9), memory_bandwidth=Fraction(10**8),
                        bytes_per_element=2)


def test_roofline():
    """conv 3x3 8 -> 8 on 8x8, no bias: 8*8*8*3*3*8 = 36,864 MACs -> 36.864 us of compute; memory
    access 8*8*8 + 3*3*8*8 + 8*8*8 = 1,600 floats * 2 bytes / 1e8 B/s = 32 us: compute-bound.
    relu: 2*512 floats * 2 bytes = 2,048 bytes -> 20.48 us, no MACs: memory-bound."""
    numbers, _ = measure("- {type: conv, filters: 8, kernel: 3, bias: false}\n- {type: relu}\n",
                         input_shape="[8, 8, 8]", device=DEVICE)
    conv, relu = numbers["layers"]
    assert conv["compute_time"] == Fraction(8 * 8 * 8 * 3 * 3 * 8, 10**9)
    assert conv["memory_time"] == Fraction((8 * 8 * 8 + 3 * 3 * 8 * 8 + 8 * 8 * 8) * 2, 10**8)
    assert (conv["latency"], conv["bound"]) == (conv["compute_time"], "compute")
    assert conv["intensity"] == Fraction(36864, 1600 * 2)
    assert (relu["latency"], relu["bound"]) == (Fraction(2 * 512 * 2, 10**8), "memory")
    t = numbers["totals"]
    assert t["latency"] == conv["latency"] + relu["latency"]
    assert (t["compute_bound_layers"], t["memory_bound_layers"]) == (1, 1)


def test_example_device_profile_loads():
    device = metrics.load_device(shipped.path("example_device", shipped.PROFILES))
    assert "illustrative" in device.name
    assert device.bytes_per_element == 2 and device.peak_macs_per_second == 10**11


@pytest.mark.parametrize("text,message", [
    ("- 1\n", "a device profile is a mapping"),
    ("peak_macs_per_second: 1\nbytes_per_element: 4\n", "memory_bandwidth_bytes_per_second"),
    ("peak_macs_per_second: 1e12\nmemory_bandwidth_bytes_per_second: 1\nbytes_per_element: 4\n", "write 1.0e+12"),
    ("peak_macs_per_second: -1\nmemory_bandwidth_bytes_per_second: 1\nbytes_per_element: 4\n", "must be positive"),
    ("peak_macs_per_second: 1\nmemory_bandwidth_bytes_per_second: 1\nbytes_per_element: 1.5\n", "whole number"),
    ("peak_macs: 1\n", "unknown key 'peak_macs'"),
    ("a: [\n", "not valid YAML"),
])
def test_device_profile_errors(tmp_path, text, message):
    path = tmp_path / "device.yaml"
    path.write_text(text)
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace("+", r"\+")) as e:
        metrics.load_device(path)
    assert e.value.file == str(path)


def test_device_float_is_read_as_written():
    device = metrics.device_from_dict({"peak_macs_per_second": 0.1, "memory_bandwidth_bytes_per_second": 2.5e+9,
                                       "bytes_per_element": 1})
    assert device.peak_macs_per_second == Fraction(1, 10) and device.memory_bandwidth == 2_500_000_000


# --- multi-exit ---------------------------------------------------------------------------------

THREE_EXITS = """\
    - {type: dense, name: trunk1, units: 4, bias: false}
    - {type: dense, name: exit1, units: 2, bias: false}
    - {type: dense, name: trunk2, units: 4, bias: false, input: trunk1}
    - {type: dense, name: exit2, units: 2, bias: false}
    - {type: dense, name: trunk3, units: 4, bias: false, input: trunk2}
    - {type: dense, name: exit3, units: 2, bias: false}
    """


def test_three_exit_costs():
    """input 1x1x8. MACs: trunk1 8*4 = 32, trunk2 and trunk3 4*4 = 16, each exit 4*2 = 8 (= params)."""
    numbers, closed = measure(THREE_EXITS, outputs=["exit1", "exit2", "exit3"], input_shape="[1, 1, 8]", exits=["exit1", "exit2", "exit3"],
                              fractions=[Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)])
    exits = {e["name"]: e for e in numbers["exits"]}
    assert [exits[n]["macs"] for n in ("exit1", "exit2", "exit3")] == [32 + 8, 32 + 16 + 8, 32 + 16 + 16 + 8]
    assert [exits[n]["layers"] for n in ("exit1", "exit2", "exit3")] == [2, 3, 4]
    # cumulative: each layer once; an input reaching exit3 also ran exit1's and exit2's heads
    assert [exits[n]["cumulative_macs"] for n in ("exit1", "exit2", "exit3")] == [40, 40 + 16 + 8, 64 + 16 + 8]
    assert [exits[n]["incremental_macs"] for n in ("exit1", "exit2", "exit3")] == [40, 16 + 8, 16 + 8]
    assert exits["exit3"]["cumulative_params"] == 32 + 8 + 16 + 8 + 16 + 8
    # half the inputs leave at exit1, a quarter at each of the others
    assert numbers["expected_macs"] == Fraction(1, 2) * 40 + Fraction(1, 4) * 64 + Fraction(1, 4) * 88
    assert closed.expected_macs(["exit1", "exit2", "exit3"], [Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)]) == 58


def test_exits_in_any_order_and_shared_layers():
    """Asking for exit3 first: its cost includes trunk1..3; exit1 then adds only its head (8)."""
    numbers, _ = measure(THREE_EXITS, outputs=["exit1", "exit2", "exit3"], input_shape="[1, 1, 8]", exits=["exit3", "exit1"])
    assert [e["incremental_macs"] for e in numbers["exits"]] == [32 + 16 + 16 + 8, 8]


@pytest.mark.parametrize("exits,fractions,message", [
    (["nope"], None, "exit 'nope' is not a layer"),
    (["exit1", "exit2"], [Fraction(1, 2)], "1 exit fractions for 2 exits"),
    (["exit1", "exit2"], [Fraction(1, 2), Fraction(1, 3)], "must sum to 1"),
])
def test_exit_errors(exits, fractions, message):
    with pytest.raises(SpecError, match=message):
        measure(THREE_EXITS, outputs=["exit1", "exit2", "exit3"], input_shape="[1, 1, 8]", exits=exits, fractions=fractions)


def test_multi_exit_cifar_spec():
    """The shipped three-exit spec: exit heads are the classifier pair of seed 003 (L86)."""
    network = costmodel.load_network(shipped.path("multi_exit_cifar"))
    text = (shipped.path("multi_exit_cifar")).read_text()
    assert "exit1, exit2, exit3" in text.splitlines()[0]
    numbers = metrics.evaluate(network, exits=["exit1", "exit2", "exit3"],
                               fractions=[Fraction(1, 2), Fraction(3, 10), Fraction(1, 5)])
    rows = {r["name"]: r for r in numbers["layers"]}
    # head of exit 1 on the 16x16x32 stem output: 3x3 s2 conv to 8x8x128, 1x1 128 -> 128
    macs = {row.name: row.macs for row in costmodel.analyze(network.spec).rows}
    assert macs["exit1_conv"] == 8 * 8 * 128 * 3 * 3 * 32 and macs["exit1_pw"] == 8 * 8 * 128 * 128
    assert rows["exit1"]["whole_input"] and rows["exit1"]["rf"] == (32, 32)
    # the stem: 3x3, separable 3x3, 1x1, dw 3x3 s2 -> RF 3 + 2 + 0 + 2 = 7, jump 2
    assert rows["stem4"]["rf"] == (7, 7) and rows["stem4"]["jump"] == (2, 2)
    cumulative = [e["cumulative_macs"] for e in numbers["exits"]]
    assert cumulative == sorted(cumulative) and numbers["exits"][-1]["cumulative_macs"] == sum(macs.values())
    assert numbers["expected_macs"] == sum(f * c for f, c in zip([Fraction(1, 2), Fraction(3, 10), Fraction(1, 5)],
                                                                  cumulative))


# --- the two sides are independent, and a disagreement is caught ---------------------------------

def test_reference_metrics_imports_no_symbolic_code():
    tree = ast.parse((ROOT / "costmodel" / "reference_metrics.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
    assert not imported & {"ops", "network", "symbolic", "metrics", "sympy"}


def test_compare_catches_a_disagreement():
    network = costmodel.build(spec("- {type: conv, filters: 4, kernel: 3}\n"))
    ours = metrics.numbers(metrics.Metrics(network), network.values())
    theirs = reference_metrics.compute(network.spec, network.values())
    metrics.compare(ours, theirs)
    theirs["layers"][0]["rf"] = (5, 5)
    with pytest.raises(CheckError, match="rf"):
        metrics.compare(ours, theirs)


# --- command line --------------------------------------------------------------------------------

def run(argv, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    status = main(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_json(capsys, monkeypatch):
    status, out, err = run(["metrics", "specs/multi_exit_cifar.yaml", "--exits", "exit1,exit2,exit3",
                            "--fractions", "0.5,0.3,0.2", "--device", "profiles/example_device.yaml",
                            "--dtype", "fp16", "--format", "json"], capsys, monkeypatch)
    assert status == 0 and err == ""
    data = json.loads(out)
    assert data["dtype"] == "fp16" and data["bytes_per_element"] == 2
    assert data["totals"]["memory_access"] == sum(r["memory_access"] for r in data["layers"])
    assert data["totals"]["param_bytes"] == sum(r["param_bytes"] for r in data["layers"])
    assert [e["name"] for e in data["exits"]] == ["exit1", "exit2", "exit3"]
    assert data["totals"]["latency"] == pytest.approx(sum(r["latency"] for r in data["layers"]))


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_cli_formats(fmt, capsys, monkeypatch):
    status, out, err = run(["metrics", "specs/blocks/shortcut_identity.yaml", "--format", fmt], capsys, monkeypatch)
    assert status == 0 and err == ""
    assert "conv1" in out
    if fmt != "csv":
        assert "peak activation memory: 602,112 floats" in out  # 56*56*64*3 at bn1: the input (the add reads it), conv1's and bn1's outputs


@pytest.mark.parametrize("argv,message", [
    (["--exits", "nope"], "exit 'nope' is not a layer"),
    (["--fractions", "1"], "--fractions needs --exits"),
    (["--exits", "conv1,relu", "--fractions", "0.5,0.6"], "must sum to 1"),
    (["--device", "no_such_profile.yaml"], "cannot read device profile"),
])
def test_cli_bad_input(argv, message, capsys, monkeypatch):
    status, out, err = run(["metrics", "specs/blocks/shortcut_identity.yaml", *argv], capsys, monkeypatch)
    assert status == 2 and message in err and "Traceback" not in err


# --- property: the two sides agree at any width and class count ------------------------------------


@settings(max_examples=15, deadline=None)
@given(width=st.integers(1, 96), classes=st.integers(1, 1000), dtype=st.sampled_from(["fp32", "fp16", "int8"]))
def test_multi_exit_sides_agree(width, classes, dtype):
    network = _multi_exit_network()
    result = metrics.evaluate(network, {"width": width, "classes": classes}, dtype=dtype, device=DEVICE,
                              exits=["exit1", "exit2", "exit3"], fractions=[Fraction(1, 3)] * 3)
    # exit1 = the stem's convolutions + its head: 3x3 s2 conv width -> 128 (16x16 -> 8x8), 1x1 128 -> 128,
    # dense 128 -> classes
    stem = {"stem1": 32 * 32 * width * 3 * 3 * 3, "stem2/dw": 32 * 32 * width * 3 * 3,
            "stem2/pw": 32 * 32 * width * width, "stem3": 32 * 32 * width * width, "stem4": 16 * 16 * width * 3 * 3}
    head = 8 * 8 * 128 * 3 * 3 * width + 8 * 8 * 128 * 128 + 128 * classes
    assert result["exits"][0]["macs"] == sum(stem.values()) + head


@functools.lru_cache(maxsize=1)
def _multi_exit_network():
    return costmodel.load_network(shipped.path("multi_exit_cifar"))
