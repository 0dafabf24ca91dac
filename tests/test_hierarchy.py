"""The network keeps the spec's structure: repeats over symbols, `first:`, presets, derive once,
the tree with subtotals (`report --depth`, JSON `tree`), and the ResNet family specs."""

import json

import pytest
import sympy

import costmodel
from costmodel.errors import SpecError

HEAD = """
input: [32, 32, 8]
symbols:
  n: {default: 3, integer: true}
  w: {default: 1}
"""


def load(body: str, head: str = HEAD):
    return costmodel.loads(head + body, file="t.yaml")


# A stage: a 3x3 conv stride 2 to 16 channels first, then n - 1 shape-keeping 3x3 convs of 16.
STAGE = """
layers:
  - {type: conv, name: stage, filters: 16*w, kernel: 3, bias: false, repeat: n, first: {stride: 2}}
"""


def stage_macs(n: int) -> int:
    first = 16 * 16 * 16 * 3 * 3 * 8  # 16x16 outputs of 16 channels, 3*3*8 taps each
    rest = 16 * 16 * 16 * 3 * 3 * 16  # the same map, 3*3*16 taps
    return first + (n - 1) * rest


def test_symbolic_repeat_closed_form_is_first_plus_count_minus_one_rests():
    net = costmodel.build(load(STAGE))
    n = net.symbols["n"]
    w = net.symbols["w"]
    expected = 16 * 16 * 16 * 9 * 8 * w + (n - 1) * 16 * 16 * 16 * 9 * 16 * w ** 2  # 16*w channels: floor-free at w=1
    assert sympy.expand(net.total("macs", smooth_form=True) - expected) == 0
    for count in (1, 2, 7):
        evaluation = net.evaluate({"n": count})  # checked against the reference, which unrolls by itself
        assert evaluation.totals.macs == stage_macs(count)
        assert [r.name for r in evaluation.rows] == [f"stage.{k}" for k in range(1, count + 1)]
        assert evaluation.rows[0].shape == (16, 16, 16) and evaluation.rows[-1].shape == (16, 16, 16)


def test_a_symbolic_count_must_be_whole_and_in_range():
    spec = load("""
layers:
  - {type: relu, repeat: ceil(n/2) + w - 1}
""")
    assert costmodel.analyze(spec, n=3).totals.floats_out == 2 * 32 * 32 * 8  # ceil(3/2) + 1 - 1 = 2 copies
    with pytest.raises(SpecError, match=r"t.yaml:8:26: .*count must be a whole number from 1 to 10000, got 5/2"):
        costmodel.analyze(spec, n=3, w="1.5")
    with pytest.raises(SpecError, match="got 10001"):
        costmodel.analyze(spec, n=20001)  # ceil(20001/2) + 1 - 1 = 10001 copies: above MAX_REPEAT


def test_layers_inside_a_symbolic_repeat_cannot_be_named_from_outside():
    with pytest.raises(SpecError, match=r"'stage.2' is inside repeat 'stage', whose count depends on symbols"):
        load(STAGE + "  - {type: add, inputs: [stage, stage.2]}\n")
    spec = load(STAGE + "  - {type: add, inputs: [stage, stage.1]}\n")  # iteration 1 always exists
    assert costmodel.analyze(spec, n=4).rows[-1].name == "add1"


def test_the_repeat_name_refers_to_the_last_iteration():
    spec = load(STAGE + "  - {type: add, inputs: [stage, stage.1]}\n")
    for count in (1, 2, 5):
        add = costmodel.analyze(spec, n=count).rows[-1]
        assert add.inputs == (f"stage.{count}", "stage.1")


def test_a_repeat_whose_iterations_change_the_shape_needs_a_constant_count():
    body = "layers:\n  - {type: maxpool, name: pool, kernel: 2, repeat: %s}\n"
    message = "every iteration after the first must keep its input's shape, but 16x16x8 becomes 8x8x8"
    with pytest.raises(SpecError, match=message):
        costmodel.build(load(body % "n")).total("macs")  # no closed form
    with pytest.raises(SpecError, match=message):
        costmodel.analyze(load(body % "n"))  # and the numbers say so too
    rows = costmodel.analyze(load(body % 3)).rows  # a constant count: each iteration derived
    assert [r.shape for r in rows] == [(16, 16, 8), (8, 8, 8), (4, 4, 8)]


