"""The per-layer closed-form text of `--symbolic` (the formula columns, JSON's and CSV's
per-layer formulas), kept in the cache of closed-form text so that a spec seen before prints
them without sympy.

What is stored, per spec (cache.py's key: costmodel's version and the validated spec): for every
layer the deriver derived, the text of its params, MACs and output shape as `symbolic.OncePrinter`
prints them, named by where the layer sits in the written tree (its position in a walk of the
tree, and for each enclosing repeat that repeat's position and the iteration), and each repeat's
mode (closed: iterations after the second are the second's; unrolled: each its own). The closed
forms do not depend on the symbols' values, so neither does the entry. Nothing stored is parsed
or executed; the numbers of the report are computed and checked as always.
"""

from __future__ import annotations

from .. import cache
from ..spec.model import children_of

KIND = "layer-formulas-1"  # bump when the stored text's form changes
MODES = ("closed", "unrolled")


def layer_formulas(evaluation) -> list[dict]:
    """Each row's closed forms as text: {"params", "macs", "output_shape"} (the iterations of a
    closed repeat share their template's)."""
    net = evaluation.network
    ordinal = _ordinals(net.spec.tree)
    leaves = list(evaluation.unrolled.leaves())
    texts, modes = cache.stored(KIND, net.spec, lambda: _derived(net, ordinal), _loaded)
    names = [_name(leaf.template, leaf.path, ordinal, modes) for leaf in leaves]
    if not all(name in texts for name in names):  # an entry that misses a layer: derived again
        (texts, modes), _ = _derived(net, ordinal)
        names = [_name(leaf.template, leaf.path, ordinal, modes) for leaf in leaves]
    return [texts[name] for name in names]


def _ordinals(tree) -> dict:
    """id of each node of the written tree -> its position in a depth-first walk (first seen)."""
    found: dict = {}

    def walk(nodes):
        for node in nodes:
            found.setdefault(id(node), len(found))
            walk(children_of(node))
    walk(tree)
    return found


def _name(template, path: tuple, ordinal: dict, modes: dict) -> str | None:
    """"T/R:k/...": the template's position, then each enclosing repeat's position and iteration
    (k >= 3 of a closed repeat is iteration 2); None when a repeat's mode is not known."""
    parts = [str(ordinal[id(template)])]
    for rid, k in path:
        mode = modes.get(str(ordinal[rid]))
        if mode is None:
            return None
        parts.append(f"{ordinal[rid]}:{k if mode == 'unrolled' else min(k, 2)}")
    return "/".join(parts)


def _derived(net, ordinal: dict):
    """((texts by name, modes by repeat position), the same as data to store): every derived layer's
    text, each distinct subexpression printed once."""
    from ..symbolic import OncePrinter
    text = OncePrinter().doprint  # one printer for every layer: their formulas share subexpressions
    deriver = net._deriver
    modes = {str(ordinal[rid]): mode for rid, mode in deriver.modes.items()}
    texts: dict = {}
    by_forms: dict = {}  # iterations share their template's expressions: one dict per distinct triple
    for (tid, path), cost in deriver.costs.items():
        forms = (id(cost.params), id(cost.macs), id(cost.shape))
        if forms not in by_forms:
            by_forms[forms] = {"params": text(cost.params), "macs": text(cost.macs),
                               "output_shape": [text(v) for v in cost.shape]}
        texts["/".join([str(ordinal[tid]), *(f"{ordinal[rid]}:{k}" for rid, k in path)])] = by_forms[forms]
    return (texts, modes), {"texts": texts, "modes": modes}


def _loaded(data) -> tuple:
    """A stored entry as (texts, modes); ValueError when it is not what _derived writes."""
    texts, modes = data["texts"], data["modes"]
    if not (isinstance(texts, dict) and isinstance(modes, dict)
            and all(isinstance(k, str) and v in MODES for k, v in modes.items())
            and all(isinstance(k, str) and _well_formed(v) for k, v in texts.items())):
        raise ValueError("not a layer-formulas entry")
    return texts, modes


def _well_formed(forms) -> bool:
    return (isinstance(forms, dict) and set(forms) == {"params", "macs", "output_shape"}
            and isinstance(forms["params"], str) and isinstance(forms["macs"], str)
            and isinstance(forms["output_shape"], list) and len(forms["output_shape"]) == 3
            and all(isinstance(v, str) for v in forms["output_shape"]))
