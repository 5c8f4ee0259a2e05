"""The op banks of the four augmentation spaces, as `shared/spaces.md` lists them."""

from edgenas.augment import AUTOAUGMENT_BANKS, RANDAUGMENT_BANKS, AugmentOp, AugmentTask

_DETECTION_RANDAUGMENT = ["Equalize", "Solarize", "Color", "CutoutImage", "SolarizeAdd", "TranslateX", "TranslateY",
                          "ShearX", "ShearY", "Rotate"]  # fmt: skip
_AUTOAUGMENT_0_TO_11 = ["Equalize", "Solarize", "Color", "CutoutImage", "SolarizeAdd", "TranslateX", "TranslateY",
                        "ShearX", "ShearY", "Rotate", "Sharpness", "CutoutImage"]  # fmt: skip
_DETECTION_BOX_ONLY = ["SolarizeOnlyBBoxes", "CutoutOnlyBBoxes", "TranslateXOnlyBBoxes", "TranslateYOnlyBBoxes",
                       "ShearXOnlyBBoxes", "ShearYOnlyBBoxes", "RotateOnlyBBoxes", "EqualizeOnlyBBoxes",
                       "FlipOnlyBBoxes"]  # fmt: skip


def test_randaugment_banks_differ_only_in_the_cutout():
    assert list(RANDAUGMENT_BANKS[AugmentTask.DETECTION]) == _DETECTION_RANDAUGMENT
    segmentation = [op.replace("CutoutImage", "CutoutSegmentation") for op in _DETECTION_RANDAUGMENT]
    assert list(RANDAUGMENT_BANKS[AugmentTask.SEGMENTATION]) == segmentation


def test_autoaugment_banks_by_index():
    detection = AUTOAUGMENT_BANKS[AugmentTask.DETECTION]
    segmentation = AUTOAUGMENT_BANKS[AugmentTask.SEGMENTATION]
    assert (len(detection), len(segmentation)) == (21, 13)
    assert list(detection[:12]) == list(segmentation[:12]) == _AUTOAUGMENT_0_TO_11
    assert list(detection[12:]) == _DETECTION_BOX_ONLY
    assert list(segmentation[12:]) == ["CutoutSegmentation"]


def test_every_op_is_in_some_bank():
    used = {op for banks in (RANDAUGMENT_BANKS, AUTOAUGMENT_BANKS) for bank in banks.values() for op in bank}
    assert used == set(AugmentOp)
