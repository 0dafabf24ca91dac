"""`options:`: structural constants with a finite set of choices. Each assignment builds its own
tree (the batch norm of VGG's _bn models, the pools of SqueezeNet 1.1); presets and `--set` choose
them, every command taking --set/--preset honours them, and no option ever reaches a closed form."""

import json
import textwrap

import pytest

import costmodel
from costmodel.errors import SpecError

TOY = textwrap.dedent("""\
    name: toy
    description: "conv units with an optional batch norm"
    input: [16, 16, 3]
    symbols:
      alpha: {default: 1, description: "width multiplier"}
      delta: {default: 1, integer: true, description: "units in the second stage"}
      classes: {default: 10, integer: true, description: "classes"}
    options:
      use_bn: {default: 0, choices: [0, 1], description: "batch norm after each conv"}
      stages: {default: 2, choices: [1, 2], description: "stages of units"}
    presets:
      plain: {description: "no batch norm", values: {use_bn: 0}}
      bn: {description: "batch norm, twice as wide", values: {use_bn: 1, alpha: 2}}
    defaults: {conv: {bias: false}}
    blocks:
      unit:
        args: {out: null, stride: 1}
        layers:
          - {type: conv, name: conv, filters: out*alpha, kernel: 3, stride: stride}
          - {type: batchnorm, name: bn, when: "use_bn == 1"}
          - {type: relu, name: relu}
    layers:
      - {block: unit, name: unit1, out: 8}
      - {block: unit, name: unit2, out: 16, repeat: delta, first: {stride: 2}, when: "stages == 2"}
      - {type: global_avgpool, name: pool}
      - {type: dense, name: fc, units: classes}
    """)
OPTION_LINE = 9  # `use_bn:` under options:

# at the defaults (alpha 1, delta 1, 16x16 input, 'same' padding, no conv bias)
CONV1 = 3 * 3 * 3 * 8  # unit1's 3x3 conv, 3 -> 8
CONV2 = 3 * 3 * 8 * 16  # unit2's 3x3 conv, 8 -> 16, stride 2
FC = 16 * 10 + 10
BN = 2 * 8 + 2 * 16  # gamma and beta of each conv's channels
MACS = 16 * 16 * 8 * 3 * 3 * 3 + 8 * 8 * 16 * 3 * 3 * 8 + 16 * 10


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "toy.yaml"
    p.write_text(TOY)
    return p


@pytest.fixture
def net(path):
    return costmodel.load_network(path)


def test_each_choice_builds_its_tree(net):
    plain = net.evaluate()
    assert (plain.totals.params, plain.totals.macs) == (CONV1 + CONV2 + FC, MACS)
    with_bn = net.evaluate({"use_bn": 1})
    assert with_bn.totals.params == CONV1 + CONV2 + FC + BN
    assert with_bn.totals.params_non_trainable == BN  # running mean and variance
    assert "unit1/bn" in [r.name for r in with_bn.rows] and "unit1/bn" not in [r.name for r in plain.rows]
    one_stage = net.evaluate({"stages": 1})
    assert one_stage.totals.params == CONV1 + (8 * 10 + 10)  # the classifier sees unit1's 8 channels
    assert with_bn.network.spec.option_values == {"use_bn": 1, "stages": 2}


def test_a_preset_sets_options_and_a_set_overrides_it(net):
    assert net.evaluate(preset="bn").totals.params == 3 * 3 * 3 * 16 + 3 * 3 * 16 * 32 + 32 * 10 + 10 + 2 * 16 + 2 * 32
    assert net.evaluate({"use_bn": 0}, preset="bn").totals.params == 3 * 3 * 3 * 16 + 3 * 3 * 16 * 32 + 32 * 10 + 10
    assert net.spec.presets["bn"].options == {"use_bn": 1} and net.spec.presets["bn"].values == {"alpha": 2}


