"""Reading a spec file: YAML through a safe loader that keeps positions, with the file-level limits.

Every mapping and sequence remembers the line and column of itself and of each of its entries, so
every later error can name where it is. Duplicate keys are refused, alias expansion is bounded
(a "billion laughs" file fails fast), nesting is bounded, and YAML 1.1 forms that another YAML
reader would take for a different value are refused with a located error rather than guessed:
`010` (octal 8 in YAML 1.1, 10 in YAML 1.2), sexagesimal `1:30` (90), `1_000`, `0b101`, and the
booleans `yes`/`no`/`on`/`off`/`y`/`n` (strings in YAML 1.2). Write `8`, `90`, `1000`, `true`.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import SpecError

MAX_FILE_BYTES = 16_000_000  # a 100,000-layer spec written out, one layer a line, is about 5 MB
MAX_YAML_DEPTH = 64  # nested mappings and lists

class Map(dict):
    """A YAML mapping that remembers where it and each of its values start (1-based)."""

    line: int | None = None
    column: int | None = None
    marks: dict = {}  # key -> (line, column) of its value; replaced per instance by the loader
    key_marks: dict = {}  # key -> (line, column) of the key itself

    def where(self, key=None, of_key: bool = False) -> tuple[int | None, int | None]:
        if key is None:
            return self.line, self.column
        return (self.key_marks if of_key else self.marks).get(key, (self.line, self.column))


class Seq(list):
    """A YAML sequence that remembers where it and each of its items start (1-based)."""

    line: int | None = None
    column: int | None = None
    marks: list = []  # (line, column) of each item; replaced per instance by the loader


def _expanded(node, limit: int) -> int:
    """Nodes after alias expansion (at most limit + 1), each shared node sized once."""
    sizes: dict[int, int] = {}

    def expanded(n) -> int:
        if id(n) not in sizes:
            sizes[id(n)] = 0  # a recursive alias counts as small; the graph walk stops here
            children = n.value if isinstance(n, yaml.SequenceNode) else (
                [c for pair in n.value for c in pair] if isinstance(n, yaml.MappingNode) else [])
            sizes[id(n)] = min(limit + 1, 1 + sum(expanded(c) for c in children))
        return sizes[id(n)]
    return expanded(node)


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps positions, refuses duplicate keys and bounds alias expansion."""

    MAX_ALIASES = 1000
    MAX_EXPANDED_NODES = 4_000_000  # a "billion laughs" file expands past this and is refused (100,000 layers: ~1M)

    def compose_document(self):
        node = super().compose_document()
        if node is not None and _expanded(node, self.MAX_EXPANDED_NODES) > self.MAX_EXPANDED_NODES:
            raise SpecError(f"YAML aliases expand to more than {self.MAX_EXPANDED_NODES} nodes", line=1, column=1)
        return node

    def __init__(self, stream):
        super().__init__(stream)
        self.alias_count = 0
        self.depth = 0

    def compose_node(self, parent, index):
        mark = self.peek_event().start_mark
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > self.MAX_ALIASES:
                raise SpecError(f"more than {self.MAX_ALIASES} YAML aliases", line=mark.line + 1, column=mark.column + 1)
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise SpecError(f"YAML nested deeper than {MAX_YAML_DEPTH} levels", line=mark.line + 1,
                                column=mark.column + 1)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node, deep=False):
        try:
            return yaml.constructor.BaseConstructor.construct_object(self, node, deep)
        except (ValueError, OverflowError) as e:  # an int too long to convert, a 13th month...
            value = node.value if isinstance(node, yaml.ScalarNode) else node.tag
            shown = value if len(value) <= 40 else value[:37] + "..."
            raise SpecError(f"cannot read the YAML value {shown!r} ({str(e).split(';')[0].split(':')[0]})",
                            line=node.start_mark.line + 1, column=node.start_mark.column + 1) from None


