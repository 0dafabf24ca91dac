"""Specs load through libyaml's C parser (spec/source.py, _CLoader) with the pure loader's values,
marks and refusals; anything surprising (a YAML error, a tab, aliases beyond the caps, deep
nesting) goes back to the pure loader, which decides."""

from pathlib import Path

import pytest
import yaml

import costmodel
from costmodel import SpecError
from costmodel.spec import source

HOSTILE = Path(__file__).parent / "hostile"
needs_libyaml = pytest.mark.skipif(source._CParser is None, reason="PyYAML was built without libyaml")


def refusal(text: str) -> str:
    with pytest.raises(SpecError) as info:
        costmodel.loads(text, file="x.yaml")
    return str(info.value)


def pure_refusal(text: str, monkeypatch) -> str:
    """The refusal of the pure-Python loader alone (as without libyaml)."""
    with monkeypatch.context() as m:
        m.setattr(source, "_CParser", None)
        return refusal(text)


@needs_libyaml
@pytest.mark.parametrize("value, message", [
    ("010", "leading zero"), ("1:30", "sexagesimal"), ("yes", "a boolean in YAML 1.1"), ("no", "boolean"),
    ("1_000", "digit separators"), ("0b101", "binary"), ("1:30.5", "sexagesimal"), ("off", "boolean"),
])
def test_yaml_11_ambiguities_are_refused_the_same_through_libyaml(value, message, monkeypatch):
    text = f"input: [32, 32, 3]\nlayers:\n  - {{type: conv, filters: {value}, kernel: 3}}\n"
    fast, pure = refusal(text), pure_refusal(text, monkeypatch)
    assert fast == pure and message in fast and "x.yaml:3:" in fast


@needs_libyaml
@pytest.mark.parametrize("stem", ["yaml_billion_laughs", "yaml_too_many_aliases", "yaml_nesting", "yaml_duplicate_key",
                                  "yaml_python_tag", "yaml_malformed", "yaml_key_not_scalar", "yaml_timestamp",
                                  "yaml_huge_int", "struct_too_many_layers", "struct_repeat_huge"])
def test_hostile_yaml_is_refused_the_same_through_libyaml(stem, monkeypatch):
    text = (HOSTILE / f"{stem}.yaml").read_text()
    assert refusal(text) == pure_refusal(text, monkeypatch)


@needs_libyaml
def test_a_large_spec_loads_through_libyaml_with_the_same_marks(monkeypatch):
    layers = "".join(f"  - {{type: pointwise, name: pw{i}, filters: 8}}\n" for i in range(3000))
    text = "input: [8, 8, 8]\nlayers:\n" + layers
    calls = []
    monkeypatch.setattr(source, "_load_fast", lambda t, real=source._load_fast: calls.append(1) or real(t))
    fast = source.read_text(text, "x.yaml")
    assert calls and source._load_fast(text) is not None
    pure = yaml.load(text, Loader=source._Loader)  # noqa: S506 - a SafeLoader
    assert fast == pure
    for a, b in zip(fast["layers"], pure["layers"]):
        assert (a.line, a.column, a.marks, a.key_marks) == (b.line, b.column, b.marks, b.key_marks)
    assert (fast.marks, fast["layers"].marks) == (pure.marks, pure["layers"].marks)


def test_deep_nesting_never_reaches_the_c_composer():
    deep = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"  # would recurse 100,000 times in C
    assert not source._plainly_nested(deep)
    assert "YAML nested deeper than 64 levels" in refusal(deep)


def test_nesting_bound_counts_block_indentation_and_flow_brackets():
    assert source._plainly_nested("a:\n  b:\n    - [1, {c: 2}]\n")
    assert not source._plainly_nested("a:\n" + " " * 70 + "b: 1\n")
    assert not source._plainly_nested("a: " + "[" * 70 + "]" * 70 + "\n")


def _same_tree(ours, theirs):
    """The same values, types and marks, all the way down."""
    assert type(ours) is type(theirs) and ours == theirs
    if isinstance(ours, source.Map):
        assert (ours.line, ours.column, ours.marks, ours.key_marks) == \
            (theirs.line, theirs.column, theirs.marks, theirs.key_marks)
        for key in ours:
            _same_tree(ours[key], theirs[key])
    elif isinstance(ours, source.Seq):
        assert (ours.line, ours.column, ours.marks) == (theirs.line, theirs.column, theirs.marks)
        for a, b in zip(ours, theirs):
            _same_tree(a, b)


PLAIN_DOCUMENTS = [
    "input: [32, 32, 3]\nlayers:\n  - {type: conv, filters: 16*alpha, kernel: 3, name: 'c1'}\n",
    "a: 1\nb: 2.5\nc: true\nd: null\ne: \"quoted\"\nf: [1, [2, [3]]]\ng: {h: {i: x}}\n1: int key\n",
    "s: !!str 12\nt: !!int '7'\nu: !!set {x, y}\nv: 2024-01-01\nw: []\nx: {}\n",
    # the same text plain, quoted and tagged (the resolver remembers plain scalars only)
    "a: 12\nb: '12'\nc: 12\nd: !!str 12\ne: [true, 'true', true, null, '', ~]\n",
]


