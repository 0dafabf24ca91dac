"""An Evaluation and a Network in a notebook: repr, markdown, HTML, records and pandas."""

import importlib.util

import pytest

import costmodel
from costmodel.outputs import notebook

CIFAR = "mobilenet_cifar"
HAS_PANDAS = importlib.util.find_spec("pandas") is not None


@pytest.fixture(scope="module")
def evaluation():
    return costmodel.analyze(CIFAR, alpha=0.5, delta=2)


def test_evaluation_repr_is_the_table_and_totals(evaluation):
    text = repr(evaluation)
    assert text.startswith("mobilenet_cifar (alpha=0.5, delta=2, classes=10)")
    assert "conv1" in text and "16x16x16" in text  # the first layer: 32*0.5 = 16 filters, stride 2
    assert evaluation.totals.macs == 5975552 and "MACs: 5,975,552" in text


def test_markdown_and_html(evaluation):
    md = evaluation._repr_markdown_()
    assert "| conv1 " in md and "5,975,552" in md
    page = evaluation._repr_html_()
    assert page.count("<tr>") == 1 + len(evaluation.rows) + 1  # header, the layers, the total
    assert "<td style=\"text-align: right\">5,975,552</td>" in page


def test_html_escapes_what_comes_from_the_spec():
    # layer names are letters, digits, '_', '-' and '.'; a spec's name is its file's
    spec = costmodel.from_dict({"input": [4, 4, 3], "layers": [{"type": "conv", "filters": 2, "kernel": 1}]},
                               file="<b>&x.yaml")
    page = costmodel.analyze(spec)._repr_html_()
    assert "<b>&x" not in page and "&lt;b&gt;&amp;x" in page


def test_a_long_network_shows_its_ends():
    evaluation = costmodel.analyze("imagenet/densenet121")
    text = repr(evaluation)
    hidden = len(evaluation.rows) - notebook.MAX_ROWS
    assert f"... {hidden:,} more layers" in text
    assert evaluation.rows[0].name in text and evaluation.rows[-1].name in text
    assert len(text.splitlines()) < notebook.MAX_ROWS + 15


def test_network_repr_derives_no_closed_form():
    net = costmodel.load_network(CIFAR)
    assert repr(net) == "<Network 'mobilenet_cifar': 85 layers; symbols alpha=1, delta=1, classes=10>"
    page = net._repr_html_()
    assert f"{costmodel.analyze(CIFAR).totals.macs:,}" in page  # the defaults' evaluation
    assert "MACs" in net._repr_markdown_()
    assert net._derived is None  # sympy was not asked for anything


def test_network_repr_of_defaults_that_do_not_fit():
    spec = costmodel.from_dict({"input": [4, 4, 3], "symbols": {"alpha": "1/16"},
                                "layers": [{"type": "conv", "filters": "8*alpha", "kernel": 1}]})
    net = costmodel.load_network(spec)
    assert "at the defaults:" in net._repr_html_() and "filters" in net._repr_markdown_()


def test_records(evaluation):
    records = evaluation.to_records()
    assert len(records) == len(evaluation.rows)
    first = records[0]
    assert list(first) == list(notebook.RECORD_FIELDS)
    # conv1: 3x3 conv, stride 2, from 32x32x3 to 16x16x16 filters (no bias)
    assert (first["name"], first["height"], first["width"], first["channels"]) == ("conv1", 16, 16, 16)
    assert first["params"] == 3 * 3 * 3 * 16 and first["macs"] == 16 * 16 * 16 * 3 * 3 * 3
    assert sum(r["macs"] for r in records) == evaluation.totals.macs  # no total row
    net = costmodel.load_network(CIFAR)
    assert net.to_records({"alpha": 0.5, "delta": 2}) == records


@pytest.mark.skipif(not HAS_PANDAS, reason="pandas is not installed (the `pandas` extra)")
def test_to_pandas(evaluation):
    frame = evaluation.to_pandas()
    assert len(frame) == len(evaluation.rows) and list(frame.columns) == list(notebook.RECORD_FIELDS)
    assert int(frame["macs"].sum()) == evaluation.totals.macs  # the column sums are the totals
    assert int(frame["params"].sum()) == evaluation.totals.params
    assert frame.loc["conv1", "channels"] == 16
    assert str(frame["macs"].dtype) == "int64"
    assert costmodel.load_network(CIFAR).to_pandas(preset=None)["macs"].sum() == costmodel.analyze(CIFAR).totals.macs


def test_to_pandas_without_pandas_names_the_extra(evaluation, monkeypatch):
    import builtins
    real = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match=r"pip install 'cnn-costmodel\[pandas\]'"):
        evaluation.to_pandas()

