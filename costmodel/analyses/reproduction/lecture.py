"""Lecture notes "Convolutional Networks", seed 002: the MobileNet v1, MobileNet v2 and ShuffleNet v2
tables and the cost figures of the AlexNet and VGG slides, against specs/imagenet/*.yaml.

Line numbers (L...) are those of ../shared/seeds/002_d452abc72b52ed1a.txt. Mult-Adds, MAdds and
ShuffleNet v2's "FLOPs" are our MACs; parameters are ours (trainable, including batch norm's
gamma and beta) unless a cell says otherwise. Counts are in millions as printed.

What the notes' numbers say, in short (each entry's reason has the arithmetic):
- MobileNet v1 Table 1 (L759-L780): every input size reproduces; the row at L776 says stride 2
  but the next row's input is as large as its own, so the stride is 1 (the notes contradict
  themselves; Keras agrees with stride 1).
- Table 2 (L788-L791): seven of eight shares reproduce to the printed digit; "Conv 3x3 1.19%"
  of Mult-Adds is 1.91% with its digits swapped (the printed column sums to 99.29%, not 100).
- MobileNet v2 comparison (L824-L829): v2's 300M MAdds reproduces; MobileNet v1's 575M is 1.1 %
  above the 568.74M that Table 1 of the same notes sums to; v2's 3.4M params is 3.50M counted with
  batch norm and 3.47M without; the 1.4 row is not reproduced with torchvision's widths. The
  ShuffleNet (1.5) and (x2) rows are ShuffleNet v1 figures, for which the notes give no layer table:
  left out.
- ShuffleNet v2 (L856-L857): every "# of Weights" cell and the 0.5x FLOPs reproduce; the paper's
  FLOPs for 1x, 1.5x and 2x are 0.75-1.3 % above our MACs, unexplained.
- AlexNet's 60M parameters and VGG-16's ~140M reproduce to the printed precision.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import sympy

from ... import load_network, reference, shipped
from . import Entry

SPECS = shipped.SPECS / "imagenet"
MILLION = 10**6
SOURCE = "002"


@lru_cache(maxsize=None)
def _network(name: str):
    return load_network(SPECS / f"{name}.yaml")


def evaluate(name: str, **values):
    """Our numbers for one configuration of a shipped ImageNet spec (checked against the reference)."""
    return _network(name).evaluate(values)


def input_shapes(result) -> dict:
    """Layer name -> the shape of its (first) input, for reading 'Input Size' columns."""
    net = result.network
    subs = {net.symbols[name]: sympy.Rational(v.numerator, v.denominator) for name, v in result.values.items()}
    shapes = {"input": tuple(int(side.xreplace(subs)) for side in net.input_shape)}
    inputs = {}
    for row in result.rows:
        inputs[row.name] = shapes[row.inputs[0]]
        shapes[row.name] = row.shape
    return inputs


def _m(value: int) -> str:
    return f"{value:,}"


# --- MobileNet v1, Table 1 (L756-L780): input size of every row ---------------------------------

# (line, Type / Stride as printed, the layer of ours, Input Size as printed: side, channels)
TABLE1 = [
    (759, "Conv / s2", "conv1", "224", "3"),
    (760, "Conv dw / s1", "ds1/dw", "112", "32"),
    (761, "Conv / s1", "ds1/pw", "112", "32"),
    (762, "Conv dw / s2", "ds2/dw", "112", "64"),
    (763, "Conv / s1", "ds2/pw", "56", "64"),
    (764, "Conv dw / s1", "ds3/dw", "56", "128"),
    (765, "Conv / s1", "ds3/pw", "56", "128"),
    (766, "Conv dw / s2", "ds4/dw", "56", "128"),
    (767, "Conv / s1", "ds4/pw", "28", "128"),
    (768, "Conv dw / s1", "ds5/dw", "28", "256"),
    (769, "Conv / s1", "ds5/pw", "28", "256"),
    (770, "Conv dw / s2", "ds6/dw", "28", "256"),
    (771, "Conv / s1", "ds6/pw", "14", "256"),
    (772, "5x Conv dw / s1 (first of 5)", "ds7.1/dw", "14", "512"),
    (773, "5x Conv / s1 (first of 5)", "ds7.1/pw", "14", "512"),
    (774, "Conv dw / s2", "ds8/dw", "14", "512"),
    (775, "Conv / s1", "ds8/pw", "7", "512"),
    (776, "Conv dw / s2 [sic]", "ds9/dw", "7", "1024"),
    (777, "Conv / s1", "ds9/pw", "7", "1024"),
    (778, "Avg Pool / s1", "pool", "7", "1024"),
    (779, "FC / s1", "fc", "1", "1024"),
    (780, "Softmax / s1", "softmax", "1", "1000"),
]


def _input_sizes(source: str, spec: str, table, what: str) -> list[Entry]:
    """One entry for the height and one for the channels of each printed row's input."""
    inputs = input_shapes(evaluate(spec))
    entries = []
    for line, label, layer, side, channels in table:
        h, w, c = inputs[layer]
        entries.append(Entry(source, f"L{line} {label}: {what}, height (= width {w})", side, h))
        entries.append(Entry(source, f"L{line} {label}: {what}, channels", channels, c))
    return entries


