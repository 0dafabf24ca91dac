"""No sympy on the path of a number, and the cache of closed-form text that keeps it off JSON reports."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
SPEC = "specs/mobilenet_cifar.yaml"

PROBE = """
import contextlib, io, sys
from costmodel.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    status = main(sys.argv[1:])
sys.stderr.write(out.getvalue())
print("sympy" in sys.modules, status)
"""


def run(tmp_path, *argv, env=None):
    """Run `costmodel ARGV` in a fresh process: (imported sympy?, exit status, output)."""
    environment = {**{k: v for k, v in os.environ.items() if k != "COSTMODEL_NO_CACHE"},
                   "COSTMODEL_CACHE_DIR": str(tmp_path / "cache"), **(env or {})}
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)
    sympy, status = done.stdout.split()
    return sympy == "True", int(status), done.stderr


def entries(tmp_path):
    return sorted((tmp_path / "cache").glob("*.json"))


def test_import_and_a_numeric_report_load_no_sympy(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import sys, costmodel; print('sympy' in sys.modules)"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.strip() == "False"
    for argv in ([SPEC], [SPEC, "--format", "csv"], ["imagenet/resnet_bottleneck", "--preset", "resnet101",
                                                       "--depth", "1"]):
        sympy, status, _ = run(tmp_path, "report", *argv)
        assert status == 0 and not sympy, argv
    assert entries(tmp_path) == []  # nothing to cache: no closed form was printed


def test_json_formulas_come_from_the_cache_the_second_time(tmp_path):
    sympy, status, first = run(tmp_path, "report", SPEC, "--format", "json")
    assert status == 0 and sympy and len(entries(tmp_path)) == 1
    sympy, status, second = run(tmp_path, "report", SPEC, "--format", "json")
    assert status == 0 and not sympy and second == first
    formulas = json.loads(second)["formulas"]
    assert formulas["macs"]["smooth"].startswith("11010048*alpha**2*delta")


def test_a_bad_entry_is_ignored_and_rebuilt(tmp_path):
    _, _, expected = run(tmp_path, "report", SPEC, "--format", "json")
    (path,) = entries(tmp_path)
    good = json.loads(path.read_text())
    tampered = {**good, "value": {**good["value"], "macs": {"exact": "1", "smooth": "1"}}}  # checksum now stale
    foreign = {**good, "key": "0" * 64}
    for bad in ("{not json", json.dumps(tampered), json.dumps(foreign), json.dumps([1, 2]), ""):
        path.write_text(bad)
        sympy, status, out = run(tmp_path, "report", SPEC, "--format", "json")
        assert status == 0 and sympy and out == expected  # recomputed, not trusted
        assert json.loads(path.read_text()) == good  # and stored again


def test_no_cache_reads_and_writes_nothing(tmp_path):
    sympy, status, _ = run(tmp_path, "--no-cache", "report", SPEC, "--format", "json")
    assert status == 0 and sympy and entries(tmp_path) == []
    sympy, status, _ = run(tmp_path, "report", SPEC, "--format", "json", env={"COSTMODEL_NO_CACHE": "1"})
    assert status == 0 and sympy and entries(tmp_path) == []


def test_the_key_follows_the_spec_not_the_process(tmp_path):
    import costmodel
    from costmodel import cache
    a = cache.key(costmodel.load(ROOT / SPEC))
    b = cache.key(costmodel.load(ROOT / SPEC))
    changed = cache.key(costmodel.loads((ROOT / SPEC).read_text().replace("classes: {default: 10", "classes: {default: 11")))
    assert a == b != changed
    done = subprocess.run([sys.executable, "-c", f"import costmodel; from costmodel import cache; "
                           f"print(cache.key(costmodel.load({str(ROOT / SPEC)!r})))"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert done.stdout.strip() == a  # the same in another process with another hash seed


def test_the_canonical_text_of_a_shared_value_is_its_text_each_time():
    """The key's walk keeps each container's text by id (a spec's tree shares argument dicts): a
    dict met twice is written twice, as two equal copies are; sets and dicts sorted, so no hash
    seed shows."""
    from fractions import Fraction
    from costmodel.cache import _canonical
    shared = {"b": Fraction(1, 2), "a": (1, "x")}
    assert _canonical((shared, shared)) == _canonical((dict(shared), dict(shared))) == \
        "({'a':(1,'x'),'b':Fraction(1, 2)},{'a':(1,'x'),'b':Fraction(1, 2)})"
    assert _canonical(frozenset({"y", "x"})) == "set('x','y')"
