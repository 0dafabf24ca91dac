"""README.md's "Shipped specs" and the options it documents stay true: the table of every shipped
spec and preset is what `costmodel list --format markdown` computes, and the options examples run."""

import re
from pathlib import Path

import costmodel
from costmodel import shipped
from costmodel.commands import list as list_command

README = (Path(__file__).parent.parent / "README.md").read_text()
START, END = "<!-- shipped-table: costmodel list --format markdown -->\n", "<!-- end shipped-table -->"


def test_the_shipped_table_is_what_costmodel_computes():
    table = README.split(START, 1)[1].split(END, 1)[0]
    assert table == list_command.render_markdown(shipped.catalogue())  # paste `costmodel list --format markdown`


def test_the_table_has_a_row_per_spec_and_preset():
    table = README.split(START, 1)[1].split(END, 1)[0]
    specs = re.findall(r"^\| `([^`]+)`(?: \[[^]]*\])? \| \|", table, re.M)
    assert specs == shipped.names()
    presets = re.findall(r"^\| \| `([^`]+)`(?: \[[^]]*\])? \|", table, re.M)
    for name in ("vgg16_bn", "squeezenet1_1", "mobilenet_v3_small", "efficientnet_v2_s", "mobilenet_v2"):
        assert name in presets
    vgg16_bn = next(line for line in table.splitlines() if "`vgg16_bn`" in line)
    assert "138,365,992" in vgg16_bn  # torchvision's num_params of vgg16_bn
    assert "`vgg16_bn` [use_bn=1]" in vgg16_bn and "`squeezenet1_1` [v1_1=1]" in table  # the options of the row


def test_the_options_example_runs():
    section = README.split("## The spec format", 1)[1].split("\n## ", 1)[0]
    example = next(b for b in re.findall(r"```yaml\n(.*?)```", section, re.S) if "options:" in b)
    net = costmodel.load_network(costmodel.loads(example, file="README.md"))
    assert net.evaluate().totals.params == 3 * 3 * 3 * 32 + 32 * 10 + 10 == 1194
    assert net.evaluate(preset="with_bn").totals.params == 3 * 3 * 3 * 64 + 2 * 64 + 64 * 10 + 10 == 2506
    assert "1,194" in section and "2,506" in section


def test_the_vgg16_bn_header_is_what_report_prints(cli):
    block = README.split("$ costmodel report imagenet/vgg --preset vgg16_bn --depth 0\n", 1)[1].split("```")[0]
    status, out, _ = cli(["report", "imagenet/vgg", "--preset", "vgg16_bn", "--depth", "0"])
    shown = [line for line in block.splitlines() if line != "..."]
    assert status == 0 and shown and all(line in out.splitlines() for line in shown)