def test_options_never_reach_a_closed_form(net):
    for variant in (net, net.for_values({"use_bn": 1}), net.for_values({"stages": 1})):
        names = {str(s) for m in ("params", "macs") for s in variant.total(m).free_symbols}
        assert names <= {"alpha", "delta", "classes"}
    import sympy
    alpha, delta = sympy.symbols("alpha delta", positive=True)
    statistics = net.for_values({"use_bn": 1}).total("params_non_trainable")  # unit1's 8*alpha, unit2's 16*alpha each
    assert sympy.expand(statistics.subs({s: sympy.Symbol(str(s), positive=True) for s in statistics.free_symbols})
                        - (2 * 8 * alpha + 2 * 16 * alpha * delta)) == 0


def test_each_tree_is_built_once_per_assignment(net):
    bn = net.for_values({"use_bn": 1})
    assert net.for_values({"use_bn": "1"}) is bn and net.for_values(preset="bn") is bn
    assert bn.for_values({"use_bn": 0}) is net and net.for_values({}) is net
    assert bn.for_values() is bn  # a tree's own options are its defaults


def test_a_tree_refuses_numbers_for_other_options(net):
    with pytest.raises(SpecError, match="this tree is built for use_bn=0, stages=2"):
        net.values({"use_bn": 1})  # Network.values is one tree's: evaluate() builds the other


@pytest.mark.parametrize("text, message", [
    ("use_bn: {default: 0, choices: [0, 1]}", None),
    ("alpha: {default: 0, choices: [0, 1]}", "'alpha' is a symbol and an option"),
    ("use_bn: {default: 2, choices: [0, 1]}", "the default 2 is not one of its choices (0, 1)"),
    ("use_bn: {default: 0, choices: 1}", "choices must be a list of 1 to 64 whole numbers"),
    ("use_bn: {default: 0, choices: [0, 0.5]}", "a choice must be a whole number from 0"),
    ("use_bn: {default: 0, choices: [0, 0]}", "a choice is listed twice"),
    ("use_bn: {choices: [0, 1]}", "option 'use_bn' needs 'default'"),
    ("use_bn: {default: 0, choices: [0, 1], integer: true}", "unknown key 'integer' in option 'use_bn'"),
    ("relu: {default: 0, choices: [0, 1]}", "'relu' cannot be an option name"),
])
def test_bad_declarations_are_located_errors(text, message):
    spec = textwrap.dedent("""\
        input: [8, 8, 3]
        symbols: {alpha: 1}
        options:
          OPTION
        layers:
          - {type: conv, filters: 8*alpha, kernel: 3}
        """).replace("OPTION", text)
    if message is None:
        assert costmodel.loads(spec, file="o.yaml").options["use_bn"].choices == (0, 1)
        return
    with pytest.raises(SpecError) as e:
        costmodel.loads(spec, file="o.yaml")
    assert message in str(e.value) and str(e.value).startswith("o.yaml:4:")


def test_a_block_argument_cannot_shadow_an_option():
    text = TOY.replace("args: {out: null, stride: 1}", "args: {out: null, stride: 1, use_bn: 0}")
    with pytest.raises(SpecError, match="'use_bn' cannot be an argument name: it is an option"):
        costmodel.loads(text, file="toy.yaml")


def test_a_preset_naming_a_choice_that_does_not_exist_is_refused():
    text = TOY.replace("values: {use_bn: 1, alpha: 2}", "values: {use_bn: 3, alpha: 2}")
    with pytest.raises(SpecError, match="preset 'bn': option use_bn = 3 is not one of its choices"):
        costmodel.loads(text, file="toy.yaml")


def test_set_outside_the_choices_is_one_located_line(cli, path):
    status, out, err = cli(["report", str(path), "--set", "use_bn=2"])
    assert (status, out) == (2, "")
    assert err == f"costmodel: {path}:{OPTION_LINE}:3: option use_bn: 2 is not one of its choices (0, 1)\n"


def test_report_names_the_options_like_the_preset(cli, path):
    status, out, _ = cli(["report", str(path), "--preset", "bn"])
    assert status == 0 and out.splitlines()[0] == "toy, preset bn, use_bn=1, stages=2 (alpha=2, delta=1, classes=10)"
    status, out, _ = cli(["report", str(path), "--set", "stages=1", "--format", "json"])
    doc = json.loads(out)
    assert doc["options"] == {"use_bn": 0, "stages": 1} and "stages" not in doc["symbols"]
    assert doc["totals"]["params"] == CONV1 + 8 * 10 + 10


