"""Every formula text of the shipped specs, to compare two versions of costmodel byte for byte.

    python benchmarks/formula_texts.py dump DIR [SPEC ...]   # one file per report (all by default)
    python benchmarks/formula_texts.py compare DIR_BEFORE DIR_AFTER

`dump` writes, for every shipped spec (`costmodel list --format json`) and every preset, the
`--no-cache` `report --format json` and `report --symbolic --format json` with the exit status and
any error text: one child process per spec, a fixed hash seed (PYTHONHASHSEED, 0 unless set).
Run it with the Python (and the checkout) to measure, before and after a change, then `compare`:
it names every document that differs and exits 1 if one does. A change that makes the closed
forms cheaper must leave every one the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = r'''
import contextlib, io, json, os, sys
from costmodel.cli import main
spec, presets, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
for preset in [None] + presets:
    for symbolic in (False, True):
        argv = ["--no-cache", "report", spec, "--format", "json"]
        argv += ["--symbolic"] if symbolic else []
        argv += ["--preset", preset] if preset else []
        text, errors = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(text), contextlib.redirect_stderr(errors):
            status = main(argv)
        name = spec.replace("/", "__") + ("@" + preset if preset else "") + (".symbolic" if symbolic else "") + ".json"
        with open(os.path.join(out, name), "w") as f:
            f.write(f"exit {status}\n{errors.getvalue()}\n---\n{text.getvalue()}")
'''


def dump(out: Path, only: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    listing = json.loads(subprocess.run([sys.executable, "-m", "costmodel", "list", "--format", "json"],
                                        capture_output=True, text=True, check=True).stdout)
    env = {**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")}
    for entry in listing:
        if only and entry["name"] not in only:
            continue
        presets = [p["name"] for p in entry["presets"]]
        subprocess.run([sys.executable, "-c", CHILD, entry["name"], json.dumps(presets), str(out)], check=True,
                       env=env)
        print(f"{entry['name']}: {1 + len(presets)} x 2 reports", flush=True)


def compare(before: Path, after: Path) -> int:
    names = sorted({p.name for p in before.iterdir()} | {p.name for p in after.iterdir()})
    differ = [n for n in names if not (before / n).exists() or not (after / n).exists()
              or (before / n).read_bytes() != (after / n).read_bytes()]
    for name in differ:
        print(f"differs: {name}")
    print(f"{len(names) - len(differ)} of {len(names)} documents the same")
    return 1 if differ else 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "dump":
        dump(Path(sys.argv[2]), sys.argv[3:])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        sys.exit(__doc__)
