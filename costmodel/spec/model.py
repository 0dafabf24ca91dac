"""What a validated spec is: a tree of layers, block calls, repeats and stages over the layer DAG.

The tree keeps the structure the author wrote. A repeat is kept as two iterations, never expanded:
`first` (iteration 1, which may differ: "n x block, first with stride 2") and `rest` (iteration 2,
the template of every later one). Its count is an expression, possibly over symbols (`repeat: d3`,
`repeat: ceil(3*depth)`), so the layer list of a network can depend on its knobs.

`flatten(nodes, count_of)` unrolls a tree for given repeat counts into the flat, ordered list of
layers that the numeric side walks: iteration k >= 3 is a copy of `rest` renamed (prefix `T2` ->
`Tk`) whose chain input is iteration k-1's output, and every layer after a repeat that used the
repeat's output is pointed at the last iteration's. Each side supplies its own `count_of`, so the
counts the closed forms use and the counts the reference uses are computed independently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from fractions import Fraction
from functools import cached_property

from ..errors import SpecError

NETWORK_INPUT = "input"
MAX_REPEAT = 10_000  # iterations of one repeat (no more than the layers a network may have)
MAX_LAYERS = 100_000  # layers once every repeat is unrolled (ResNet-1001 has about 3,000)


@dataclass(frozen=True)
class SymbolSpec:
    name: str
    default: Fraction
    description: str
    integer: bool


@dataclass(frozen=True)
class OptionSpec:
    """A structural option (`options:`): a named constant with a finite set of choices, read by
    `when:`, block arguments and any expression as a constant, never a symbol of a closed form.
    Each value builds its own tree (VGG's batch norm, SqueezeNet 1.0 / 1.1)."""

    name: str
    default: Fraction
    choices: tuple  # Fractions, in the order written
    description: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Preset:
    """A named assignment of symbol values (`--preset NAME`), e.g. resnet50's stage depths, and of
    option values (vgg16_bn's `use_bn: 1`)."""

    name: str
    description: str
    values: dict  # symbol name -> Fraction
    options: dict = field(default_factory=dict)  # option name -> Fraction


@dataclass(frozen=True)
class LayerSpec:
    """One layer. `args` are normalised (see build.normalize_arg): expressions as expr nodes with
    block arguments substituted, pairs as tuples, padding as a mode or 4 nodes. `index` is the
    layer's position (1-based) in the flat list."""

    index: int
    name: str
    type: str
    args: dict
    inputs: tuple
    rounding: str
    line: int | None = None
    column: int | None = None
    stage: str | None = None
    written: frozenset = frozenset()  # args the spec gave (in the layer or `defaults:`), not registry defaults

    def __post_init__(self):
        if self.index < 1 or not self.inputs:
            raise ValueError(f"layer {self.name!r}: index must be >= 1 and inputs non-empty")

    kind = "layer"

    @property
    def output(self) -> str:
        return self.name

    @cached_property
    def key(self) -> tuple:
        """Layers with equal keys and equal input shapes have equal costs (the memo of network.py)."""
        return (self.type, tuple(sorted(self.args.items(), key=lambda kv: kv[0])), self.rounding, self.written)


@dataclass(frozen=True)
class BlockCall:
    """A call of a block from `blocks:`; its layers are prefixed `NAME/`."""

    name: str
    block: str
    children: tuple
    output: str  # full name of the layer whose output is the call's
    line: int | None = None
    column: int | None = None
    stage: str | None = None

    kind = "block"


@dataclass(frozen=True)
class Repeat:
    """`count` iterations of a layer or block call, chained. Iteration k is named `copy_name(k)`."""

    name: str  # the repeat's own name (its label, or the automatic name of its first copy's base)
    count: Any  # expr node; a constant or an integer expression over symbols
    first: Any  # LayerSpec | BlockCall: iteration 1
    rest: Any  # LayerSpec | BlockCall | None: iteration 2, the template of k >= 2 (None: count is 1)
    naming: tuple  # ("dotted", prefix) -> prefix.k ; ("auto", prefix, base, start) -> prefix + base + (start+k-1)
    line: int | None = None
    column: int | None = None
    stage: str | None = None

    kind = "repeat"

    def copy_name(self, k: int) -> str:
        if self.naming[0] == "dotted":
            return f"{self.naming[1]}.{k}"
        _, prefix, base, start = self.naming
        return f"{prefix}{base}{start + k - 1}"

    @property
    def output(self) -> str:
        """The name later layers use for the repeat's output: the template's output (resolved to the
        last iteration's when the repeat is flattened)."""
        return (self.rest or self.first).output

    @property
    def symbolic(self) -> bool:
        from .. import expr as ex
        return bool(ex.names(self.count))

    def iteration(self, k: int, previous_output: str | None = None):
        """Iteration k (1-based) as a node; for k >= 3 a renamed copy of `rest` chained to
        `previous_output` (iteration k-1's output)."""
        if k == 1:
            return self.first
        if k == 2:
            return self.rest
        chain = {self.first.output: previous_output or self.iteration_output(k - 1)}
        return rename(self.rest, self.copy_name(2), self.copy_name(k), chain)

    def iteration_output(self, k: int) -> str:
        """The name of iteration k's output (before any flattening alias)."""
        if k == 1:
            return self.first.output
        return _renamer(self.copy_name(2), self.copy_name(k))(self.rest.output)


@dataclass(frozen=True)
class Stage:
    """Consecutive entries of one sequence tagged with the same `stage:` label."""

    name: str
    children: tuple
    line: int | None = None
    column: int | None = None

    kind = "stage"

    @property
    def output(self) -> str:
        return self.children[-1].output


def children_of(node) -> tuple:
    """The nodes directly under a node, as written (a repeat: its first and template iteration)."""
    if isinstance(node, Repeat):
        return (node.first,) if node.rest is None else (node.first, node.rest)
    return getattr(node, "children", ())


def _renamer(old: str, new: str):
    prefix = old + "/"

    def rename_one(name: str) -> str:
        if name == old:
            return new
        if name.startswith(prefix):
            return new + "/" + name[len(prefix):]
        return name

    return rename_one


def rename(node, old: str, new: str, chain: dict | None = None):
    """A copy of `node` with every name `old` or `old/...` renamed to `new...`; an input found in
    `chain` is replaced by its value instead (the iteration's chain input)."""
    one = _renamer(old, new)
    chain = chain or {}

    def walk(n):
        if isinstance(n, LayerSpec):
            return _copied(n, name=one(n.name), inputs=tuple(chain[i] if i in chain else one(i) for i in n.inputs))
        if isinstance(n, BlockCall):
            return replace(n, name=one(n.name), output=one(n.output), children=tuple(walk(c) for c in n.children))
        if isinstance(n, Stage):
            return replace(n, children=tuple(walk(c) for c in n.children))
        naming = ((n.naming[0], one(n.naming[1])) if n.naming[0] == "dotted"
                  else (n.naming[0], one(n.naming[1].rstrip("/")) + "/" if n.naming[1] else "", *n.naming[2:]))
        return replace(n, name=one(n.name), first=walk(n.first), rest=None if n.rest is None else walk(n.rest),
                       naming=naming)

    return walk(node)


class _NoAlias(Mapping[str, str]):
    """The alias table of an Instance that is not a root: empty, immutable, shared."""

    def __getitem__(self, key: str) -> str:
        raise KeyError(key)

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    __hash__ = object.__hash__  # a dataclass default must be hashable (immutable)


_NO_ALIAS: Mapping[str, str] = _NoAlias()


@dataclass
class Instance:
    """One node of a tree unrolled for given counts: what reports show. A leaf's `layer` is the
    flat layer (renamed and re-indexed); `template` is the node of the written tree it copies."""

    kind: str  # layer | block | repeat | stage
    name: str
    count: int = 1  # iterations, for a repeat
    children: list | tuple = field(default_factory=list)  # a leaf: the shared empty tuple
    layer: LayerSpec | None = None
    template: Any = None
    path: tuple = ()  # (id of the written Repeat, iteration k) for each enclosing repeat, outermost first
    alias: Mapping[str, str] = _NO_ALIAS  # the root's: a repeat's template output -> its last iteration's

    def leaves(self):
        if self.layer is not None:
            yield self
        for child in self.children:
            if child.children:
                yield from child.leaves()
            elif child.layer is not None:  # a leaf read here: no generator per layer
                yield child


def new_layer(index: int, name: str, type: str, args: dict, inputs: tuple, rounding: str, line: int | None,
              column: int | None, stage: str | None, written: frozenset) -> LayerSpec:
    """`LayerSpec(...)` with the constructor's check done here and the fields set directly, several
    times faster than a frozen dataclass's constructor (100,000 layers are built per report)."""
    if index < 1 or not inputs:
        raise ValueError(f"layer {name!r}: index must be >= 1 and inputs non-empty")
    layer = object.__new__(LayerSpec)
    # one key at a time, in the constructor's order: the instance keeps the class's shared-key
    # dictionary (update() from a mapping would make it a full dictionary of its own, and every
    # copy of it too: 50 MB over 100,000 copies)
    d = layer.__dict__
    d["index"], d["name"], d["type"], d["args"], d["inputs"] = index, name, type, args, inputs
    d["rounding"], d["line"], d["column"], d["stage"], d["written"] = rounding, line, column, stage, written
    return layer


if tuple(f.name for f in fields(LayerSpec)) != tuple(new_layer.__code__.co_varnames[:10]):
    raise ImportError("spec.model.new_layer must set every field of LayerSpec")  # a field added to one only


_NO_CHILDREN: tuple = ()  # a leaf's children: none, one shared empty tuple rather than a list per leaf


def _copied(layer: LayerSpec, **fields) -> LayerSpec:
    """`replace(layer, **fields)` for name, index and inputs, without re-running the constructor's
    check (index >= 1 and inputs non-empty hold: renaming and moving keep both), four times
    faster: a 100,000-layer repeat copies its template that often per report. The cached `key`
    carries over (it reads none of them)."""
    assert fields.keys() <= {"name", "index", "inputs"}
    layer.key  # noqa: B018 - made once here, so that every copy shares the one tuple (network.py's memo)
    copy = object.__new__(LayerSpec)
    copy.__dict__.update(layer.__dict__)
    copy.__dict__.update(fields)
    return copy


def _moved(layer: LayerSpec, index: int, inputs: tuple) -> LayerSpec:
    """`replace(layer, index=index, inputs=inputs)` without re-running the constructor's checks
    (index >= 1 and inputs non-empty hold: flatten counts from 1 and renames inputs one for one),
    four times faster: 100,000 layers are moved twice per report. The cached `key` carries over
    (it does not read index or inputs)."""
    moved = object.__new__(LayerSpec)
    moved.__dict__.update(layer.__dict__)
    moved.__dict__["index"], moved.__dict__["inputs"] = index, inputs
    return moved


def flatten(nodes, count_of) -> Instance:
    """Unroll a tree: `count_of(repeat)` gives each repeat's count (an int, already checked).
    Returns the root Instance; its leaves, in order, are the flat layers."""
    alias: dict[str, str] = {}  # a repeat's template output -> its last iteration's output
    index = 0

    def emit(node, template, path) -> Instance:
        nonlocal index
        if isinstance(node, LayerSpec):
            index += 1
            if index > MAX_LAYERS:
                raise SpecError(f"more than {MAX_LAYERS} layers after expanding blocks and repeats",
                                line=node.line, column=node.column)
            inputs = tuple(alias.get(i, i) for i in node.inputs) if alias else node.inputs  # (none before a repeat)
            layer = node if (inputs == node.inputs and node.index == index) else _moved(node, index, inputs)
            return Instance("layer", layer.name, children=_NO_CHILDREN, layer=layer, template=template, path=path)
        if isinstance(node, (BlockCall, Stage)):
            kids = [emit(c, t, path) for c, t in zip(node.children, template.children)]
            return Instance(node.kind, node.name, children=kids, template=template, path=path)
        n = count_of(template)
        iterations = [emit(node.first, template.first, (*path, (id(template), 1)))]
        for k in range(2, n + 1):
            copy = node.rest if k == 2 else node.iteration(k)
            iterations.append(emit(copy, template.rest, (*path, (id(template), k))))
        last = node.iteration_output(n)
        if last != node.output:
            alias[node.output] = alias.get(last, last)
        return Instance("repeat", node.name, count=n, children=iterations, template=template, path=path)

    root = Instance("network", "", children=[emit(n, n, ()) for n in nodes])
    root.alias = alias
    return root


def leaves_written(nodes):
    """Every LayerSpec of a written tree (templates once each), in order."""
    for node in nodes:
        if isinstance(node, LayerSpec):
            yield node
        else:
            yield from leaves_written(children_of(node))


def constant_count(repeat: Repeat) -> int:
    """The count of a repeat whose count names no symbol (checked by the builder)."""
    from .. import expr as ex
    value = ex.constant_value(repeat.count)
    if value is None:
        raise ValueError(f"repeat {repeat.name!r}: the count names a symbol")
    return int(value)


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    description: str
    input: tuple  # (H, W, C) expression nodes
    symbols: dict  # name -> SymbolSpec, in declaration order
    tree: tuple  # top-level nodes: LayerSpec | BlockCall | Repeat | Stage
    file: str = "<spec>"
    input_line: int | None = None
    input_column: int | None = None
    exits: tuple = ()  # full names of the exit (classifier head) layers of a multi-exit network
    presets: dict = field(default_factory=dict)  # name -> Preset
    options: dict = field(default_factory=dict)  # name -> OptionSpec, in declaration order
    option_values: dict = field(default_factory=dict)  # name -> Fraction: the choice this tree is built for
    source: object = field(default=None, compare=False, repr=False)  # the spec's data, to build other options
    defaults_of: str = "costmodel"  # whose argument defaults the layers got: ops.FRAMEWORKS

    def defaults(self) -> dict[str, Fraction]:
        return {name: s.default for name, s in self.symbols.items()}

    def with_options(self, assignment: dict) -> "NetworkSpec":
        """The spec built again for other option values (name -> Fraction, each one of its choices;
        options not named keep their defaults)."""
        if assignment == self.option_values:
            return self
        if self.source is None:
            raise SpecError("this spec was not built from spec data: it cannot be built for other options",
                            file=self.file)
        from .build import from_dict
        return from_dict(self.source, self.file, options=assignment)

    @cached_property
    def symbolic_repeats(self) -> bool:
        """True when some repeat count names a symbol: the layer list then depends on the values."""
        def walk(nodes):
            return any((isinstance(n, Repeat) and n.symbolic) or (not isinstance(n, LayerSpec) and walk(children_of(n)))
                       for n in nodes)  # (a layer has no children: not walked into)
        return walk(self.tree)

    @cached_property
    def read_symbols(self) -> frozenset:
        """The names of the symbols this tree reads: in the input shape, a layer's arguments or a
        repeat's count (a block's arguments are bound into its layers). A symbol declared for
        another option's tree (EfficientNetV2's c7 and n7 when `stages` is 6) is not among them:
        no number of this tree depends on it."""
        from .. import expr as ex
        found: set = set()
        seen: set = set()  # ids of argument dicts: a long list shares them (spec/build.py reuse_key)

        def read(value):
            if isinstance(value, ex.Node):
                found.update(ex.names(value))

        def walk(nodes):
            for n in nodes:
                if isinstance(n, LayerSpec):
                    if id(n.args) not in seen:
                        seen.add(id(n.args))
                        for value in n.args.values():
                            read(value)
                    continue
                if isinstance(n, Repeat):
                    read(n.count)
                walk(children_of(n))
        for node in self.input:
            read(node)
        walk(self.tree)
        return frozenset(found)

    @cached_property
    def unrolled(self) -> Instance:
        """The tree unrolled (constant counts only)."""
        if self.symbolic_repeats:
            raise SpecError("this network's repeat counts depend on symbols: its layers exist only for given "
                            "values (use Network.evaluate, or spec.at(values))", file=self.file)
        return flatten(self.tree, constant_count)

    @property
    def layers(self) -> tuple:
        """Every layer in order, repeats unrolled (constant counts only)."""
        return tuple(leaf.layer for leaf in self.unrolled.leaves())

    def layer(self, name: str) -> LayerSpec:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def at(self, count_of) -> "NetworkSpec":
        """The same network with every symbolic repeat count fixed to `count_of(repeat)` (an int).
        Exits are pointed at the unrolled names."""
        from .. import expr as ex
        if not self.symbolic_repeats:
            return self

        def fix(n):
            if isinstance(n, LayerSpec):
                return n
            if isinstance(n, Repeat):
                count = ex.Num(Fraction(count_of(n))) if n.symbolic else n.count
                return replace(n, count=count, first=fix(n.first), rest=None if n.rest is None else fix(n.rest))
            return replace(n, children=tuple(fix(c) for c in n.children))

        fixed = replace(self, tree=tuple(fix(n) for n in self.tree))
        alias = fixed.unrolled.alias
        return replace(fixed, exits=tuple(alias.get(e, e) for e in self.exits))
