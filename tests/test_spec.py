"""Spec loading: blocks, repeat, names, branches, defaults, and located errors."""

import textwrap

import pytest

from costmodel import SpecError, loads

HEAD = """\
input: [32, 32, 3]
symbols:
  alpha: {default: 1, description: width}
rounding: floor
"""


def spec(body: str, head: str = HEAD):
    return loads(head + textwrap.dedent(body), file="net.yaml")


def error(body: str, head: str = HEAD) -> SpecError:
    with pytest.raises(SpecError) as info:
        spec(body, head)
    return info.value


def test_names_inputs_and_order():
    s = spec("""
    layers:
      - {type: conv, filters: 8, kernel: 3}
      - {type: relu}
      - {type: conv, name: side, filters: 8, kernel: 1, input: input}
      - {type: add, inputs: [relu1, side]}
    """)
    assert [l.name for l in s.layers] == ["conv1", "relu1", "side", "add1"]
    assert [l.inputs for l in s.layers] == [("input",), ("conv1",), ("input",), ("relu1", "side")]
    assert [l.index for l in s.layers] == [1, 2, 3, 4]


def test_block_expansion_binds_arguments_and_scopes_names():
    s = spec("""
    blocks:
      res:
        args: {c: null, k: 3}
        layers:
          - {type: conv, name: a, filters: c*alpha, kernel: k}
          - {type: conv, name: b, filters: c*alpha, kernel: 1}
          - {type: add, inputs: [input, b]}
    layers:
      - {type: conv, filters: 16, kernel: 3}
      - {block: res, c: 16, repeat: 2}
      - {block: res, name: last, c: 8*2, k: 5}
      - {type: relu, input: res2}
      - {type: add, inputs: [relu1, last]}
    """)
    names = [l.name for l in s.layers]
    assert names == ["conv1", "res1/a", "res1/b", "res1/add1", "res2/a", "res2/b", "res2/add1",
                     "last/a", "last/b", "last/add1", "relu1", "add1"]
    # the block's `input` is the layer before the call; the call's output is its last layer
    assert s.layer("res1/add1").inputs == ("conv1", "res1/b")
    assert s.layer("res2/a").inputs == ("res1/add1",)
    assert s.layer("relu1").inputs == ("res2/add1",)
    from costmodel import expr as ex
    assert ex.to_text(s.layer("last/a").args["filters"]) == "(((8 * 2)) * alpha)".replace("((8 * 2))", "(8 * 2)")
    assert s.layer("last/a").args["kernel"] == (ex.parse("5"), ex.parse("5"))


def test_repeat_of_named_layer_and_defaults():
    s = spec("""
    defaults:
      conv: {bias: false, padding: valid}
    layers:
      - {type: conv, name: c, filters: 4, kernel: 3, repeat: 3}
      - {type: conv, filters: 4, kernel: 3, bias: true}
    """)
    assert [l.name for l in s.layers] == ["c.1", "c.2", "c.3", "conv1"]
    assert [l.args["bias"] for l in s.layers] == [False, False, False, True]
    assert all(l.args["padding"] == "valid" for l in s.layers)


def test_rounding_is_global_with_override():
    s = spec("""
    layers:
      - {type: conv, filters: 4*alpha, kernel: 3}
      - {type: conv, filters: 4*alpha, kernel: 3, rounding: multiple_of_8}
      - {type: conv, filters: 4, kernel: 3, rounding: multiple_of_8}
    """)
    # a count that is whole by construction (4) is never rounded, whatever the rule
    assert [l.rounding for l in s.layers] == ["floor", "multiple_of_8", "none"]


