"""Shipped specs and profiles by name (costmodel.shipped): every command reads `mobilenet_cifar` as
the package's costmodel/specs/mobilenet_cifar.yaml, unless a file of that name exists."""

import json

import pytest

import costmodel
from costmodel import shipped
from costmodel.cli import main

TINY = "name: tiny_local\ninput: [4, 4, 3]\nlayers:\n  - {type: conv, filters: 2, kernel: 1, bias: false}\n"


def test_names_are_paths_under_the_specs_folder_without_the_suffix():
    names = shipped.names()
    assert "mobilenet_cifar" in names and "imagenet/resnet50" in names and "blocks/conv5x5" in names
    assert names == sorted(names)
    assert all(shipped.path(n).is_file() and shipped.path(n).parent.is_relative_to(shipped.SPECS) for n in names)


def test_the_specs_live_in_the_package():
    assert shipped.SPECS == shipped.PROFILES.parent / "specs"
    assert shipped.SPECS.parent == __import__("pathlib").Path(costmodel.__file__).resolve().parent


@pytest.mark.parametrize("name", ["mobilenet_cifar", "mobilenet_cifar.yaml", "imagenet/resnet50"])
def test_a_name_reads_the_shipped_file(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing of that name here
    assert shipped.resolve(name) == shipped.SPECS / (name.removesuffix(".yaml") + ".yaml")
    by_name = costmodel.analyze(name).totals
    by_path = costmodel.analyze(shipped.SPECS / (name.removesuffix(".yaml") + ".yaml")).totals
    assert (by_name.params, by_name.macs) == (by_path.params, by_path.macs)


def test_a_file_of_that_name_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mobilenet_cifar").write_text(TINY)
    assert shipped.resolve("mobilenet_cifar") == "mobilenet_cifar"
    result = costmodel.analyze("mobilenet_cifar")
    assert result.network.spec.name == "tiny_local"
    assert result.totals.macs == 4 * 4 * 2 * 1 * 1 * 3  # H*W*C_out*k*k*C_in


def test_the_cli_takes_a_name_from_anywhere(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "mobilenet_cifar", "--format", "json"]) == 0
    by_name = json.loads(capsys.readouterr().out)
    assert main(["report", str(shipped.path("mobilenet_cifar")), "--format", "json"]) == 0
    by_path = json.loads(capsys.readouterr().out)
    assert by_name.pop("spec") == "mobilenet_cifar"  # the source as given
    by_path.pop("spec")
    assert by_name == by_path and by_name["totals"]["macs"] > 0


@pytest.mark.parametrize("source, close", [
    ("mobilenet_cifr", "mobilenet_cifar"),
    ("resnet5", "imagenet/resnet50"),      # close to the last part of the name
    ("effnet/baselin", "effnet/baseline"),
])
def test_neither_file_nor_name_lists_close_names(source, close, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["report", source]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"costmodel: {source}: cannot read spec: no such file, nor a shipped spec")
    assert close in err.split("close shipped names: ")[1] and len(err.strip().splitlines()) == 1


def test_nothing_close_lists_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(costmodel.SpecError) as e:
        costmodel.load("zzzzzzzz")
    assert "close shipped names" not in e.value.message and "costmodel list" in e.value.message


def test_a_name_is_one_of_the_names_not_a_path_joined_to_the_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (shipped.SPECS / "imagenet/../mobilenet_cifar.yaml").is_file()  # joining would find it
    with pytest.raises(costmodel.SpecError, match="no such file"):
        shipped.resolve("imagenet/../mobilenet_cifar")


def test_device_profiles_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from costmodel.analyses import metrics
    assert shipped.names(shipped.PROFILES) == ["example_device"]
    assert metrics.load_device("example_device") == metrics.load_device(shipped.path("example_device", shipped.PROFILES))
    with pytest.raises(costmodel.SpecError, match="cannot read device profile: .*close shipped names: example_device"):
        metrics.load_device("example_devic")
