"""What an op's magnitude level (0-10) means: its angle, shear, offset, threshold or factor.

    op_parameters(AugmentOp.ROTATE, 5)                    # 15 degrees, sign drawn when applied
    op_parameters(AugmentOp.TRANSLATE_X, 10, image_size_px=320).value   # 125.0 px

With m = level / 10 (`shared/spaces.md`): rotate 30 m degrees; shear 0.3 m;
translate 250 m px (120 m px for the box-only versions); cutout half-size 100 m
px (50 m px for CutoutOnlyBBoxes, from the detection paper's code: spaces.md is
silent on it); solarize threshold 256 m; solarize-add 110 m; colour and
sharpness factors 1.8 m + 0.1. Translate, shear and rotate are signed: the op flips the sign with
probability 0.5 each time it runs.

Pixel magnitudes are given at `REFERENCE_IMAGE_SIZE_PX` and scaled by the
image's **longer side** over it. 640 is our choice, not a fact of spaces.md: the
detection-augmentation paper (Zoph et al. 2020, https://arxiv.org/abs/1906.11172)
trained its COCO detectors at 640 px, and COCO images are at most 640 px on their
longer side, so an image of that size gets exactly the paper's pixel offsets. One
scale for both axes keeps a cutout square and a translation the same length along
x and y. No TensorFlow.
"""

from __future__ import annotations

import dataclasses
import enum

from edgenas.augment.errors import PolicyError
from edgenas.augment.ops import AugmentOp
from edgenas.augment.policy import AUTOAUGMENT_MAGNITUDES

__all__ = ["MAX_MAGNITUDE", "REFERENCE_IMAGE_SIZE_PX", "OpParameters", "Quantity", "op_parameters"]

MAX_MAGNITUDE = AUTOAUGMENT_MAGNITUDES[-1]
"""The top magnitude level: m = level / MAX_MAGNITUDE."""

REFERENCE_IMAGE_SIZE_PX = 640
"""The image side (longer side) at which pixel magnitudes hold as stated; our choice (see the module docstring)."""


class Quantity(enum.StrEnum):
    """What an op's magnitude sets, and in which unit."""

    NONE = "none"
    """Nothing: Equalize, EqualizeOnlyBBoxes, FlipOnlyBBoxes."""
    ANGLE_DEG = "angle_deg"
    """A rotation angle in degrees (positive: counter-clockwise on screen)."""
    SHEAR = "shear"
    """A shear coefficient: pixels moved along one axis per pixel along the other."""
    OFFSET_PX = "offset_px"
    """A translation in pixels."""
    HALF_SIZE_PX = "half_size_px"
    """Half the side of a cutout square, in pixels."""
    THRESHOLD = "threshold"
    """An intensity in 0..256: solarize inverts the pixels at or above it."""
    ADDITION = "addition"
    """An intensity added to the dark pixels (solarize-add)."""
    FACTOR = "factor"
    """An enhancement factor: 0 gives the degenerate image, 1 the original, above 1 more than the original."""


@dataclasses.dataclass(frozen=True)
class _Rule:
    quantity: Quantity
    at_full: float  # the value at m = 1 (at the reference image size for pixel quantities)
    offset: float = 0.0  # the value at m = 0
    signed: bool = False


_ROTATE = _Rule(Quantity.ANGLE_DEG, 30.0, signed=True)
_SHEAR = _Rule(Quantity.SHEAR, 0.3, signed=True)
_TRANSLATE = _Rule(Quantity.OFFSET_PX, 250.0, signed=True)
_TRANSLATE_IN_BOX = _Rule(Quantity.OFFSET_PX, 120.0, signed=True)
_CUTOUT = _Rule(Quantity.HALF_SIZE_PX, 100.0)
# The detection paper's own hyperparameters (Zoph et al. 2020; the official TPU detection code's
# cutout_bbox_const) give the box-only cutout half the image cutout's size; spaces.md is silent on it.
_CUTOUT_IN_BOX = _Rule(Quantity.HALF_SIZE_PX, 50.0)
_SOLARIZE = _Rule(Quantity.THRESHOLD, 256.0)
_FACTOR = _Rule(Quantity.FACTOR, 1.8, offset=0.1)
_NONE = _Rule(Quantity.NONE, 0.0)