@needs_libyaml
@pytest.mark.parametrize("text", PLAIN_DOCUMENTS)
def test_a_tree_without_aliases_is_built_as_construct_document_builds_it(text):
    def composed():
        loader = source._CLoader(text)
        return loader, loader.get_single_node()
    loader, node = composed()
    assert source._census(node) == (False, False)
    ours = source._plain_document(loader, node)
    loader, node = composed()
    _same_tree(ours, loader.construct_document(node))


@needs_libyaml
@pytest.mark.parametrize("text, shared", [
    ("a: &x {k: 1}\nb: *x\n", True),  # an alias: the same object twice, so construct_document builds it
    ("a: &x {k: 1}\nb: {<<: *x, j: 2}\n", True),  # a merge key
    ("a: {k: 1}\nb: {k: 1}\n", False),
])
def test_shared_nodes_go_through_construct_document(text, shared):
    node = source._CLoader(text).get_single_node()
    assert source._census(node)[1] is shared


@needs_libyaml
@pytest.mark.parametrize("text, message", [
    ("a: 1\na: 2\n", "duplicate key 'a'"),
    ("? [1, 2]\n: x\n", "a mapping key must be a plain scalar"),
])
def test_the_direct_build_refuses_as_the_constructors_do(text, message, monkeypatch):
    fast, pure = refusal(text), pure_refusal(text, monkeypatch)
    assert fast == pure and message in fast


@needs_libyaml
@pytest.mark.parametrize("text", [
    "a: [" + ", ".join(["1"] * 60) + "]\n",  # 62 nodes, no anchor: counted while built
    "a: !!set {" + ", ".join(f"k{i}" for i in range(30)) + "}\n",  # 62 nodes inside a set
])
def test_the_node_cap_holds_without_aliases_too(text, monkeypatch):
    monkeypatch.setattr(source._Loader, "MAX_EXPANDED_NODES", 50)
    assert source._load_fast(text) is None  # the pure loader decides: it refuses
    with pytest.raises(SpecError, match="more than 50 nodes"):
        source.read_text(text, "x.yaml")


@needs_libyaml
@pytest.mark.parametrize("text", [t for t in PLAIN_DOCUMENTS if "!!set" not in t] + [
    "- 1\n- [a, 'b', \"c\"]\n- {k: v}\n- []\n- {}\n- ''\n",  # a list at the top, empty and quoted items
    "a:\n  - b: 1\n    c: [2, 3]\n  - d: {e: f}\nz: 0.5\n",
])
def test_the_event_build_is_the_node_build(text):
    loader = source._CLoader(text)
    counted: list = [0]
    ours = source._event_document(loader, counted)
    loader = source._CLoader(text)
    theirs_counted: list = [0]
    theirs = source._plain_document(loader, loader.get_single_node(), theirs_counted)
    _same_tree(ours, theirs)
    assert counted == theirs_counted  # the node cap counts the same


@needs_libyaml
@pytest.mark.parametrize("text", [
    "a: !!set {x, y}\n",  # a tagged collection: composed, then constructed
    "a: 1\n---\nb: 2\n",  # two documents: the composer refuses
    "",  # no document
    "a: !!omap [{x: 1}]\n",
])
def test_the_event_build_leaves_the_unusual_to_the_composer(text):
    assert source._event_document(source._CLoader(text), [0]) is source._UNSURE


@needs_libyaml
def test_a_second_document_is_refused_as_the_pure_loader_refuses():
    text = "a: 1\n---\nb: 2\n"
    assert source._load_fast(text) is None
    with pytest.raises(SpecError, match="malformed YAML"):
        source.read_text(text, "x.yaml")


@needs_libyaml
def test_a_tab_and_a_lone_surrogate_are_the_pure_loaders_to_refuse(monkeypatch):
    """libyaml reads `a:<TAB>1` as {a: 1} where PyYAML's scanner refuses the tab, and a lone
    surrogate (a str from Python, not a file's UTF-8) makes it raise UnicodeEncodeError: a text
    with either is read by the pure loader alone, so it is refused as it always was, located."""
    assert source._load_fast("a:\t1\n") == {"a": 1}
    tab = "input: [8, 8, 3]\nlayers:\n  - {type: conv, filters:\t8, kernel: 3}\n"
    assert refusal(tab) == pure_refusal(tab, monkeypatch) and "x.yaml:3:" in refusal(tab)
    surrogate = "input: [8, 8, 3]\nname: \ud800\nlayers: []\n"
    assert refusal(surrogate) == pure_refusal(surrogate, monkeypatch)