def _table1() -> list[Entry]:
    source = f"{SOURCE} MobileNet v1 Table 1"
    entries = _input_sizes(source, "mobilenet_v1", TABLE1, "input size")
    # The stride printed at L776: the row's input and the next row's are both 7x7x1024.
    entries.append(Entry(
        source, "L776 Conv dw / s2 at 7x7x1024: stride", "2", 1, inconsistent=True,
        reason="the next row (L777) takes a 7x7x1024 input, as this row does; stride 2 would give "
               "ceil(7/2) = 4x4. The downsampling to 7x7 is L774's; Keras' MobileNet uses stride 1 here, "
               "and Table 2's shares (below) only reproduce with stride 1"))
    return entries


# --- MobileNet v1, Table 2 (L785-L791): resource per layer type ---------------------------------

# our breakdown category -> (line, Type as printed, Mult-Adds, Parameters)
TABLE2 = {
    "conv 1x1": (788, "Conv 1x1", "94.86%", "74.59%"),
    "conv dw 3x3": (789, "Conv DW 3x3", "3.06%", "1.06%"),
    "conv 3x3": (790, "Conv 3x3", "1.19%", "0.02%"),
    "fully connected": (791, "Fully Connected", "0.18%", "24.33%"),
}


def _table2() -> list[Entry]:
    """Shares among the four layer types of the table, as Table 2 has them. Batch norm is not a row
    of Table 2 and has no MACs; its 21,888 gamma and beta are left out of the parameter shares,
    and so are the classifier's 1,000 biases: the printed Parameters column sums to 100.00 % over
    weights only (1,024,000 / 4,209,088 = 24.33 %; with the biases 24.35 %)."""
    result = evaluate("mobilenet_v1")
    groups = {g["category"]: g for g in result.breakdown()}
    classes = int(result.values["classes"])
    weights = {c: groups[c]["params"] - (classes if c == "fully connected" else 0) for c in TABLE2}
    macs = {c: groups[c]["macs"] for c in TABLE2}
    total_weights, total_macs = sum(weights.values()), sum(macs.values())
    if total_macs != result.totals.macs:
        raise AssertionError("Table 2's four layer types should hold every MAC of MobileNet v1")
    source = f"{SOURCE} MobileNet v1 Table 2"
    printed_sum = sum(Fraction(row[2].rstrip("%")) for row in TABLE2.values())
    entries = []
    for category, (line, label, mult_adds, parameters) in TABLE2.items():
        ours_macs = 100 * Fraction(macs[category], total_macs)
        reason = None
        if category == "conv 3x3":
            reason = (f"the first conv's 3*3*3*32*112*112 = {_m(macs[category])} MACs are "
                      f"{float(ours_macs):.3f} % of {_m(total_macs)}: 1.91 with its digits swapped. The printed "
                      f"Mult-Adds column sums to {float(printed_sum):.2f} %; with 1.91 it sums to 100.01 %")
        entries.append(Entry(source, f"L{line} {label}: Mult-Adds share", mult_adds, ours_macs,
                             reason=reason, inconsistent=reason is not None))
        entries.append(Entry(source, f"L{line} {label}: Parameters share (weights only)", parameters,
                             100 * Fraction(weights[category], total_weights)))
    return entries


