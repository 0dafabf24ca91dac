"""The distribution's name in every install hint (`costmodel` on PyPI is another project), and the
files a distribution needs."""

import re
import sys
from pathlib import Path

import pytest

import costmodel
from costmodel.errors import DISTRIBUTION, install_hint

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(costmodel.__file__).resolve().parent


def test_every_install_hint_names_the_distribution():
    texts = {str(p): p.read_text() for p in [*PACKAGE.rglob("*.py"), ROOT / "README.md", ROOT / "CHANGELOG.md"]}
    hints = [(file, m.group(1)) for file, text in texts.items()
             for m in re.finditer(r"pip install '?([A-Za-z][\w.-]*)\[", text)]
    assert hints, "the extras are named somewhere"
    assert [h for h in hints if h[1] != DISTRIBUTION] == []
    assert install_hint("plot") == "pip install 'cnn-costmodel[plot]'"


def test_a_missing_matplotlib_names_the_extra(monkeypatch):
    from costmodel.outputs import plot
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails as if not installed
    with pytest.raises(costmodel.SpecError, match=re.escape("pip install 'cnn-costmodel[plot]'")):
        plot._figure(4, 3)


def test_pyproject_names_the_distribution_and_reads_the_version_from_the_package():
    text = (ROOT / "pyproject.toml").read_text()
    assert f'name = "{DISTRIBUTION}"' in text and 'version = {attr = "costmodel.__version__"}' in text
    assert 'costmodel = "costmodel.cli:main"' in text  # the command keeps its name


def test_licence_changelog_and_type_marker_exist():
    assert "MIT License" in (ROOT / "LICENSE").read_text() and "the costmodel authors" in (ROOT / "LICENSE").read_text()
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## 0.2.0 (unreleased)" in changelog and f"## {costmodel.__version__} " in changelog
    assert (PACKAGE / "py.typed").is_file()
