"""`costmodel graph`: the network as a Graphviz DAG with its costs, written as DOT by our own code.

One node per layer (name, type, output shape, params, MACs), filled darker the larger its share of
the MACs; edges labelled with the tensor shape they carry; blocks, stages and repeats as clusters
(a repeat whose count depends on symbols drawn once: its first iteration, then one for the rest,
"x(n-1)"); `depth` collapses everything below that level into one node with its subtotals.
SVG and PNG come from Graphviz's `dot` program (`render`), which is looked for before any work.
"""

from __future__ import annotations

import shutil
import subprocess

from ..errors import SpecError
from ..network import Evaluation
from .report import _symbolic_repeat_names, shape_text, tree

FORMATS = ("dot", "svg", "png")
FILL = (0xe6, 0x55, 0x0d)  # the darkest fill: the node with the most MACs


def dot_program() -> str:
    """The path of Graphviz's `dot`, or a SpecError saying how to install it."""
    found = shutil.which("dot")
    if found is None:
        raise SpecError("--format svg and png need Graphviz's `dot` program: apt-get install graphviz (Debian, "
                        "Ubuntu), brew install graphviz (macOS) or https://graphviz.org/download; --format dot "
                        "writes the graph without it", file="--format")
    return found


def render(dot_text: str, fmt: str) -> bytes:
    """DOT text as SVG or PNG through `dot`."""
    done = subprocess.run([dot_program(), f"-T{fmt}"], input=dot_text.encode(), capture_output=True, timeout=300)
    if done.returncode != 0:
        raise SpecError(f"dot failed: {done.stderr.decode(errors='replace').strip()[:300]}")
    return done.stdout


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def short(n: int) -> str:
    """1234 -> 1.23K, 5975552 -> 5.98M."""
    for unit, size in (("G", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return str(n)


def _leaves(node: dict):
    if node["kind"] == "layer":
        yield node
    for child in node["children"]:
        yield from _leaves(child)


class _Drawing:
    def __init__(self, evaluation: Evaluation, depth: int | None):
        self.evaluation = evaluation
        self.depth = depth
        self.symbolic = _symbolic_repeat_names(evaluation)
        self.root = tree(evaluation)
        self.node_of: dict[str, str] = {}  # leaf name -> graph node id
        self.hidden: set[str] = set()  # leaves of iterations drawn by iteration 2
        self.lines: list[str] = []
        self.shown: list[dict] = []  # every node drawn (a layer or a collapsed group)
        self.count = 0

    def new_id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def visit(self, node: dict, level: int, indent: str) -> None:
        if node["kind"] == "layer" or (self.depth is not None and level >= self.depth):
            self.draw(node, indent)
            return
        children, times = node["children"], None
        if node["kind"] == "repeat" and node["count"] > 2 and node["name"] in self.symbolic:
            children, times = children[:2], node["count"] - 1
            for later in node["children"][2:]:
                for leaf, twin in zip(_leaves(later), _leaves(children[1])):
                    self.hidden.add(leaf["name"])
                    self.node_of[leaf["name"]] = twin["name"]  # resolved to an id below
        label = {"repeat": f"repeat {node['name']} \u00d7{node['count']}", "stage": f"stage {node['name']}",
                 "block": f"{node['name']} ({node['type']})"}.get(node["kind"], node["name"])
        self.lines.append(f"{indent}subgraph {self.new_id('cluster_')} {{")
        self.lines.append(f"{indent}  label={quoted(label)}; style=rounded; color=\"#8899aa\"; fontsize=11;")
        for i, child in enumerate(children):
            if times is not None and i == 1:
                child = {**child, "times": times}
            self.visit(child, level + 1, indent + "  ")
        self.lines.append(f"{indent}}}")

    def draw(self, node: dict, indent: str) -> None:
        ident = self.new_id("n")
        for leaf in _leaves(node):
            self.node_of[leaf["name"]] = ident
        kind = node["type"] if node["kind"] == "layer" else f"{node['kind']} {node['type']}" + \
            (f" \u00d7{node['count']}" if node["kind"] == "repeat" else "")
        times = f" (\u00d7{node['times']})" if node.get("times") else ""
        label = (f"{node['name']}{times}\n{kind}\n{shape_text(node['output_shape'])}\n"
                 f"params {short(node['params'])} \u00b7 MACs {short(node['macs'])}")
        self.shown.append({**node, "id": ident})
        self.lines.append(f"{indent}{ident} [label={quoted(label)}, fillcolor=\"@fill:{ident}\"];")

    def fills(self, text: str) -> str:
        top = max((n["macs"] for n in self.shown), default=0) or 1
        for n in self.shown:
            t = n["macs"] / top
            colour = "#" + "".join(f"{round(255 + (c - 255) * t):02x}" for c in FILL)
            text = text.replace(f'"@fill:{n["id"]}"', f'"{colour}"')
        return text

    def edges(self) -> list[str]:
        """One edge per (drawn source, drawn target), labelled with the source's output shape."""
        ev = self.evaluation
        ids = {name: self.node_of[target] if name in self.hidden else target
               for name, target in self.node_of.items()}  # a hidden leaf's entry names its twin
        ids["input"] = "input"
        shapes = {"input": _input_dims(ev), **{r.name: r.shape for r in ev.rows}}
        seen, out = set(), []
        for row in ev.rows:
            if row.name in self.hidden:  # drawn by iteration 2, whose own edges are drawn
                continue
            for source in row.inputs:
                edge = (ids[source], ids[row.name])
                if edge[0] != edge[1] and edge not in seen:
                    seen.add(edge)
                    out.append(f"  {edge[0]} -> {edge[1]} [label={quoted(shape_text(shapes[source]))}];")
        return out


def _input_dims(evaluation: Evaluation) -> tuple:
    """The network input's shape at these values."""
    subs = evaluation.network.substitutions(evaluation.values)
    return tuple(int(v.xreplace(subs)) for v in evaluation.network.input_shape)


def dot(evaluation: Evaluation, depth: int | None = None) -> str:
    """The DOT text of the network at these values (every layer, or collapsed below `depth` >= 1)."""
    drawing = _Drawing(evaluation, depth)
    for child in drawing.root["children"]:
        drawing.visit(child, 1, "  ")
    t = evaluation.totals
    top = max((n["macs"] for n in drawing.shown), default=0)
    legend = (f"{drawing.root['name']}: params {t.params:,}, MACs {t.macs:,}\\lfill: share of the MACs, "
              f"white 0 to darkest {short(top)} MACs in one node\\ledges: the tensor shape, HxWxC\\l")
    head = ["digraph costmodel {", "  rankdir=TB; newrank=true; nodesep=0.25; ranksep=0.3;",
            "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];",
            "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\"];",
            f"  legend [shape=note, style=filled, fillcolor=\"#fffbe6\", label=\"{legend}\"];",
            f"  input [shape=oval, style=filled, fillcolor=\"#eeeeee\", "
            f"label={quoted('input ' + shape_text(_input_dims(evaluation)))}];",
            "  legend -> input [style=invis];"]
    body = drawing.fills("\n".join(drawing.lines))
    return "\n".join([*head, body, *drawing.edges(), "}"]) + "\n"
