"""specs/effnet/*.yaml against EffNet (Freeman, Roese-Koerner, Kummert 2018): Table 1's floats out,
Table 2's FLOPs, Table 5's FLOPs of the revised block, and the symbolic-vs-reference check."""

from fractions import Fraction

import pytest
import sympy

import costmodel
from costmodel import shipped
from costmodel.analyses import dataflow
from costmodel.analyses.reproduction import EXACT, NOT_REPRODUCED, PRINT_PRECISION, effnet as reproduction

SPECS = shipped.SPECS / "effnet"
COLUMNS = ("baseline", "mobilenet", "shufflenet", "effnet")

# Table 1, every cell: stage -> [(layer as printed, floats out as H*W*C)]. "+ mp" is a 2x2 max pooling
# and "+ stride" a stride of 2 (both halve each side), "1d" halves one side; convolutions keep the size.
# The paper's "Fully Connected" rows are our "fc 10" (the label names the units).
TABLE1 = {
    "baseline": {
        "stage1": [("3x3x64 + mp", 16*16*64)],
        "stage2": [("3x3x128 + mp", 8*8*128)],
        "stage3": [("3x3x256 + mp", 4*4*256)],
        "classifier": [("fc 10", 10)],
    },
    "mobilenet": {
        "stage1": [("3x3x64 + mp", 16*16*64)],
        "stage2": [("dw 3x3 + stride", 8*8*64), ("1x1x128", 8*8*128)],
        "stage3": [("dw 3x3 + stride", 4*4*128), ("1x1x256", 4*4*256)],
        "classifier": [("fc 10", 10)],
    },
    "shufflenet": {
        "stage1": [("3x3x64 + mp", 16*16*64)],
        "stage2": [("gc4 1x1x32", 16*16*32), ("dw 3x3 + stride", 8*8*32), ("gc4 1x1x128", 8*8*128)],
        "stage3": [("gc4 1x1x64", 8*8*64), ("dw 3x3 + stride", 4*4*64), ("gc4 1x1x256", 4*4*256)],
        "classifier": [("fc 10", 10)],
    },
    "effnet": {
        "stage1": [("1x1x32", 32*32*32), ("dw 1x3 + 1d mp", 32*16*32), ("dw 3x1", 32*16*32),
                   ("2x1x64 + 1d stride", 16*16*64)],
        "stage2": [("1x1x64", 16*16*64), ("dw 1x3 + 1d mp", 16*8*64), ("dw 3x1", 16*8*64),
                   ("2x1x128 + 1d stride", 8*8*128)],
        "stage3": [("1x1x128", 8*8*128), ("dw 1x3 + 1d mp", 8*4*128), ("dw 3x1", 8*4*128),
                   ("2x1x256 + 1d stride", 4*4*256)],
        "classifier": [("fc 10", 10)],
    },
}
# The numbers as the paper prints them, column by column, top to bottom (Table 1 of seed 000).
PRINTED = {
    "baseline": [16384, 8192, 4096, 10],
    "mobilenet": [16384, 4096, 8192, 2048, 4096, 10],
    "shufflenet": [16384, 8192, 2048, 8192, 4096, 1024, 4096, 10],
    "effnet": [32768, 16384, 16384, 16384, 16384, 8192, 8192, 8192, 8192, 4096, 4096, 4096, 10],
}


def evaluate(spec, **values):
    return costmodel.analyze(SPECS / f"{spec}.yaml", values)


@pytest.mark.parametrize("spec", COLUMNS)
def test_table1_column(spec):
    groups = dataflow.network_groups(evaluate(spec))
    ours = {stage: [(line.label, line.floats_out) for line in lines] for _, stage, lines in groups}
    assert ours == TABLE1[spec]
    assert [floats for lines in ours.values() for _, floats in lines] == PRINTED[spec]


def test_table1_side_by_side():
    flow = dataflow.build([evaluate(spec) for spec in COLUMNS])
    assert [row.stage for row in flow.rows] == ["stage1", "stage2", "stage3", "classifier"]
    assert [row.height for row in flow.rows] == [4, 4, 4, 1]     # EffNet's four layers per block
    # Compression factors >= 4 (red in the paper; the colour is lost in our text of it): the strided
    # depthwise convolutions (16*16*64 / (8*8*64) = 4 ...) and every classifier (4*4*256 / 10).
    flagged = {(e.network.spec.name, line.label, line.compression)
               for row in flow.rows for e, lines in zip(flow.evaluations, row.cells)
               for line in lines if flow.flagged(line)}
    assert flagged == {
        ("effnet_mobilenet", "dw 3x3 + stride", Fraction(16*16*64, 8*8*64)),
        ("effnet_mobilenet", "dw 3x3 + stride", Fraction(8*8*128, 4*4*128)),
        ("effnet_shufflenet", "dw 3x3 + stride", Fraction(16*16*32, 8*8*32)),
        ("effnet_shufflenet", "dw 3x3 + stride", Fraction(8*8*64, 4*4*64)),
        *{(name, "fc 10", Fraction(4*4*256, 10)) for name in
          ("effnet_baseline", "effnet_mobilenet", "effnet_shufflenet", "effnet")},
    }


