"""costmodel's speed on this machine, against PyTorch's flop counter where torch is installed.

    python benchmarks/run.py [--runs 5] [--quick] [--peers-only | --sweep-only | --symbolic-only | --scale-only |
                             --memory-only]

0. cold process, against every peer: `costmodel report SPEC --format json` (a fresh Python each
   time; once with the spec's closed-form text in the cache, once without) against each peer counter
   run as a user runs it (benchmarks/peers.py: a fresh process builds the network in PyTorch and
   counts it with FlopCounterMode, ptflops, thop, fvcore or torchinfo), alternating, per network;
   the ratio is the fastest peer's median over costmodel's (target >= 10x);
1. cold process: `costmodel report specs/mobilenet_cifar.yaml` (a fresh Python each time) against
   benchmarks/torch_counter.py, which builds the same MobileNet-CIFAR in torch and counts it with
   torch.utils.flop_counter.FlopCounterMode (the MAC counts are checked equal first); then the
   library API's warm throughput (checked configurations per second, target >= 10,000, and its
   ratio to the torch counter building and counting one model per configuration);
2. analysis time of generated deep specs of 100, 1,000 and 10,000 layers (load, symbolic build,
   evaluation checked against the reference propagator), and the growth ratio per 10x layers;
   cold `costmodel report SPEC --symbolic` of the largest shipped specs, the first time and with
   the spec seen before (target <= 3 s); the peak memory of a cold report (table, JSON and
   `--symbolic`) of every shipped spec and preset, the largest against the 100 MiB target;
3. sweep throughput on MobileNet-CIFAR (configurations per second, compiled closed forms) against
   the torch counter's (one model built and counted per configuration, warm process);
4. `costmodel sweep` end to end (a fresh process, start to file written) over 1,000 x 1,000
   MobileNet-CIFAR configurations to CSV and to JSON Lines, the spec seen before (its compiled
   closed forms in the cache) and the first time, with the child's peak memory; and the peak
   memory of a 10,000,000-configuration sweep (streamed: it must not grow with the grid).

Both wall-clock and CPU seconds (user + system) are printed: the machine may be shared, and
CPU time is less disturbed by other processes. Medians over --runs.
Targets: report cold >= 5x faster than the torch counter; sweeps >= 1e6 configurations/s (end to
end, to CSV and to JSON Lines), <= 500 MiB whatever the grid; 10,000 layers in < 10 s, growing linearly.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "costmodel" / "specs" / "mobilenet_cifar.yaml"  # the package's own copy
TORCH_SCRIPT = ROOT / "benchmarks" / "torch_counter.py"
PEERS_SCRIPT = ROOT / "benchmarks" / "peers.py"
# (label, spec, extra arguments); networks of the zoo join as their specs ship
NETWORKS = [("MobileNet-CIFAR", "mobilenet_cifar", []), ("ResNet-50", "imagenet/resnet_bottleneck", ["--preset", "resnet50"]),
            ("MobileNetV2", "imagenet/mobilenet_v2", []),
            ("EfficientNet-B0", "imagenet/efficientnet", ["--preset", "efficientnet_b0"]),
            ("RegNetY-400MF", "imagenet/regnet_y", ["--preset", "regnet_y_400mf"]),
            ("ConvNeXt-tiny", "imagenet/convnext", ["--preset", "convnext_tiny"])]
# the longest `--symbolic` outputs of the shipped specs (target: each <= 3 s cold)
SYMBOLIC = [("DenseNet-201", "imagenet/densenet201", []),
            ("EfficientNet-B7", "imagenet/efficientnet", ["--preset", "efficientnet_b7"]),
            ("EfficientNetV2-L", "imagenet/efficientnet_v2", ["--preset", "efficientnet_v2_l"]),
            ("RegNetY-128GF", "imagenet/regnet_y", ["--preset", "regnet_y_128gf"]),
            ("ResNet-152", "imagenet/resnet_bottleneck", ["--preset", "resnet152"])]
SYMBOLIC_TARGET = 3.0
sys.path.insert(0, str(ROOT))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold(argv: list[str], runs: int, env: dict | None = None) -> tuple[float, float, str]:
    """Median wall and CPU seconds of a fresh process running argv (in `env`, else this one's
    environment); its last stdout."""
    walls, cpus, out = [], [], ""
    for _ in range(runs):
        cpu0, t0 = _children_cpu(), time.perf_counter()
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True, env=env)
        walls.append(time.perf_counter() - t0)
        cpus.append(_children_cpu() - cpu0)
        out = done.stdout
    return statistics.median(walls), statistics.median(cpus), out


def peers_table(runs: int) -> None:
    """Section 0: cold costmodel against every installed peer, per network, alternating runs."""
    import tempfile
    from costmodel import shipped
    tools = [t for t in ("flopcounter", "ptflops", "thop", "fvcore", "torchinfo")
             if importlib.util.find_spec("torch" if t == "flopcounter" else t) is not None]
    print("\n0. cold process, `costmodel report SPEC --format json` against each peer building the network in "
          "PyTorch and counting it (medians; ratio = fastest peer / costmodel, target >= 10x)")
    for label, spec, extra in NETWORKS:
        if spec not in shipped.names():
            print(f"   {label}: no shipped spec {spec} yet")
            continue
        cache = tempfile.mkdtemp(prefix="costmodel-bench-")
        env = {**os.environ, "COSTMODEL_CACHE_DIR": cache}
        ours = [sys.executable, "-m", "costmodel", "report", spec, *extra, "--format", "json"]
        subprocess.run(ours, cwd=ROOT, env=env, capture_output=True, check=True)  # the spec seen once
        times: dict = {"costmodel (seen before)": [], "costmodel (first time)": [], **{t: [] for t in tools}}
        for _ in range(runs):  # alternating, so a change in the machine's load hits every tool alike
            for name, argv, environment in [("costmodel (seen before)", ours, env),
                                             ("costmodel (first time)", [*ours[:3], "--no-cache", *ours[3:]], env),
                                             *[(t, [sys.executable, str(PEERS_SCRIPT), t, spec, *extra], None)
                                               for t in tools]]:
                t0 = time.perf_counter()
                subprocess.run(argv, cwd=ROOT, env=environment, capture_output=True, check=True)
                times[name].append(time.perf_counter() - t0)
        medians = {name: statistics.median(ts) for name, ts in times.items()}
        fastest = min((medians[t], t) for t in tools) if tools else None
        cells = "   ".join(f"{name} {m:.2f} s" for name, m in medians.items())
        ratio = (f";   {fastest[1]} / costmodel: {fastest[0] / medians['costmodel (seen before)']:.1f}x seen before, "
                 f"{fastest[0] / medians['costmodel (first time)']:.1f}x first time") if fastest else ""
        print(f"   {label}: {cells}{ratio}")


def warm_throughput(seconds: float = 3.0) -> dict:
    """Checked configurations per second through the library API (Network.evaluate), MobileNet-CIFAR,
    wall and CPU, for four workloads: `cycle`, 900 configurations visited again and again (300 widths
    x 3 depth multipliers, as a grid search or an optimiser revisits them: the reference's rows for
    channel counts seen before are remembered); `fresh`, every configuration new (a random width
    with a denominator of 100,000 and a depth multiplier of 1 to 3, drawn without replacement: no
    configuration twice), timed from the first evaluation after the one that compiles the fast path
    (the reference's recordings of its walk, per depth multiplier and guard outcome, are made inside
    the timed loop); `fresh_later`, the same after 2,000 other new configurations; `fresh_replayed`,
    `fresh` with the reference keeping no replayed rows (REMEMBER_AFTER past any run), so that each
    answer for channel counts not walked is its recording replayed, none remembered. Each workload
    also gives how the reference answered in the timed loop: (remembered rows, i.e. channel counts
    seen before; replayed recordings; walks)."""
    from costmodel.reference import compiled
    result = {}
    kept_after = compiled.REMEMBER_AFTER
    try:
        for workload in ("cycle", "fresh", "fresh_later", "fresh_replayed"):
            compiled.REMEMBER_AFTER = 10**9 if workload == "fresh_replayed" else kept_after
            result[workload] = _warm_workload(workload, seconds)
    finally:
        compiled.REMEMBER_AFTER = kept_after
    return result


def _warm_workload(workload: str, seconds: float) -> tuple:
    """(wall rate, CPU rate, (remembered, replayed, walked)) of one of warm_throughput's workloads."""
    import random
    from fractions import Fraction
    import costmodel
    from costmodel import fastpath
    net = costmodel.load_network(SPEC)
    for _ in range(fastpath.FAST_AFTER):
        net.evaluate()  # the FAST_AFTER-th evaluation compiles the fast path
    ref = net._fast.reference
    if workload == "cycle":
        configurations = lambda n: {"alpha": Fraction(100 + n % 300, 400), "delta": 1 + n % 3}  # noqa: E731
        for n in range(900):
            net.evaluate(configurations(n))  # each seen once before the clock starts
    else:
        # 375,000 configurations, each drawn once: more than a run evaluates
        order = random.Random(0).sample(range(125_000 * 3), 200_000)
        configurations = lambda n: {"alpha": Fraction(25_000 + order[n] // 3, 100_000),  # noqa: E731
                                    "delta": 1 + order[n] % 3}
        if workload == "fresh_later":
            for n in range(2_000):
                net.evaluate(configurations(len(order) - 1 - n))  # other new configurations
    before = (ref.remembered, ref.replays.replayed, ref.walked)
    count, c0, t0 = 0, time.process_time(), time.perf_counter()
    while time.perf_counter() - t0 < seconds and count < 190_000:
        net.evaluate(configurations(count))
        count += 1
    answers = tuple(n - b for n, b in zip((ref.remembered, ref.replays.replayed, ref.walked), before))
    return count / (time.perf_counter() - t0), count / (time.process_time() - c0), answers


def repeated_spec(count: int) -> str:
    """One inverted-residual-like block repeated `count` times (a constant count)."""
    return (f"name: repeated\ninput: [16, 16, 32]\nsymbols: {{alpha: 1}}\nrounding: floor\nblocks:\n  unit:\n"
            f"    layers:\n      - {{type: pointwise, filters: 96*alpha}}\n      - {{type: batchnorm}}\n"
            f"      - {{type: relu6}}\n      - {{type: dwconv, kernel: 3}}\n      - {{type: pointwise, filters: 32}}\n"
            f"      - {{type: add, inputs: [pointwise2, input]}}\nlayers:\n  - {{block: unit, name: u, repeat: {count}}}\n")


def derive_once(runs: int) -> tuple[float, float]:
    """Seconds to build the closed forms (totals) of a block repeated 200 and 2,000 times."""
    import costmodel
    costmodel.build(costmodel.loads(repeated_spec(2))).total("macs")  # sympy imported, not timed
    result = []
    for count in (200, 2000):
        spec = costmodel.loads(repeated_spec(count))
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            costmodel.build(spec).total("macs")
            times.append(time.perf_counter() - t0)
        result.append(statistics.median(times))
    return tuple(result)


def deep_spec(layers: int) -> str:
    """A spec of `layers` layers: repeated pointwise conv / batch norm / relu triples on 8x8,
    with a width multiplier, each layer written out (no repeat:), then a classifier."""
    lines = ["name: deep", "input: [8, 8, 16]", "symbols: {alpha: 1}", "rounding: floor", "layers:"]
    body = layers - 2
    for i in range(body):
        kind = i % 3
        if kind == 0:
            lines.append(f"  - {{type: pointwise, name: pw{i}, filters: {16 + 8 * (i % 5)}*alpha}}")
        elif kind == 1:
            lines.append(f"  - {{type: batchnorm, name: bn{i}}}")
        else:
            lines.append(f"  - {{type: relu, name: relu{i}}}")
    lines += ["  - {type: global_avgpool}", "  - {type: dense, units: 10}"]
    return "\n".join(lines) + "\n"


def deep(sizes, runs: int) -> list[tuple[int, float, float]]:
    import costmodel
    results = []
    for n in sizes:
        text = deep_spec(n)
        times, cpus = [], []
        for _ in range(runs if n < 10_000 else max(1, runs // 2)):
            c0, t0 = time.process_time(), time.perf_counter()
            evaluation = costmodel.analyze(costmodel.loads(text, file=f"deep{n}.yaml"), alpha="0.5")
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            assert len(evaluation.rows) == n
        results.append((n, statistics.median(times), statistics.median(cpus)))
    return results


def repeated_deep_spec(layers: int) -> str:
    """The same network as deep_spec (pointwise conv / batch norm / relu triples on 8x8, then a
    classifier), its body written as one block of 10 triples repeated: nested repeats when one
    repeat's 10,000 iterations are not enough."""
    triples = (layers - 2) // 3
    unit = "".join(f"      - {{type: pointwise, name: pw{j}, filters: {16 + 8 * (j % 5)}*alpha}}\n"
                   f"      - {{type: batchnorm, name: bn{j}}}\n      - {{type: relu, name: relu{j}}}\n" for j in range(10))
    lines = ["name: deep_repeated", "input: [8, 8, 16]", "symbols: {alpha: 1}", "rounding: floor", "blocks:",
             "  unit:", "    layers:", unit.rstrip("\n"), "layers:"]
    lines.append(f"  - {{block: unit, name: u, repeat: {triples // 10}}}")
    lines += [f"  - {{type: pointwise, name: tail{i}, filters: 16*alpha}}" for i in range(layers - 2 - 30 * (triples // 10))]
    lines += ["  - {type: global_avgpool}", "  - {type: dense, units: 10}"]
    return "\n".join(lines) + "\n"


def cold_report(path: Path, runs: int) -> tuple[float, float, int]:
    """Median wall and CPU seconds, and the largest peak RSS (bytes), of `costmodel report PATH`
    in a fresh process (no cache). The process is started by a small one (`timed_child`): Linux
    carries the peak RSS of the process that forked a child across its exec, so a child started
    from this one (large by section 2) would report this one's."""
    walls, cpus, peak = [], [], 0.0
    for _ in range(runs):
        wall, cpu, rss = timed_child([sys.executable, "-m", "costmodel", "--no-cache", "report", str(path)],
                                     dict(os.environ))
        walls.append(wall)
        cpus.append(cpu)
        peak = max(peak, rss)
    return statistics.median(walls), statistics.median(cpus), int(peak * 2 ** 20)


def scale(runs: int) -> None:
    """10,000 and 100,000 layers, written out and as a repeated block, reported from a cold process
    (the load average before and after: on a shared machine the wall time follows it)."""
    import shutil
    import tempfile
    folder = Path(tempfile.mkdtemp(prefix="costmodel-scale-"))
    print(f"   load average before: {os.getloadavg()[0]:.2f}")
    for label, make in (("flat list", deep_spec), ("repeated block", repeated_deep_spec)):
        figures = {}
        for n in (10_000, 100_000):
            path = folder / f"{label.split()[0]}{n}.yaml"
            path.write_text(make(n))
            figures[n] = cold_report(path, runs if n < 100_000 else 1)
            wall, cpu, peak = figures[n]
            print(f"   {label:15s} {n:>7,} layers ({path.stat().st_size / 1e6:5.2f} MB)   wall {wall:6.2f} s   "
                  f"cpu {cpu:6.2f} s   peak RSS {peak / 2**20:6.0f} MiB")
        (w1, c1, _), (w2, c2, peak) = figures[10_000], figures[100_000]
        print(f"   {label:15s} t(100k)/t(10k): wall x {w2 / w1:.1f}, cpu x {c2 / c1:.1f} (target <= 12); 100k in "
              f"{w2:.1f} s wall, {c2:.1f} s cpu (target <= 10 s), {peak / 2**20:.0f} MiB (target <= 1,024)")
    print(f"   load average after: {os.getloadavg()[0]:.2f}")
    shutil.rmtree(folder, ignore_errors=True)


MEMORY_TARGET_MIB = 100  # issue 11: a report of any shipped spec (the peers use 250-450 MiB)
MEMORY_FORMATS = (("table", []), ("json", ["--format", "json"]), ("symbolic", ["--symbolic"]))


def peak_rss(argv: list[str]) -> float:
    """Peak RSS (MiB) of one fresh process running argv, measured by a small wrapper process
    (timed_child): a child's ru_maxrss starts from the size of the process that forked it, so a
    large benchmark process would inflate it."""
    return timed_child(argv, dict(os.environ))[2]


def shipped_configurations() -> list[tuple[str, list[str]]]:
    """Every shipped spec at its defaults and at each of its presets, as `costmodel list` names them."""
    listed = subprocess.run([sys.executable, "-m", "costmodel", "list", "--format", "json"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    import json
    return [(entry["name"], extra) for entry in json.loads(listed.stdout)
            for extra in ([], *(["--preset", p["name"]] for p in entry["presets"]))]


def memory(largest: int = 5) -> tuple[float, str]:
    """Peak RSS of a cold `costmodel --no-cache report SPEC` (text table, `--format json` and
    `--symbolic`) for every shipped spec and preset; prints the largest few against the target and
    returns the largest (MiB) with what it was."""
    peaks = []
    for name, extra in shipped_configurations():
        for label, options in MEMORY_FORMATS:
            argv = [sys.executable, "-m", "costmodel", "--no-cache", "report", name, *extra, *options]
            peaks.append((peak_rss(argv), f"{name} {' '.join(extra)} ({label})".replace("  ", " ")))
    peaks.sort(reverse=True)
    print(f"   peak RSS of a cold `costmodel --no-cache report` (table, --format json, --symbolic), {len(peaks)} runs "
          f"over every shipped spec and preset; the largest {largest} (target <= {MEMORY_TARGET_MIB} MiB):")
    for rss, what in peaks[:largest]:
        print(f"     {rss:6.1f} MiB  {what}")
    top, what = peaks[0]
    print(f"   largest {top:.1f} MiB ({what}): {'met' if top <= MEMORY_TARGET_MIB else 'not met'}; smallest "
          f"{peaks[-1][0]:.1f} MiB")
    return top, what


def symbolic_reports(runs: int) -> None:
    """Cold `costmodel report SPEC --symbolic` (the text table with every layer's formulas and the
    closed-form totals) of the largest shipped specs: the first time (`--no-cache`: sympy derives
    and prints every closed form) and with the spec seen before (a fresh cache directory filled by
    one run first: the texts are read back, no sympy), against the 3 s target."""
    import tempfile
    print(f"   cold `costmodel report SPEC --symbolic`, medians of {runs} (target <= {SYMBOLIC_TARGET:g} s):")
    for label, spec, extra in SYMBOLIC:
        argv = [sys.executable, "-m", "costmodel", "report", spec, *extra, "--symbolic"]
        with tempfile.TemporaryDirectory(prefix="costmodel-symbolic-") as folder:
            env = {**os.environ, "COSTMODEL_CACHE_DIR": folder}  # the children's cache, not the user's
            first_wall, first_cpu, out = cold([*argv[:3], "--no-cache", *argv[3:]], runs, env)
            cold(argv, 1, env)  # fills the cache
            seen_wall, seen_cpu, _ = cold(argv, runs, env)
        met = "met" if first_wall <= SYMBOLIC_TARGET else "not met"
        print(f"   {label:17s} {len(out) / 1e3:5.0f} kB   first time wall {first_wall:5.2f} s cpu {first_cpu:5.2f} s "
              f"({met})   seen before wall {seen_wall:5.2f} s cpu {seen_cpu:5.2f} s")


def sweep_throughput(runs: int) -> tuple[int, float, float, float, float]:
    """1,000 alphas x 100 deltas x 10 class counts = 1,000,000 configurations, with and without
    the Pareto front (the compile happens once per network and is timed apart)."""
    import costmodel
    from costmodel.analyses import explore
    net = costmodel.load_network(SPEC)
    t0 = time.perf_counter()
    explore.compiled(net)
    compile_time = time.perf_counter() - t0
    axes = {"alpha": "0.001:1:0.001", "delta": "1:100:1", "classes": "10:100:10"}
    count = 1000 * 100 * 10
    timings = {}
    for pareto in (None, ("macs", "params")):
        walls, cpus = [], []
        for _ in range(runs):
            c0, t0 = time.process_time(), time.perf_counter()
            rows = explore.sweep(net, axes, pareto=pareto)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            del rows
        timings[pareto is not None] = (statistics.median(walls), statistics.median(cpus))
    return count, timings, compile_time


# a fresh Python runs the command and reports its wall time and the child's peak RSS (getrusage of
# its only child, so each figure is one run's, not the largest of the benchmark's children)
TIMED = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.perf_counter() - t0, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, usage.ru_stime)
"""


def timed_child(argv: list[str], env: dict, system: bool = False) -> tuple:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one fresh process running
    argv; with `system`, also its system seconds (the kernel's part: writing the file, page faults)."""
    done = subprocess.run([sys.executable, "-c", TIMED, *argv], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True)
    wall, cpu, rss, sys_cpu = done.stdout.split()
    timings = (float(wall), float(cpu), int(rss) / 1024)  # ru_maxrss is in KiB on Linux
    return (*timings, float(sys_cpu)) if system else timings


def sweep_end_to_end(runs: int, large: bool = True) -> None:
    """Section 4: `costmodel sweep` from process start to file written, CSV and JSON Lines (and
    the start-up alone: one configuration; one axis of 10**6 values; with `large`, 10**7
    configurations, as two axes and as one)."""
    import tempfile
    work = Path(tempfile.mkdtemp(prefix="costmodel-sweep-bench-"))
    env = {**os.environ, "COSTMODEL_CACHE_DIR": str(work / "cache")}
    grid = ["--range", "alpha=0.001:1:0.001", "--range", "delta=1:1000:1"]  # 10**6 configurations
    count = 1000 * 1000
    base = [sys.executable, "-m", "costmodel", "sweep", str(SPEC)]
    print(f"\n4. `costmodel sweep` end to end, {count:,} MobileNet-CIFAR configurations (alpha x delta; 31,000 "
          f"do not fit), a fresh process from start to file written (medians; target >= 1e6 /s, <= 500 MiB)")
    subprocess.run([*base, "--grid", "alpha=1", "--out", str(work / "warm.csv")], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # the spec seen once: its compiled closed forms in the cache
    cases = [("CSV", "s.csv", []), ("JSON Lines", "s.jsonl", []), ("CSV, first time (--no-cache)", "s.csv", ["--no-cache"]),
             ("one axis of 10**6 values, JSON Lines", "a.jsonl", []), ("start-up alone (1 configuration)", "one.csv", [])]
    one_axis = ["--range", "alpha=0.000001:1:0.000001"]  # 10**6 values of alpha, never listed (31,249 do not fit)
    results: dict = {label: [] for label, _, _ in cases}
    for _ in range(runs):  # the cases alternate, so that a change of load touches each alike
        for label, out, extra in cases:
            axes = ["--grid", "alpha=1"] if out == "one.csv" else one_axis if out == "a.jsonl" else grid
            argv = [*base[:3], *extra, *base[3:], *axes, "--out", str(work / out)]
            results[label].append(timed_child(argv, env, system=True))
    for label, out, _ in cases:
        wall = statistics.median(r[0] for r in results[label])
        cpu = statistics.median(r[1] for r in results[label])
        system = statistics.median(r[3] for r in results[label])
        rss = max(r[2] for r in results[label])
        size = (work / out).stat().st_size / 2 ** 20
        rate = "" if out == "one.csv" else f" = {count / wall:11,.0f} /s"
        print(f"   {label:<38} wall {wall:6.3f} s{rate:<15}   cpu {cpu:6.3f} s (system {system:5.3f} s)"
              f"   peak RSS {rss:6.1f} MiB   ({size:,.0f} MiB written)")
    if large:
        argv = [*base, "--range", "alpha=0.0001:1:0.0001", "--range", "delta=1:1000:1", "--out", str(work / "l.jsonl")]
        wall, cpu, rss = timed_child(argv, env)
        print(f"   10,000,000 configurations to JSON Lines: wall {wall:.1f} s = {10 ** 7 / wall:,.0f} /s, cpu {cpu:.1f} s, "
              f"peak RSS {rss:.1f} MiB (constant memory: about that of 10**6)")
        argv = [*base, "--range", "alpha=0.0000001:1:0.0000001", "--out", str(work / "l.jsonl")]
        wall, cpu, rss = timed_child(argv, env)
        print(f"   one axis of 10,000,000 values to JSON Lines: wall {wall:.1f} s = {10 ** 7 / wall:,.0f} /s, cpu {cpu:.1f} s, "
              f"peak RSS {rss:.1f} MiB (target <= 500 MiB)")
    import shutil
    shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="3 runs, fewer torch configurations")
    p.add_argument("--sweep-only", action="store_true", help="only section 4 (the sweep end to end)")
    p.add_argument("--no-large", action="store_true", help="section 4 without the 10**7-configuration run")
    p.add_argument("--peers-only", action="store_true", help="only section 0 (cold costmodel against every peer)")
    p.add_argument("--symbolic-only", action="store_true", help="only the cold `report --symbolic` figures (section 2)")
    p.add_argument("--memory-only", action="store_true", help="only the peak memory of every shipped spec's report")
    p.add_argument("--scale-only", action="store_true", help="only the 10,000- and 100,000-layer reports (section 2)")
    args = p.parse_args()
    # An installed package has its bytecode compiled (pip does it, as the peers' was); a checkout run
    # with PYTHONDONTWRITEBYTECODE set would compile costmodel's sources in every cold process.
    compileall.compile_dir(str(ROOT / "costmodel"), quiet=1)
    runs = 3 if args.quick else args.runs
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; Python {sys.version.split()[0]}; "
          f"medians of {runs} runs; wall = elapsed seconds, cpu = user + system seconds")
    if args.symbolic_only:
        symbolic_reports(runs)
        return 0
    if args.memory_only:
        memory()
        return 0
    if args.scale_only:
        scale(runs)
        return 0
    if args.sweep_only:
        sweep_end_to_end(runs, large=not args.no_large)
        print(f"load average after the run: {os.getloadavg()[0]:.2f}")
        return 0

    if importlib.util.find_spec("torch") is not None:
        peers_table(runs)
    if args.peers_only:
        return 0

    report_wall, report_cpu, report_out = cold([sys.executable, "-m", "costmodel", "report", str(SPEC)], runs)
    ours_macs = int(next(l for l in report_out.splitlines() if l.startswith("MACs:")).split()[1].replace(",", ""))
    print(f"\n1. cold process, MobileNet-CIFAR (alpha=1, delta=1): {ours_macs:,} MACs")
    print(f"   costmodel report          wall {report_wall:7.3f} s   cpu {report_cpu:7.3f} s")
    have_torch = importlib.util.find_spec("torch") is not None
    torch_per_config = None
    if have_torch:
        torch_wall, torch_cpu, torch_out = cold([sys.executable, str(TORCH_SCRIPT)], runs)
        torch_macs = int(torch_out.split()[0])
        if torch_macs != ours_macs:
            print(f"   WARNING: torch counts {torch_macs:,} MACs, costmodel {ours_macs:,}")
        import torch
        print(f"   torch {torch.__version__} FlopCounterMode  wall {torch_wall:7.3f} s   cpu {torch_cpu:7.3f} s"
              f"   ({torch_macs:,} MACs{', equal' if torch_macs == ours_macs else ''})")
        print(f"   ratio torch / costmodel:  wall {torch_wall / report_wall:5.2f}x   cpu {torch_cpu / report_cpu:5.2f}x"
              f"   (target >= 5x)")
        warm = subprocess.run([sys.executable, str(TORCH_SCRIPT), "--repeat", "10" if args.quick else "20"],
                              cwd=ROOT, capture_output=True, text=True, check=True)
        torch_per_config = float(warm.stdout.split()[1])
    else:
        print("   torch not installed: pip install torch==2.13.0 (CPU build) for the comparison")
    rates = warm_throughput(2.0 if args.quick else 3.0)
    print("   library API, warm (Network.evaluate, checked configurations of MobileNet-CIFAR per second; target >= 10,000):")
    for workload, label in (("cycle", "900 configurations revisited"), ("fresh", "every configuration new"),
                            ("fresh_later", "the same after 2,000 others"),
                            ("fresh_replayed", "every one new, none remembered")):
        wall, cpu, (remembered, replayed, walked) = rates[workload]
        torch_ratio = f", {wall * torch_per_config:,.0f}x the warm torch counter" if torch_per_config else ""
        print(f"     {label:30s} {wall:9,.0f} /s wall  {cpu:9,.0f} /s cpu   {wall / 10_000:5.2f}x the target{torch_ratio}")
        print(f"     {'':30s} the reference: {remembered:,} rows remembered, {replayed:,} replayed, {walked:,} walks")

    print("\n2. analysis time of deep specs (load + symbolic build + evaluation checked by the reference)")
    sizes = (100, 1000, 10_000)
    results = deep(sizes, max(1, runs // 2) if not args.quick else 1)
    for n, wall, cpu in results:
        print(f"   {n:>6,} layers   wall {wall:8.3f} s   cpu {cpu:8.3f} s   {1e3 * cpu / n:6.3f} ms cpu per layer")
    for (n1, _, c1), (n2, _, c2) in zip(results, results[1:]):
        print(f"   {n1:,} -> {n2:,} layers: cpu time x {c2 / c1:5.2f} (linear: x {n2 / n1:g})")

    print("   scale: cold `costmodel --no-cache report SPEC` (the text table of every layer)")
    scale(max(1, runs // 2) if not args.quick else 1)

    small, large = derive_once(runs)
    print(f"   closed forms of one block repeated 200 / 2,000 times: {small:.3f} / {large:.3f} s, ratio "
          f"{large / small:.2f} (target <= 4: a repeat is derived once and multiplied)")
    symbolic_reports(runs)
    memory()

    print("\n3. sweep throughput, MobileNet-CIFAR (alpha x delta x classes; 31,000 of the configurations,"
          " alpha < 1/32, do not fit and are left out)")
    count, timings, compile_time = sweep_throughput(runs)
    print(f"   compile once: {compile_time:.3f} s")
    for pareto, (wall, cpu) in timings.items():
        print(f"   {count:,} configurations{' + Pareto front' if pareto else '                 '}   wall {wall:.3f} s   "
              f"cpu {cpu:.3f} s   {count / wall:,.0f} configurations/s wall, {count / cpu:,.0f} /s cpu (target >= 1e6)")
    if torch_per_config:
        wall = timings[True][0]
        print(f"   torch counter, warm process: {torch_per_config:.4f} s per configuration = "
              f"{1 / torch_per_config:,.1f} configurations/s; the sweep is {torch_per_config * count / wall:,.0f}x faster")
    sweep_end_to_end(runs)
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
