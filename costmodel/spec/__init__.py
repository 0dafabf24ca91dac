"""Reading a spec: YAML with marks and limits (source.py) -> validated names, blocks, repeats and
presets (build.py) -> the tree a network is (model.py). Expressions are read by ../expr.py.

    spec = costmodel.spec.load("specs/mobilenet_cifar.yaml")
    spec.tree          # layers, block calls, repeats and stages as written
    spec.layers        # the flat list (when no repeat count depends on a symbol)
"""

from __future__ import annotations

from .build import (BLOCK_KEYS, CALL_KEYS, LAYER_KEYS, MAX_SYMBOL_VALUE, OPTION_KEYS, PRESET_KEYS, SYMBOL_KEYS,
                    TOP_KEYS, check_choice, from_dict, parse_value)
from .model import (MAX_LAYERS, MAX_REPEAT, NETWORK_INPUT, BlockCall, Instance, LayerSpec, NetworkSpec, OptionSpec,
                    Preset, Repeat, Stage, SymbolSpec, flatten)
from .source import MAX_FILE_BYTES, collector_paused, parse_text, read_text, read_yaml

__all__ = ["load", "loads", "from_dict", "read_yaml", "read_text", "parse_value", "NetworkSpec", "LayerSpec",
           "BlockCall", "Repeat", "Stage", "Preset", "SymbolSpec", "OptionSpec", "check_choice", "Instance", "flatten", "NETWORK_INPUT",
           "MAX_FILE_BYTES", "MAX_LAYERS", "MAX_REPEAT", "MAX_SYMBOL_VALUE", "TOP_KEYS", "LAYER_KEYS",
           "CALL_KEYS", "BLOCK_KEYS", "SYMBOL_KEYS", "OPTION_KEYS", "PRESET_KEYS"]


def load(path) -> NetworkSpec:
    """Read and validate a spec file."""
    with collector_paused():
        return from_dict(read_yaml(path), file=str(path))


def loads(text: str, file: str = "<spec>") -> NetworkSpec:
    """Validate a spec given as YAML text."""
    with collector_paused():
        return from_dict(parse_text(text, file), file=file)
