"""`costmodel list` (every shipped spec by name, with its presets), `costmodel --version` and the
examples at the end of every command's --help."""

import json
import shlex

import pytest

import costmodel
from costmodel import cli, shipped
from costmodel.commands import list as list_command

CONV5X5 = {"params": 5 * 5 * 64 * 64, "macs": 35 * 35 * 64 * 5 * 5 * 64}  # c=64, size=35, no bias


def test_json_lists_every_shipped_spec_with_its_totals_at_the_defaults(cli):
    status, out, err = cli(["list", "--format", "json"])
    assert (status, err) == (0, "")
    doc = json.loads(out)
    assert [e["name"] for e in doc] == shipped.names()
    conv = next(e for e in doc if e["name"] == "blocks/conv5x5")
    assert {k: conv[k] for k in CONV5X5} == CONV5X5
    assert conv["description"] == "one 5x5 conv (c -> c)" and conv["presets"] == []
    cifar = next(e for e in doc if e["name"] == "mobilenet_cifar")
    totals = costmodel.analyze(shipped.path("mobilenet_cifar")).totals
    assert (cifar["params"], cifar["macs"]) == (totals.params, totals.macs)
    assert all(isinstance(e["params"], int) and e["macs"] > 0 and e["description"] for e in doc)


def test_table_has_one_row_per_spec_in_name_order(cli):
    status, out, _ = cli(["list"])
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["spec", "params", "MACs", "description"]
    first_words = [line.split()[0] for line in lines[2:] if line and not line.startswith("--preset")]
    assert first_words[:len(shipped.names())] == shipped.names()
    presets = [line.split() for line in lines if line.startswith("--preset")]
    resnet34 = costmodel.analyze(shipped.path("imagenet/resnet_basic"), preset="resnet34").totals
    assert ["--preset", "resnet34", f"{resnet34.params:,}", f"{resnet34.macs:,}"] in [p[:4] for p in presets]
    conv = next(line for line in lines if line.startswith("blocks/conv5x5 "))
    assert f"{CONV5X5['params']:,}" in conv and f"{CONV5X5['macs']:,}" in conv


def test_presets_are_listed_under_their_spec_with_their_costs():
    presets = (shipped.Preset("b0", "EfficientNet-B0", 5, 7), shipped.Preset("b3", "EfficientNet-B3, 300x300", 12, 18))
    entries = [shipped.Shipped("efficientnet", "EfficientNet", 5, 7, presets), shipped.Shipped("tiny", "t", 1, 2)]
    table = list_command.render_table(entries).splitlines()
    assert [" ".join(line.split()[:3]) for line in table[2:6]] == [
        "efficientnet 5 7", "--preset b0 5", "--preset b3 12", "tiny 1 2"]
    assert table[3].endswith("EfficientNet-B0") and table[4].endswith("EfficientNet-B3, 300x300")
    doc = json.loads(list_command.render_json(entries))
    assert doc[0]["presets"] == [{"name": "b0", "description": "EfficientNet-B0", "params": 5, "macs": 7},
                                 {"name": "b3", "description": "EfficientNet-B3, 300x300", "params": 12, "macs": 18}]


def test_a_shipped_spec_describes_each_preset_at_its_values():
    entry = shipped.describe("imagenet/resnet_bottleneck")
    wide = next(p for p in entry.presets if p.name == "wide_resnet50_2")
    totals = costmodel.analyze(shipped.path("imagenet/resnet_bottleneck"), preset="wide_resnet50_2").totals
    assert (wide.params, wide.macs) == (totals.params, totals.macs) and wide.description.startswith("Wide ResNet")


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out == f"costmodel {costmodel.__version__} (cnn-costmodel)\n"


def _examples(parser) -> list[str]:
    epilog = parser.epilog or ""
    assert epilog.startswith("examples:\n"), f"{parser.prog} --help has no examples"
    return [line.strip() for line in epilog.splitlines()[1:]]


def _subparsers(parser):
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return action.choices


@pytest.mark.parametrize("name", sorted(_subparsers(cli.parser())))
def test_every_command_help_ends_with_examples_that_parse(name, capsys):
    sub = _subparsers(cli.parser())[name]
    with pytest.raises(SystemExit):
        cli.main([name, "--help"])
    assert "\nexamples:\n  costmodel " + name in capsys.readouterr().out  # kept as written
    lines = _examples(sub)
    assert shlex.split(lines[0])[:2] == ["costmodel", name]
    commands = _subparsers(cli.parser())
    for line in lines:
        words = shlex.split(line.split(" > ")[0].split("  #")[0])
        assert words[0] == "costmodel"
        args = cli.parser().parse_args(words[1:])  # exits 2 on an option that does not exist
        assert args.run is commands[words[1]].get_default("run")


def test_a_spec_with_options_lists_the_option_values_of_each_preset(cli):
    # imagenet/vgg declares use_bn (0 or 1): vgg16 builds the plain tree, vgg16_bn the one with batch
    # norm, whose 13 norms add 2 trainable numbers per channel to vgg16's params
    status, out, _ = cli(["list", "--format", "json"])
    vgg = next(e for e in json.loads(out) if e["name"] == "imagenet/vgg")
    assert vgg["options"] == {"use_bn": 0}
    by_name = {p["name"]: p for p in vgg["presets"]}
    assert by_name["vgg16"]["options"] == {"use_bn": 0} and by_name["vgg16_bn"]["options"] == {"use_bn": 1}
    vgg16_channels = 2 * 64 + 2 * 128 + 3 * 256 + 3 * 512 + 3 * 512
    assert by_name["vgg16_bn"]["params"] == by_name["vgg16"]["params"] + 2 * vgg16_channels
    conv = next(e for e in json.loads(out) if e["name"] == "blocks/conv5x5")
    assert "options" not in conv  # no options: no key
    status, table, _ = cli(["list"])
    row = next(line for line in table.splitlines() if line.split()[:2] == ["--preset", "vgg16_bn"])
    assert row.endswith("[use_bn=1]")
