"""The augmentation ops the policy spaces draw from, and the banks of each space (`shared/spaces.md`).

A bank is the ordered list of ops a policy indexes: RandAugment draws its N ops
uniformly from its bank; an AutoAugment op names its bank index. Detection and
segmentation banks share their first ops and differ in what touches the labels:
detection adds ops that act only inside each box (AutoAugment) and segmentation
replaces the image-only cutout with one that cuts the mask too (RandAugment) or
adds it (AutoAugment).

Papers: AutoAugment (Cubuk et al. 2019, https://arxiv.org/abs/1805.09501),
RandAugment (Cubuk et al. 2020, https://arxiv.org/abs/1909.13719), learning
augmentation for detection (Zoph et al. 2020, https://arxiv.org/abs/1906.11172).
"""

from __future__ import annotations

import enum

__all__ = ["AUTOAUGMENT_BANKS", "RANDAUGMENT_BANKS", "AugmentOp", "AugmentTask"]


class AugmentTask(enum.StrEnum):
    """The labels a policy must keep consistent with the image."""

    DETECTION = "detection"
    """Boxes: geometric ops move them with the image."""
    SEGMENTATION = "segmentation"
    """Per-pixel masks: geometric ops move them (nearest sampling, ignore label where filled)."""


class AugmentOp(enum.StrEnum):
    """One augmentation op, by the name the papers give it."""

    EQUALIZE = "Equalize"
    SOLARIZE = "Solarize"
    COLOR = "Color"
    CUTOUT_IMAGE = "CutoutImage"
    SOLARIZE_ADD = "SolarizeAdd"
    TRANSLATE_X = "TranslateX"
    TRANSLATE_Y = "TranslateY"
    SHEAR_X = "ShearX"
    SHEAR_Y = "ShearY"
    ROTATE = "Rotate"
    SHARPNESS = "Sharpness"
    SOLARIZE_ONLY_BBOXES = "SolarizeOnlyBBoxes"
    CUTOUT_ONLY_BBOXES = "CutoutOnlyBBoxes"
    TRANSLATE_X_ONLY_BBOXES = "TranslateXOnlyBBoxes"
    TRANSLATE_Y_ONLY_BBOXES = "TranslateYOnlyBBoxes"
    SHEAR_X_ONLY_BBOXES = "ShearXOnlyBBoxes"
    SHEAR_Y_ONLY_BBOXES = "ShearYOnlyBBoxes"
    ROTATE_ONLY_BBOXES = "RotateOnlyBBoxes"
    EQUALIZE_ONLY_BBOXES = "EqualizeOnlyBBoxes"
    FLIP_ONLY_BBOXES = "FlipOnlyBBoxes"
    CUTOUT_SEGMENTATION = "CutoutSegmentation"
    """Cuts the same square out of the image and the mask (the mask gets the ignore label)."""


_O = AugmentOp
_RANDAUGMENT_SHARED = (_O.EQUALIZE, _O.SOLARIZE, _O.COLOR, _O.SOLARIZE_ADD, _O.TRANSLATE_X, _O.TRANSLATE_Y,
                       _O.SHEAR_X, _O.SHEAR_Y, _O.ROTATE)  # fmt: skip

RANDAUGMENT_BANKS: dict[AugmentTask, tuple[AugmentOp, ...]] = {
    AugmentTask.DETECTION: (*_RANDAUGMENT_SHARED[:3], _O.CUTOUT_IMAGE, *_RANDAUGMENT_SHARED[3:]),
    AugmentTask.SEGMENTATION: (*_RANDAUGMENT_SHARED[:3], _O.CUTOUT_SEGMENTATION, *_RANDAUGMENT_SHARED[3:]),
}
"""The ops RandAugment draws from (uniformly, with replacement), by task: 10 each."""

_AUTOAUGMENT_SHARED = (_O.EQUALIZE, _O.SOLARIZE, _O.COLOR, _O.CUTOUT_IMAGE, _O.SOLARIZE_ADD, _O.TRANSLATE_X,
                       _O.TRANSLATE_Y, _O.SHEAR_X, _O.SHEAR_Y, _O.ROTATE, _O.SHARPNESS, _O.CUTOUT_IMAGE)  # fmt: skip
"""Indices 0-11 of both AutoAugment banks. CutoutImage sits at 3 and at 11, as `shared/spaces.md` lists it."""

AUTOAUGMENT_BANKS: dict[AugmentTask, tuple[AugmentOp, ...]] = {
    AugmentTask.DETECTION: (*_AUTOAUGMENT_SHARED, _O.SOLARIZE_ONLY_BBOXES, _O.CUTOUT_ONLY_BBOXES,
                            _O.TRANSLATE_X_ONLY_BBOXES, _O.TRANSLATE_Y_ONLY_BBOXES, _O.SHEAR_X_ONLY_BBOXES,
                            _O.SHEAR_Y_ONLY_BBOXES, _O.ROTATE_ONLY_BBOXES, _O.EQUALIZE_ONLY_BBOXES,
                            _O.FLIP_ONLY_BBOXES),
    AugmentTask.SEGMENTATION: (*_AUTOAUGMENT_SHARED, _O.CUTOUT_SEGMENTATION),
}
"""The ops an AutoAugment policy indexes, by task: 21 for detection (12-20 act only inside each box), 13 for
segmentation (12 cuts the mask too)."""