def test_first_can_call_another_block():
    spec = load("""
blocks:
  down:
    args: [out]
    layers:
      - {type: conv, filters: out, kernel: 1, stride: 2, bias: false}
  keep:
    args: [out]
    layers:
      - {type: conv, filters: out, kernel: 1, bias: false}
      - {type: add, inputs: [conv1, input]}
layers:
  - {block: keep, name: s, out: 4, repeat: n, first: {block: down, out: 4}}
""")
    rows = costmodel.analyze(spec, n=3).rows
    assert [r.name for r in rows] == ["s.1/conv1", "s.2/conv1", "s.2/add1", "s.3/conv1", "s.3/add1"]
    assert rows[0].macs == 16 * 16 * 4 * 8  # 1x1 conv stride 2: 8 taps per output
    assert rows[1].macs == 16 * 16 * 4 * 4
    assert rows[3].inputs == ("s.2/add1",)


def test_constant_repeats_keep_their_names_and_can_be_named_into():
    spec = load("""
layers:
  - {type: conv, filters: 8, kernel: 3, repeat: 3}
  - {type: add, inputs: [conv2, conv3]}
""")
    assert [l.name for l in spec.layers] == ["conv1", "conv2", "conv3", "add1"]
    assert costmodel.analyze(spec).totals.macs == 3 * 32 * 32 * 8 * 3 * 3 * 8


def test_derived_once_per_distinct_layer_and_input_shape():
    def model(count: int):
        return costmodel.build(load(f"""
blocks:
  unit:
    layers:
      - {{type: dwconv, kernel: 3}}
      - {{type: pointwise, filters: 8}}
      - {{type: relu}}
layers:
  - {{block: unit, name: u, repeat: {count}}}
"""))
    small, large = model(20), model(2000)
    assert len(small._deriver.memo) == len(large._deriver.memo) == 3  # dwconv, pointwise, relu on one shape
    per_unit = 32 * 32 * 8 * 3 * 3 + 32 * 32 * 8 * 8  # depthwise 3x3 + pointwise 8 -> 8
    assert large.evaluate().totals.macs == 2000 * per_unit
    assert len(large.evaluate().rows) == 3 * 2000


def test_presets_and_set_overrides():
    spec = load("presets:\n  deep: {description: four, values: {n: 4}}\n" + STAGE)
    assert costmodel.analyze(spec, preset="deep").totals.macs == stage_macs(4)
    assert costmodel.analyze(spec, {"n": 2}, preset="deep").totals.macs == stage_macs(2)
    with pytest.raises(SpecError, match=r"unknown preset 'shallow' \(presets: deep\)"):
        costmodel.analyze(spec, preset="shallow")
    with pytest.raises(SpecError, match="preset 'bad': unknown symbol 'm'"):
        load("presets:\n  bad: {values: {m: 4}}\n" + STAGE)
    with pytest.raises(SpecError, match="preset 'bad': n is an integer symbol, got 5/2"):
        load("presets:\n  bad: {values: {n: 2.5}}\n" + STAGE)


def test_tree_sums_children_and_root_equals_totals():
    evaluation = costmodel.analyze("specs/imagenet/resnet_bottleneck.yaml", preset="resnet50")
    from costmodel.outputs.report import TREE_METRICS, tree

    root = tree(evaluation)

    def check(node):
        if node["children"]:
            for m in TREE_METRICS:
                assert node[m] == sum(c[m] for c in node["children"]), (node["name"], m)
            for child in node["children"]:
                check(child)

    check(root)
    assert root["macs"] == evaluation.totals.macs and root["params"] == evaluation.totals.params
    layer3 = next(c for c in root["children"] if c["name"] == "layer3")
    assert (layer3["kind"], layer3["count"], len(layer3["children"])) == ("repeat", 6, 6)