# --- MobileNet v2 (L807-L818 and the comparison L823-L829) -------------------------------------

# (line, Operator as printed, the layer of ours, Input as printed: side, channels)
V2_TABLE = [
    (808, "conv2d", "conv1", "224", "3"),
    (809, "bottleneck t=1 c=16", "b1_dw", "112", "32"),
    (810, "bottleneck t=6 c=24", "b2/expand", "112", "16"),
    (811, "bottleneck t=6 c=32", "b3/expand", "56", "24"),
    (812, "bottleneck t=6 c=64", "b4/expand", "28", "32"),
    (813, "bottleneck t=6 c=96", "b5/expand", "14", "64"),
    (814, "bottleneck t=6 c=160", "b6/expand", "14", "96"),
    (815, "bottleneck t=6 c=320", "b7/expand", "7", "160"),
    (816, "conv2d 1x1", "conv_last", "7", "320"),
    (817, "avgpool 7x7", "pool", "7", "1280"),
    (818, "conv2d 1x1 (classifier)", "fc", "1", "1280"),
]


def _mobilenet_v2() -> list[Entry]:
    entries = _input_sizes(f"{SOURCE} MobileNet v2 table", "mobilenet_v2", V2_TABLE, "input")

    source = f"{SOURCE} MobileNet v2 comparison"
    v1 = evaluate("mobilenet_v1").totals
    v2 = evaluate("mobilenet_v2")
    v2_bn = sum(r.params for r in v2.rows if r.type == "batchnorm")
    wide = evaluate("mobilenet_v2", alpha="1.4").totals
    entries += [
        Entry(source, "L824 MobileNetV1: Params (M)", "4.2", Fraction(v1.params, MILLION)),
        Entry(source, "L824 MobileNetV1: MAdds (M)", "575", Fraction(v1.macs, MILLION),
              reason=f"Table 1 of the same notes sums to {_m(v1.macs)} MACs (conv 1x1 539,492,352 + "
                     "dw 17,385,984 + conv 3x3 10,838,016 + FC 1,024,000), Howard et al.'s 569M; the 575M "
                     "of Sandler et al.'s table is 6.3M (1.1 %) more, which no layer of Table 1 accounts for"),
        Entry(source, "L828 MobileNetV2: MAdds (M)", "300", Fraction(v2.totals.macs, MILLION)),
        Entry(source, "L828 MobileNetV2: Params (M)", "3.4", Fraction(v2.totals.params, MILLION),
              reason=f"we count batch norm's gamma and beta ({_m(v2_bn)}); without them "
                     f"{_m(v2.totals.params - v2_bn)}, which truncates to the printed 3.4 but rounds to 3.5"),
        Entry(source, "L829 MobileNetV2 (1.4): MAdds (M)", "585", Fraction(wide.macs, MILLION),
              reason="the notes give no layer widths at 1.4; with torchvision's (c*1.4 to multiples of 8, "
                     f"last conv 1792) we get {_m(wide.macs)}, 0.5 % fewer"),
        Entry(source, "L829 MobileNetV2 (1.4): Params (M)", "6.9", Fraction(wide.params, MILLION),
              reason="the notes give no layer widths at 1.4; with torchvision's (c*1.4 to multiples of 8, "
                     f"last conv 1792) we get {_m(wide.params)}; the printed 6.9M is "
                     f"{_m(69 * MILLION // 10 - wide.params)} more, and the notes do not say which layers hold it"),
    ]
    return entries


# --- ShuffleNet v2, Table 5 (L842-L857) ---------------------------------------------------------