@pytest.mark.parametrize("argv", [
    ["explain", "--vs", "torch", "--preset", "bn"],
    ["metrics", "--preset", "bn"],
    ["check", "--preset", "bn", "--max-params", "1e6"],
    ["dataflow", "--set", "use_bn=1"],
    ["ratio", "--alpha", "0.5", "--delta", "1", "--set", "use_bn=1"],
])
def test_every_command_with_values_takes_options(cli, path, argv):
    command, rest = argv[0], argv[1:]
    spec = ["--spec", str(path)] if command == "ratio" else [str(path)]
    status, out, err = cli([command, *spec, *rest])
    assert status == 0, err
    assert out


def test_metrics_and_check_measure_the_options_tree(cli, path):
    _, out, _ = cli(["metrics", str(path), "--preset", "bn", "--format", "json"])
    totals = json.loads(out)["totals"]
    assert totals["param_bytes"] == 4 * (net_params_bn() + 2 * 16 + 2 * 32)  # fp32, with the running statistics
    _, out, _ = cli(["check", str(path), "--set", "use_bn=1", "--max-params", str(CONV1 + CONV2 + FC + BN - 1)])
    assert "params" in out  # one parameter too many: over the budget
    status, _, _ = cli(["check", str(path), "--set", "use_bn=1", "--max-params", str(CONV1 + CONV2 + FC + BN)])
    assert status == 0


def net_params_bn() -> int:
    return 3 * 3 * 3 * 16 + 3 * 3 * 16 * 32 + 32 * 10 + 10 + 2 * 16 + 2 * 32  # preset bn: alpha 2, use_bn 1


def test_compare_builds_a_tree_per_option_value(cli, path):
    status, out, _ = cli(["compare", str(path), "--grid", "use_bn=0,1", "--format", "json"])
    assert status == 0
    rows = json.loads(out)["rows"]
    assert [(r["values"]["use_bn"], r["params"]) for r in rows] == [(0, CONV1 + CONV2 + FC), (1, CONV1 + CONV2 + FC + BN)]


def test_sweep_and_solve_refuse_an_option_as_the_variable(cli, path):
    status, _, err = cli(["sweep", str(path), "--grid", "use_bn=0,1"])
    assert status == 2 and "use_bn is an option" in err and "costmodel compare --grid use_bn=" in err
    status, _, err = cli(["solve", str(path), "--for", "use_bn", "--max-macs", "1e6"])
    assert status == 2 and "use_bn is an option" in err


def test_sweep_and_solve_run_on_the_options_tree(cli, path):
    status, out, _ = cli(["sweep", str(path), "--grid", "alpha=1,2", "--set", "use_bn=1", "--format", "json"])
    assert status == 0
    assert [r["params"] for r in json.loads(out)] == [CONV1 + CONV2 + FC + BN, net_params_bn()]
    status, out, _ = cli(["solve", str(path), "--for", "classes", "--max-params", str(CONV1 + CONV2 + FC + BN),
                          "--set", "use_bn=1", "--format", "json"])
    assert status == 0 and json.loads(out)["value"] == 10  # classes 11 adds 17 parameters


def test_graph_writes_the_options_tree(cli, path, tmp_path):
    out = tmp_path / "g.dot"
    status, _, err = cli(["graph", str(path), "--set", "use_bn=1", "-o", str(out)])
    assert status == 0, err
    assert "unit1/bn" in out.read_text()


def test_the_page_is_one_tree_and_names_the_other_presets(net):
    from costmodel.outputs.page import Model
    bn = Model(net.for_values(preset="bn")).as_dict()
    assert [p["name"] for p in bn["presets"]] == ["bn"]
    assert "use_bn=1, stages=2" in bn["description"] and "the presets plain choose other options" in bn["description"]
    plain = Model(net).as_dict()
    assert [p["name"] for p in plain["presets"]] == ["plain"]


def test_explore_opens_the_presets_tree(cli, path, tmp_path):
    out = tmp_path / "p.html"
    status, _, err = cli(["explore", str(path), "--preset", "bn", "-o", str(out)])
    assert status == 0, err
    assert "use_bn=1, stages=2" in out.read_text()


