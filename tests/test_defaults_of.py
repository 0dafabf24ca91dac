"""`defaults_of:` in a spec: whose default arguments a layer gets when the spec leaves one out.

costmodel's own defaults (conv padding 'same') are those of no framework's layer class: PyTorch's
nn.Conv2d pads 0 and Keras' Conv2D pads 'valid'. A spec says once whose defaults it follows; the
registry (ops/) and the reference propagator (reference/, its own table per framework) both read
it, and the report repeats it.
"""

import json

import pytest

import costmodel
from costmodel import CheckError, SpecError, shipped
from costmodel.ops import REGISTRY, Kind, Param

SPEC = """\
name: omitted
input: [32, 32, 3]
{declaration}
layers:
  - {{type: conv, name: c, filters: 16, kernel: 3}}
  - {{type: dwconv, name: d, kernel: 5}}
  - {{type: maxpool, name: p, kernel: 2}}
  - {{type: dense, name: fc, units: 10}}
"""


def rows(declaration: str) -> dict:
    result = costmodel.analyze(costmodel.loads(SPEC.format(declaration=declaration), file="omitted.yaml"))
    return {r.name: r for r in result.rows}


@pytest.mark.parametrize("declaration", ["", "defaults_of: costmodel"])
def test_costmodel_pads_same(declaration):
    r = rows(declaration)
    assert r["c"].shape == (32, 32, 16) and r["c"].macs == 32 * 32 * 16 * 3 * 3 * 3  # ceil(32 / 1)
    assert r["d"].shape == (32, 32, 16) and r["d"].macs == 32 * 32 * 16 * 5 * 5
    assert r["p"].shape == (16, 16, 16)  # pooling: stride = kernel, no padding, floor
    assert r["fc"].macs == 16 * 16 * 16 * 10


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
def test_pytorch_and_keras_pad_nothing(framework):
    r = rows(f"defaults_of: {framework}")
    assert r["c"].shape == (30, 30, 16) and r["c"].macs == 30 * 30 * 16 * 3 * 3 * 3  # 32 - 3 + 1
    assert r["d"].shape == (26, 26, 16) and r["d"].macs == 26 * 26 * 16 * 5 * 5  # 30 - 5 + 1
    assert r["p"].shape == (13, 13, 16)  # floor(26 / 2)
    assert r["fc"].macs == 13 * 13 * 16 * 10
    assert r["c"].params == 3 * 3 * 3 * 16 + 16  # bias on in every framework


def test_the_difference_is_the_padding_arithmetic():
    """The same spec's MACs under costmodel's and PyTorch's defaults differ by exactly the lost border."""
    ours, theirs = rows(""), rows("defaults_of: pytorch")
    difference = sum(r.macs for r in ours.values()) - sum(r.macs for r in theirs.values())
    assert difference == ((32 * 32 - 30 * 30) * 16 * 27  # conv: 32x32 against 30x30 outputs
                          + (32 * 32 - 26 * 26) * 16 * 25  # dwconv: 32x32 against 26x26
                          + (16 * 16 - 13 * 13) * 16 * 10)  # dense: 16x16x16 against 13x13x16 inputs


def test_squeezenet_without_its_paddings():
    """SqueezeNet written with PyTorch's defaults (no `padding: 0`) is torchvision's; read with
    costmodel's, its first conv silently pads 'same': 112x112 outputs instead of 109x109."""
    shipped_text = shipped.path("imagenet/squeezenet").read_text()
    declared = [line for line in shipped_text.splitlines() if line.startswith("defaults_of:")]
    assert [line.split()[:2] for line in declared] == [["defaults_of:", "pytorch"]]  # as torchvision's
    text = shipped_text.replace(declared[0] + "\n", "")  # the spec under costmodel's defaults
    written = costmodel.analyze(costmodel.loads(text, file="squeezenet.yaml")).totals
    assert written == costmodel.analyze(costmodel.loads(shipped_text, file="squeezenet.yaml")).totals
    bare = text.replace(", padding: 0, when:", ", when:")
    assert bare.count("padding: 0") == 1  # the pools' one, in `defaults:`
    pytorch = costmodel.analyze(costmodel.loads("defaults_of: pytorch\n" + bare, file="squeezenet.yaml")).totals
    assert (pytorch.macs, pytorch.params) == (written.macs, written.params)
    surprised = costmodel.analyze(costmodel.loads(bare, file="squeezenet.yaml")).totals
    # conv1 alone: 96 filters of 7x7x3 at each output position, 112*112 against floor((224 - 7)/2) + 1 = 109
    conv1 = (112 * 112 - 109 * 109) * 96 * 7 * 7 * 3
    assert surprised.macs - written.macs > conv1  # and every later layer sees a larger map
    assert round(100 * (surprised.macs - written.macs) / written.macs, 1) == 8.4  # issue 14's +8.4 %


