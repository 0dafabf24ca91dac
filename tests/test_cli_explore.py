"""`costmodel explore`: the page, its JavaScript closed forms, and the page in a real browser.

The browser tests drive Debian's chromium headless (`--dump-dom`; .ci/run installs it): for every
shipped spec, seeded random configurations are evaluated by the page (a test hook in the fragment,
`#test=[...]`, evaluates a list of configurations in one load) and by Python; the exact totals, or
the refusal's text, must be equal.
"""

import html
import json
import random
import re
import shutil
import subprocess
import tempfile
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import pytest
import sympy

import costmodel
from costmodel import reference_metrics, shipped
from costmodel.errors import SpecError
from costmodel.outputs import jsprint
from costmodel.outputs.page import page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
browser = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium; .ci/run does)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CONFIGURATIONS = 20  # valid ones per spec, at least
TOTALS = {"params": "total-params", "params_with_statistics": "total-params-with-statistics", "macs": "total-macs",
          "flops": "total-flops", "floats_out": "total-floats-out", "peak_live": "total-peak-memory"}


def chromium(url: str, *extra: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, url],
                              capture_output=True, text=True, timeout=120)
    return done.stdout


def dom(path: Path, fragment: str) -> str:
    return chromium(f"{path.as_uri()}#{fragment}", "--dump-dom")


def write_page(tmp_path: Path, name: str, preset=None) -> Path:
    path = tmp_path / ((Path(name).stem if Path(name).exists() else name.replace("/", "_")) + ".html")
    path.write_text(page(costmodel.load_network(name), preset=preset), encoding="utf-8")
    return path


