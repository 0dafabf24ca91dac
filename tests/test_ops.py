"""Each layer type on hand-sized cases; expected values show the arithmetic.

Every case goes through the symbolic formulas *and* the reference propagator, which must agree
(analyze raises CheckError otherwise), so these also test the reference.
"""

import pytest

from conftest import one_layer

# (layer, input H x W x C, expected output shape, params, MACs)
CASES = [
    # standard 3x3 conv, stride 2, same padding: ceil(32/2) = 16
    ("{type: conv, filters: 32, kernel: 3, stride: 2}", (32, 32, 3),
     (16, 16, 32), 3 * 3 * 3 * 32 + 32, 16 * 16 * 32 * (3 * 3 * 3)),
    # no bias
    ("{type: conv, filters: 32, kernel: 3, stride: 2, bias: false}", (32, 32, 3),
     (16, 16, 32), 3 * 3 * 3 * 32, 16 * 16 * 32 * (3 * 3 * 3)),
    # valid padding: floor((32 - 5)/1) + 1 = 28 (LeNet)
    ("{type: conv, filters: 6, kernel: 5, padding: valid}", (32, 32, 1),
     (28, 28, 6), 5 * 5 * 1 * 6 + 6, 28 * 28 * 6 * 25),
    # explicit padding 3, stride 2, 7x7 (ResNet stem): floor((224 + 6 - 7)/2) + 1 = 112
    ("{type: conv, filters: 64, kernel: 7, stride: 2, padding: 3, bias: false}", (224, 224, 3),
     (112, 112, 64), 7 * 7 * 3 * 64, 112 * 112 * 64 * (7 * 7 * 3)),
    # asymmetric explicit padding [[0, 1], [0, 1]], 3x3 stride 2 valid-ish: floor((15 + 1 - 3)/2) + 1 = 7
    ("{type: conv, filters: 4, kernel: 3, stride: 2, padding: [[0, 1], [0, 1]], bias: false}", (15, 15, 2),
     (7, 7, 4), 3 * 3 * 2 * 4, 7 * 7 * 4 * 18),
    # rectangular kernels: EffNet's 1x3 and 3x1, and a 2x1 conv with 1-D stride [2, 1]
    ("{type: conv, filters: 8, kernel: [1, 3], bias: false}", (16, 16, 8),
     (16, 16, 8), 1 * 3 * 8 * 8, 16 * 16 * 8 * (1 * 3 * 8)),
    ("{type: conv, filters: 64, kernel: [2, 1], stride: [2, 1], bias: false}", (32, 16, 32),
     (16, 16, 64), 2 * 1 * 32 * 64, 16 * 16 * 64 * (2 * 1 * 32)),
    # dilation 2 widens a 3x3 to 5x5: valid gives 32 - 5 + 1 = 28
    ("{type: conv, filters: 4, kernel: 3, dilation: 2, padding: valid, bias: false}", (32, 32, 4),
     (28, 28, 4), 3 * 3 * 4 * 4, 28 * 28 * 4 * 36),
    # grouped conv (ShuffleNet's gc4): each output sees c_in/4 channels
    ("{type: conv, filters: 64, kernel: 1, groups: 4, bias: false}", (8, 8, 32),
     (8, 8, 64), 1 * 1 * (32 // 4) * 64, 8 * 8 * 64 * (32 // 4)),
    ("{type: pointwise, filters: 64, groups: 4, bias: false}", (8, 8, 32),
     (8, 8, 64), (32 // 4) * 64, 8 * 8 * 64 * (32 // 4)),
    ("{type: pointwise, filters: 128}", (8, 8, 64),
     (8, 8, 128), 64 * 128 + 128, 8 * 8 * 128 * 64),
    # depthwise: one 3x3 filter per channel; C_in times cheaper than the standard conv
    ("{type: dwconv, kernel: 3, bias: false}", (16, 16, 32),
     (16, 16, 32), 3 * 3 * 32, 16 * 16 * 32 * 9),
    # depth multiplier 2 doubles the channels (Hybrid MobileNet's delta), stride 2 halves the map
    ("{type: dwconv, kernel: 3, stride: 2, multiplier: 2, bias: false}", (16, 16, 32),
     (8, 8, 64), 3 * 3 * 64, 8 * 8 * 64 * 9),
    ("{type: dwconv, kernel: [1, 3], bias: true}", (16, 16, 32),
     (16, 16, 32), 1 * 3 * 32 + 32, 16 * 16 * 32 * 3),
    # dense on a 2x2x16 input: implicit flatten, 64 features
    ("{type: dense, units: 10}", (2, 2, 16), (1, 1, 10), 2 * 2 * 16 * 10 + 10, 2 * 2 * 16 * 10),
    ("{type: dense, units: 10, bias: false}", (1, 1, 1024), (1, 1, 10), 1024 * 10, 1024 * 10),
    # batch norm: gamma and beta per channel (statistics are separate, see below)
    ("{type: batchnorm}", (8, 8, 32), (8, 8, 32), 2 * 32, 0),
    # pooling: no params, no MACs; 3x3 stride 2 'same' (Hybrid MobileNet MP3): ceil(32/2) = 16
    ("{type: maxpool, kernel: 3, stride: 2, padding: same}", (32, 32, 8), (16, 16, 8), 0, 0),
    # 3x3 stride 2 valid: floor((32 - 3)/2) + 1 = 15
    ("{type: maxpool, kernel: 3, stride: 2}", (32, 32, 8), (15, 15, 8), 0, 0),
    # stride defaults to the kernel: 2x2 -> halves
    ("{type: avgpool, kernel: 2}", (32, 32, 8), (16, 16, 8), 0, 0),
    # EffNet's 1-D pooling: kernel [1, 2] halves the width only
    ("{type: maxpool, kernel: [1, 2]}", (32, 32, 8), (32, 16, 8), 0, 0),
    ("{type: global_avgpool}", (7, 7, 1024), (1, 1, 1024), 0, 0),
    ("{type: global_maxpool}", (7, 7, 1024), (1, 1, 1024), 0, 0),
    # fractional max pooling by ratio 1.4: floor(32/1.4) = floor(22.86) = 22
    ("{type: fractional_maxpool, ratio: 1.4}", (32, 32, 8), (22, 22, 8), 0, 0),
    ("{type: fractional_maxpool, output_size: 6}", (10, 10, 8), (6, 6, 8), 0, 0),
    ("{type: flatten}", (4, 4, 8), (1, 1, 4 * 4 * 8), 0, 0),
    ("{type: split, parts: 2, index: 1}", (8, 8, 116), (8, 8, 58), 0, 0),
    ("{type: shuffle, groups: 2}", (8, 8, 116), (8, 8, 116), 0, 0),
    ("{type: channel_pad, channels: 128}", (8, 8, 64), (8, 8, 128), 0, 0),
    ("{type: relu6}", (8, 8, 4), (8, 8, 4), 0, 0),
    ("{type: leaky_relu, slope: 0.1}", (8, 8, 4), (8, 8, 4), 0, 0),
    ("{type: softmax}", (1, 1, 10), (1, 1, 10), 0, 0),
    ("{type: dropout, rate: 0.5}", (1, 1, 10), (1, 1, 10), 0, 0),
    ("{type: identity}", (1, 1, 10), (1, 1, 10), 0, 0),
    # PyTorch's ceil_mode: out = ceil((n + pads - k)/s) + 1, less one if the last window starts at or past n + pad
    # 3x3 stride 2 on 13: ceil(10/2) + 1 = 6, as floor mode (the windows fit exactly)
    ("{type: maxpool, kernel: 3, stride: 2, ceil_mode: true}", (13, 13, 8), (6, 6, 8), 0, 0),
    # on 14: ceil(11/2) + 1 = 7 where floor mode gives floor(11/2) + 1 = 6 (SqueezeNet's pools)
    ("{type: maxpool, kernel: 3, stride: 2, ceil_mode: true}", (14, 14, 8), (7, 7, 8), 0, 0),
    # padding 1 on 14: ceil((14 + 2 - 3)/2) + 1 = 8; the last start (8 - 1)*2 = 14 < 14 + 1, kept
    ("{type: avgpool, kernel: 3, stride: 2, padding: 1, ceil_mode: true}", (14, 14, 8), (8, 8, 8), 0, 0),
    # 2x2 stride 2 padding 1 on 5: ceil((5 + 2 - 2)/2) + 1 = 4, but (4 - 1)*2 = 6 >= 5 + 1: dropped, 3
    ("{type: maxpool, kernel: 2, stride: 2, padding: 1, ceil_mode: true}", (5, 5, 8), (3, 3, 8), 0, 0),
    # per axis: [ph, pw] = [1, 0] on 5x6 with 2x2: H as above 3; W ceil((6 - 2)/2) + 1 = 3
    ("{type: maxpool, kernel: 2, padding: [1, 0], ceil_mode: true}", (5, 6, 8), (3, 3, 8), 0, 0),
    # adaptive pooling: the output size whatever the input (VGG's 7x7 head; a smaller input is repeated)
    ("{type: adaptive_avgpool, output_size: 7}", (14, 14, 512), (7, 7, 512), 0, 0),
    ("{type: adaptive_avgpool, output_size: 7}", (5, 5, 512), (7, 7, 512), 0, 0),
    ("{type: adaptive_maxpool, output_size: [6, 4]}", (13, 13, 256), (6, 4, 256), 0, 0),
    ("{type: adaptive_avgpool, output_size: 1}", (7, 7, 1024), (1, 1, 1024), 0, 0),
    # layer norm over channels: gamma and beta per channel, no running statistics; layer scale: one per channel
    ("{type: layernorm}", (8, 8, 32), (8, 8, 32), 2 * 32, 0),
    ("{type: layernorm, affine: false}", (8, 8, 32), (8, 8, 32), 0, 0),
    ("{type: scale}", (8, 8, 32), (8, 8, 32), 32, 0),
    ("{type: stochastic_depth, rate: 0.2}", (8, 8, 32), (8, 8, 32), 0, 0),
    ("{type: silu}", (8, 8, 4), (8, 8, 4), 0, 0),
    ("{type: gelu}", (8, 8, 4), (8, 8, 4), 0, 0),
    ("{type: hard_swish}", (8, 8, 4), (8, 8, 4), 0, 0),
    ("{type: hard_sigmoid}", (8, 8, 4), (8, 8, 4), 0, 0),
]


@pytest.mark.parametrize("layer, input_shape, shape, params, macs", CASES, ids=[c[0] for c in CASES])
def test_layer(layer, input_shape, shape, params, macs):
    row = one_layer(layer, input_shape)
    assert row.shape == shape
    assert row.params == params
    assert row.macs == macs
    assert row.floats_out == shape[0] * shape[1] * shape[2]
    assert row.floats_in == input_shape[0] * input_shape[1] * input_shape[2]


def test_batchnorm_statistics_are_non_trainable():
    row = one_layer("{type: batchnorm}", (8, 8, 32))
    assert (row.params, row.params_non_trainable) == (2 * 32, 2 * 32)  # gamma, beta | mean, variance
    row = one_layer("{type: batchnorm, affine: false}", (8, 8, 32))
    assert (row.params, row.params_non_trainable) == (0, 2 * 32)


def test_depthwise_is_cin_times_cheaper_than_standard():
    standard = one_layer("{type: conv, filters: 32, kernel: 3, bias: false}", (16, 16, 32))
    depthwise = one_layer("{type: dwconv, kernel: 3, bias: false}", (16, 16, 32))
    assert standard.macs == 32 * depthwise.macs and standard.params == 32 * depthwise.params


# rounding of a fractional channel count 10 * alpha at alpha = 0.45 (4.5) and 0.37 (3.7)
@pytest.mark.parametrize("rule, alpha, channels", [
    ("floor", "0.45", 4),          # Keras: int(4.5)
    ("ceil", "0.45", 5),
    ("nearest", "0.45", 5),        # halves round up
    ("nearest", "0.37", 4),
    ("multiple_of_8", "0.45", 8),  # torchvision: max(8, (4.5 + 4) // 8 * 8) = 8
    ("multiple_of_8", "2.3", 24),  # 23 -> (23 + 4) // 8 * 8 = 24
    ("multiple_of_8", "0.9", 16),  # 9 -> (9 + 4) // 8 * 8 = 8, but 8 < 0.9 * 9 = 8.1, so 8 + 8
    ("multiple_of_8", "0.1", 8),   # 1 -> 0, raised to the minimum 8
])
def test_rounding_rules(rule, alpha, channels):
    row = one_layer("{type: pointwise, filters: 10*alpha, bias: false}", (4, 4, 2),
                    symbols="alpha: 1", rounding=rule, alpha=alpha)
    assert row.shape[2] == channels


def test_breakdown_category_follows_the_configuration():
    # groups is a symbol: at g = 1 the layer is an ordinary 3x3 conv, at g = 2 a grouped one
    import costmodel
    spec = costmodel.from_dict({"input": [8, 8, 8], "symbols": {"g": {"default": 2, "integer": True}},
                                "layers": [{"type": "conv", "filters": 8, "kernel": 3, "groups": "g"}]})
    assert costmodel.analyze(spec, {"g": 1}).rows[0].category == "conv 3x3"
    assert costmodel.analyze(spec, {"g": 2}).rows[0].category == "conv 3x3 grouped"


def test_layernorm_keeps_no_statistics():
    row = one_layer("{type: layernorm}", (8, 8, 32))
    assert (row.params, row.params_non_trainable) == (2 * 32, 0)  # gamma, beta | computed at run time


def test_silu_is_swish():
    from costmodel.ops import lookup
    assert lookup("silu") is lookup("swish")  # x * sigmoid(x): one op under two names
    assert one_layer("{type: silu}", (2, 2, 3)).type == "swish"


# squeeze-excitation's rescaling: a 1x1xC input broadcast over H x W, in either order
@pytest.mark.parametrize("inputs", [["gate", "body"], ["body", "gate"]])
def test_multiply_broadcasts_channel_weights(inputs):
    import costmodel
    spec = costmodel.from_dict({"input": [8, 6, 16], "layers": [
        {"type": "relu", "name": "body"}, {"type": "global_avgpool"}, {"type": "sigmoid", "name": "gate"},
        {"type": "multiply", "name": "mul", "inputs": inputs}]})
    row = costmodel.analyze(spec).rows[-1]
    assert row.shape == (8, 6, 16)
    assert (row.params, row.macs) == (0, 0)  # one multiplication per output: not a multiply-accumulate
    assert row.floats_out == 8 * 6 * 16
    assert row.floats_in == 8 * 6 * 16 + 1 * 1 * 16  # both inputs are read


def test_multiply_of_one_shape():
    import costmodel
    spec = costmodel.from_dict({"input": [4, 4, 2], "layers": [
        {"type": "relu", "name": "a"}, {"type": "multiply", "inputs": ["input", "a", "a"]}]})
    assert costmodel.analyze(spec).rows[-1].shape == (4, 4, 2)


@pytest.mark.parametrize("layers, message", [
    ([{"type": "global_avgpool", "name": "g"}, {"type": "pointwise", "filters": 3, "name": "p"},
      {"type": "multiply", "inputs": ["input", "p"]}], "do not broadcast"),  # 1x1x3 against 8x8x4
    ([{"type": "maxpool", "kernel": 3, "stride": 2, "padding": "same", "ceil_mode": True}], "not same"),
    ([{"type": "maxpool", "kernel": 3, "stride": 2, "padding": [[1, 0], [1, 1]], "ceil_mode": True}],
     "equal on both sides"),  # PyTorch pads each side alike
    ([{"type": "maxpool", "kernel": 2, "padding": 2, "ceil_mode": True}], "at most half the kernel"),
    ([{"type": "adaptive_avgpool", "output_size": 0}], "output_size must be a positive integer"),
])
def test_new_types_refuse_what_pytorch_refuses(layers, message):
    import costmodel
    with pytest.raises(costmodel.SpecError, match=message) as error:
        costmodel.analyze(costmodel.from_dict({"input": [8, 8, 4], "layers": layers}))
    assert "layer" in str(error.value)  # located at the layer


# PyTorch's adaptive window i: floor(i*n/out) to ceil((i+1)*n/out); the widest, ceil((n - gcd)/out) + 1
@pytest.mark.parametrize("n, out, widest", [
    (14, 7, 2),   # 7 windows of 2
    (5, 3, 3),    # [0, 2) [1, 4) [3, 5)
    (7, 2, 4),    # [0, 4) [3, 7)
    (6, 4, 2),    # [0, 2) [1, 3) [3, 5) [4, 6)
    (13, 6, 3),   # AlexNet's 6x6 head at 13: [0, 3) [2, 5) [4, 7) ... every window 3 wide
    (2, 3, 2),    # a smaller input repeats: [0, 1) [0, 2) [1, 2)
    (1, 3, 1),
    (9, 9, 1),
])
def test_adaptive_window(n, out, widest):
    import math
    from costmodel.ops.pool import adaptive_window
    by_rule = max(math.ceil((i + 1) * n / out) - math.floor(i * n / out) for i in range(out))
    assert adaptive_window(n, out) == by_rule == widest
    import sympy
    size = sympy.Symbol("n", integer=True, positive=True)  # the closed form: gcd stays until n is a number
    assert adaptive_window(size, out).subs(size, n) == widest


@pytest.mark.parametrize("kernel, stride, padding", [(3, 2, 0), (3, 2, 1), (2, 2, 1), (1, 2, 0), (1, 3, 0)])
def test_ceil_mode_closed_form_agrees_at_every_size(kernel, stride, padding):
    # the closed form drops its Min where k >= s + p (no window can start in the padding): both kinds agree
    import costmodel
    pool = {"type": "maxpool", "kernel": kernel, "stride": stride, "padding": padding, "ceil_mode": True}
    network = costmodel.build(costmodel.from_dict({"input": ["n", "n", 2], "symbols": {"n": {"default": 8,
                                                   "integer": True}}, "layers": [pool, dict(pool)]}))
    for n in range(2 * kernel * stride + 1, 30):  # large enough for both pools to fit
        numbers = network.evaluate({"n": n}).rows
        closed = network.evaluate({"n": n}, closed_forms=True).rows
        assert [r.shape for r in numbers] == [r.shape for r in closed]