def test_report_depth_golden(cli, golden):
    status, out, _ = cli(["report", "specs/imagenet/resnet_bottleneck.yaml", "--preset", "resnet50", "--depth", "2"])
    assert status == 0
    golden("report_resnet50_depth2.txt", out)
    status, csv_out, _ = cli(["report", "specs/imagenet/resnet_bottleneck.yaml", "--depth", "1", "--format", "csv"])
    lines = csv_out.splitlines()
    assert lines[0].startswith("level,name,kind") and len(lines) == 1 + 10  # stem 4, stages 4, pool, fc
    macs = [int(line.split(",")[-2]) for line in lines[1:]]
    assert sum(macs) == costmodel.analyze("specs/imagenet/resnet_bottleneck.yaml").totals.macs


def test_report_depth_zero_is_totals_only(cli):
    status, out, _ = cli(["report", "specs/mobilenet_cifar.yaml", "--depth", "0"])
    table = out.split("\n\n")[1].splitlines()
    assert status == 0 and len(table) == 3 and table[2].startswith("total")


def test_json_has_tree_and_preset(cli):
    status, out, _ = cli(["report", "specs/imagenet/resnet_basic.yaml", "--preset", "resnet34", "--format", "json"])
    doc = json.loads(out)
    assert doc["preset"] == "resnet34" and doc["tree"]["macs"] == doc["totals"]["macs"]
    assert [c["count"] for c in doc["tree"]["children"] if c["kind"] == "repeat"] == [3, 4, 6, 3]


# torchvision's own parameter counts (torchvision.models docs, weights=None models) and its "GFLOPS",
# which are multiply-accumulates in billions to two decimals.
TORCHVISION = {
    "resnet_basic": {"resnet18": (11_689_512, 1.81), "resnet34": (21_797_672, 3.66)},
    "resnet_bottleneck": {"resnet50": (25_557_032, 4.09), "resnet101": (44_549_160, 7.80),
                          "resnet152": (60_192_808, 11.51), "resnext50_32x4d": (25_028_904, 4.23),
                          "resnext101_32x8d": (88_791_336, 16.41), "resnext101_64x4d": (83_455_272, 15.46),
                          "wide_resnet50_2": (68_883_240, 11.40), "wide_resnet101_2": (126_886_696, 22.75)},
}


@pytest.mark.parametrize("spec,preset", [(s, p) for s, ps in TORCHVISION.items() for p in ps])
def test_resnet_presets_match_torchvision(spec, preset):
    params, gmacs = TORCHVISION[spec][preset]
    totals = costmodel.analyze(f"specs/imagenet/{spec}.yaml", preset=preset).totals
    assert totals.params == params
    assert round(totals.macs / 1e9, 2) == gmacs


def test_resnet_bottleneck_macs_linear_in_stage_depths():
    net = costmodel.build(costmodel.load("specs/imagenet/resnet_bottleneck.yaml"))
    s = net.symbols
    at = {s["groups"]: 1, s["width_per_group"]: 64, s["resolution"]: 224}
    macs = sympy.expand(net.total("macs").xreplace(at))
    # a later bottleneck of stage j at map side 56/2^(j-1), planes p = 64*2^(j-1): 1x1 4p->p, 3x3 p->p, 1x1 p->4p
    for j, d in enumerate(("d1", "d2", "d3", "d4")):
        side, p = 56 // 2 ** j, 64 * 2 ** j
        rest = side * side * (4 * p * p + 9 * p * p + 4 * p * p)
        assert macs.coeff(s[d]) == rest == 218_365_952  # the same in every stage: ResNet's design rule
    assert macs.coeff(s["classes"]) == 2048


def test_solve_for_a_stage_depth(cli):
    status, out, _ = cli(["solve", "specs/imagenet/resnet_bottleneck.yaml", "--for", "d3", "--max-macs", "6e9",
                          "--format", "json"])
    doc = json.loads(out)
    # resnet50 with d3 = 1 costs 2,997,354,496 MACs; each further d3 adds 218,365,952
    largest = 1 + (6 * 10**9 - 2_997_354_496) // 218_365_952
    assert status == 0 and doc["value"] == largest == 14


