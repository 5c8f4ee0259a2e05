"""`SegmentationHeadSpec`: settings of the light FPN-style decoder that turns levels 3-5 into per-pixel logits.

The decoder (`edgenas.models.segmentation_head`) fuses a backbone's level 3, 4
and 5 features: a 1x1 lateral conv (with bias) per level to `num_filters`
channels, a top-down path (nearest 2x up-sampling and a sum, from level 5 down
to level 3), one 3x3 conv on level 3 (depthwise-separable with
`use_separable_conv`) with a BatchNorm and the backbone's activation, then a
1x1 classifier (with bias) to `num_classes + 1` logits (background first) at
level 3: stride 8, 1/8 of the input's sides.

The token in a segmenter's spec string is `seg_f<filters>`, plus `_sep` for a
separable 3x3 conv: `seg_f64_sep`, `seg_f128`.

Paper (the top-down fusion): Lin et al., "Feature Pyramid Networks for Object
Detection", CVPR 2017, https://arxiv.org/abs/1612.03144; its use for semantic
segmentation: Kirillov et al., "Panoptic Feature Pyramid Networks", CVPR 2019,
https://arxiv.org/abs/1901.02446.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from edgenas.specs._filters_token import FILTERS_TOKEN_FIELDS, FiltersTokenSpec

__all__ = [
    "SEGMENTATION_HEAD_EXAMPLE",
    "SEGMENTATION_HEAD_FIELDS",
    "SEGMENTATION_LEVELS",
    "SEGMENTATION_OUTPUT_LEVEL",
    "SegmentationHeadSpec",
]

SEGMENTATION_LEVELS = (3, 4, 5)
"""The backbone levels the decoder fuses (strides 8, 16 and 32)."""

SEGMENTATION_OUTPUT_LEVEL = SEGMENTATION_LEVELS[0]
"""The level of the logits: stride 2**3 = 8."""

SEGMENTATION_HEAD_EXAMPLE = "seg_f128_sep"
"""A decoder token as `str(SegmentationHeadSpec())` writes it (for error messages)."""

SEGMENTATION_HEAD_FIELDS = FILTERS_TOKEN_FIELDS
"""The fields of the decoder, in the order of its JSON object."""


@dataclasses.dataclass(frozen=True)
class SegmentationHeadSpec(FiltersTokenSpec):
    """The segmentation decoder: every lateral and the fused 3x3 conv have `num_filters` channels.

    Attributes:
        num_filters: Channels of the laterals, the top-down sums and the 3x3 conv.
        use_separable_conv: A depthwise-separable 3x3 conv instead of a full one (the 1x1s stay full).

    Raises:
        SpecError: If `num_filters` is not an int >= 1 or `use_separable_conv` is not a bool.
    """

    num_filters: int = 128
    use_separable_conv: bool = True

    TOKEN_PREFIX: ClassVar[str] = "seg"
    TOKEN_NAME: ClassVar[str] = "a segmentation head"
    TOKEN_OTHER_EXAMPLE: ClassVar[str] = "seg_f64"
    TOKEN_SEP_MEANING: ClassVar[str] = "a separable 3x3 conv"
    JSON_WHAT: ClassVar[str] = "segmentation head"
