"""Every shipped spec loads and passes the check, field by field, on both paths.

costmodel.analyze refuses (CheckError) unless each layer's numbers (the formulas on plain numbers)
equal the reference propagator's; with `closed_forms=True`, each layer's closed forms substituted
with the symbol values must equal them too, and the closed-form totals the sum of the rows. The
spec-specific test files check the numbers themselves against the papers.
"""

import pytest

import costmodel
from costmodel import shipped

SPECS = [shipped.path(name) for name in shipped.names()]


def test_there_are_specs():
    assert len(SPECS) >= 28


@pytest.mark.parametrize("path", SPECS, ids=shipped.names())
def test_spec_passes_the_check_at_defaults(path):
    result = costmodel.analyze(path)
    spec = result.network.spec
    assert spec.description or path.read_text().lstrip().startswith("#"), "a shipped spec says what it is"
    for name, symbol in spec.symbols.items():
        assert symbol.description, f"symbol {name!r} of {path.name} needs a one-line description"
    for name, option in spec.options.items():
        assert option.description, f"option {name!r} of {path.name} needs a one-line description"
    assert result.totals.macs == sum(r.macs for r in result.rows) > 0
    assert result.totals.params == sum(r.params for r in result.rows)


@pytest.mark.parametrize("path", SPECS, ids=shipped.names())
def test_closed_forms_substituted_equal_the_reference(path):
    network = costmodel.load_network(path)
    numeric = network.evaluate()
    closed = network.evaluate(closed_forms=True)  # raises CheckError on any field or total that differs
    assert closed.rows == numeric.rows and closed.totals == numeric.totals
    for preset in network.spec.presets:
        assert network.evaluate(preset=preset, closed_forms=True).rows == network.evaluate(preset=preset).rows
