"""Fuzzing the spec loader and the whole pipeline with hypothesis.

(a) Valid random specs (plain layers, blocks with arguments, repeat, residual and concat branches,
    every rounding rule, each `defaults_of:`): costmodel.analyze must succeed, which checks symbolic == reference for
    every field of every layer, and the closed-form totals must equal the summed rows.
(b) Mutated specs (deleted keys, wrong types, huge/negative/zero numbers, unknown types, random
    expressions, random text and bytes): the only outcomes are a checked report or a SpecError
    whose every line is located (FILE:LINE:COLUMN:). A CheckError, any other exception, or a case
    slower than SLOW seconds fails the test.

(c) The exploration paths at the edges: compare, sweep, solve and metrics on specs whose symbols
    are named like helpers of the compiled code, whose expressions divide by zero on the grid, and
    whose totals pass 2**53 and 2**63, against `report` configuration by configuration.

The normal run is a bounded campaign (profile "ci": 300 derandomised cases for (a) and (b), 25 for
(c), about 25 s). The long campaign:

    HYPOTHESIS_PROFILE=long FUZZ_MINUTES=10 python -m pytest -q -p no:warnings tests/test_fuzz.py -s

runs each of the four tests for FUZZ_MINUTES/4 minutes (or FUZZ_EXAMPLES cases, 30,000 by
default, FUZZ_EDGE_EXAMPLES for (c), whichever comes first) and prints how many cases it tried.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import signal
import time
from fractions import Fraction

import pytest
import sympy
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import costmodel
from costmodel import SpecError

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
# applied to this file's tests only (a profile loaded here would change every other test file's)
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "30000" if PROFILE == "long" else "300")),
                deadline=None, derandomize=PROFILE != "long", suppress_health_check=list(HealthCheck),
                database=None)
CAMPAIGNS = 4  # the tests below that share FUZZ_MINUTES
BUDGET = float(os.environ.get("FUZZ_MINUTES", "10")) * 60 / CAMPAIGNS if PROFILE == "long" else None
SLOW = 20.0  # seconds: a case slower than this is a hang as far as a user is concerned
LOCATED = re.compile(r"^[^\n]+\.yaml:\d+:\d+: \S")
STATS: dict[str, int] = {}


class _Budget:
    """End a long campaign's test after its share of the time (hypothesis has no wall-clock limit):
    past it, the remaining examples return at once (they are not counted)."""

    def __init__(self, name):
        self.name, self.start = name, None

    def tick(self) -> bool:
        self.start = self.start or time.monotonic()
        if BUDGET is not None and time.monotonic() - self.start > BUDGET:
            return True
        STATS[self.name] = STATS.get(self.name, 0) + 1
        return False


def _report_stats():
    if PROFILE == "long":
        print("\nfuzz cases tried:", STATS)


# --- (a) valid random specs ------------------------------------------------------------------

ALPHAS = [Fraction(1, 2), Fraction(3, 4), Fraction(1), Fraction(5, 4), Fraction(2)]
RULES = ["floor", "ceil", "nearest", "multiple_of_8", "multiple_of_4"]


def rounded(v: Fraction, rule: str) -> int:
    """The README's channel rounding table, written out again for the generator."""
    if rule == "floor":
        return math.floor(v)
    if rule == "ceil":
        return math.ceil(v)
    if rule == "nearest":
        return math.floor(v + Fraction(1, 2))
    n = int(rule.rsplit("_", 1)[1])
    c = max(n, math.floor(v + Fraction(n, 2)) // n * n)
    return c + n if c < Fraction(9, 10) * v else c


def divisors(n: int) -> list[int]:
    return [d for d in range(1, min(n, 64) + 1) if n % d == 0]


@st.composite
def valid_specs(draw):
    """A spec that fits at the values it returns, tracking (H, W, C) numerically as it goes."""
    alpha = draw(st.sampled_from(ALPHAS))
    delta = draw(st.integers(1, 3))
    rule = draw(st.sampled_from(RULES))
    h, w = draw(st.integers(4, 40)), draw(st.integers(4, 40))
    c = draw(st.integers(1, 16))
    values = {"alpha": alpha, "delta": delta}
    spec = {"name": "fuzz", "input": [h, w, c], "rounding": rule,
            "symbols": {"alpha": {"default": str(alpha)}, "delta": {"default": delta, "integer": True}},
            "blocks": {"unit": {"args": {"out": None, "s": 1}, "layers": [
                {"type": "dwconv", "kernel": 3, "stride": "s", "multiplier": "delta"},
                {"type": "batchnorm"}, {"type": "relu6"},
                {"type": "pointwise", "name": "pw", "filters": "out*alpha", "bias": False}]}},
            "layers": []}
    framework = draw(st.sampled_from([None, "costmodel", "pytorch", "keras"]))
    if framework is not None:  # whose defaults; the depthwise convs below count on 'same' padding
        spec["defaults_of"] = framework
        if framework != "costmodel":
            spec["defaults"] = {"dwconv": {"padding": "same"}}
    layers = spec["layers"]
    state = {"h": h, "w": w, "c": c, "n": 0}

    def name():
        state["n"] += 1
        return f"l{state['n']}"

    def same_shape_chain():
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(["relu", "batchnorm", "identity", "dwconv", "leaky_relu", "dropout"]))
            layer = {"type": kind, "name": name()}
            if kind == "dwconv":
                layer.update(kernel=draw(st.sampled_from([1, 3, [1, 3]])), padding="same")
            if kind == "leaky_relu":
                layer["slope"] = "1/10"
            layers.append(layer)

    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["conv", "pointwise", "dwconv", "pool", "block", "residual", "concat",
                                     "act", "shuffle", "split", "channel_pad", "fmp"]))
        hw = (state["h"], state["w"])
        if kind == "conv":
            n = draw(st.integers(2, 48))
            cout = rounded(n * alpha, rule)
            k = draw(st.sampled_from([1, 3, 5, [1, 3], [3, 1]]))
            kh, kw = (k, k) if isinstance(k, int) else k
            s = draw(st.sampled_from([1, 2, [2, 1]]))
            sh, sw = (s, s) if isinstance(s, int) else s
            d = draw(st.sampled_from([1, 2]))
            groups = draw(st.sampled_from(divisors(math.gcd(state["c"], cout))))
            pad = draw(st.sampled_from(["same", "valid", 0, 1, [1, 2], [[0, 1], [1, 0]]]))
            if pad == "same":
                ho, wo = -(-hw[0] // sh), -(-hw[1] // sw)
            else:
                p = {0: (0, 0, 0, 0), 1: (1, 1, 1, 1), "valid": (0, 0, 0, 0)}.get(
                    pad if not isinstance(pad, list) else None, None)
                if p is None:
                    p = (1, 1, 2, 2) if pad == [1, 2] else (0, 1, 1, 0)
                span = (d * (kh - 1) + 1, d * (kw - 1) + 1)
                padded = (hw[0] + p[0] + p[1], hw[1] + p[2] + p[3])
                if span[0] > padded[0] or span[1] > padded[1]:
                    pad, ho, wo = "same", -(-hw[0] // sh), -(-hw[1] // sw)
                else:
                    ho, wo = (padded[0] - span[0]) // sh + 1, (padded[1] - span[1]) // sw + 1
            layers.append({"type": draw(st.sampled_from(["conv", "conv2d"])), "name": name(),
                           "filters": f"{n}*alpha", "kernel": k, "stride": s, "dilation": d, "padding": pad,
                           "groups": groups, "bias": draw(st.booleans())})
            state.update(h=ho, w=wo, c=cout)
        elif kind == "pointwise":
            n = draw(st.integers(1, 32))
            layers.append({"type": "pointwise", "name": name(), "filters": n})
            state["c"] = n  # a count that is whole by construction is never rounded
        elif kind == "dwconv":
            s = draw(st.sampled_from([1, 2]))
            layers.append({"type": "dwconv", "name": name(), "kernel": 3, "stride": s, "multiplier": "delta"})
            state.update(h=-(-hw[0] // s), w=-(-hw[1] // s), c=state["c"] * delta)
        elif kind == "pool":
            k = draw(st.integers(1, min(hw)))
            layers.append({"type": draw(st.sampled_from(["maxpool", "avgpool"])), "name": name(), "kernel": k})
            state.update(h=(hw[0] - k) // k + 1, w=(hw[1] - k) // k + 1)
        elif kind == "block":
            out, s, repeat = draw(st.integers(2, 24)), draw(st.sampled_from([1, 2])), draw(st.integers(1, 3))
            call = {"block": "unit", "name": name(), "out": out, "s": s}
            if repeat > 1:
                call["repeat"] = repeat
            layers.append(call)
            for _ in range(repeat):
                state.update(h=-(-state["h"] // s), w=-(-state["w"] // s), c=rounded(out * alpha, rule))
        elif kind in ("residual", "concat"):
            start = name()
            layers.append({"type": "identity", "name": start})
            same_shape_chain()
            if kind == "residual":
                layers.append({"type": "add", "name": name(), "inputs": [start, layers[-1]["name"]]})
            else:
                # the chain keeps the shape (its dwconvs have multiplier 1): three inputs of C channels
                layers.append({"type": "concat", "name": name(), "inputs": [start, layers[-1]["name"], start]})
                state["c"] = 3 * state["c"]
        elif kind == "act":
            layers.append({"type": draw(st.sampled_from(["relu", "sigmoid", "tanh", "hard_swish", "gelu", "bn"]))})
        elif kind == "shuffle":
            layers.append({"type": "shuffle", "groups": draw(st.sampled_from(divisors(state["c"])))})
        elif kind == "split":
            parts = draw(st.sampled_from(divisors(state["c"])))
            layers.append({"type": "split", "parts": parts, "index": draw(st.integers(0, parts - 1))})
            state["c"] //= parts
        elif kind == "channel_pad":
            extra = draw(st.integers(0, 8))
            channels = state["c"] + extra
            layers.append({"type": "channel_pad", "channels": channels})
            state["c"] = channels
        elif kind == "fmp" and min(hw) >= 2:
            layers.append({"type": "fractional_maxpool", "ratio": "3/2"})
            state.update(h=math.floor(hw[0] / Fraction(3, 2)), w=math.floor(hw[1] / Fraction(3, 2)))
    if draw(st.booleans()):
        layers.append({"type": "global_avgpool"})
    layers.append({"type": draw(st.sampled_from(["dense", "fc"])), "units": draw(st.integers(1, 20))})
    return spec, values


def _dump(spec) -> str:
    return yaml.safe_dump(spec, sort_keys=False, default_flow_style=None, width=100)


_budget_valid = _Budget("valid")


@FUZZ
@given(valid_specs())
def test_valid_random_specs_agree_field_by_field(case):
    spec_dict, values = case
    if _budget_valid.tick():
        return
    text = _dump(spec_dict)
    if os.environ.get("FUZZ_CURRENT"):
        with open(os.environ["FUZZ_CURRENT"], "w") as f:
            f.write(text)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, 2 * SLOW)
    try:
        result = costmodel.analyze(costmodel.loads(text, file="fuzz.yaml"), values)  # raises on any disagreement
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    net = result.network
    subs = {net.symbols[k]: sympy.Rational(v.numerator, v.denominator) for k, v in result.values.items()}
    for metric in ("params", "params_non_trainable", "macs", "floats_out"):
        closed = net.total(metric).xreplace(subs)
        assert closed == getattr(result.totals, metric), metric
        assert getattr(result.totals, metric) == sum(getattr(r, metric) for r in result.rows)
    assert result.rows[-1].shape[:2] == (1, 1)


# --- (b) mutated specs -----------------------------------------------------------------------

EXPRESSION_TOKENS = ["alpha", "delta", "beta", "__class__", "x", "1", "0", "-1", "3.5", "1e15", "1e16", "2",
                     "16", "17", "99999999999999999999", "+", "-", "*", "/", "//", "**", "(", ")", ",", "floor(",
                     "ceil(", "min(", "max(", "open(", "eval(", "'", ".", "lambda", "[", "%", " ", "\\n", "é"]


@st.composite
def expressions(draw):
    return "".join(draw(st.lists(st.sampled_from(EXPRESSION_TOKENS), min_size=1, max_size=12)))


hostile_values = st.one_of(
    st.integers(-10, 10), st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 10**15, 10**16, 2**40, 2**41, 10**4000, 1.5, -0.5, 1e300, float("nan"), float("inf")]),
    st.none(), st.booleans(), expressions(), st.text(max_size=20),
    st.sampled_from(["same", "valid", "conv", "frobnicate", "input", "unit", "l1", "l2", "l3", "multiple_of_0",
                     "multiple_of_8", "2001-13-45", "&a", "*a", "!!python/object/apply:os.system ['true']"]),
    st.lists(st.integers(-3, 40), max_size=5), st.dictionaries(st.sampled_from(["a", "type", "block"]),
                                                               st.integers(-2, 5), max_size=2),
)


def _paths(node, path=()):
    """Every (container, key) in a nested structure of dicts and lists."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield node, k
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield node, i
            yield from _paths(v, path + (i,))


@st.composite
def mutated_dicts(draw, specs=None):
    """A spec dict (from `specs`, by default a valid random one) with one to four deletions,
    replacements and insertions."""
    spec = draw(specs) if specs is not None else draw(valid_specs())[0]
    for _ in range(draw(st.integers(1, 4))):
        places = list(_paths(spec))
        if not places:
            break
        container, key = draw(st.sampled_from(places))
        action = draw(st.sampled_from(["delete", "replace", "replace", "insert", "type"]))
        if action == "delete":
            del container[key]
        elif action == "replace":
            container[key] = draw(hostile_values)
        elif action == "insert" and isinstance(container, dict):
            container[draw(st.sampled_from(["strides", "type", "block", "repeat", "inputs", "input", "groups",
                                            "name", "padding", "rounding", "zz"]))] = draw(hostile_values)
        elif action == "insert":
            container.insert(key, draw(hostile_values))
        elif isinstance(container, dict) and "type" in container:
            container["type"] = draw(st.sampled_from(["conv", "add", "concat", "split", "frobnicate", "dense",
                                                      "global_avgpool", "flatten", "maxpool", "unit"]))
    return spec


@st.composite
def mutated_specs(draw):
    spec = draw(mutated_dicts())
    try:
        text = _dump(spec)
    except (yaml.YAMLError, ValueError):
        text = repr(spec)
    edits = draw(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 3),
                                    st.text(alphabet=":[]{}-,&*!|>'\"#\n 1a", max_size=3)), max_size=2))
    for position, cut, insert in edits:  # a few textual edits too: YAML syntax errors, anchors...
        i = position % (len(text) + 1)
        text = text[:i] + insert + text[i + cut:]
    return text


class Hang(Exception):
    """A case ran past the alarm: as good as a hang for a user."""


def _alarm(signum, frame):
    raise Hang(f"no outcome after {2 * SLOW:.0f} s")


def check_outcome(text: str, file: str = "fuzz.yaml") -> str:
    """Load and analyse; return 'ok' or 'error' and assert the outcome is one of those, cleanly."""
    if os.environ.get("FUZZ_CURRENT"):  # long runs: the case in progress, should the run be killed
        with open(os.environ["FUZZ_CURRENT"], "w") as f:
            f.write(text)
    start = time.monotonic()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, 2 * SLOW)
    try:
        result = costmodel.analyze(costmodel.loads(text, file=file))
        outcome = "ok"
        assert all(isinstance(v, int) and v >= 0 for r in result.rows for v in (r.params, r.macs, r.floats_out))
    except SpecError as e:
        outcome = "error"
        lines = str(e).split("\n")
        assert len(lines) == len(e.errors) + (1 if e.omitted else 0)
        for line in lines[:len(e.errors)]:
            assert LOCATED.match(line), f"unlocated error: {line!r}"
            assert len(line) < 2000, "a message this long is not one readable line"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.monotonic() - start
    assert elapsed < SLOW, f"took {elapsed:.1f} s"
    return outcome


_budget_mutated = _Budget("mutated")


@FUZZ
@given(mutated_specs())
def test_mutated_specs_give_a_report_or_located_errors(text):
    if _budget_mutated.tick():
        return
    outcome = "mutated_" + check_outcome(text)
    STATS[outcome] = STATS.get(outcome, 0) + 1


FOUND_BY_THE_LONG_RUN = [  # the 86,542-case run of 2026-12-02: a 4,000-character word made a 4,000-character line
    "name: x\ninput: [4, 4, 1]\nblocks: {unit: " + "0" * 4000 + "}\nlayers:\n- {type: dense, units: 1}\n",
    "name: x\ninput: [4, 4, 1]\nblocks: {uni1" + "0" * 4000 + "}\nlayers:\n- {type: dense, units: 1}\n",
]


@pytest.mark.parametrize("text", FOUND_BY_THE_LONG_RUN)
def test_a_long_word_is_cut_in_its_message(text):
    assert check_outcome(text) == "error"
    with pytest.raises(SpecError) as e:
        costmodel.loads(text, file="fuzz.yaml")
    line = str(e.value)
    # the word cut to its first 80 and last 20 characters, the rest counted
    assert "characters left out)" in line and len(line) < 400


_budget_bytes = _Budget("bytes")


@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_random_bytes_and_text(data):
    if _budget_bytes.tick():
        return
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:  # what `load` says of such a file, located
            assert re.match(r"^\d+$", str(data.count(b"\n", 0, e.start) + 1))
            return
    check_outcome(data)


# --- (c) the exploration paths at the edges -------------------------------------------------------
# compare, sweep, solve and metrics on specs whose symbols have names that are helpers of the
# compiled code (Fraction, RoundFloor, math ...), expressions whose denominator crosses zero on
# the grid, and totals beyond 2**53 and 2**63. `report` (Network.evaluate, checked against the
# reference propagator) is the oracle: sweep must keep exactly the configurations it accepts, with
# the same numbers, compare must agree or refuse, solve and metrics must succeed or refuse; the
# only exception allowed anywhere is SpecError.

ODD_NAMES = ["Fraction", "RoundNearest", "RoundFloor", "RoundCeil", "RoundDivisible", "math", "numpy", "Min",
             "inv_", "x0", "lambda", "None", "print", "_Dummy_1", "Integer", "alpha"]
EDGE_VALUES = [Fraction(1, 2), Fraction(1, 3), Fraction(1), Fraction(2), Fraction(3, 2), Fraction(1, 1000),
               Fraction(10**6), Fraction(7, 10)]
FILTERS = ["8 + 8/(2*{a} - 1)", "8/(3*{a} - 1) + 8", "16*{a}", "4*{a}*{b}", "1048576*{a}", "max(8, 32*{a} - 8)",
           "floor(8/{a}) + {b}", "{b} + 10*{a}"]
EDGE_EXAMPLES = int(os.environ.get("FUZZ_EDGE_EXAMPLES", "30000" if PROFILE == "long" else "25"))


@st.composite
def edge_specs(draw):
    """A small spec with two oddly named symbols, a grid of edge values for each."""
    a, b = draw(st.lists(st.sampled_from(ODD_NAMES), min_size=2, max_size=2, unique=True))
    b_integer = draw(st.booleans())
    side = draw(st.sampled_from([8, 32, 1048576]))
    layers = []
    for _ in range(draw(st.integers(1, 2))):
        layers.append({"type": "conv", "filters": draw(st.sampled_from(FILTERS)).format(a=a, b=b),
                       "kernel": draw(st.sampled_from([1, 3]))})
    if draw(st.booleans()):
        layers.append({"type": "global_avgpool"})
        layers.append({"type": "dense", "units": f"{b} + 1"})
    spec = {"name": "edge", "input": [side, side, draw(st.sampled_from([1, 3]))],
            "rounding": draw(st.sampled_from(["none", "floor", "ceil", "nearest", "multiple_of_8"])),
            "symbols": {a: {"default": 1}, b: {"default": 1, "integer": b_integer}}, "layers": layers}
    grid = {a: draw(st.lists(st.sampled_from(EDGE_VALUES), min_size=1, max_size=4, unique=True)),
            b: draw(st.lists(st.sampled_from([Fraction(1), Fraction(2), Fraction(5)] if b_integer else EDGE_VALUES),
                             min_size=1, max_size=2, unique=True))}
    return spec, grid


def _oracle(net, grid) -> tuple[dict, dict]:
    """report's verdict on every configuration: (accepted: key -> totals, refused: key -> message)."""
    from costmodel.analyses.explore import totals_of
    accepted, refused = {}, {}
    for combo in itertools.product(*grid.values()):
        config = dict(zip(grid, combo))
        key = tuple(float(v) for v in combo)
        try:
            accepted[key] = totals_of(net.evaluate(config))
        except SpecError as e:
            refused[key] = e.message
    return accepted, refused


_budget_edges = _Budget("edges")


@settings(FUZZ, max_examples=EDGE_EXAMPLES)
@given(edge_specs())
def test_exploration_at_the_edges_agrees_with_report(case):
    from costmodel.analyses import explore, metrics
    if _budget_edges.tick():
        return
    spec_dict, grid = case
    try:
        net = costmodel.load_network(costmodel.from_dict(spec_dict, file="edge.yaml"))
    except SpecError:
        STATS["edges_refused_spec"] = STATS.get("edges_refused_spec", 0) + 1
        return
    accepted, refused = _oracle(net, grid)
    # sweep: exactly the accepted configurations, with report's numbers (exact beyond 2**53 too)
    rows = explore.sweep(net, grid)
    names = list(net.spec.symbols)
    swept = {tuple(float(r[n]) for n in grid): {m: int(r[m]) for m in explore.METRICS} for r in rows}
    assert set(swept) == set(accepted), (sorted(swept), sorted(accepted), refused)
    for key, totals in accepted.items():
        assert swept[key] == totals, key
    assert len(rows) + len(refused) == math.prod(len(v) for v in grid.values()) and names
    if any("division by zero" in m for m in refused.values()):
        STATS["edges_division_by_zero"] = STATS.get("edges_division_by_zero", 0) + 1
    if any(t["macs"] >= 2**53 for t in accepted.values()):
        STATS["edges_beyond_2_53"] = STATS.get("edges_beyond_2_53", 0) + 1
    # compare: every row as report gives it, or a SpecError when one configuration does not fit
    try:
        compared = explore.compare(net, grid)
        assert not refused
        assert {tuple(float(r["values"][n]) for n in grid): r["macs"] for r in compared} == \
            {k: t["macs"] for k, t in accepted.items()}
    except SpecError:
        assert refused
    # solve and metrics: an answer within budget, or a SpecError
    a = next(iter(grid))
    budget = max((t["macs"] for t in accepted.values()), default=10**9) or 1
    try:
        answer = explore.solve(net, a, {"macs": budget})
        assert answer["costs"]["macs"] <= budget
    except SpecError:
        pass
    for key in list(accepted)[:1]:
        values = dict(zip(grid, (v for v in itertools.product(*grid.values()) if tuple(map(float, v)) == key)
                          .__next__()))
        assert metrics.evaluate(net, values)["values"] == net.values(values)


def test_zz_report_campaign_size():
    """Last in the file: print what the long campaign did (the numbers for the README)."""
    _report_stats()
    if PROFILE != "long":
        assert STATS.get("valid", 0) > 0 or os.environ.get("PYTEST_XDIST_WORKER")
