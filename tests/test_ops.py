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
