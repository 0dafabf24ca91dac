"""One peer counter, run as a user runs it: a fresh process builds the network in PyTorch and counts it.

    python benchmarks/peers.py TOOL SPEC [--set NAME=VALUE]... [--preset NAME]

TOOL is one of flopcounter (torch.utils.flop_counter.FlopCounterMode), ptflops, thop, fvcore,
torchinfo. The model is built from the spec by costmodel's torch bridge (the one `costmodel verify`
checks layer by layer against costmodel), so every tool counts the same network; the tool then
counts it as its README says to. Prints the tool's MAC (or FLOP) count and its parameter count.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TOOLS = ("flopcounter", "ptflops", "thop", "fvcore", "torchinfo")


def count(tool: str, model, x) -> tuple[int, int]:
    import torch
    if tool == "flopcounter":
        from torch.utils.flop_counter import FlopCounterMode
        with FlopCounterMode(display=False) as counter:
            model(x)
        return counter.get_total_flops() // 2, sum(p.numel() for p in model.parameters())
    if tool == "ptflops":
        from ptflops import get_model_complexity_info
        with contextlib.redirect_stdout(io.StringIO()):
            macs, params = get_model_complexity_info(model, tuple(x.shape[1:]), as_strings=False,
                                                     print_per_layer_stat=False)
        return int(macs), int(params)
    if tool == "thop":
        from thop import profile
        with contextlib.redirect_stdout(io.StringIO()):
            macs, params = profile(model, inputs=(x,), verbose=False)
        return int(macs), int(params)
    if tool == "fvcore":
        from fvcore.nn import FlopCountAnalysis, parameter_count
        analysis = FlopCountAnalysis(model, x)
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        return int(analysis.total()), int(parameter_count(model)[""])
    if tool == "torchinfo":
        from torchinfo import summary
        stats = summary(model, input_data=x, verbose=0)
        return int(stats.total_mult_adds), int(stats.total_params)
    raise SystemExit(f"unknown tool {tool!r}; expected one of {', '.join(TOOLS)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("tool", choices=TOOLS)
    parser.add_argument("spec")
    parser.add_argument("--set", dest="values", action="append", default=[])
    parser.add_argument("--preset")
    args = parser.parse_args()
    import torch
    torch.set_num_threads(1)  # a small model on a small shared machine: one thread is torch's fastest
    import costmodel
    from costmodel.bridges.torch_model import build_model, example_input, materialize

    evaluation = costmodel.analyze(args.spec, dict(v.split("=", 1) for v in args.values), preset=args.preset)
    spec, values = evaluation.spec, evaluation.values
    meta = args.tool in ("flopcounter", "thop")  # these read shapes only; the others need real tensors
    model = build_model(spec, values)
    if not meta:
        model = materialize(model)
    with torch.no_grad():
        macs, params = count(args.tool, model, example_input(spec, values, "meta" if meta else "cpu"))
    print(macs, params)


if __name__ == "__main__":
    main()
