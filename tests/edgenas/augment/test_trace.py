"""trace_policy says which ops apply_policy applied: replaying its steps with apply_op gives the same example."""

import numpy as np
import pytest

from edgenas.augment import AugmentOp, AutoAugmentPolicy, OpSetting, PolicyError, RandAugmentPolicy
from edgenas.augment.apply import apply_op, apply_policy
from edgenas.augment.trace import OpOutcome, trace_policy

_O = AugmentOp
_RNG = np.random.default_rng(3)
_IMAGE = _RNG.integers(0, 256, (40, 56, 3), dtype=np.uint8)
_MASK = _RNG.integers(0, 4, (40, 56)).astype(np.uint8)
_BOXES = np.array([[0.1, 0.1, 0.5, 0.4], [0.4, 0.5, 0.9, 0.9], [0.05, 0.6, 0.3, 0.95]], np.float32)


def _sub(first, second):
    return (OpSetting(*first), OpSetting(*second))


# Gates at p = 0.5, signed ops, box-only ops (detection), and the cutout that cuts the mask (segmentation).
_DETECTION = AutoAugmentPolicy("detection", (
    _sub((9, 6, 0.5), (2, 4, 0.5)), _sub((5, 8, 0.5), (20, 0, 0.6)), _sub((15, 5, 0.9), (7, 3, 0.5)),
    _sub((13, 9, 1.0), (6, 2, 0.5)), _sub((1, 5, 0.5), (18, 7, 0.3)),
))  # fmt: skip
_SEGMENTATION = AutoAugmentPolicy("segmentation", (
    _sub((9, 6, 0.5), (12, 4, 0.5)), _sub((5, 8, 0.5), (0, 0, 0.5)), _sub((7, 5, 0.5), (3, 3, 0.5)),
    _sub((8, 9, 1.0), (6, 2, 0.5)), _sub((12, 5, 0.5), (10, 7, 0.5)),
))  # fmt: skip


def _replay(trace, labels):
    image, boxes, mask = _IMAGE, labels.get("boxes"), labels.get("mask")
    for step in trace.ops:
        if step.outcome is OpOutcome.SKIPPED:
            continue
        probability = 1.0 if step.outcome is OpOutcome.RAN else step.probability
        out = apply_op(step.op, image, magnitude=step.magnitude, seed=step.seed, probability=probability,
                       boxes=boxes, mask=mask)  # fmt: skip
        image, boxes, mask = out.image, out.boxes, out.mask
    return image, boxes, mask


@pytest.mark.parametrize(
    ("policy", "labels"),
    [
        (RandAugmentPolicy("detection", 2, 9), {"boxes": _BOXES}),
        (RandAugmentPolicy("segmentation", 2, 6), {"mask": _MASK}),
        (_DETECTION, {"boxes": _BOXES}),
        (_SEGMENTATION, {"mask": _MASK}),
    ],
    ids=["ra-det", "ra-seg", "aa-det", "aa-seg"],
)
def test_replaying_the_trace_gives_apply_policys_example(policy, labels):
    outcomes, signs = set(), set()
    for index in range(20):
        seed = (5, index)
        trace = trace_policy(policy, seed)
        expected = apply_policy(policy, _IMAGE, seed=seed, **labels)
        image, boxes, mask = _replay(trace, labels)
        np.testing.assert_array_equal(np.asarray(image), expected.image.numpy())
        if "boxes" in labels:
            np.testing.assert_array_equal(np.asarray(boxes), expected.boxes.numpy())
        else:
            np.testing.assert_array_equal(np.asarray(mask), expected.mask.numpy())
        outcomes |= {step.outcome for step in trace.ops}
        signs |= {step.negative for step in trace.ops}
    if isinstance(policy, AutoAugmentPolicy):  # the seeds reach both sides of the gates
        assert {OpOutcome.RAN, OpOutcome.SKIPPED} <= outcomes
    assert {True, False} <= signs


def test_the_sign_is_the_direction_the_boxes_moved():
    policy = AutoAugmentPolicy("detection", (_sub((5, 4, 1.0), (0, 0, 0.0)),) * 5)  # TranslateX 100 px at 640
    seen = set()
    for index in range(10):
        step = trace_policy(policy, index).ops[0]
        moved = apply_policy(policy, _IMAGE, seed=index, boxes=_BOXES[:1]).boxes.numpy()[0]
        assert step.outcome is OpOutcome.RAN and step.negative is not None
        assert (moved[1] < _BOXES[0, 1]) == step.negative  # positive moves content right
        seen.add(step.negative)
    assert seen == {True, False}


def test_a_certain_op_shows_as_ran_and_an_impossible_one_as_skipped():
    policy = AutoAugmentPolicy("detection", (_sub((9, 7, 1.0), (2, 3, 0.0)),) * 5)
    trace = trace_policy(policy, 0)
    steps = [(step.op, step.outcome) for step in trace.ops]
    assert steps == [(_O.ROTATE, OpOutcome.RAN), (_O.COLOR, OpOutcome.SKIPPED)]
    rotate = f"Rotate(m=7, p=1.0, sign {'-' if trace.ops[0].negative else '+'}) ran"
    assert str(trace) == f"sub-policy {trace.sub_policy}: {rotate}, Color(m=3, p=0.0) skipped"
    assert trace.lines() == (f"sub-policy {trace.sub_policy}:", rotate, "Color(m=3, p=0.0) skipped")
    assert trace.ran == trace.ops[:1]


def test_randaugment_lists_the_drawn_ops_at_m():
    trace = trace_policy(RandAugmentPolicy("segmentation", 2, 4), (0, 1))
    assert trace.sub_policy is None and len(trace.ops) == 2
    assert all(step.magnitude == 4 and step.outcome is OpOutcome.RAN for step in trace.ops)
    assert str(trace) == " + ".join(map(str, trace.ops)) and "p=" not in str(trace)
    assert trace.lines()[1].startswith("+ ")


def test_not_a_policy_is_refused():
    with pytest.raises(PolicyError, match="must be a RandAugmentPolicy or an AutoAugmentPolicy"):
        trace_policy("randaugment_detection", 0)
