import textwrap

import pytest

import costmodel


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/* from the current output instead of comparing")


@pytest.fixture
def update_golden(request):
    return request.config.getoption("--update-golden")


def one_layer(layer: str, input_shape=(32, 32, 3), symbols: str = "", rounding: str = "floor", **values):
    """Analyse a one-layer network (symbolic, reference and the check between them)."""
    text = textwrap.dedent(f"""\
        input: [{input_shape[0]}, {input_shape[1]}, {input_shape[2]}]
        rounding: {rounding}
        symbols: {{{symbols}}}
        layers:
          - {layer}
        """)
    return costmodel.analyze(costmodel.loads(text, file="test.yaml"), values).rows[0]