def _construct_map(loader, node):
    own = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}  # written here, not merged
    loader.flatten_mapping(node)  # merged (`<<: *anchor`) pairs first, then the mapping's own
    result = Map()
    result.line, result.column = node.start_mark.line + 1, node.start_mark.column + 1
    result.marks, result.key_marks = {}, {}
    written = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        where = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        if not isinstance(key, (str, int, float, bool)) or key is None or isinstance(key, (Map, Seq)):
            raise SpecError("a mapping key must be a plain scalar", line=where[0], column=where[1])
        if id(key_node) in own:
            if key in written:
                raise SpecError(f"duplicate key {key!r}", line=where[0], column=where[1])
            written.add(key)  # a key written here overrides a merged one, as YAML's merge key says
        elif key in result:
            continue  # of two merged mappings the first given wins
        result[key] = loader.construct_object(value_node, deep=True)
        quoted = isinstance(value_node, yaml.ScalarNode) and value_node.style in ("'", '"')
        result.marks[key] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1 + quoted)
        result.key_marks[key] = where
    return result


def _construct_seq(loader, node):
    result = Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line, result.column = node.start_mark.line + 1, node.start_mark.column + 1
    result.marks = [(child.start_mark.line + 1, child.start_mark.column + 1) for child in node.value]
    return result


_AMBIGUOUS_INT = re.compile(r"[-+]?(0[0-9_]+|0b[0-1_]+|[0-9][0-9_]*(:[0-5]?[0-9])+|[0-9][0-9_]*_[0-9_]*)")
_AMBIGUOUS_FLOAT = re.compile(r"[-+]?([0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*|.*_.*)")
_AMBIGUOUS_BOOL = {"yes", "no", "on", "off", "y", "n"}


def _ambiguous(loader, node, what: str, plain: str):
    raise SpecError(f"{node.value!r} is read differently by YAML 1.1 and YAML 1.2 ({what}); write {plain}",
                    line=node.start_mark.line + 1, column=node.start_mark.column + 1)


def _construct_int(loader, node):
    text = node.value
    if _AMBIGUOUS_INT.fullmatch(text):
        how = ("a leading zero: octal in YAML 1.1" if re.fullmatch(r"[-+]?0[0-9_]+", text) else
               "sexagesimal in YAML 1.1" if ":" in text else "binary in YAML 1.1, text in 1.2" if "0b" in text
               else "digit separators: a number in YAML 1.1, text in 1.2")
        _ambiguous(loader, node, how, "the number in plain decimal digits")
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _construct_float(loader, node):
    if _AMBIGUOUS_FLOAT.fullmatch(node.value):
        _ambiguous(loader, node, "sexagesimal or digit separators in YAML 1.1", "the number in plain decimal digits")
    return yaml.SafeLoader.construct_yaml_float(loader, node)


def _construct_bool(loader, node):
    if node.value.lower() in _AMBIGUOUS_BOOL:
        _ambiguous(loader, node, "a boolean in YAML 1.1, text in 1.2", "true or false (or quote it)")
    return yaml.SafeLoader.construct_yaml_bool(loader, node)


_CParser: Any
try:
    from yaml.cyaml import CParser as _CParser  # type: ignore[attr-defined]  # not in its __all__
except ImportError:  # PyYAML built without libyaml: every file goes through _Loader
    _CParser = None


class _NoCParser:
    """Stands in for libyaml's CParser as _CLoader's base when PyYAML has no libyaml (then
    _CLoader is never used)."""


_CBase: Any = _CParser if _CParser is not None else _NoCParser


class _CLoader(_CBase, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """libyaml's C parser and composer (nodes with the same marks and styles), our constructors:
    the same values, refusals and messages as _Loader, ten times faster. It is used only when
    `_plainly_nested` bounds the nesting (the C composer recurses on the C stack) and is trusted
    only for a file without surprises: any YAML error, too many aliases or too large an expansion
    sends the file to _Loader, which decides as it always has, located."""

    def __init__(self, stream):
        _CParser.__init__(self, stream)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.tags: dict = {}  # (node kind, text, implicit) -> the resolver's tag

    def resolve(self, kind, value, implicit):
        """The resolver's answer, remembered: without path resolvers it depends on the node's kind,
        its text (None for a collection) and whether its tag was implicit alone, and 100,000 layers
        write `type`, `name`, `relu` and a mapping 100,000 times each."""
        if self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)
        key = (kind, value, implicit)
        tag = self.tags.get(key)
        if tag is None:
            tag = self.tags[key] = super().resolve(kind, value, implicit)
        return tag

    construct_object = _Loader.construct_object


