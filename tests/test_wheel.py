"""The built wheel works away from the checkout: build it, install it into a fresh venv, and run
`report`, `list` and `reproduce --check` from a directory outside the checkout (issue 12: a
non-editable install had no specs). Deselect with -m 'not wheel'; CI runs it."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import costmodel
from costmodel import shipped

ROOT = Path(__file__).resolve().parent.parent
# the checkout's own build products and caches stay out of the copy the wheel is built from
NOT_SOURCES = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                     ".hypothesis", ".venv", "tests")
RUN_TIME = ("sympy", "mpmath", "numpy", "yaml", "tabulate")  # imported from the test's own environment

pytestmark = pytest.mark.wheel


def _run(args, cwd, **kw):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env, **kw)


def _site_of(module: str) -> str:
    """The folder `module` is imported from here, for the fresh venv's .pth (no downloads)."""
    spec = importlib.util.find_spec(module)
    origin = Path(spec.origin)
    return str(origin.parent.parent if spec.submodule_search_locations else origin.parent)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(costmodel script, python, outside dir) of a fresh venv holding only the wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    source, dist, venv, outside = tmp / "source", tmp / "dist", tmp / "venv", tmp / "elsewhere"
    shutil.copytree(ROOT, source, symlinks=True, ignore=NOT_SOURCES)
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", ".", "-w", dist], cwd=source)
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next(dist.glob("cnn_costmodel-*.whl"))
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp, check=True)
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     cwd=tmp, check=True).stdout.strip())
    (site / "run_time_dependencies.pth").write_text("\n".join(dict.fromkeys(map(_site_of, RUN_TIME))) + "\n")
    done = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel], cwd=tmp)
    assert done.returncode == 0, done.stdout + done.stderr
    outside.mkdir()
    shutil.copy(ROOT / "docs" / "reproduction.md", outside / "reproduction.md")
    return {"wheel": wheel, "costmodel": venv / "bin" / "costmodel", "python": python, "venv": venv, "cwd": outside}


def test_the_wheel_carries_specs_profiles_types_and_licence(installed):
    files = set(zipfile.ZipFile(installed["wheel"]).namelist())
    assert {f"costmodel/specs/{name}.yaml" for name in shipped.names()} <= files
    assert {"costmodel/profiles/example_device.yaml", "costmodel/py.typed"} <= files
    assert any(f.endswith(".dist-info/LICENSE") or "/licenses/LICENSE" in f for f in files)
    metadata = next(f for f in files if f.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(installed["wheel"]).read(metadata).decode()
    assert "Name: cnn-costmodel" in text and f"Version: {costmodel.__version__}" in text


def test_the_venv_imports_its_own_copy(installed):
    where = _run([installed["python"], "-c", "import costmodel; print(costmodel.__file__)"], cwd=installed["cwd"])
    assert Path(where.stdout.strip()).is_relative_to(installed["venv"]), where.stdout + where.stderr


def test_report_by_name_outside_the_checkout(installed):
    result = _run([installed["costmodel"], "report", "mobilenet_cifar", "--format", "json"], cwd=installed["cwd"])
    assert result.returncode == 0, result.stderr
    ours = costmodel.analyze(shipped.path("mobilenet_cifar")).totals
    assert json.loads(result.stdout)["totals"]["macs"] == ours.macs


def test_list_outside_the_checkout(installed):
    result = _run([installed["costmodel"], "list", "--format", "json"], cwd=installed["cwd"])
    assert result.returncode == 0, result.stderr
    assert [e["name"] for e in json.loads(result.stdout)] == shipped.names()


def test_reproduce_check_outside_the_checkout(installed):
    result = _run([installed["costmodel"], "reproduce", "--check", "reproduction.md"], cwd=installed["cwd"])
    assert (result.returncode, result.stderr) == (0, "")
    version = _run([installed["costmodel"], "--version"], cwd=installed["cwd"])
    assert version.stdout == f"costmodel {costmodel.__version__} (cnn-costmodel)\n"