def test_keras_pools_2x2_by_default_and_pytorch_needs_a_kernel():
    text = "name: p\ninput: [8, 8, 4]\n{d}\nlayers:\n  - {{type: maxpool}}\n  - {{type: avgpool}}\n  - {{type: dense, units: 2}}\n"
    keras = costmodel.analyze(costmodel.loads(text.format(d="defaults_of: keras"), file="p.yaml"))
    assert [r.shape for r in keras.rows[:2]] == [(4, 4, 4), (2, 2, 4)]  # pool_size=(2, 2): 8 / 2, then 4 / 2
    for framework in ("pytorch", "costmodel"):
        with pytest.raises(SpecError, match=r"p.yaml:5:5: layer 1 'maxpool1' \(maxpool\): 'maxpool' needs 'kernel'"):
            costmodel.loads(text.format(d=f"defaults_of: {framework}"), file="p.yaml")


def test_the_spec_defaults_still_win():
    r = rows("defaults_of: pytorch\ndefaults: {conv: {padding: same}}")
    assert r["c"].shape == (32, 32, 16) and r["d"].shape == (28, 28, 16)  # dwconv keeps PyTorch's 0


def test_a_wrong_declaration_is_one_located_line(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.format(declaration="defaults_of: pytroch"))
    with pytest.raises(SpecError) as e:
        costmodel.load(bad)
    assert str(e.value) == (f"{bad}:3:14: defaults_of: unknown framework 'pytroch' (did you mean 'pytorch'?); "
                            "expected costmodel, pytorch or keras, whose default arguments the layers get")
    status, out, err = cli(["report", str(bad)])
    assert (status, out) == (2, "") and err.count("\n") == 1 and "3:14: defaults_of: unknown framework" in err
    bad.write_text(SPEC.format(declaration="defaults_of: [pytorch]"))
    with pytest.raises(SpecError, match=r":3:14: defaults_of: unknown framework a list"):
        costmodel.load(bad)


def test_the_report_repeats_it(cli, tmp_path):
    own = tmp_path / "own.yaml"
    own.write_text(SPEC.format(declaration="defaults_of: keras"))
    status, out, _ = cli(["report", str(own)])
    assert status == 0
    assert out.splitlines()[2] == ("defaults_of keras: arguments left out take Keras' defaults (conv and dwconv "
                                   "padding valid, pool kernel 2, stride = kernel, floor mode, bias on)")
    status, out, _ = cli(["report", str(own), "--format", "json"])
    assert json.loads(out)["defaults_of"] == "keras"
    status, out, _ = cli(["report", "mobilenet_cifar", "--format", "json"])
    assert json.loads(out)["defaults_of"] == "costmodel"


def test_the_schema_knows_it():
    from costmodel.outputs.schema import schema, validate
    assert schema()["properties"]["defaults_of"]["enum"] == ["costmodel", "pytorch", "keras"]
    import yaml
    assert validate(yaml.safe_load(SPEC.format(declaration="defaults_of: pytorch")), schema()) == []


def test_a_wrong_framework_default_in_the_registry_is_caught(monkeypatch):
    """The reference has its own table per framework: a registry whose PyTorch conv padding were
    'same' cannot pass unnoticed."""
    conv = REGISTRY["conv"]
    padding = conv.params["padding"]
    params = {**conv.params, "padding": Param(Kind.PADDING, padding.default, padding.doc,
                                              frameworks=(("pytorch", "same"), ("keras", "valid")))}
    monkeypatch.setitem(REGISTRY, "conv", conv.__class__(**{**conv.__dict__, "params": params}))
    with pytest.raises(CheckError, match=r"layer 1 'c' \(conv\): shape symbolic \(32, 32, 16\) != reference \(30, 30, 16\)"):
        rows("defaults_of: pytorch")
    rows("defaults_of: keras")  # the other frameworks are untouched


def test_verify_builds_the_pytorch_defaults(cli, tmp_path):
    """The torch model `verify` builds from a `defaults_of: pytorch` spec has PyTorch's padding 0
    and its measured counts agree: SqueezeNet without `padding: 0` is torchvision's 818,924,576 MACs."""
    pytest.importorskip("torch")
    text = shipped.path("imagenet/squeezenet").read_text().replace(", padding: 0, when:", ", when:")
    assert "\ndefaults_of: pytorch " in text  # the shipped spec declares torchvision's defaults itself
    own = tmp_path / "squeezenet.yaml"
    own.write_text(text)
    status, out, _ = cli(["verify", str(own)])
    assert status == 0 and "MACs (FLOPs / 2) 818,924,576" in out and "all 66 layers agree" in out