@pytest.mark.parametrize("body, line, message", [
    ("layers:\n  - {type: conv, filters: 4, kernel: 3}\n  - {type: frobnicate}\n", 7, "unknown layer type 'frobnicate'"),
    ("layers:\n  - {type: conv, filters: 4, kernel: 3, strides: 2}\n", 6, "unknown key 'strides'"),
    ("layers:\n  - {type: conv, kernel: 3}\n", 6, "'conv' needs 'filters'"),
    ("layers:\n  - {type: conv, filters: 4*beta, kernel: 3}\n", 6, "unknown symbol 'beta'"),
    ("layers:\n  - {type: conv, filters: __import__('os'), kernel: 3}\n", 6, "filters: unexpected character"),
    ("layers:\n  - {type: add, inputs: [input, nowhere]}\n", 6, "no layer named 'nowhere'"),
    ("layers:\n  - {type: relu, name: a}\n  - {type: relu, name: a}\n", 7, "two layers are named 'a'"),
    ("layers:\n  - {type: add, inputs: [input]}\n", 6, "needs 'inputs' naming two or more"),
    ("layers:\n  - {type: conv, filters: 4, kernel: 3, bias: 1}\n", 6, "bias must be true or false"),
    ("layers:\n  - {type: relu, repeat: 2.5}\n", 6, "repeat must be an integer from 1"),
    ("layers:\n  - {type: relu, repeat: 0}\n", 6, "repeat must be an integer from 1"),
    ("layers:\n  - {block: nope}\n", 6, "unknown block 'nope'"),
    ("layers:\n  - {type: conv, filters: 4, kernel: 3, padding: sideways}\n", 6, "padding must be"),
    ("layers:\n  - {type: relu, rounding: up}\n", 6, "rounding must be one of"),
    ("layers: []\n", 5, "'layers' is empty"),
    ("layers:\n  - {type: relu}\nextra: 1\n", 7, "unknown key 'extra' in the spec"),
    ("layers:\n  - {type: relu, type: relu}\n", 6, "duplicate key 'type'"),
    ("layers:\n  - {type: relu\n", 7, "malformed YAML"),
])
def test_errors_name_file_line_and_problem(body, line, message):
    e = error(body)
    assert message in str(e)
    assert e.file == "net.yaml"
    assert e.line == line
    assert str(e).startswith(f"net.yaml:{line}:")
    assert "\n" not in str(e)


def test_error_names_the_layer():
    e = error("layers:\n  - {type: relu}\n  - {type: conv, kernel: 3}\n")
    assert e.layer == "2 'conv1' (conv)"
    assert "layer 2 'conv1' (conv):" in str(e)


def test_error_inside_a_block_names_instance_and_body_line():
    e = error("""
    blocks:
      unit:
        args: [c]
        layers:
          - {type: conv, filters: c, kernel: 3, groups: x}
    layers:
      - {block: unit, name: first, c: 8}
    """)
    assert "unknown symbol 'x'" in e.message
    assert e.line == 10 and "first/conv1" in e.layer


def test_symbol_declarations_are_checked():
    assert "integer but its default is 1/2" in str(error("layers: [{type: relu}]\n", "input: [8, 8, 3]\nsymbols:\n  d: {default: 0.5, integer: true}\n"))
    assert "positive default" in str(error("layers: [{type: relu}]\n", "input: [8, 8, 3]\nsymbols:\n  d: 0\n"))
    assert "cannot be a symbol name" in str(error("layers: [{type: relu}]\n", "input: [8, 8, 3]\nsymbols:\n  floor: 1\n"))
    s = spec("layers: [{type: relu}]\n", "input: [8, 8, 3]\nsymbols:\n  d: 2\n")
    assert s.symbols["d"].default == 2 and not s.symbols["d"].integer


def test_alias_bomb_fails_fast():
    bomb = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
    with pytest.raises(SpecError, match="YAML aliases"):
        loads(bomb, file="bomb.yaml")


def test_yaml_tags_that_execute_code_are_refused():
    with pytest.raises(SpecError, match="malformed YAML"):
        loads("input: !!python/object/apply:os.system ['true']\nlayers: [{type: relu}]\n")


def test_merge_keys_override_and_duplicates_still_refused():
    s = loads("input: [8, 8, 3]\nlayers:\n  - &c {type: conv, filters: 8, kernel: 3}\n  - {<<: *c, filters: 16}\n")
    assert [ex_value(l.args["filters"]) for l in s.layers] == [8, 16]   # the written key wins
    assert s.layers[1].args["kernel"] == s.layers[0].args["kernel"]      # the rest is merged
    with pytest.raises(SpecError, match="duplicate key 'filters'"):
        loads("input: [8, 8, 3]\nlayers:\n  - &c {type: conv, filters: 8, kernel: 3}\n"
              "  - {<<: *c, filters: 16, filters: 4}\n")


def ex_value(node):
    from costmodel import expr
    return expr.constant_value(node)