def _plainly_nested(text: str) -> bool:
    """True when the nesting is certainly at most MAX_YAML_DEPTH: no more flow brackets open at
    once (counted as if no bracket were quoted) than the depth left by the deepest line start
    (indentation and `- ` markers, one character or more per block level)."""
    brackets = re.findall(r"[\[\]{}]", text)
    flow = max(itertools.accumulate(1 if b in "[{" else -1 for b in brackets), default=0)
    block = max(map(len, re.findall(r"^[ \t?:-]*", text, re.M)), default=0)
    return flow + block + 2 <= MAX_YAML_DEPTH


def _census(node) -> tuple[bool, bool]:
    """Whether a composed document has more aliases (a node reached again) or a larger expansion
    than _Loader allows; and whether any node is shared (an alias) or merged (`<<`)."""
    seen, aliases, merges, stack = set(), 0, False, [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            aliases += 1
            continue
        seen.add(id(n))
        if isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                merges = merges or k.tag == _MERGE
                stack += (k, v)
    shared = aliases > 0 or merges
    if aliases > _Loader.MAX_ALIASES:
        return True, shared
    if aliases == 0:
        return len(seen) > _Loader.MAX_EXPANDED_NODES, shared
    return _expanded(node, _Loader.MAX_EXPANDED_NODES) > _Loader.MAX_EXPANDED_NODES, shared


def _load_fast(text: str):
    """The document through libyaml, or None when _Loader must decide."""
    if _CParser is None or not _plainly_nested(text):
        return None
    plain = not any(mark in text for mark in _SHARING_MARKS)  # no anchor, so no alias; no merge key
    if plain:
        nodes: list = [0]
        loader = _CLoader(text)
        try:
            data = _event_document(loader, nodes)
        except yaml.YAMLError:
            return None
        finally:
            loader.dispose()
        if data is not _UNSURE:
            return data if nodes[0] <= _Loader.MAX_EXPANDED_NODES else None
    loader = _CLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if plain:
            nodes = [0]
            data = _plain_document(loader, node, nodes)
            return data if nodes[0] <= _Loader.MAX_EXPANDED_NODES else None
        surprising, shared = _census(node)
        if surprising:
            return None
        if not shared:
            return _plain_document(loader, node)
        return loader.construct_document(node)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


_MERGE, _MAP, _SEQ, _STR = (f"tag:yaml.org,2002:{t}" for t in ("merge", "map", "seq", "str"))


# without these in the text a document has no alias (each needs an anchor, `&`) and no merge key
# (`<<`, or the tag `!!merge` / `tag:yaml.org,2002:merge`)
_SHARING_MARKS = ("&", "<<", "merge")


def _plain_document(loader, root, nodes: list | None = None):
    """The document of a tree without aliases or merge keys, built directly: what
    construct_document gives (_construct_map's and _construct_seq's marks and refusals), without
    its per-node bookkeeping for shared and recursive nodes, which such a tree has none of. Every
    scalar but text (numbers, booleans, null, other tags) and every other tagged collection still
    goes through the loader's constructors (test_scale_loader.py compares the two). Counts the
    nodes built into nodes[0]."""
    construct = loader.construct_object
    nodes = [0] if nodes is None else nodes  # nodes[0]: how many were built
    scalar, text = yaml.ScalarNode, _STR

    def build(node):  # counted by its parent (the root below)
        tag = node.tag
        if tag == _STR and type(node) is scalar:
            return node.value
        if tag == _MAP and type(node) is yaml.MappingNode:
            nodes[0] += 2 * len(node.value)
            return build_map(node)
        if tag == _SEQ and type(node) is yaml.SequenceNode:
            nodes[0] += len(node.value)
            result = Seq(build(child) for child in node.value)
            result.line, result.column = node.start_mark.line + 1, node.start_mark.column + 1
            result.marks = [(child.start_mark.line + 1, child.start_mark.column + 1) for child in node.value]
            return result
        if not isinstance(node, scalar):  # `!!set`, `!!omap`...: its nodes count too
            nodes[0] += _expanded(node, _Loader.MAX_EXPANDED_NODES) - 1
        return construct(node, deep=True)

    def build_map(node):
        result = Map()
        start = node.start_mark
        result.line, result.column = start.line + 1, start.column + 1
        result.marks, result.key_marks = marks, key_marks = {}, {}
        for key_node, value_node in node.value:
            # a plain text key and a text value (nearly every pair of a spec) read inline
            mark = key_node.start_mark
            where = (mark.line + 1, mark.column + 1)
            if key_node.tag == text and type(key_node) is scalar:
                key = key_node.value
            else:
                key = build(key_node)
                if not isinstance(key, (str, int, float, bool)) or key is None or isinstance(key, (Map, Seq)):
                    raise SpecError("a mapping key must be a plain scalar", line=where[0], column=where[1])
            if key in result:
                raise SpecError(f"duplicate key {key!r}", line=where[0], column=where[1])
            mark = value_node.start_mark
            if type(value_node) is scalar:
                result[key] = value_node.value if value_node.tag == text else build(value_node)
                marks[key] = (mark.line + 1, mark.column + 1 + (value_node.style in _QUOTES))
            else:
                result[key] = build(value_node)
                marks[key] = (mark.line + 1, mark.column + 1)
            key_marks[key] = where
        return result

    nodes[0] += 1  # the root
    return build(root)


_QUOTES = ("'", '"')  # a quoted scalar's value starts one column after its mark
_UNSURE = object()  # what _event_document returns for a document it leaves to the composer


def _event_document(loader, nodes: list):
    """The document of a text without anchors or merge keys, built from libyaml's events without
    composing its nodes first: what _plain_document builds from the composed tree (the same tags
    resolved the same way, the same marks and refusals; test_scale_loader.py compares them), with
    no node tree held at once (a third of a 100,000-layer file's peak memory). _UNSURE when the
    text holds anything else (an alias, an anchor, a tagged collection, no document or more than
    one): the composer then decides. Counts the nodes built into nodes[0]."""
    get, resolve, construct = loader.get_event, loader.resolve, loader.construct_object
    scalar, start_map, start_seq = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    end_map, end_seq = yaml.MappingEndEvent, yaml.SequenceEndEvent

    def value(event):
        kind = type(event)
        if getattr(event, "anchor", None) is not None:
            raise _Unsure
        if kind is scalar:
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(yaml.ScalarNode, event.value, event.implicit)
            if tag == _STR:
                return event.value
            return construct(yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style),
                             deep=True)
        if kind is start_map or kind is start_seq:
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(yaml.MappingNode if kind is start_map else yaml.SequenceNode, None, event.implicit)
            if tag != (_MAP if kind is start_map else _SEQ):
                raise _Unsure  # `!!set`, `!!omap`...: composed and constructed
            return mapping(event) if kind is start_map else sequence(event)
        raise _Unsure  # an alias

    def mapping(start):
        result = Map()
        result.line, result.column = start.start_mark.line + 1, start.start_mark.column + 1
        result.marks, result.key_marks = marks, key_marks = {}, {}
        event = get()
        while type(event) is not end_map:
            mark = event.start_mark
            where = (mark.line + 1, mark.column + 1)
            key = value(event)
            if not isinstance(key, (str, int, float, bool)) or key is None or isinstance(key, (Map, Seq)):
                raise SpecError("a mapping key must be a plain scalar", line=where[0], column=where[1])
            if key in result:
                raise SpecError(f"duplicate key {key!r}", line=where[0], column=where[1])
            event = get()
            mark = event.start_mark
            quoted = type(event) is scalar and event.style in _QUOTES
            result[key] = value(event)
            marks[key] = (mark.line + 1, mark.column + 1 + quoted)
            key_marks[key] = where
            nodes[0] += 2
            event = get()
        return result

    def sequence(start):
        result, places = Seq(), []
        result.line, result.column = start.start_mark.line + 1, start.start_mark.column + 1
        event = get()
        while type(event) is not end_seq:
            places.append((event.start_mark.line + 1, event.start_mark.column + 1))
            result.append(value(event))
            nodes[0] += 1
            event = get()
        result.marks = places
        return result

    try:
        if type(get()) is not yaml.StreamStartEvent or type(get()) is not yaml.DocumentStartEvent:
            raise _Unsure
        nodes[0] += 1  # the root
        data = value(get())
        if type(get()) is not yaml.DocumentEndEvent or type(get()) is not yaml.StreamEndEvent:
            raise _Unsure  # a second document: the composer says so
        return data
    except _Unsure:
        return _UNSURE