def text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def random_values(spec, rng: random.Random) -> dict:
    """Around each default: integers from half to twice it (at least 1), fractions default * k/8."""
    values = {}
    for name, s in spec.symbols.items():
        d = Fraction(s.default)
        if s.integer:
            values[name] = Fraction(rng.randint(max(1, int(d) // 2), max(2, 2 * int(d))))
        else:
            values[name] = d * Fraction(rng.randint(1, 16), 8)
    return values


def python_refusal(network, fragment: str) -> str | None:
    """The first line of Python's refusal of the page's test fragment `g=3&n=5/4`, or None when
    `evaluate` accepts those values."""
    try:
        network.evaluate(dict(part.split("=") for part in fragment.split("&")))
    except SpecError as e:
        return e.lines()[0]
    return None


def python_side(network, values: dict) -> dict:
    """What `costmodel report --format json` says: the totals, or the refusal's first line; and the
    peak live memory of `costmodel metrics` (its numeric side, reference_metrics, which `metrics`
    holds its closed forms to; test_peak_memory_is_that_of_costmodel_metrics runs the command)."""
    try:
        t = network.evaluate(values).totals
    except SpecError as e:
        return {"error": e.lines()[0]}
    resolved = network.values(values)
    peak = reference_metrics.compute(network.at(resolved).spec, resolved)["totals"]["peak_live"]
    return {"totals": {"params": t.params, "params_non_trainable": t.params_non_trainable, "macs": t.macs,
                       "floats_out": t.floats_out, "peak_floats_out": t.peak_floats_out,
                       "params_with_statistics": t.params_with_statistics, "flops": t.flops, "peak_live": peak}}


def configurations(name: str, seed: int) -> list[tuple[dict, dict]]:
    """(values, Python's answer): CONFIGURATIONS valid ones and the refused ones met on the way."""
    network = costmodel.load_network(name)
    rng = random.Random(seed)
    found, valid = [], 0
    for _ in range(20 * CONFIGURATIONS):
        values = random_values(network.spec, rng)
        expected = python_side(network, values)
        valid += "totals" in expected
        found.append((values, expected))
        if valid >= CONFIGURATIONS:
            break
    return found


def test_report_json_is_the_python_side(cli):
    """The totals compared with the page are those of `costmodel report --format json`."""
    status, out, _ = cli(["report", "mobilenet_cifar", "--set", "alpha=0.5", "--set", "delta=2", "--format", "json"])
    assert status == 0
    totals = json.loads(out)["totals"]
    ours = python_side(costmodel.load_network("mobilenet_cifar"), {"alpha": Fraction(1, 2), "delta": 2})["totals"]
    status, out, _ = cli(["metrics", "mobilenet_cifar", "--set", "alpha=0.5", "--set", "delta=2", "--format", "json"])
    assert status == 0
    counts = {k: v for k, v in totals.items() if k != "params_bytes"}  # the page shows counts, not bytes per dtype
    assert totals["params_bytes"]["fp32"] == 4 * totals["params_with_statistics"]
    assert ours == {**counts, "peak_live": json.loads(out)["totals"]["peak_live"]}


def test_page_is_self_contained(tmp_path):
    text_ = write_page(tmp_path, "imagenet/resnet_bottleneck").read_text()
    assert re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text_) is None  # nothing fetched
    assert "<script src" not in text_ and "<link" not in text_
    for name in TOTALS.values():
        assert name in text_


def test_javascript_printer_refuses_an_unknown_function():
    class mystery(sympy.Function):
        pass

    x = sympy.Symbol("x", positive=True)
    with pytest.raises(jsprint.Unprintable, match="no rule for the sympy node mystery"):
        jsprint.javascript(mystery(x) + 1, {"x": "v.x"})


def test_javascript_printer_covers_the_closed_forms():
    x = sympy.Symbol("x", positive=True)
    expr = sympy.floor(x / 3) + sympy.Max(x, 2) ** 2
    assert jsprint.javascript(expr, {"x": 'v["x"]'}).count("R.") >= 4


def test_explore_command_writes_the_page(cli, tmp_path):
    out = tmp_path / "page.html"
    status, _, err = cli(["explore", "mobilenet_cifar", "-o", str(out)])
    assert (status, err) == (0, "")
    assert out.read_text().startswith("<!DOCTYPE html>")
    with pytest.raises(SystemExit) as refused:
        cli(["explore", "mobilenet_cifar", "-o", str(tmp_path / "page.txt")])
    assert refused.value.code == 2


def test_unknown_preset_is_refused(cli, tmp_path):
    status, _, err = cli(["explore", "imagenet/resnet_bottleneck", "--preset", "resnet7", "-o", str(tmp_path / "p.html")])
    assert status == 2 and "unknown preset 'resnet7'" in err


def _results(dumped: str) -> list:
    found = re.search(r'<pre id="test-results">(.*?)</pre>', dumped, re.S)
    assert found, "the page wrote no test results (a script error?)"
    return json.loads(html.unescape(found.group(1)))


def _compare(name: str, tmp_path: Path, seed: int) -> list[str]:
    cases = configurations(name, seed)
    fragments = ["&".join(f"{k}={text(v)}" for k, v in values.items()) for values, _ in cases]
    path = write_page(tmp_path, name)
    got = _results(dom(path, "test=" + urllib.parse.quote(json.dumps(fragments))))
    problems = []
    for fragment, (_, expected), answer in zip(fragments, cases, got):
        if "totals" in expected:
            want = {k: str(v) for k, v in expected["totals"].items()}
            if answer.get("totals") != want:
                problems.append(f"{name}#{fragment}: page {answer} != python {want}")
        elif answer.get("error") != expected["error"]:
            problems.append(f"{name}#{fragment}: page {answer} != python refusal {expected['error']!r}")
    if sum("totals" in e for _, e in cases) < CONFIGURATIONS:
        problems.append(f"{name}: fewer than {CONFIGURATIONS} valid configurations found")
    return problems


@browser
@pytest.mark.slow
def test_page_equals_python_for_random_configurations(tmp_path):
    names = shipped.names()
    with ThreadPoolExecutor(2) as pool:
        problems = [p for found in pool.map(lambda i_n: _compare(i_n[1], tmp_path, 1000 + i_n[0]), enumerate(names))
                    for p in found]
    assert problems == []


def _dom_value(dumped: str, id_: str):
    found = re.search(rf'id="{id_}"[^>]*data-value="(\d+)"|data-value="(\d+)"[^>]*id="{id_}"', dumped)
    return None if found is None else int(found.group(1) or found.group(2))


@browser
def test_fragment_shows_that_configuration(tmp_path):
    path = write_page(tmp_path, "mobilenet_cifar")
    dumped = dom(path, "alpha=0.5&delta=2")
    t = costmodel.analyze("mobilenet_cifar", alpha="0.5", delta=2).totals
    # a chain: the peak is the largest input + output of one layer, ds1/dw_bn: conv1 (32*alpha = 16
    # filters, stride 2) gives 16x16x16, ds1/dw (multiplier delta = 2) 16x16x32, read and written by dw_bn
    assert {key: _dom_value(dumped, id_) for key, id_ in TOTALS.items()} == \
        {"params": t.params, "params_with_statistics": t.params_with_statistics, "macs": t.macs, "flops": 2 * t.macs,
         "floats_out": t.floats_out, "peak_live": 16 * 16 * 32 + 16 * 16 * 32}
    assert dumped.count('<svg') >= 2 and "MACs against alpha" in dumped  # both plots drawn
    for plotted in re.findall(r'<svg[^>]*class="plot".*?</svg>', dumped, re.S):  # title, axes with units, legend
        assert " against alpha<" in plotted and "alpha (symbol value)" in plotted and "(millions)" in plotted
        assert "total as alpha varies, the others fixed" in plotted and "this configuration" in plotted
    assert 'id="layers"' in dumped and 'id="breakdown"' in dumped


@browser
def test_refused_configuration_shows_the_error(tmp_path):
    path = write_page(tmp_path, "mobilenet_cifar")
    with pytest.raises(SpecError) as refused:  # alpha * 32 filters round down to 0
        costmodel.analyze("mobilenet_cifar", alpha="1/64")
    dumped = dom(path, "alpha=1/64")
    shown = re.search(r'<pre id="error"[^>]*>(.*?)</pre>', dumped, re.S)
    assert shown and html.unescape(shown.group(1)) == refused.value.lines()[0]
    assert _dom_value(dumped, "total-macs") is None  # no numbers for a refused configuration


@browser
def test_screenshot_is_not_blank(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    path = write_page(tmp_path, "imagenet/resnet_bottleneck", preset="resnext50_32x4d")
    shot = tmp_path / "shot.png"
    chromium(f"{path.as_uri()}#d1=3&d2=4&d3=6&d4=3&groups=32&width_per_group=4&resolution=224&classes=1000",
             f"--screenshot={shot}", "--window-size=1200,900", "--hide-scrollbars")
    pixels = imread(shot)
    assert pixels.shape[:2] == (900, 1200)
    colours = {tuple(p) for p in (pixels[::7, ::7, :3] * 255).astype(int).reshape(-1, 3)}
    assert len(colours) > 50  # text, plots and tables, not one flat colour


REFUSED = {  # configurations Python refuses, one kind of refusal each
    "imagenet/resnet_bottleneck": ["d2=0",  # a symbol must be positive
                                   "classes=5/2"],  # an integer symbol
    "imagenet/alexnet": ["resolution=40"],  # a valid-padding window larger than its input
    "mobilenet_cifar": ["alpha=1/64", "delta=3/2", "beta=2"],  # filters round to 0; not an integer; unknown
    "imagenet/shufflenet_v2": ["c2=117"],  # an odd channel count split in two, no rounding rule
}


GROUPED = """\
name: grouped
input: [size, size, 3]
symbols:
  g: {default: 2, integer: true, description: "groups"}
  n: {default: 2, description: "repeats, times 2"}
  size: {default: 16, integer: true, description: "input size"}
layers:
  - {type: conv, name: stem, filters: 16, kernel: 3}
  - {type: conv, name: grouped, filters: 16, kernel: 3, groups: g}
  - {type: conv, name: body, filters: 16, kernel: 3, repeat: 2 * n}
  - {type: conv, name: valid, filters: 16, kernel: 5, padding: valid}
"""
REFUSED_HERE = ["g=3",  # groups do not divide the channels
                "n=5/4",  # a repeat count not whole
                "size=3",  # a 5x5 window on a 3x3 map
                "g=2&n=3&size=9"]  # accepted


@browser
def test_refusals_have_the_python_text(tmp_path):
    own = tmp_path / "grouped.yaml"
    own.write_text(GROUPED)
    for name, fragments in [*REFUSED.items(), (str(own), REFUSED_HERE)]:
        network = costmodel.load_network(name)
        expected = [python_refusal(network, fragment) for fragment in fragments]
        got = _results(dom(write_page(tmp_path, name), "test=" + urllib.parse.quote(json.dumps(fragments))))
        assert expected.count(None) == (name == str(own)), f"{name}: a configuration meant to be refused was accepted"
        assert [answer.get("error") for answer in got] == expected


@browser
def test_a_preset_with_options_opens_its_tree(tmp_path):
    # squeezenet1_1 sets the option v1_1: the page is that tree's, its picker lists its own presets only
    path = write_page(tmp_path, "imagenet/squeezenet", preset="squeezenet1_1")
    dumped = dom(path, "resolution=224")
    t = costmodel.analyze("imagenet/squeezenet", preset="squeezenet1_1").totals
    assert _dom_value(dumped, "total-params") == t.params == 1235496  # torchvision's squeezenet1_1
    assert _dom_value(dumped, "total-macs") == t.macs
    assert "the presets squeezenet1_0 choose other options" in dumped


# --- peak live memory, and the refusals of issue 13's remainder -----------------------------------

BRANCHES = """\
name: branches
input: [8, 8, 4]
symbols:
  n: {default: 3, integer: true, description: "repeats"}
  w: {default: 1, description: "width"}
blocks:
  unit:
    layers:
      - {type: conv, name: a, filters: 8*w, kernel: 3}
      - {type: conv, name: b, filters: 8*w, kernel: 3}
      - {type: add, inputs: [a, b]}
layers:
  - {type: conv, name: stem, filters: 8*w, kernel: 3}
  - {block: unit, name: body, repeat: n}
  - {type: concat, inputs: [stem, body.1, body]}
  - {type: global_avgpool}
  - {type: dense, units: 10}
"""


def _branches_peak(n: int, w: int) -> int:
    """By hand: every tensor but the input and the head is 8*8*(8w) = t floats. stem and body.1 (unit 1's
    add) are read by the concat, so they stay live to the end."""
    t = 8 * 8 * 8 * w
    stem = 8 * 8 * 4 + t  # the input and stem's output
    unit1 = t + 3 * t  # at body.1's add: stem, a, b and the add's output
    later = 2 * t + 3 * t if n >= 2 else 0  # at body.k's add (k >= 2): stem, body.1, a, b, add
    concat = (3 * t if n >= 2 else 2 * t) + 3 * t  # stem, body.1, body.n (one tensor when n = 1), the 3t output
    return max(stem, unit1, later, concat)


NESTED = """\
name: nested
input: [8, 8, 8]
symbols:
  n: {default: 3, integer: true, description: "outer repeats"}
  m: {default: 2, integer: true, description: "inner repeats"}
blocks:
  inner:
    layers:
      - {type: conv, name: a, filters: 32, kernel: 3}
      - {type: pointwise, name: b, filters: 8}
      - {type: add, inputs: [input, b]}
  outer:
    layers:
      - {type: conv, name: head, filters: 8, kernel: 1}
      - {block: inner, name: deep, repeat: m}
      - {type: relu, name: act, repeat: m}
      - {type: concat, inputs: [head, deep.1, act]}
      - {type: pointwise, name: squeeze, filters: 8}
layers:
  - {type: conv, name: stem, filters: 8, kernel: 3}
  - {block: outer, name: body, repeat: n}
  - {type: conv, name: tail, repeat: m, filters: 8, kernel: 3}
  - {type: conv, repeat: m, filters: 8, kernel: 1}
  - {type: add, inputs: [stem, body.1, tail, conv1]}
  - {type: global_avgpool}
  - {type: dense, units: 10}
"""  # repeats in repeats, skips from first iterations: Python's names for every copy


@browser
def test_peak_memory_is_that_of_costmodel_metrics(cli, tmp_path):
    """total-peak-memory is `costmodel metrics`' peak_live: a branchy spec worked by hand, and
    random configurations of shipped specs with branches, concatenations and symbolic repeats."""
    own = tmp_path / "branches.yaml"
    own.write_text(BRANCHES)
    cases = [(str(own), {"n": Fraction(n), "w": Fraction(w)}) for n, w in ((1, 1), (2, 1), (3, 2), (5, 1))]
    nested = tmp_path / "nested.yaml"
    nested.write_text(NESTED)
    cases += [(str(nested), {"n": Fraction(n), "m": Fraction(m)}) for n, m in ((1, 1), (2, 2), (5, 4))]
    for name in ["multi_exit_cifar", "imagenet/squeezenet", "imagenet/resnet_bottleneck", "imagenet/googlenet_torchvision"]:
        rng = random.Random(name)
        network = costmodel.load_network(name)
        found = 0
        while found < 2:
            values = random_values(network.spec, rng)
            if "totals" in python_side(network, values):
                cases.append((name, values))
                found += 1
    by_spec: dict = {}
    for name, values in cases:
        by_spec.setdefault(name, []).append(values)
    for name, configurations_ in by_spec.items():  # one page load per spec, every configuration in it
        fragments = ["&".join(f"{k}={text(v)}" for k, v in values.items()) for values in configurations_]
        got = _results(dom(write_page(tmp_path, name), "test=" + urllib.parse.quote(json.dumps(fragments))))
        for values, fragment, answer in zip(configurations_, fragments, got):
            sets = [x for k, v in values.items() for x in ("--set", f"{k}={text(v)}")]
            status, out, _ = cli(["metrics", name, *sets, "--format", "json"])
            assert status == 0
            expected = json.loads(out)["totals"]["peak_live"]
            if name == str(own):
                assert expected == _branches_peak(int(values["n"]), int(values["w"]))
            assert answer.get("totals", {}).get("peak_live") == str(expected), (name, fragment, answer)


GUARDED = """\
name: guarded
input: [32, 32, 3]
symbols:
  a: {default: 1, description: "a width"}
  n: {default: 2, integer: true, description: "repeats: 4 / (n - 1)"}
  p: {default: 2, integer: true, description: "pooling padding + 1"}
  r: {default: 2, description: "fractional pooling ratio"}
  o: {default: 2, integer: true, description: "adaptive output size"}
  m: {default: 8, integer: true, description: "channels multiplied by the pooled ones"}
layers:
  - {type: conv, name: stem, filters: '8 + 8/(2*a - 1)', kernel: 3}
  - {type: conv, name: body, filters: 8, kernel: 3, repeat: '4/(n - 1)'}
  - {type: maxpool, kernel: 3, stride: 2, padding: [p - 1, p - 1], ceil_mode: true}
  - {type: global_avgpool, name: pooled}
  - {type: conv, name: widened, input: maxpool1, filters: m, kernel: 1}
  - {type: multiply, inputs: [widened, pooled]}
  - {type: fractional_maxpool, ratio: r}
  - {type: adaptive_avgpool, output_size: o}
  - {type: dense, units: 10}
"""
GUARDED_FRAGMENTS = {
    "a=1/2": "division by zero (8 / 0)",  # 2*a - 1 = 0
    "a=1/4": "must be a positive channel count",  # 8 + 8/(-1/2) = -8
    "n=1": "division by zero (4 / 0)",  # the repeat count's divisor
    "n=4": "the count must be a whole number",  # 4/3 repeats
    "p=3": "at most half the kernel",  # ceil_mode padding 2 > 3/2
    "m=3": "do not broadcast",  # 17x17x3 times 1x1x8
    "m=1": None,  # 17x17x1 times 1x1x8 broadcasts to 17x17x8
    "r=1": "ratio must be greater than 1",
    "r=18": "leaves no output",  # the pool gives ceil((32 + 2 - 3)/2) + 1 = 17: floor(17/18) = 0
    "o=70000": "above 65536",
    "a=3/2&n=3&p=1&r=3/2&o=3&m=8": None,
}
LIMIT = """\
name: limit
input: [8, 8, 3]
symbols:
  n: {default: 2, integer: true, description: "repeats of each unit"}
blocks:
  unit:
    layers:
      - {type: conv, name: a, filters: 8, kernel: 3}
      - {type: conv, name: b, filters: 8, kernel: 3}
layers:
  - {type: conv, name: stem, filters: 8, kernel: 3}
""" + "".join(f"  - {{block: unit, name: u{i}, repeat: n}}\n" for i in range(1, 6))
LIMIT_FRAGMENTS = {
    # 1 + 5 units x 2 layers x 10,000 = 100,001 layers: the last, u5.10000/b, is one too many
    "n=10000": "more than 100000 layers after expanding blocks and repeats",
    "n=3": None,
}


PYTORCH = """\
name: unpadded
input: [s, s, 3]
defaults_of: pytorch
symbols:
  s: {default: 8, integer: true, description: "input size"}
layers:
  - {type: conv, filters: 8, kernel: 3}
  - {type: dense, units: 2}
"""
PYTORCH_FRAGMENTS = {
    "s=2": "kernel 3x3 is larger than the padded input 2x2",  # PyTorch's padding 0 (costmodel's 'same' fits)
    "s=3": None,
}


@browser
@pytest.mark.parametrize("text, cases", [(GUARDED, GUARDED_FRAGMENTS), (LIMIT, LIMIT_FRAGMENTS),
                                         (PYTORCH, PYTORCH_FRAGMENTS)], ids=["guarded", "limit", "defaults_of"])
def test_new_guards_refuse_as_python_does(tmp_path, text, cases):
    """A division by zero (in a channel count, in a repeat count), ceil-mode padding, a multiply that does
    not broadcast, fractional and adaptive pooling, the layer limit: the page's first line is Python's."""
    own = tmp_path / "spec.yaml"
    own.write_text(text)
    network = costmodel.load_network(str(own))
    expected = []
    for fragment, words in cases.items():
        expected.append(python_refusal(network, fragment))
        assert (words is None) == (expected[-1] is None) and (words is None or words in expected[-1]), fragment
    if text is LIMIT:
        assert expected[0].startswith(f"{own}:9:") # the line of unit's second layer, b
    got = _results(dom(write_page(tmp_path, str(own)), "test=" + urllib.parse.quote(json.dumps(list(cases)))))
    assert [answer.get("error") for answer in got] == expected
    assert all("totals" in answer for answer, e in zip(got, expected) if e is None)
