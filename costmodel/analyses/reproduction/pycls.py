"""pycls's published complexity table, dev/model_complexity.json (facebookresearch/pycls, commit
5719de641657c251f807c20a1fcf8ef6f4b60144; the file was written on 2020-09-04, commit 3747e12, and
not changed since): "flops", "params" and "acts" of every model config in pycls's configs/ folder,
against ours under `--convention pycls` (costmodel/analyses/conventions.py) from the shipped specs.

pycls counts with `net.complexity`, at cfg.TRAIN.IM_SIZE (224 for the ResNets, ResNeXts and RegNets,
32 for CIFAR, each EfficientNet's own size) and MODEL.NUM_CLASSES (1000, CIFAR 10). Its "flops" are
multiply-adds (MACs plus one add per output of a bias); its "params" are trainable (batch norm 2C);
its "acts" are the output elements of every conv, linear and max-pool layer. The table was written
by the complexity code of 2020-09-04 (pycls/core/net.py complexity_conv2d, which counted a conv's
bias as w_out flops); today's pycls/models/blocks.py counts w_out*h*w (commit 9721320, "This bug
only affects flops from the bias term ... all CNNs in the model zoo are unaffected"): the only
convs with a bias here are squeeze-excitation's and the heads', on 1x1 maps, where both agree.

Which shipped spec builds each config (the pycls model it names, read from its source):
- configs/archive/cifar/{resnet,anynet}/R-56, R-110: specs/resnet_cifar.yaml (stem 3x3 16, three
  stages of basic blocks, 1x1 projection shortcuts); anynet/V-56: specs/vanilla_cifar.yaml (no
  shortcuts). pycls's resnet and anynet builders give the same network, and the table the same numbers.
- R-50/101/152-1x64d and X-50/101/152-32x4d (archive resnet and anynet, dds_baselines): pycls's
  bottleneck puts the stride on the 3x3 (RESNET.STRIDE_1X1: False; anynet's BottleneckTransform
  always), as torchvision's: specs/imagenet/resnet_bottleneck.yaml, presets resnet50/101/152 and
  resnext50_32x4d; X-101-32x4d and X-152-32x4d, which torchvision does not build, at the values
  d = (3, 4, 23, 3) and (3, 8, 36, 3), groups 32, width_per_group 4 (anynet: bottleneck multiplier
  0.5 of 256 = 128 channels in groups of 4, the same widths).
- dds_baselines/effnet/EN-B0 ... B5: specs/imagenet/efficientnet.yaml, presets efficientnet_b0 ... b5:
  pycls's configs list the widths and depths torchvision's multipliers give (stem, SE of a quarter of
  the block's input width, head 1x1 conv, linear with bias alike), at pycls's TRAIN.IM_SIZE, which is
  torchvision's crop size but for B2: 260, not 288.
- dds_baselines/regnetx, regnety: specs/imagenet/regnet_x.yaml, regnet_y.yaml, the presets of the
  same names (pycls's generate_regnet widths).

What the numbers say, in short: every one of the 195 numbers (65 configs x flops, params, acts) is exact.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from ... import load_network, shipped
from .. import conventions
from . import Entry

SOURCE = "pycls"

# dev/model_complexity.json at commit 5719de641657c251f807c20a1fcf8ef6f4b60144, as published:
# config file (under configs/) -> (flops, params, acts). Its "date-created" is 2020-09-04 08:40:12.
_CIFAR = {"R-110": (253149834, 1730714, 1060874), "R-56": (125747850, 855770, 544778)}
_R50, _R101 = (4089185256, 25557032, 11315688), (7801406440, 44549160, 16433640)
_X50, _X101 = (4230480872, 25028904, 14602216), (7969997800, 44177704, 21426152)
_ARCHIVE = {"R-101-1x64d": _R101, "R-50-1x64d": _R50, "X-101-32x4d": _X101, "X-50-32x4d": _X50}
PUBLISHED = {
    **{f"archive/cifar/anynet/{name}_nds_1gpu.yaml": value for name, value in _CIFAR.items()},
    "archive/cifar/anynet/V-56_nds_1gpu.yaml": (125485706, 853018, 532490),
    **{f"archive/cifar/resnet/{name}_nds_1gpu.yaml": value for name, value in _CIFAR.items()},
    **{f"archive/imagenet/{builder}/{name}_step_{gpus}gpu.yaml": value
       for builder in ("anynet", "resnet") for name, value in _ARCHIVE.items() for gpus in (1, 2, 8)},
    "dds_baselines/effnet/EN-B0_dds_8gpu.yaml": (385825092, 5288548, 6748036),
    "dds_baselines/effnet/EN-B1_dds_8gpu.yaml": (686817992, 7794184, 10884328),
    "dds_baselines/effnet/EN-B2_dds_8gpu.yaml": (993578282, 9109994, 13832834),
    "dds_baselines/effnet/EN-B3_dds_8gpu.yaml": (1827162472, 12233232, 23831296),
    "dds_baselines/effnet/EN-B4_dds_8gpu.yaml": (4393801064, 19341616, 49489032),
    "dds_baselines/effnet/EN-B5_dds_8gpu.yaml": (10266426072, 30389784, 98857400),
    "dds_baselines/regnetx/RegNetX-1.6GF_dds_8gpu.yaml": (1602850792, 9190136, 7933512),
    "dds_baselines/regnetx/RegNetX-12GF_dds_8gpu.yaml": (12086679016, 46106056, 21366568),
    "dds_baselines/regnetx/RegNetX-16GF_dds_8gpu.yaml": (15940756456, 54278536, 25515496),
    "dds_baselines/regnetx/RegNetX-200MF_dds_8gpu.yaml": (199040872, 2684792, 2164056),
    "dds_baselines/regnetx/RegNetX-3.2GF_dds_8gpu.yaml": (3176622952, 15296552, 11367432),
    "dds_baselines/regnetx/RegNetX-32GF_dds_8gpu.yaml": (31735930792, 107811560, 36302160),
    "dds_baselines/regnetx/RegNetX-4.0GF_dds_8gpu.yaml": (3964499816, 22118248, 12201608),
    "dds_baselines/regnetx/RegNetX-400MF_dds_8gpu.yaml": (397678568, 5157512, 3143272),
    "dds_baselines/regnetx/RegNetX-6.4GF_dds_8gpu.yaml": (6460292264, 26209256, 16369744),
    "dds_baselines/regnetx/RegNetX-600MF_dds_8gpu.yaml": (600891112, 6196040, 3975096),
    "dds_baselines/regnetx/RegNetX-8.0GF_dds_8gpu.yaml": (7995133416, 39572648, 14059688),
    "dds_baselines/regnetx/RegNetX-800MF_dds_8gpu.yaml": (799700712, 7259656, 5148744),
    "dds_baselines/regnety/RegNetY-1.6GF_dds_8gpu.yaml": (1612087326, 11202430, 8044814),
    "dds_baselines/regnety/RegNetY-12GF_dds_8gpu.yaml": (12092395504, 51822544, 21384496),
    "dds_baselines/regnety/RegNetY-16GF_dds_8gpu.yaml": (15911534044, 83590140, 23041228),
    "dds_baselines/regnety/RegNetY-200MF_dds_8gpu.yaml": (199519076, 3162996, 2168052),
    "dds_baselines/regnety/RegNetY-3.2GF_dds_8gpu.yaml": (3176496162, 19436338, 11263418),
    "dds_baselines/regnety/RegNetY-32GF_dds_8gpu.yaml": (32279583362, 145046770, 30261570),
    "dds_baselines/regnety/RegNetY-4.0GF_dds_8gpu.yaml": (3973301344, 20646656, 12287200),
    "dds_baselines/regnety/RegNetY-400MF_dds_8gpu.yaml": (401849056, 4344144, 3892496),
    "dds_baselines/regnety/RegNetY-6.4GF_dds_8gpu.yaml": (6355221876, 30583252, 16407188),
    "dds_baselines/regnety/RegNetY-600MF_dds_8gpu.yaml": (601227608, 6055160, 4334296),
    "dds_baselines/regnety/RegNetY-8.0GF_dds_8gpu.yaml": (7963074196, 39180068, 17968916),
    "dds_baselines/regnety/RegNetY-800MF_dds_8gpu.yaml": (797183328, 6263168, 5249888),
    "dds_baselines/resnet/R-101-1x64d_dds_8gpu.yaml": _R101,
    "dds_baselines/resnet/R-152-1x64d_dds_8gpu.yaml": (11513627624, 60192808, 22755816),
    "dds_baselines/resnet/R-50-1x64d_dds_8gpu.yaml": _R50,
    "dds_baselines/resnext/X-101-32x4d_dds_8gpu.yaml": _X101,
    "dds_baselines/resnext/X-152-32x4d_dds_8gpu.yaml": (11709514728, 59951400, 29855720),
    "dds_baselines/resnext/X-50-32x4d_dds_8gpu.yaml": _X50,
}
METRICS = ("flops", "params", "acts")  # the JSON's keys, in the order of the tuples above
OURS = {"flops": "ops", "params": "params", "acts": "acts"}  # conventions.totals' keys
LABELS = {"flops": "flops (multiply-adds)", "params": "params", "acts": "acts (conv, linear, max-pool outputs)"}

# The model a config names (its file name without the _<schedule>_<n>gpu.yaml tail) ->
# (shipped spec, preset, values over the preset's)
_RESNEXT = {"groups": 32, "width_per_group": 4}
MODELS = {
    "R-56": ("resnet_cifar", "R-56", {}),
    "R-110": ("resnet_cifar", "R-110", {}),
    "V-56": ("vanilla_cifar", "V-56", {}),
    "R-50-1x64d": ("imagenet/resnet_bottleneck", "resnet50", {}),
    "R-101-1x64d": ("imagenet/resnet_bottleneck", "resnet101", {}),
    "R-152-1x64d": ("imagenet/resnet_bottleneck", "resnet152", {}),
    "X-50-32x4d": ("imagenet/resnet_bottleneck", "resnext50_32x4d", {}),
    "X-101-32x4d": ("imagenet/resnet_bottleneck", None, {"d1": 3, "d2": 4, "d3": 23, "d4": 3, **_RESNEXT}),
    "X-152-32x4d": ("imagenet/resnet_bottleneck", None, {"d1": 3, "d2": 8, "d3": 36, "d4": 3, **_RESNEXT}),
    **{f"EN-B{i}": ("imagenet/efficientnet", f"efficientnet_b{i}", {}) for i in (0, 1, 3, 4, 5)},
    "EN-B2": ("imagenet/efficientnet", "efficientnet_b2", {"resolution": 260}),  # pycls's TRAIN.IM_SIZE
    **{name: ("imagenet/regnet_x", name, {}) for name in (
        "RegNetX-200MF", "RegNetX-400MF", "RegNetX-600MF", "RegNetX-800MF", "RegNetX-1.6GF", "RegNetX-3.2GF",
        "RegNetX-4.0GF", "RegNetX-6.4GF", "RegNetX-8.0GF", "RegNetX-12GF", "RegNetX-16GF", "RegNetX-32GF")},
    **{name: ("imagenet/regnet_y", name, {}) for name in (
        "RegNetY-200MF", "RegNetY-400MF", "RegNetY-600MF", "RegNetY-800MF", "RegNetY-1.6GF", "RegNetY-3.2GF",
        "RegNetY-4.0GF", "RegNetY-6.4GF", "RegNetY-8.0GF", "RegNetY-12GF", "RegNetY-16GF", "RegNetY-32GF")},
}


def model_of(config: str) -> str:
    """'dds_baselines/resnet/R-50-1x64d_dds_8gpu.yaml' -> 'R-50-1x64d'."""
    return config.rsplit("/", 1)[1].split("_")[0]


@lru_cache(maxsize=None)
def _network(spec: str):
    return load_network(shipped.path(spec))


@lru_cache(maxsize=None)
def ours(model: str) -> dict:
    """Our pycls-convention totals of a pycls model: {"ops", "params", "acts", ...}."""
    spec, preset, values = MODELS[model]
    return conventions.totals(_network(spec).evaluate(values, preset=preset), "pycls")


def entries() -> list[Entry]:
    result = []
    for config, published in PUBLISHED.items():
        folder = config.rsplit("/", 1)[0]
        totals = ours(model_of(config))
        for metric, value in zip(METRICS, published):
            result.append(Entry(f"{SOURCE} {folder}", f"configs/{config}, {LABELS[metric]}", str(value),
                                Fraction(totals[OURS[metric]])))
    return result
