"""`mypy costmodel` is clean at its defaults (the `test` extra installs mypy and the stubs it needs)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (pip install -e '.[test]')")
def test_mypy_is_clean():
    # run from the checkout: pyproject.toml's [tool.mypy] lists the libraries without type information
    result = subprocess.run([sys.executable, "-m", "mypy", "costmodel"], cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
