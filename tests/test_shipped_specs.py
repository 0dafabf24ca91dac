"""Every shipped spec loads and passes the symbolic-vs-reference check, field by field.

costmodel.analyze refuses (CheckError) unless each layer's closed forms, substituted with the
symbol values, equal the reference propagator's numbers; the spec-specific test files check the
numbers themselves against the papers.
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
    assert result.totals.macs == sum(r.macs for r in result.rows) > 0
    assert result.totals.params == sum(r.params for r in result.rows)