def test_floats_out_do_not_depend_on_batch_norm_or_activations():
    """The specs' choice of batch norm and ReLU (the paper is vague) changes no floats out: each such
    layer keeps the shape of the layer before it, so a Table 1 row's floats out stay the same."""
    for spec in COLUMNS + ("effnet_v2", "mobilenet_v2"):
        rows = evaluate(spec).rows
        for before, row in zip(rows, rows[1:]):
            if row.type in ("batchnorm", "relu", "relu6", "leaky_relu", "shuffle"):
                assert row.shape == before.shape and row.macs == 0


# Table 2, "Mil. FLOPs": our MACs per layer, written out (H_out*W_out*C_out*kh*kw*C_in/groups).
FIRST = 32*32*64*3*3*3                      # the baseline's 3x3x64 at 32x32 (before its pooling)
FC = 4*4*256*10                             # the classifier on the flattened 4x4x256 map
MACS = {
    "baseline": FIRST + 16*16*128*3*3*64 + 8*8*256*3*3*128 + FC,
    "mobilenet": FIRST + 8*8*64*3*3 + 8*8*128*64 + 4*4*128*3*3 + 4*4*256*128 + FC,
    "shufflenet": (FIRST + 16*16*32*64 // 4 + 8*8*32*3*3 + 8*8*128*32 // 4
                   + 8*8*64*128 // 4 + 4*4*64*3*3 + 4*4*256*64 // 4 + FC),
    "effnet": (32*32*32*3 + 32*32*32*3 + 32*16*32*3 + 16*16*64*2*32          # block 1
               + 16*16*64*64 + 16*16*64*3 + 16*8*64*3 + 8*8*128*2*64         # block 2
               + 8*8*128*128 + 8*8*128*3 + 8*4*128*3 + 4*4*256*2*128         # block 3
               + FC),
}
TABLE2_FLOPS = {"baseline": 80.3, "mobilenet": 5.8, "shufflenet": 4.7, "effnet": 11.4}
# FLOPs = 2 x MACs fits all four networks within 6 %: the largest gap is ShuffleNet's, ours 4.46 M
# against the printed 4.7 (5.1 % below); Baseline is 1.5 % below, EffNet 1.0 % below, MobileNet
# within print precision. The paper does not say how it counted (costmodel/analyses/reproduction/effnet.py
# has the arithmetic of what does not explain the gaps), so this checks the convention, not the
# digits: FLOPs = MACs would be about 50 % below for every network.
TOLERANCE = 0.06


@pytest.mark.parametrize("spec", COLUMNS)
def test_table2_flops_are_two_macs(spec):
    totals = evaluate(spec).totals
    assert totals.macs == MACS[spec]
    published = TABLE2_FLOPS[spec] * 10**6
    assert abs(2 * totals.macs - published) <= TOLERANCE * published
    assert abs(totals.macs - published) > 0.4 * published     # MACs alone do not fit


def test_table2_what_we_get():
    """Our figures in the paper's unit (millions of FLOPs, 2 x MACs), as the reproduction reasons quote
    them, and how far each is from the printed value."""
    ours = {spec: f"{2 * MACS[spec] / 10**6:.2f}" for spec in COLUMNS}
    assert ours == {"baseline": "79.12", "mobilenet": "5.83", "shufflenet": "4.46", "effnet": "11.28"}
    gaps = {spec: f"{(2 * MACS[spec] / 10**6 - TABLE2_FLOPS[spec]) / TABLE2_FLOPS[spec]:+.1%}" for spec in COLUMNS}
    assert gaps == {"baseline": "-1.5%", "mobilenet": "+0.5%", "shufflenet": "-5.1%", "effnet": "-1.0%"}
    # "~7 times less FLOPs than the baseline" (Sect. 5.1): ours 79.12 / 11.28 = 7.01
    assert 7 <= MACS["baseline"] / MACS["effnet"] < 7.1


def test_table5_effnet_v2_macs_closed_form():
    """Sect. 6.2's block as a polynomial in the expansion rate t (resolution 32, 10 classes):
    block 64 -> 128 at 16x16: 1x1 to 32t, dw 1x3 x2 (64t), pool to 16x8, dw 3x1, pool to 8x8, 1x1 to 128;
    block 128 -> 256 at 8x8: 1x1 to 64t, dw 1x3 x2 (128t), pool to 8x4, dw 3x1, pool to 4x4, 1x1 to 256."""
    net = costmodel.load_network(SPECS / "effnet_v2.yaml")
    t, r, k = (net.symbols[n] for n in ("expansion", "resolution", "classes"))
    block2 = 16*16*32*64 * t + 16*16*64*3 * t + 16*8*64*3 * t + 8*8*128*64 * t
    block3 = 8*8*64*128 * t + 8*8*128*3 * t + 8*4*128*3 * t + 4*4*256*128 * t
    expected = FIRST + block2 + block3 + FC
    got = net.total("macs").subs({r: 32, k: 10})
    assert sympy.simplify(got - expected) == 0


@pytest.mark.parametrize("rate, effnet_flops, mobilenet_v2_flops", [(6, 30.0, 42.0), (4, 21.2, 29.2), (2, 12.4, 16.4)])
def test_table5_flops(rate, effnet_flops, mobilenet_v2_flops):
    t = rate
    effnet_v2 = FIRST + (16*16*32*64 + 16*16*64*3 + 16*8*64*3 + 8*8*128*64) * t \
        + (8*8*64*128 + 8*8*128*3 + 8*4*128*3 + 4*4*256*128) * t + FC
    mobilenet_v2 = FIRST + (16*16*64*64 * t + 8*8*64*t*3*3 + 8*8*128*64 * t) \
        + (8*8*128*128 * t + 4*4*128*t*3*3 + 4*4*256*128 * t) + FC
    assert evaluate("effnet_v2", expansion=rate).totals.macs == effnet_v2
    assert evaluate("mobilenet_v2", expansion=rate).totals.macs == mobilenet_v2
    # MobileNet v2 within print precision (0.05 M) of 2 x MACs; EffNet v2 0.05 to 0.11 M above
    # (costmodel/analyses/reproduction/effnet.py gives the reason).
    assert abs(2 * mobilenet_v2 / 10**6 - mobilenet_v2_flops) < 0.05
    assert 0 < 2 * effnet_v2 / 10**6 - effnet_flops < 0.12


def test_effnet_v2_block_shapes():
    rows = {r.name: r for r in evaluate("effnet_v2", expansion=6).rows}
    assert rows["block2/pw1"].shape == (16, 16, 64*6 // 2)          # floor(C_in * expansion / 2)
    assert rows["block2/dw1"].shape == (16, 16, 2 * 64*6 // 2)      # depth multiplier 2
    assert rows["block2/pool1"].shape == (16, 8, 2 * 64*6 // 2)
    assert rows["block2/pool2"].shape == (8, 8, 2 * 64*6 // 2)      # second 1-D pool after dw 3x1
    assert rows["block2/pw2"].shape == (8, 8, 128)
    assert rows["block2/pw2_lrelu"].type == "leaky_relu"
    assert rows["block3/pw1"].shape == (8, 8, 128*6 // 2)


ALL_SPECS = COLUMNS + ("effnet_v2", "mobilenet_v2")
VALUES = [{}, {"resolution": 48, "classes": 43}, {"resolution": 40, "classes": 100}, {"resolution": 36}]


@pytest.mark.parametrize("spec", ALL_SPECS)
@pytest.mark.parametrize("values", VALUES, ids=lambda v: ",".join(f"{k}={x}" for k, x in v.items()) or "defaults")
def test_symbolic_agrees_with_reference(spec, values):
    """costmodel.analyze substitutes the closed forms and compares them, field by field, with the
    independent reference propagator (a CheckError otherwise)."""
    net = costmodel.load_network(SPECS / f"{spec}.yaml")
    rates = [{"expansion": t} for t in (2, 3, 6)] if "expansion" in net.spec.symbols else [{}]
    for rate in rates:
        result = net.evaluate({**values, **rate})
        assert result.totals.macs == sum(r.macs for r in result.rows)


def test_reproduction_entries():
    entries = reproduction.entries()
    table1 = [e for e in entries if e.source.endswith("Table 1")]
    assert len(table1) == sum(len(v) for v in PRINTED.values()) == 31
    assert all(e.verdict == EXACT for e in table1)
    assert all(e.verdict is not None for e in entries)
    verdicts = {e.cell: e.verdict for e in entries if not e.source.endswith("Table 1")}
    assert verdicts["MobileNet, Mil. FLOPs (2 x MACs)"] == PRINT_PRECISION
    assert verdicts["ShuffleNet, Mil. FLOPs (2 x MACs)"] == NOT_REPRODUCED
    assert verdicts["CIFAR-10, ex. rate 6, EffNet, Mil. Flops (2 x MACs)"] == NOT_REPRODUCED
