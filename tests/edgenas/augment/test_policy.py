"""Policies: every value checked against the spaces' ranges when made, and one line for logs."""

import pytest

from edgenas.augment import AugmentTask, AutoAugmentPolicy, OpSetting, PolicyError, RandAugmentPolicy


def _sub_policies(*pairs):
    return tuple((OpSetting(a, 3, 0.4), OpSetting(b, 10, 1.0)) for a, b in pairs)


_FIVE = _sub_policies((0, 9), (1, 2), (3, 11), (4, 5), (6, 7))


def test_randaugment_policy_and_its_line():
    policy = RandAugmentPolicy(task="detection", num_ops=2, magnitude=7)
    assert policy.task is AugmentTask.DETECTION and policy.space == "randaugment_detection"
    assert str(policy) == "randaugment_detection(N=2, M=7)"
    assert len(policy.bank) == 10 and "CutoutSegmentation" in RandAugmentPolicy("segmentation", 1, 1).bank


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"task": "classification"}, "unknown augmentation task 'classification'; known: detection, segmentation"),
        ({"num_ops": 3}, "num_ops must be one of 1..2, got 3"),
        ({"num_ops": True}, "num_ops must be an integer"),
        ({"magnitude": 0}, "magnitude must be one of 1..10, got 0"),
        ({"magnitude": 11}, "magnitude must be one of 1..10"),
        ({"magnitude": 5.0}, "magnitude must be an integer"),
    ],
)
def test_randaugment_values_out_of_range_are_refused(options, message):
    with pytest.raises(PolicyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RandAugmentPolicy(**{"task": "detection", "num_ops": 2, "magnitude": 7, **options})


def test_autoaugment_policy_names_its_ops_by_bank_index():
    policy = AutoAugmentPolicy(task="segmentation", sub_policies=list(_FIVE))
    assert policy.space == "autoaugment_segmentation" and isinstance(policy.sub_policies, tuple)
    assert [policy.op(s) for s in policy.sub_policies[2]] == ["CutoutImage", "CutoutImage"]  # indices 3 and 11
    assert str(policy).startswith("autoaugment_segmentation[Equalize(m=3, p=0.4) + Rotate(m=10, p=1.0) | Solarize")
    assert str(policy).count(" | ") == 4


def test_probabilities_are_tenths_and_stored_rounded():
    assert OpSetting(0, 0, 0.30000000000000004).probability == 0.3
    assert OpSetting(0, 0, 1).probability == 1.0
    for bad in (0.25, -0.1, 1.1, float("nan"), "0.5", True):
        with pytest.raises(PolicyError, match="probability"):
            OpSetting(0, 0, bad)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ((0, 11, 0.5), "magnitude must be one of 0..10, got 11"),
        ((0, -1, 0.5), "magnitude must be one of 0..10"),
        ((-1, 3, 0.5), "op_index must be a non-negative integer"),
        ((1.0, 3, 0.5), "op_index must be a non-negative integer"),
    ],
)
def test_op_settings_out_of_range_are_refused(setting, message):
    with pytest.raises(PolicyError, match=message.replace("(", r"\(")):
        OpSetting(*setting)


def test_autoaugment_shape_and_bank_are_checked():
    with pytest.raises(PolicyError, match="has 5 sub-policies"):
        AutoAugmentPolicy(task="detection", sub_policies=_FIVE[:4])
    with pytest.raises(PolicyError, match="sub-policy 1 must hold 2 ops"):
        AutoAugmentPolicy(task="detection", sub_policies=(_FIVE[0], _FIVE[1][:1], *_FIVE[2:]))
    with pytest.raises(PolicyError, match="an op must be an OpSetting"):
        AutoAugmentPolicy(task="detection", sub_policies=(((0, 3, 0.4), (1, 3, 0.4)), *_FIVE[1:]))
    # Index 20 (FlipOnlyBBoxes) exists for detection, not for segmentation (0..12).
    box_only = _sub_policies((20, 12), (1, 2), (3, 11), (4, 5), (6, 7))
    assert AutoAugmentPolicy(task="detection", sub_policies=box_only).op(box_only[0][0]) == "FlipOnlyBBoxes"
    with pytest.raises(PolicyError, match=r"op index 20 is outside the segmentation bank \(0..12: Equalize, "):
        AutoAugmentPolicy(task="segmentation", sub_policies=box_only)


def test_policies_are_hashable_values():
    a = AutoAugmentPolicy(task="detection", sub_policies=_FIVE)
    assert a == AutoAugmentPolicy(task=AugmentTask.DETECTION, sub_policies=list(map(list, _FIVE)))
    assert len({a, AutoAugmentPolicy(task="detection", sub_policies=_FIVE), RandAugmentPolicy("detection", 1, 1)}) == 2
