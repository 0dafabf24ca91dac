"""The PyTorch baseline: MobileNet-CIFAR (Chen & Su's Table 1, as specs/mobilenet_cifar.yaml) built
by hand in torch and counted with torch.utils.flop_counter.FlopCounterMode on one forward pass.

    python benchmarks/torch_counter.py [--alpha 1] [--delta 1] [--classes 10] [--repeat N]

Prints the MAC count (FlopCounterMode counts 2 FLOPs per multiply-accumulate) and, with
--repeat N, the seconds per configuration (build + count) in this warm process.
"""

from __future__ import annotations

import argparse
import math
import time

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

# (output channels before alpha, stride) of the 13 depthwise-separable units
UNITS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]


# One intra-op thread: the model is tiny, and on a small shared machine torch's default thread pool
# only contends (measured here: 1.9 s per configuration with the default pool, 0.12 s with one
# thread). The benchmark gives torch its fastest setting.
torch.set_num_threads(1)


def mobilenet_cifar(alpha: float, delta: int, classes: int) -> nn.Module:
    """Keras-style channels int(c * alpha); 'same' padding (1 for a 3x3 kernel on even sizes)."""
    c = math.floor(32 * alpha)
    layers = [nn.Conv2d(3, c, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
    for out, stride in UNITS:
        wide, nxt = c * delta, math.floor(out * alpha)
        layers += [nn.Conv2d(c, wide, 3, stride=stride, padding=1, groups=c, bias=False), nn.BatchNorm2d(wide), nn.ReLU(),
                   nn.Conv2d(wide, nxt, 1, bias=False), nn.BatchNorm2d(nxt), nn.ReLU()]
        c = nxt
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.1), nn.Linear(c, classes), nn.Softmax(dim=1)]
    return nn.Sequential(*layers).eval()


def count_macs(alpha: float, delta: int, classes: int) -> int:
    model = mobilenet_cifar(alpha, delta, classes)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, 3, 32, 32))
    return counter.get_total_flops() // 2


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--alpha", type=float, default=1.0)
    p.add_argument("--delta", type=int, default=1)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--repeat", type=int, default=0)
    args = p.parse_args()
    print(count_macs(args.alpha, args.delta, args.classes))
    if args.repeat:
        started = time.perf_counter()
        for i in range(args.repeat):
            count_macs(0.25 + 0.75 * i / max(1, args.repeat - 1), 1 + i % 4, args.classes)
        print((time.perf_counter() - started) / args.repeat)


if __name__ == "__main__":
    main()
