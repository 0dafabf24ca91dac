"""The build's shortcuts for 100,000-layer specs keep every check: an expression text seen before
is reused only where it passed, and every layer's error is still its own, located."""

import pytest

import costmodel
from costmodel import SpecError


def refusal(text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        costmodel.loads(text, file="x.yaml")
    return info.value


def test_a_bad_expression_written_twice_is_refused_twice_each_at_its_line():
    text = ("input: [8, 8, 16]\nsymbols: {alpha: 1}\nlayers:\n"
            "  - {type: pointwise, filters: 16*alpha}\n"
            "  - {type: pointwise, filters: 16*beta}\n"
            "  - {type: pointwise, filters: 16*alpha}\n"
            "  - {type: pointwise, filters: 16*beta}\n")
    lines = sorted(e.line for e in refusal(text).errors if "unknown symbol 'beta'" in e.message)
    assert lines == [5, 7]


def test_a_text_allowed_in_one_place_is_still_refused_in_another():
    # in_channels is allowed in a channel count, not in a kernel: the same text, two answers
    text = ("input: [8, 8, 16]\nlayers:\n"
            "  - {type: conv, filters: in_channels, kernel: 1}\n"
            "  - {type: conv, filters: 8, kernel: in_channels}\n")
    error = refusal(text)
    assert error.line == 4 and "in_channels" in error.message


def test_a_reused_expression_gives_the_same_numbers():
    layers = "".join(f"  - {{type: pointwise, name: p{i}, filters: 16*alpha}}\n" for i in range(3))
    spec = costmodel.loads(f"input: [8, 8, 16]\nsymbols: {{alpha: 1}}\nlayers:\n{layers}", file="x.yaml")
    rows = costmodel.analyze(spec, alpha="1/2").rows
    # a pointwise conv to 16*alpha = 8 channels: in x 8 weights + 8 biases; MACs 8*8 positions x in x 8
    assert [r.params for r in rows] == [16 * 8 + 8, 8 * 8 + 8, 8 * 8 + 8]
    assert [r.macs for r in rows] == [8 * 8 * 16 * 8, 8 * 8 * 8 * 8, 8 * 8 * 8 * 8]


def test_a_report_leaves_its_objects_frozen_until_the_next_report(capsys):
    import gc

    from costmodel.cli import main
    gc.unfreeze()
    assert main(["report", "mobilenet_cifar"]) == 0
    after_one = gc.get_freeze_count()
    assert after_one > 0 and gc.isenabled()  # frozen, and the collector running again
    assert main(["report", "mobilenet_cifar"]) == 0
    assert gc.get_freeze_count() < 2 * after_one  # the first report's were unfrozen first: nothing piles up
    gc.unfreeze()
    capsys.readouterr()


# --- layers written with the same values share their arguments (made and checked once) ---------

def test_layers_written_alike_share_their_arguments_and_key_and_others_do_not():
    text = ("input: [8, 8, 16]\nsymbols: {alpha: 1}\nlayers:\n"
            "  - {type: pointwise, name: a, filters: 16*alpha}\n"
            "  - {type: pointwise, name: b, filters: 16*alpha}\n"
            "  - {type: pointwise, name: c, filters: 24*alpha}\n"
            "  - {type: pointwise, name: d, filters: 16*alpha, stride: 1}\n")
    a, b, c, d = costmodel.loads(text, file="x.yaml").layers
    assert a.args is b.args and a.key is b.key  # one line's values, made once
    assert c.args is not a.args and c.args["filters"] != a.args["filters"]
    assert d.args is not a.args and d.written == {"filters", "stride"} and a.written == {"filters"}


@pytest.mark.parametrize("first, second, message", [
    # misspelt first (its missing value unsaid: the misspelling is): the second still needs its filters
    ("{type: conv, kernel: 3, filter: 8}", "{type: conv, kernel: 3}", "needs 'filters'"),
    ("{type: conv, kernel: 3, filters: 8, bias: true}", "{type: conv, kernel: 3, filters: 8, bias: 1}",
     "bias must be true or false"),  # 1 == True in Python, not in a spec
    ("{type: conv, kernel: 3, filters: 8, bias: true}", "{type: conv, kernel: 3, filters: 8, bias: true, stride: x}",
     "unknown symbol 'x'"),
])
def test_a_layer_like_an_earlier_one_is_still_checked_on_its_own(first, second, message):
    text = f"input: [8, 8, 16]\nlayers:\n  - {first}\n  - {second}\n"
    errors = [e for e in refusal(text).errors if e.line == 4]
    assert len(errors) == 1 and message in errors[0].message and "'conv2' (conv)" in str(errors[0])


def test_a_number_written_as_a_float_gets_its_own_arguments():
    text = ("input: [8, 8, 16]\nlayers:\n  - {type: conv, kernel: 3, filters: 8}\n"
            "  - {type: conv, kernel: 3.0, filters: 8}\n")
    first, other = costmodel.loads(text, file="x.yaml").layers
    assert other.args is not first.args and other.args == first.args  # 3.0 is 3: the same values, made again


def test_a_block_layer_is_made_for_its_call_not_shared_across_calls():
    text = ("input: [8, 8, 16]\nblocks:\n  unit: {args: [w], layers: [{type: pointwise, filters: w}]}\nlayers:\n"
            "  - {block: unit, w: 8}\n  - {block: unit, w: 24}\n")
    rows = costmodel.analyze(costmodel.loads(text, file="x.yaml")).rows
    # 1x1 convs with bias: 16 -> 8 then 8 -> 24 channels
    assert [r.params for r in rows] == [16 * 8 + 8, 8 * 24 + 24]


def test_the_reference_derives_a_shared_layer_again_for_another_input_shape():
    from costmodel import reference
    text = ("input: [8, 8, 16]\nlayers:\n"
            "  - {type: pointwise, name: a, filters: 16}\n"
            "  - {type: maxpool, name: p, kernel: 2, stride: 2}\n"
            "  - {type: pointwise, name: b, filters: 16}\n"
            "  - {type: pointwise, name: c, filters: 16}\n")
    spec = costmodel.loads(text, file="x.yaml")
    a, _, b, c = spec.layers
    assert a.args is b.args is c.args  # the same written values: one arguments dict
    rows = reference.propagate(spec, {})
    # 1x1 conv 16 -> 16 channels: 16*16 MACs per position; 8x8 positions before the pool, 4x4 after
    assert [rows[i]["macs"] for i in (0, 2, 3)] == [8 * 8 * 16 * 16, 4 * 4 * 16 * 16, 4 * 4 * 16 * 16]
    assert rows[2]["shape"] == rows[3]["shape"] == (4, 4, 16)


def test_the_reference_reuses_the_specs_unrolling_only_at_its_own_counts(monkeypatch):
    from costmodel import CheckError
    from costmodel.spec import model
    text = ("input: [8, 8, 16]\nblocks:\n  unit: {layers: [{type: pointwise, filters: 16}, {type: relu}]}\n"
            "layers:\n  - {block: unit, repeat: 5}\n  - {type: global_avgpool}\n")
    # 5 iterations of 2 layers, then the pool: 11 rows, each 1x1 conv 16 -> 16 with bias: 16*16 + 16
    rows = costmodel.analyze(costmodel.loads(text, file="x.yaml")).rows
    assert len(rows) == 5 * 2 + 1 and sum(r.params for r in rows) == 5 * (16 * 16 + 16)
    # a spec whose own unrolling miscounts (one iteration short) is not taken by the reference
    spec = costmodel.loads(text, file="x.yaml")
    del spec.__dict__["unrolled"]  # made again, under the miscount
    real = model.constant_count
    monkeypatch.setattr(model, "constant_count", lambda repeat: real(repeat) - 1)
    with pytest.raises(CheckError, match="this side unrolls 9 layers, the reference 11"):
        costmodel.analyze(spec)
