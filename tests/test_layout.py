"""One place per layer family: the symbolic family files in costmodel/ops/ and their numeric twins
of the same name in costmodel/reference/, which import nothing from the symbolic side."""

import ast
from pathlib import Path

from costmodel import reference
from costmodel.ops import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "costmodel"
SYMBOLIC = {"costmodel.ops", "costmodel.network", "costmodel.symbolic", "costmodel.analyses.metrics", "sympy", "torch"}


def imported_modules(path: Path, root: Path = ROOT) -> set:
    """Absolute names of the modules a file imports (relative imports resolved)."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_the_reference_package_imports_no_symbolic_code():
    for path in sorted((PACKAGE / "reference").glob("*.py")):
        found = {name for name in imported_modules(path)
                 if any(name == banned or name.startswith(banned + ".") for banned in SYMBOLIC)}
        assert not found, f"{path.name} imports {sorted(found)}"


def test_the_import_check_sees_a_relative_import_of_ops(tmp_path):
    planted = tmp_path / "costmodel" / "reference" / "planted.py"
    planted.parent.mkdir(parents=True)
    planted.write_text("from ..ops import REGISTRY\nfrom .numbers import evaluate\n")
    names = imported_modules(planted, tmp_path)
    assert "costmodel.ops" in names and "costmodel.reference.numbers" in names


def test_each_reference_family_file_has_an_ops_twin_of_the_same_name():
    ours = {p.name for p in (PACKAGE / "ops").glob("*.py")}
    for path in (PACKAGE / "reference").glob("*.py"):
        if path.name not in ("__init__.py", "numbers.py", "metrics.py", "compiled.py", "traced.py"):  # the walk specialised, recorded
            assert path.name in ours, path.name


def test_every_registered_type_has_a_numeric_rule_and_field_in_its_twin():
    assert set(reference.RULES) == set(REGISTRY)
    assert set(reference.FIELDS) == set(REGISTRY)
    assert set(reference.DEFAULTS) <= set(REGISTRY)


def test_importing_the_registry_does_not_import_torch():
    import subprocess
    import sys
    code = "import sys, costmodel.ops; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_every_registered_type_builds_its_torch_module_from_its_family_file():
    from costmodel.ops import REGISTRY as registry
    for type_, op in registry.items():
        assert op.torch is not None and op.torch.__module__.startswith("costmodel.ops."), type_