@pytest.mark.slow
@pytest.mark.parametrize("spec,preset", [(s, p) for s, ps in TORCHVISION.items() for p in ps])
def test_resnet_presets_agree_with_pytorch(spec, preset):
    path = f"specs/imagenet/{spec}.yaml"
    network = costmodel.load_network(path)
    for resolution in (224, 160, 97):
        values = {**network.spec.presets[preset].values, "resolution": resolution}
        result = costmodel.verify(network, values)
        assert result.ok, (preset, resolution, result.total_mismatches)


AMBIGUOUS = [("010", "a leading zero"), ("1:30", "sexagesimal"), ("1_000", "digit separators"),
             ("0b101", "binary")]


@pytest.mark.parametrize("text,why", AMBIGUOUS)
def test_yaml_1_1_integers_are_refused_not_reinterpreted(text, why):
    with pytest.raises(SpecError, match=f"t.yaml:4:38: '{text}' is read differently by YAML 1.1 and YAML 1.2 "
                                        f"\\({why}"):
        costmodel.loads(f"input: [32, 32, 3]\nlayers:\n  - {{type: conv, kernel: 3, filters: {text}}}\n"
                        .replace("\n  -", "\n\n  -", 1), file="t.yaml")


def test_yaml_1_1_booleans_are_refused():
    with pytest.raises(SpecError, match="'yes' is read differently by YAML 1.1 and YAML 1.2"):
        costmodel.loads("input: [32, 32, 3]\nlayers:\n  - {type: conv, kernel: 3, filters: 8, bias: yes}\n")


def test_automatic_names_avoid_written_ones():
    spec = costmodel.loads("input: [8, 8, 3]\nlayers:\n  - {type: conv, name: conv1, filters: 4, kernel: 3}\n"
                           "  - {type: conv, filters: 4, kernel: 3}\n")
    assert [l.name for l in spec.layers] == ["conv1", "conv2"]
    spec = costmodel.loads("input: [8, 8, 3]\nlayers:\n  - {type: conv, filters: 4, kernel: 3}\n"
                           "  - {type: conv, name: conv1, filters: 4, kernel: 3}\n")
    assert [l.name for l in spec.layers] == ["conv2", "conv1"]


def test_a_channels_first_input_is_warned_about(tmp_path, capsys):
    from costmodel.cli import main
    spec = tmp_path / "chw.yaml"
    spec.write_text("input: [3, 32, 32]\nlayers:\n  - {type: conv, filters: 8, kernel: 3}\n")
    assert main(["report", str(spec), "--format", "csv"]) == 0
    err = capsys.readouterr().err
    assert err == (f"costmodel: warning: {spec}:1:8: input [3, 32, 32] looks like PyTorch's channels-first order; "
                   "costmodel reads [height, width, channels] (did you mean [32, 32, 3]?)\n")
    # and the numbers are read as written: a 3x32 map of 32 channels, 'same' padding keeps it
    assert costmodel.analyze(spec).rows[0].shape == (3, 32, 8)


def test_a_count_made_of_integers_is_never_rounded():
    # torchvision's mobilenet_v2(num_classes=100): the classifier has 100 outputs, not 104
    totals = costmodel.analyze("specs/imagenet/mobilenet_v2.yaml", classes=100).totals
    at_1000 = costmodel.analyze("specs/imagenet/mobilenet_v2.yaml").totals
    assert at_1000.params - totals.params == (1280 + 1) * 900  # 900 fewer classes: weights and biases
    assert totals.params == 2_351_972


def test_an_output_nothing_reads_is_an_error():
    with pytest.raises(SpecError, match=r"t.yaml:4:5: layer 'side' \(conv\): the output of layer 'side' is used by "
                                        r"no layer"):
        costmodel.loads("input: [8, 8, 3]\nlayers:\n  - {type: conv, name: a, filters: 4, kernel: 3}\n"
                        "  - {type: conv, name: side, filters: 4, kernel: 3, input: input}\n"
                        "  - {type: relu, input: a}\n", file="t.yaml")
    multi = costmodel.loads("input: [8, 8, 3]\nexits: [side]\nlayers:\n  - {type: conv, name: a, filters: 4, kernel: 3}\n"
                            "  - {type: conv, name: side, filters: 4, kernel: 3, input: input}\n"
                            "  - {type: relu, input: a}\n")
    assert [l.name for l in multi.layers] == ["a", "side", "relu1"]  # an exit is an output
