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