_O = AugmentOp
_RULES: dict[AugmentOp, _Rule] = {
    _O.EQUALIZE: _NONE,
    _O.SOLARIZE: _SOLARIZE,
    _O.COLOR: _FACTOR,
    _O.CUTOUT_IMAGE: _CUTOUT,
    _O.SOLARIZE_ADD: _Rule(Quantity.ADDITION, 110.0),
    _O.TRANSLATE_X: _TRANSLATE,
    _O.TRANSLATE_Y: _TRANSLATE,
    _O.SHEAR_X: _SHEAR,
    _O.SHEAR_Y: _SHEAR,
    _O.ROTATE: _ROTATE,
    _O.SHARPNESS: _FACTOR,
    _O.SOLARIZE_ONLY_BBOXES: _SOLARIZE,
    _O.CUTOUT_ONLY_BBOXES: _CUTOUT_IN_BOX,
    _O.TRANSLATE_X_ONLY_BBOXES: _TRANSLATE_IN_BOX,
    _O.TRANSLATE_Y_ONLY_BBOXES: _TRANSLATE_IN_BOX,
    _O.SHEAR_X_ONLY_BBOXES: _SHEAR,
    _O.SHEAR_Y_ONLY_BBOXES: _SHEAR,
    _O.ROTATE_ONLY_BBOXES: _ROTATE,
    _O.EQUALIZE_ONLY_BBOXES: _NONE,
    _O.FLIP_ONLY_BBOXES: _NONE,
    _O.CUTOUT_SEGMENTATION: _CUTOUT,
}


@dataclasses.dataclass(frozen=True)
class OpParameters:
    """An op's parameter at one magnitude level, for one image size.

    Attributes:
        op: The op.
        magnitude: The level it was asked at, 0 to 10.
        quantity: What `value` sets (and its unit).
        value: The parameter, unsigned; pixel quantities already scaled to `image_size_px`; 0.0 for `NONE`.
        signed: Whether the op negates `value` with probability 0.5 each time it runs.
        image_size_px: The image's longer side the pixel values were scaled to.
    """

    op: AugmentOp
    magnitude: int
    quantity: Quantity
    value: float
    signed: bool
    image_size_px: int

    @property
    def scales_with_image(self) -> bool:
        """Whether `value` is in pixels, proportional to the image's longer side."""
        return self.quantity in (Quantity.OFFSET_PX, Quantity.HALF_SIZE_PX)


def op_parameters(op: AugmentOp | str, magnitude: int, *, image_size_px: int = REFERENCE_IMAGE_SIZE_PX) -> OpParameters:
    """The parameter `op` gets at magnitude level `magnitude` on an image whose longer side is `image_size_px`.

    Args:
        op: An `AugmentOp` or its name.
        magnitude: The level, 0 to 10 (RandAugment's M, or an AutoAugment op's magnitude).
        image_size_px: The longer side of the image, in pixels; pixel quantities scale by it over 640.

    Returns:
        The op's parameters.

    Raises:
        PolicyError: An unknown op, or a level or image size out of range.
    """
    if not isinstance(op, AugmentOp):
        if not isinstance(op, str) or op not in AugmentOp._value2member_map_:
            raise PolicyError(f"unknown augmentation op {op!r}; known: {', '.join(AugmentOp)}")
        op = AugmentOp(op)
    if isinstance(magnitude, bool) or not isinstance(magnitude, int) or magnitude not in AUTOAUGMENT_MAGNITUDES:
        raise PolicyError(f"magnitude must be an integer in 0..{MAX_MAGNITUDE}, got {magnitude!r}")
    if isinstance(image_size_px, bool) or not isinstance(image_size_px, int) or image_size_px < 1:
        raise PolicyError(f"image_size_px must be a positive integer, got {image_size_px!r}")
    rule = _RULES[op]
    value = rule.offset + rule.at_full * magnitude / MAX_MAGNITUDE if rule.quantity is not Quantity.NONE else 0.0
    parameters = OpParameters(op, magnitude, rule.quantity, value, rule.signed, image_size_px)
    if parameters.scales_with_image:
        parameters = dataclasses.replace(parameters, value=value * image_size_px / REFERENCE_IMAGE_SIZE_PX)
    return parameters
