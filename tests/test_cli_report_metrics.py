"""`costmodel report` with the extra metrics: --exits (multi-exit costs), --metrics, --dtype."""

import json

import pytest

import costmodel
from costmodel import SpecError


def ancestors(rows: dict, name: str) -> set:
    """The layer and every layer it depends on, following each row's inputs."""
    seen, todo = set(), [name]
    while todo:
        n = todo.pop()
        if n != "input" and n not in seen:
            seen.add(n)
            todo += rows[n]["inputs"]
    return seen


def test_report_exits_are_cumulative_and_incremental(cli):
    status, out, err = cli(["report", "specs/multi_exit_cifar.yaml", "--exits", "--fractions", "0.5,0.3,0.2",
                            "--format", "json"])
    assert status == 0 and err == ""
    doc = json.loads(out)
    rows = {layer["name"]: layer for layer in doc["layers"]}
    exits = doc["metrics"]["exits"]
    assert [e["name"] for e in exits] == ["exit1", "exit2", "exit3"]  # the spec's `exits:`
    needed = set()
    previous = {"macs": 0, "params": 0}
    for e in exits:
        mine = ancestors(rows, e["name"])
        needed |= mine
        for metric in ("macs", "params"):
            assert e[metric] == sum(rows[n][metric] for n in mine)                  # the exit alone
            assert e[f"cumulative_{metric}"] == sum(rows[n][metric] for n in needed)  # exits 1..k together
            assert e[f"incremental_{metric}"] == e[f"cumulative_{metric}"] - previous[metric]
            previous[metric] = e[f"cumulative_{metric}"]
    assert needed == set(rows)  # every layer serves some exit
    expected = sum(f * e["cumulative_macs"] for f, e in zip((0.5, 0.3, 0.2), exits))
    assert doc["metrics"]["expected_macs"] == pytest.approx(expected)


def test_report_exits_table(cli):
    status, out, _ = cli(["report", "specs/multi_exit_cifar.yaml", "--exits"])
    assert status == 0
    assert "cumulative MACs" in out and "incremental params" in out
    assert out.index("resource per layer type") < out.index("cumulative MACs")  # after the usual report


def test_report_metrics_and_dtype(cli):
    status, out, _ = cli(["report", "specs/mobilenet_cifar.yaml", "--metrics", "--dtype", "int8", "--format", "json"])
    doc = json.loads(out)
    statistics = doc["totals"]["params"] + doc["totals"]["params_non_trainable"]
    assert doc["metrics"]["totals"]["param_bytes"] == 1 * statistics          # int8: one byte a value
    assert doc["metrics"]["totals"]["activation_bytes"] == 1 * doc["totals"]["floats_out"]


def test_exits_need_a_declaration_or_names(cli):
    status, _, err = cli(["report", "specs/mobilenet_cifar.yaml", "--exits"])
    assert status == 2 and "declares no `exits:`" in err and len(err.splitlines()) == 1


def test_exits_key_is_checked():
    base = {"input": [8, 8, 3], "layers": [{"type": "conv", "name": "c", "filters": 4, "kernel": 3},
                                           {"type": "global_avgpool"}, {"type": "dense", "name": "head", "units": 2}]}
    assert costmodel.from_dict({**base, "exits": ["head"]}).exits == ("head",)
    with pytest.raises(SpecError, match="exits: no layer named 'nope'"):
        costmodel.from_dict({**base, "exits": ["head", "nope"]})
    with pytest.raises(SpecError, match="non-empty list"):
        costmodel.from_dict({**base, "exits": "head"})
