"""Freeman, Roese-Koerner, Kummert, "EffNet" (2018), seed 000: Table 1 (floats out per layer) and
Table 2 (Mil. FLOPs and their factor against the baseline), against specs/effnet/*.yaml, plus
Table 5's FLOPs of the revised EffNet and of MobileNet v2 (specs/effnet/effnet_v2.yaml,
mobilenet_v2.yaml) at expansion rates 6, 4, 2.

Table 1's floats out come from `costmodel.analyses.dataflow` (a row is a layer with MACs and the cost-free
layers after it, e.g. "3x3x64 + mp"), so each entry also checks that our row carries the paper's
label. Table 2's "Mil. FLOPs" are 2 x MACs in millions: read as MACs every network would be off by
half. Left out: the accuracy columns (not costs) and "EffNet large" (its widths are not given).

What the numbers say, in short:
- Table 1: all 31 floats out exact.
- Table 2: MobileNet within print precision; Baseline, ShuffleNet and EffNet 1.0 to 5.1 % below the
  printed FLOPs, with no layer list that fits Table 1 and the printed value both (reasons below).
  The factors all round to the printed ones.
- Table 5: five of the six FLOPs within print precision; EffNet at expansion 6 is 0.11 M above.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from ... import analyze, shipped
from ..dataflow import network_groups
from . import Entry

SPECS = shipped.SPECS / "effnet"
MILLION = 10**6
SOURCE = "000"

# Table 1, column by column, exactly as printed: stage -> [(layer, floats out)].
TABLE1 = {
    "Baseline": ("baseline", {
        "stage1": [("3x3x64 + mp", "16384")],
        "stage2": [("3x3x128 + mp", "8192")],
        "stage3": [("3x3x256 + mp", "4096")],
        "classifier": [("Fully Connected", "10")]}),
    "MobileNet": ("mobilenet", {
        "stage1": [("3x3x64 + mp", "16384")],
        "stage2": [("dw 3x3 + stride", "4096"), ("1x1x128", "8192")],
        "stage3": [("dw 3x3 + stride", "2048"), ("1x1x256", "4096")],
        "classifier": [("Fully Connected", "10")]}),
    "ShuffleNet": ("shufflenet", {
        "stage1": [("3x3x64 + mp", "16384")],
        "stage2": [("gc4 1x1x32", "8192"), ("dw 3x3 + stride", "2048"), ("gc4 1x1x128", "8192")],
        "stage3": [("gc4 1x1x64", "4096"), ("dw 3x3 + stride", "1024"), ("gc4 1x1x256", "4096")],
        "classifier": [("Fully Connected", "10")]}),
    "EffNet": ("effnet", {
        "stage1": [("1x1x32", "32768"), ("dw 1x3 + 1d mp", "16384"), ("dw 3x1", "16384"),
                   ("2x1x64 + 1d stride", "16384")],
        "stage2": [("1x1x64", "16384"), ("dw 1x3 + 1d mp", "8192"), ("dw 3x1", "8192"),
                   ("2x1x128 + 1d stride", "8192")],
        "stage3": [("1x1x128", "8192"), ("dw 1x3 + 1d mp", "4096"), ("dw 3x1", "4096"),
                   ("2x1x256 + 1d stride", "4096")],
        "classifier": [("Fully Connected", "10")]}),
}

# Table 2: network -> (spec, Mil. FLOPs, Factor), as printed.
TABLE2 = {"Baseline": ("baseline", "80.3", "1.00"), "MobileNet": ("mobilenet", "5.8", "0.07"),
          "ShuffleNet": ("shufflenet", "4.7", "0.06"), "EffNet (ours)": ("effnet", "11.4", "0.14")}

# Table 5 (CIFAR-10): (network, expansion rate) -> (spec, Mil. Flops), as printed.
TABLE5 = {("EffNet", 6): ("effnet_v2", "30.0"), ("MobileNet v2", 6): ("mobilenet_v2", "42.0"),
          ("EffNet", 4): ("effnet_v2", "21.2"), ("MobileNet v2", 4): ("mobilenet_v2", "29.2"),
          ("EffNet", 2): ("effnet_v2", "12.4"), ("MobileNet v2", 2): ("mobilenet_v2", "16.4")}

TABLE2_REASONS = {
    "Baseline": ("Table 1's layers give 2 x 39,559,168 MACs = 79.12 M FLOPs (3x3 convs of 64/128/256 at "
                 "32/16/8 px: 1,769,472 + 18,874,368 + 18,874,368 MACs, fc 40,960), 1.5 % below the printed "
                 "80.3. Bias adds and pooling comparisons (as TensorFlow's profiler counts them: 114,698 + "
                 "114,688) add only 0.23 M; the paper does not say how it counted"),
    "ShuffleNet": ("Table 1's layers give 2 x 2,231,296 MACs = 4.46 M FLOPs (grouped 1x1s at C_in*C_out/4), "
                   "5.1 % below the printed 4.7. An ungrouped first 1x1 would give 5.25 M; a shortcut branch "
                   "is ruled out by Table 1's 'gc4 1x1x128' (8*8*128 = 8192 floats out)"),
    "EffNet (ours)": ("Table 1's layers give 2 x 5,640,192 MACs = 11.28 M FLOPs, 1.0 % below the printed "
                      "11.4. A depth multiplier of 2 (Sect. 3) would cost more, but Table 1's floats out rule "
                      "it out; the paper does not say how it counted"),
}
TABLE5_REASONS = {
    ("EffNet", 6): ("2 x 15,056,896 MACs = 30.11 M: first 1x1 floor(C_in*6/2), depth multiplier 2 on the "
                    "dw 1x3, 1-D pools after both depthwise convs (Sect. 6.2); 0.11 M above the printed 30.0. "
                    "Expansion 4 and 2 fall within print precision (21.28, 12.45); the 40,960-MAC classifier "
                    "(0.08 M FLOPs) is about the gap, but MobileNet v2 needs it to match"),
}


@lru_cache(maxsize=None)
def evaluation(spec: str, **values):
    return analyze(SPECS / f"{spec}.yaml", values)


def table1_ours(spec: str) -> dict:
    """Our Table 1 column: stage -> [(label, floats out)]."""
    return {stage: [(line.label, line.floats_out) for line in lines]
            for _, stage, lines in network_groups(evaluation(spec))}


def _paper_label(label: str) -> str:
    return "Fully Connected" if label.startswith("fc ") else label


def table1_entries() -> list[Entry]:
    result = []
    for network, (spec, stages) in TABLE1.items():
        ours = table1_ours(spec)
        for stage, printed in stages.items():
            for index, (layer, floats) in enumerate(printed):
                label, value = ours[stage][index] if index < len(ours[stage]) else ("(none)", 0)
                reason = None if _paper_label(label) == layer else f"our row there is {label!r}"
                result.append(Entry(f"{SOURCE} Table 1", f"{network}, {stage}, {layer}, floats out",
                                    floats, Fraction(value), reason=reason))
    return result


def table2_entries() -> list[Entry]:
    result = []
    baseline_flops = evaluation("baseline").totals.flops
    for network, (spec, flops, factor) in TABLE2.items():
        ours = evaluation(spec).totals.flops
        result.append(Entry(f"{SOURCE} Table 2", f"{network}, Mil. FLOPs (2 x MACs)", flops,
                            Fraction(ours, MILLION), reason=TABLE2_REASONS.get(network)))
        result.append(Entry(f"{SOURCE} Table 2", f"{network}, Factor (FLOPs / baseline FLOPs)", factor,
                            Fraction(ours, baseline_flops)))
    return result


def table5_entries() -> list[Entry]:
    result = []
    for (network, rate), (spec, flops) in TABLE5.items():
        ours = evaluation(spec, expansion=rate).totals.flops
        result.append(Entry(f"{SOURCE} Table 5", f"CIFAR-10, ex. rate {rate}, {network}, Mil. Flops (2 x MACs)",
                            flops, Fraction(ours, MILLION), reason=TABLE5_REASONS.get((network, rate))))
    return result


def entries() -> list[Entry]:
    return table1_entries() + table2_entries() + table5_entries()