# width -> (Stage2, Stage3, Stage4, Conv5 output channels, FLOPs, # of Weights), as printed L843-L857
SHUFFLENET_V2 = {
    "0.5x": (48, 96, 192, 1024, "41", "1.4"),
    "1x": (116, 232, 464, 1024, "146", "2.3"),
    "1.5x": (176, 352, 704, 1024, "299", "3.5"),
    "2x": (244, 488, 976, 2048, "591", "7.4"),
}
# (line, Layer as printed, our layer, Output size as printed)
SHUFFLENET_V2_SIZES = [
    (845, "Conv1", "conv1", "112"),
    (846, "MaxPool", "maxpool", "56"),
    (847, "Stage2 (stride 2)", "stage2.down/shuffle", "28"),
    (848, "Stage2 (stride 1, last of 3)", "stage2.3/shuffle", "28"),
    (849, "Stage3 (stride 2)", "stage3.down/shuffle", "14"),
    (850, "Stage3 (stride 1, last of 7)", "stage3.7/shuffle", "14"),
    (851, "Stage4 (stride 2)", "stage4.down/shuffle", "7"),
    (852, "Stage4 (stride 1, last of 3)", "stage4.3/shuffle", "7"),
    (853, "Conv5", "conv5", "7"),
    (854, "GlobalPool", "pool", "1"),
]


def shufflenet_v2(width: str):
    c2, c3, c4, c5, _, _ = SHUFFLENET_V2[width]
    return evaluate("shufflenet_v2", c2=c2, c3=c3, c4=c4, c5=c5)


def _shufflenet_v2() -> list[Entry]:
    source = f"{SOURCE} ShuffleNet v2 Table 5"
    entries = []
    rows = {r.name: r for r in shufflenet_v2("1x").rows}
    for line, label, layer, size in SHUFFLENET_V2_SIZES:
        entries.append(Entry(source, f"L{line} {label}: output size (1x)", size, rows[layer].shape[0]))
    outputs = {w: sum(r.floats_out for r in shufflenet_v2(w).rows if r.type == "batchnorm") for w in ("1x", "2x")}
    gaps = {w: int(row[4]) * MILLION - shufflenet_v2(w).totals.macs for w, row in SHUFFLENET_V2.items()}
    for width, (*_, flops, weights) in SHUFFLENET_V2.items():
        totals = shufflenet_v2(width).totals
        gap = gaps[width]
        entries.append(Entry(
            source, f"L856 FLOPs, {width} (M, read as multiply-adds; twice ours is far off)", flops,
            Fraction(totals.macs, MILLION),
            reason=f"the paper's figure is {_m(gap)} ({float(100 * Fraction(gap, totals.macs)):.2f} %) above our conv "
            "and FC MACs; no count of the element-wise layers we leave at zero explains all four widths "
            f"(batch norm alone outputs {_m(outputs['1x'])} values at 1x, more than the 1x gap of "
            f"{_m(gaps['1x'])}, but {_m(outputs['2x'])} at 2x, less than the 2x gap of {_m(gaps['2x'])})"))
        entries.append(Entry(source, f"L857 # of Weights, {width} (M)", weights, Fraction(totals.params, MILLION)))
    return entries


# --- AlexNet and VGG slides ---------------------------------------------------------------------

WEIGHT_LAYERS = ("conv", "dense")


def _classic() -> list[Entry]:
    alexnet = evaluate("alexnet")
    vgg = evaluate("vgg16")
    convs = [r for r in alexnet.rows if r.type == "conv"]
    kernels = [reference.evaluate(layer.args["kernel"][0], alexnet.values)
               for layer in _network("alexnet").spec.layers if layer.type == "conv"]
    entries = [
        Entry(f"{SOURCE} AlexNet", "L594 number of conv layers", "5", len(convs)),
        Entry(f"{SOURCE} AlexNet", "L595 parameters (M)", "60", Fraction(alexnet.totals.params, MILLION)),
        Entry(f"{SOURCE} ResNet slide", "L663 AlexNet, 8 layers (weight layers)", "8",
              sum(r.type in WEIGHT_LAYERS for r in alexnet.rows)),
        Entry(f"{SOURCE} VGG", "L617 column D: 16 weight layers", "16", sum(r.type in WEIGHT_LAYERS for r in vgg.rows)),
        Entry(f"{SOURCE} VGG", "L612 '~140M params' as tens of millions (two significant digits), VGG-16",
              "14", Fraction(vgg.totals.params, 10 * MILLION)),
    ]
    for i, (printed, side) in enumerate(zip(("11", "5", "3", "3", "3"), kernels), start=1):
        entries.append(Entry(f"{SOURCE} AlexNet", f"L594 conv{i} kernel size", printed, side))
    return entries


def entries() -> list[Entry]:
    return _table1() + _table2() + _mobilenet_v2() + _shufflenet_v2() + _classic()
