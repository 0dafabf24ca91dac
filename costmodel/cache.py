"""A cache of closed-form text, so a report that prints formulas does not need sympy twice.

What is stored: for one spec, the text of its closed-form totals (`report --format json`'s
`formulas`), as printed. Nothing stored is ever parsed back into an expression or executed: it is
text that goes to the output as it is, and no number is taken from it (the numbers of a report are
always computed and checked against the reference).

The key is a SHA-256 of costmodel's version and the validated spec (its tree, input and symbols, as
built from the file: any change to the spec, or a new costmodel, is a new key). Each entry records
its key and a checksum of its content; an entry whose key, checksum or shape is not what this run
expects (corrupt, truncated, written by another version, or another spec's) is ignored and
rebuilt. Writes go to a temporary file renamed into place, so a reader never sees half an entry; a
cache directory that cannot be written is not an error (the report is the same, only slower).

Where: $COSTMODEL_CACHE_DIR, else $XDG_CACHE_HOME/costmodel, else ~/.cache/costmodel.
Off: COSTMODEL_NO_CACHE=1, or `--no-cache` on the command line.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from fractions import Fraction
from pathlib import Path

KIND = "formulas-1"  # bump when the stored text's form changes
MAX_ENTRY_BYTES = 4_000_000
enabled = os.environ.get("COSTMODEL_NO_CACHE", "") in ("", "0")


def directory() -> Path:
    if os.environ.get("COSTMODEL_CACHE_DIR"):
        return Path(os.environ["COSTMODEL_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "costmodel"


def key(spec, kind: str = KIND) -> str:
    from . import __version__
    text = _canonical((kind, __version__, spec.input, tuple(spec.symbols.values()), spec.tree))
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value, memo: dict | None = None) -> str:
    """A text that depends on the value only (not on hash seeds or memory addresses). `memo`
    (id -> text) keeps the text of each container and dataclass met, for the one walk that holds
    them alive: a spec's tree shares its argument dicts and block templates."""
    memo = {} if memo is None else memo
    found = memo.get(id(value))
    if found is not None:
        return found[1]
    kind = type(value)
    if kind in _ATOMS or value is None:
        return repr(value)
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(value):
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        inner = ",".join(f"{name}={_canonical(getattr(value, name), memo)}" for name in names)
        text = f"{kind.__name__}({inner})"
    elif isinstance(value, dict):
        text = "{" + ",".join(sorted(f"{_canonical(k, memo)}:{_canonical(v, memo)}" for k, v in value.items())) + "}"
    elif isinstance(value, (set, frozenset)):
        text = "set(" + ",".join(sorted(_canonical(v, memo) for v in value)) + ")"
    elif isinstance(value, (list, tuple)):
        text = "(" + ",".join(_canonical(v, memo) for v in value) + ")"
    elif isinstance(value, (str, int, float, bool, Fraction)):
        return repr(value)
    else:
        raise TypeError(f"no canonical text for {kind.__name__}")
    memo[id(value)] = (value, text)  # the value too: its id is not reused while the memo lives
    return text


_ATOMS = frozenset({str, int, float, bool, Fraction})
_FIELDS: dict = {}  # dataclass type -> its field names


def _checksum(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def formulas(spec, compute):
    """The closed-form text of `spec`: from the cache when a valid entry is there, else `compute()`
    (a dict of metric -> {"exact": str, "smooth": str}), stored for next time."""
    if not enabled:
        return compute()
    k = key(spec)
    path = directory() / f"{k}.json"
    found = _read(path, k)
    if found is not None:
        return found
    value = compute()
    _write(path, {"key": k, "kind": KIND, "value": value, "checksum": _checksum(value)})
    return value


def stored(kind: str, spec, compute, load):
    """Another kind of entry (plain JSON data) for `spec`, e.g. the sweep's compiled closed forms:
    `load(data)` of a valid entry (its key, kind and checksum as this run expects; `load` raises
    ValueError, KeyError or TypeError on data it does not accept, and the entry is then rebuilt),
    else `compute()`, which returns (result, data to store or None)."""
    if enabled:
        k = key(spec, kind)
        path = directory() / f"{k}.json"
        found = _read(path, k, kind, well_formed=lambda value: True)
        if found is not None:
            try:
                return load(found)
            except (ValueError, KeyError, TypeError, IndexError):
                pass  # not what this run writes: computed again and rewritten
    result, data = compute()
    if enabled and data is not None:
        _write(path, {"key": k, "kind": kind, "value": data, "checksum": _checksum(data)})
    return result


def _read(path: Path, k: str, kind: str = KIND, well_formed=None):
    try:
        if not path.is_file() or path.stat().st_size > MAX_ENTRY_BYTES:
            return None
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != k or entry.get("kind") != kind:
        return None
    value = entry.get("value")
    if not (well_formed or _well_formed)(value) or entry.get("checksum") != _checksum(value):
        return None
    return value


def _well_formed(value) -> bool:
    return isinstance(value, dict) and all(
        isinstance(metric, str) and isinstance(forms, dict) and set(forms) == {"exact", "smooth"}
        and all(isinstance(text, str) for text in forms.values()) for metric, forms in value.items())


def _write(path: Path, entry: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            json.dump(entry, f)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only or full cache: the next run computes again
