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


ROOT = __import__("pathlib").Path(__file__).parent.parent


@pytest.fixture(autouse=True, scope="session")
def _cache_in_a_temporary_directory(tmp_path_factory):
    """The cache of closed-form text goes to a directory of this run's, never the user's."""
    import os
    os.environ["COSTMODEL_CACHE_DIR"] = str(tmp_path_factory.mktemp("costmodel-cache"))
    yield
GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run `costmodel ARGV...` in-process from the repository root: (status, stdout, stderr)."""
    from costmodel.cli import main

    def run(argv):
        monkeypatch.chdir(ROOT)
        status = main(argv)
        out = capsys.readouterr()
        return status, out.out, out.err

    return run


@pytest.fixture
def golden(update_golden):
    """Compare text with tests/golden/NAME, or rewrite the file under --update-golden."""
    def check(name: str, text: str):
        path = GOLDEN / name
        if update_golden:
            path.write_text(text)
        assert text == path.read_text(), f"output differs from {path}; rerun with --update-golden if intended"

    return check
