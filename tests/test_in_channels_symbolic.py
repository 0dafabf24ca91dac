"""`in_channels` on the symbolic side and on the numeric path: each substitutes its own input's
channel count (the reference its own number), and the three agree."""

from fractions import Fraction

import sympy

import costmodel
from costmodel.spec import from_dict


def test_in_channels_symbolic():
    spec = from_dict({"input": [8, 8, 3], "symbols": {"alpha": 1}, "rounding": "floor",
                      "layers": [{"type": "conv", "filters": "48*alpha", "kernel": 3, "bias": False},
                                 {"type": "pointwise", "name": "t", "filters": "in_channels / 2",
                                  "groups": "in_channels / 8", "bias": False}]})
    net = costmodel.load_network(spec)
    alpha = net.symbols["alpha"]
    # 3*3*3*c conv weights, then c/2 filters of c/(c/8) = 8 inputs each, c = 48*alpha smoothly
    assert sympy.simplify(net.total("params", smooth_form=True) - (27 * 48 * alpha + 48 * alpha / 2 * 8)) == 0
    assert "floor(48*alpha)" in str(net.total("params"))
    for a, channels in [(1, 48), (Fraction(1, 2), 24)]:
        expected = 27 * channels + (channels // 2) * 8
        assert net.evaluate({"alpha": a}).totals.params == expected
        assert net.evaluate({"alpha": a}, closed_forms=True).totals.params == expected