def test_verify_builds_the_options_tree():
    pytest.importorskip("torch", reason="verify runs the network in PyTorch (the torch extra)")
    net = costmodel.load_network(costmodel.loads(TOY, file="toy.yaml"))
    result = costmodel.verify(net, {"use_bn": 1, "delta": 2})
    assert result.ok and any(layer.name == "unit2.2/bn" for layer in result.layers)


def test_the_schema_knows_options():
    from costmodel.outputs.schema import schema, validate
    from costmodel.spec import OPTION_KEYS, read_yaml
    s = schema()
    assert set(s["$defs"]["option"]["properties"]) == OPTION_KEYS
    assert validate(read_yaml("imagenet/vgg"), s) == []
    bad = {**read_yaml("imagenet/vgg"), "options": {"use_bn": {"default": 0, "choices": [0, 1], "integer": True}}}
    assert validate(bad, s)  # an unknown key of an option


def test_a_bad_option_is_one_error_not_one_per_use():
    text = TOY.replace("use_bn: {default: 0, choices: [0, 1],", "use_bn: {default: 5, choices: [0, 1],")
    with pytest.raises(SpecError) as e:
        costmodel.loads(text, file="toy.yaml")
    assert e.value.lines() == [f"toy.yaml:{OPTION_LINE}:21: option 'use_bn': the default 5 is not one of its choices (0, 1)"]


@pytest.mark.parametrize("value, message", [("0.5", "option use_bn: 0.5 is not one of its choices (0, 1)"),
                                            ("-1", "option use_bn: -1 is not one of its choices (0, 1)"),
                                            ("abc", "option use_bn must be a number, got 'abc'"),
                                            ("1e999", "option use_bn: number 1e999 is out of range")])
def test_every_bad_set_of_an_option_is_located_at_its_declaration(cli, path, value, message):
    status, out, err = cli(["report", str(path), "--set", f"use_bn={value}"])
    assert (status, out, err) == (2, "", f"costmodel: {path}:{OPTION_LINE}:3: {message}\n")


def test_sweep_and_solve_name_the_options_of_their_tree(cli, path):
    _, out, _ = cli(["sweep", str(path), "--grid", "alpha=1,2", "--set", "use_bn=1"])
    assert out.startswith("toy (use_bn=1, stages=2): 2 configurations")
    _, out, _ = cli(["solve", str(path), "--for", "classes", "--max-params", "1e5", "--preset", "bn"])
    assert out.startswith("toy: largest classes with use_bn=1, stages=2, alpha=2, delta=1 under params <= 100,000")
    _, out, _ = cli(["solve", str(path), "--for", "classes", "--max-params", "1e5", "--preset", "bn", "--format", "json"])
    assert json.loads(out)["options"] == {"use_bn": 1, "stages": 2}


def test_a_symbol_only_another_trees_layers_read_is_left_out(cli, path, net):
    """With stages=1 there is no unit2, the only reader of delta: the header leaves it out, and
    solve refuses it (no cost depends on it) instead of reporting a bound that means nothing."""
    assert net.spec.read_symbols == {"alpha", "delta", "classes"}
    assert net.for_values({"stages": 1}).spec.read_symbols == {"alpha", "classes"}
    status, out, _ = cli(["report", str(path), "--set", "stages=1"])
    assert status == 0 and out.splitlines()[0] == "toy, use_bn=0, stages=1 (alpha=1, classes=10)"
    status, out, err = cli(["solve", str(path), "--for", "delta", "--max-params", "1e6", "--set", "stages=1"])
    assert (status, out) == (2, "")
    assert err == (f"costmodel: {path}: solve: no cost of this network built for use_bn=0, stages=1 depends on "
                   f"delta (its layers do not read it): there is nothing to solve for\n")


def test_efficientnet_v2_s_does_not_list_stage_7():
    spec = costmodel.load_network("imagenet/efficientnet_v2").for_values(preset="efficientnet_v2_s").spec
    assert {"c7", "n7"} <= set(spec.symbols) and not {"c7", "n7"} & spec.read_symbols
    spec_m = costmodel.load_network("imagenet/efficientnet_v2").for_values(preset="efficientnet_v2_m").spec
    assert {"c7", "n7"} <= spec_m.read_symbols
