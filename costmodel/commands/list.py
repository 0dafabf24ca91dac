"""`costmodel list`: every shipped spec by name, with its description, params and MACs at the
defaults, and its presets (costmodel.shipped.catalogue)."""

from __future__ import annotations

import json
import sys

from ..cli import examples



def add_parser(sub):
    p = sub.add_parser("list", help="the shipped specs by name: description, params and MACs at the defaults, presets",
                       epilog=examples("costmodel list", "costmodel list --format json",
                                                "costmodel list --format markdown   # README's table of shipped specs",
                                       "costmodel report mobilenet_cifar    # any command takes a listed name"))
    p.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    return p


def run(args) -> int:
    from ..shipped import catalogue

    entries = catalogue()
    render = {"json": render_json, "markdown": render_markdown}.get(args.format, render_table)
    sys.stdout.write(render(entries))
    return 0


def render_json(entries) -> str:
    """One object per spec; a spec with options (`options:`) and each of its presets carry the
    option values they are built for."""
    def options(item) -> dict:
        return {"options": dict(item.options)} if item.options else {}
    doc = [{"name": e.name, "description": e.description, "params": e.params, "macs": e.macs, **options(e),
            "presets": [{"name": p.name, "description": p.description, "params": p.params, "macs": p.macs,
                         **options(p)} for p in e.presets]} for e in entries]
    return json.dumps(doc, indent=2) + "\n"


def _with_options(description: str, options) -> str:
    """A table row's description, then the option values it is built for: `VGG-16 [use_bn=1]`."""
    if not options:
        return description
    chosen = ", ".join(f"{name}={value}" for name, value in options)
    return f"{description} [{chosen}]" if description else f"[{chosen}]"


def render_markdown(entries) -> str:
    """A GitHub table: one row per spec at its defaults, then one per preset at its values; a name
    is followed by the option values its row is built for (`[use_bn=1]`), as in the table."""
    lines = ["| spec | preset | params | MACs |", "|---|---|---:|---:|"]
    for e in entries:
        lines.append(f"| {_with_options(f'`{e.name}`', e.options)} | | {e.params:,} | {e.macs:,} |")
        lines += [f"| | {_with_options(f'`{p.name}`', p.options)} | {p.params:,} | {p.macs:,} |" for p in e.presets]
    return "\n".join(lines) + "\n"


def render_table(entries) -> str:
    from tabulate import tabulate

    rows = []
    for e in entries:
        rows.append([e.name, f"{e.params:,}", f"{e.macs:,}", _with_options(e.description, e.options)])
        rows += [[f"  --preset {p.name}", f"{p.params:,}", f"{p.macs:,}", _with_options(p.description, p.options)]
                 for p in e.presets]
    table = tabulate(rows, headers=["spec", "params", "MACs", "description"], tablefmt="simple",
                     colalign=["left", "right", "right", "left"], disable_numparse=True)
    return (f"{table}\n\nparams: trainable; MACs: multiply-accumulates; both at the symbols' defaults (a preset's "
            "row: at its values); [name=value]: the structural options a row is built for.\n"
            "Any command takes a listed name for SPEC: costmodel report mobilenet_cifar\n")
