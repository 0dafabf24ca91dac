"""The specs and device profiles shipped inside the package, found by name.

A shipped spec's name is its path under `costmodel/specs/` without `.yaml`: `mobilenet_cifar`,
`imagenet/resnet50`. Every command takes a name wherever it takes a spec file (spec.read_yaml calls
`resolve`), and `--device` takes a shipped profile's name (`example_device`). A file at the given
path always wins, so a checkout's `specs/mobilenet_cifar.yaml` (a symlink to the package's folder)
and a user's own `mobilenet_cifar` file both read what they name.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import SpecError

SPECS = Path(__file__).resolve().parent / "specs"
PROFILES = Path(__file__).resolve().parent / "profiles"
SUFFIX = ".yaml"
CLOSE = 3  # close names listed when a name is neither a file nor shipped


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    params: int
    macs: int
    options: tuple[tuple[str, int], ...] = ()  # the option values the preset chooses (name, value)


@dataclass(frozen=True)
class Shipped:
    """One shipped spec as `costmodel list` shows it: params and MACs at the symbols' defaults."""
    name: str
    description: str
    params: int
    macs: int
    presets: tuple[Preset, ...] = ()
    options: tuple[tuple[str, int], ...] = ()  # the options' defaults (name, value)


def names(folder: Path = SPECS) -> list[str]:
    """Every shipped name in `folder`, sorted: ['blocks/conv5x5', ..., 'mobilenet_cifar', ...]."""
    return sorted(p.relative_to(folder).with_suffix("").as_posix() for p in folder.rglob(f"*{SUFFIX}"))


def path(name: str, folder: Path = SPECS) -> Path:
    """The file of the shipped spec (or profile, with folder=PROFILES) `name`."""
    return folder / f"{name}{SUFFIX}"


def resolve(source: str | os.PathLike, folder: Path = SPECS, what: str = "spec") -> str | os.PathLike:
    """`source` itself when a file (or anything) exists at that path, else the shipped file of that
    name (a trailing .yaml allowed); neither: a SpecError listing the close shipped names."""
    if Path(source).exists():
        return source
    name = str(source).removesuffix(SUFFIX)
    known = names(folder)
    if name in known:
        return path(name, folder)
    close = closest(name, known)
    hint = f"; close shipped names: {', '.join(close)}" if close else ""
    listing = " (costmodel list shows them all)" if folder == SPECS else ""
    raise SpecError(f"cannot read {what}: no such file, nor a shipped {what} of that name{hint}{listing}",
                    file=str(source))


def resolve_profile(source: str | os.PathLike) -> str | os.PathLike:
    """A device profile's path or a shipped profile's name (`example_device`), as `resolve`."""
    return resolve(source, PROFILES, "device profile")


def closest(name: str, known: list[str]) -> list[str]:
    """Up to CLOSE names like `name`, comparing it with each whole name and with its last part
    (`resnet5` is close to `imagenet/resnet50`), best first."""
    def likeness(candidate: str) -> float:
        base = candidate.rsplit("/", 1)[-1]
        return max(difflib.SequenceMatcher(None, name, option).ratio() for option in (candidate, base))
    scored = sorted(((likeness(k), k) for k in known), key=lambda pair: -pair[0])
    return [k for score, k in scored if score >= 0.6][:CLOSE]


def catalogue() -> list[Shipped]:
    """Every shipped spec, by name, each analysed (and checked) at its defaults."""
    return [describe(name) for name in names()]


def describe(name: str) -> Shipped:
    """The shipped spec `name`: description, params and MACs at the defaults, presets."""
    from . import load_network
    from .network import option_values
    from .spec import from_dict, read_yaml

    file = path(name)
    spec = from_dict(read_yaml(file), file=str(file))
    network = load_network(spec)
    totals = network.evaluate().totals
    presets = []
    for preset in spec.presets.values():  # each analysed (and checked) at its values
        at = network.evaluate(preset=preset.name).totals
        chosen = _options(option_values(spec, {}, preset.name))
        presets.append(Preset(preset.name, _one_line(preset.description), at.params, at.macs, chosen))
    return Shipped(name, _one_line(spec.description), totals.params, totals.macs, tuple(presets),
                   _options(spec.option_values))


def _options(values: dict) -> tuple[tuple[str, int], ...]:
    """Option values as (name, int) pairs: an option's choices are whole numbers."""
    return tuple((name, int(value)) for name, value in values.items())


def _one_line(text: object) -> str:
    return " ".join(str(text).split()) if text is not None else ""