class _Unsure(Exception):
    """_event_document met something it leaves to the composer."""


for _loader in (_Loader, _CLoader):
    _loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
    _loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
    _loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    _loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
    _loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)


@contextlib.contextmanager
def collector_paused(frozen: bool = False):
    """The cyclic garbage collector paused (then restored): a 100,000-layer spec makes millions of
    objects, none of them cyclic garbage, and each full collection would walk them all (loading
    100,000 layers took 4x as long with it running). Reference counting frees everything as usual.
    `frozen` (a command): the objects still alive are then frozen (gc.freeze), out of the
    collector's reach, else its next collection (the last one at exit, for a command) walks every
    one of them (about a second of a 100,000-layer report); the next frozen pause in the same
    process unfreezes them first, so that they stay collectable in a long-lived process."""
    if frozen:
        gc.unfreeze()  # the previous command's objects, collectable again
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if frozen:
            gc.freeze()
        if collecting:
            gc.enable()


def read_text(text: str, file: str):
    """The YAML document of a spec's text (positions kept), with the YAML limits checked."""
    with collector_paused():
        return _read_text(text, file)


def _read_text(text: str, file: str):
    try:
        if "\t" not in text:  # libyaml takes a tab where PyYAML's scanner refuses one: PyYAML decides
            try:
                data = _load_fast(text)  # about 8x faster than the pure loader, on a 2 kB spec too
            except UnicodeEncodeError:  # a lone surrogate (a str given from Python): PyYAML refuses it
                data = None
            if data is not None:
                return data
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except SpecError as e:
        raise e.located(file=file, line=1, column=1)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(str(e.problem or e.context).split())  # one line
        raise SpecError(f"malformed YAML: {problem}", file=file, line=line, column=column) from None
    except yaml.YAMLError as e:
        raise SpecError(f"malformed YAML: {' '.join(str(e).split())}", file=file, line=1, column=1) from None
    except RecursionError:
        raise SpecError("YAML nested too deeply", file=file, line=1, column=1) from None



def read_yaml(path):
    """A spec file's YAML data (positions kept), with the file-level limits checked. `path` may
    also name a shipped spec (`mobilenet_cifar`): a file at that path wins."""
    from .. import shipped
    file = str(path)
    path = shipped.resolve(path)
    try:
        if Path(path).exists() and not Path(path).is_file():
            raise SpecError("cannot read spec: not a regular file", file=file)
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)  # never more than the limit, whatever the file
    except OSError as e:
        raise SpecError(f"cannot read spec: {e.strerror or e}", file=file) from None
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(f"spec is larger than {MAX_FILE_BYTES} bytes", file=file, line=1, column=1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise SpecError(f"spec is not UTF-8 text (byte {e.start})", file=file, line=line, column=column) from None
    return parse_text(text, file)


def parse_text(text: str, file: str):
    if len(text) > MAX_FILE_BYTES:
        raise SpecError(f"spec is larger than {MAX_FILE_BYTES} characters", file=file, line=1, column=1)
    if "\x00" in text:
        nul = text.index("\x00")
        raise SpecError("spec contains a NUL character (binary data?)", file=file,
                        line=text.count("\n", 0, nul) + 1, column=nul - (text.rfind("\n", 0, nul) + 1) + 1)
    return read_text(text, file)
