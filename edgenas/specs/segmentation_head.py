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
import re
from typing import Any

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs.json_form import check_block_object

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

SEGMENTATION_HEAD_FIELDS = ("num_filters", "use_separable_conv")
"""The fields of the decoder, in the order of its JSON object."""

_TOKEN_RE = re.compile(r"seg_f(?P<filters>\d+)(?P<sep>_sep)?")


@dataclasses.dataclass(frozen=True)
class SegmentationHeadSpec:
    """The segmentation decoder: every lateral and the fused 3x3 conv have `num_filters` channels.

    Attributes:
        num_filters: Channels of the laterals, the top-down sums and the 3x3 conv.
        use_separable_conv: A depthwise-separable 3x3 conv instead of a full one (the 1x1s stay full).

    Raises:
        SpecError: If `num_filters` is not an int >= 1 or `use_separable_conv` is not a bool.
    """

    num_filters: int = 128
    use_separable_conv: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.num_filters, bool) or not isinstance(self.num_filters, int) or self.num_filters < 1:
            raise SpecError(f"SegmentationHeadSpec.num_filters must be an int >= 1, got {self.num_filters!r}")
        if not isinstance(self.use_separable_conv, bool):
            raise SpecError(
                f"SegmentationHeadSpec.use_separable_conv must be a bool, got {self.use_separable_conv!r}"
            )

    def __str__(self) -> str:
        return f"seg_f{self.num_filters}{'_sep' if self.use_separable_conv else ''}"

    @classmethod
    def parse(cls, text: str) -> SegmentationHeadSpec:
        """Parses the token strictly (`parse(str(head)) == head`).

        Args:
            text: A token made by `str(head)`, e.g. `seg_f128_sep` or `seg_f64`.

        Raises:
            SpecParseError: If `text` is not a str, is malformed or is not canonical.
            SpecError: If it names an invalid decoder (0 filters).
        """
        if not isinstance(text, str):
            raise SpecParseError(f"a segmentation head token must be a str, got {type(text).__name__}")
        match = _TOKEN_RE.fullmatch(text)
        if match is None:
            raise SpecParseError(
                f"malformed segmentation head token {text!r}: expected e.g. '{SEGMENTATION_HEAD_EXAMPLE}' or "
                "'seg_f64' (seg_f<filters>, '_sep' for a separable 3x3 conv)"
            )
        head = cls(num_filters=int(match["filters"]), use_separable_conv=match["sep"] is not None)
        if str(head) != text:
            raise SpecParseError(f"segmentation head token {text!r} is not in canonical form; write {str(head)!r}")
        return head

    def to_json(self) -> dict[str, Any]:
        """Returns the settings as a JSON-ready dict (`SEGMENTATION_HEAD_FIELDS`)."""
        return {name: getattr(self, name) for name in SEGMENTATION_HEAD_FIELDS}

    @classmethod
    def from_json(cls, data: Any) -> SegmentationHeadSpec:
        """Builds the settings from `to_json()` output, strictly.

        Raises:
            SpecParseError: On a value that is not an object, or missing or unknown keys.
            SpecError: On invalid values.
        """
        data = check_block_object(data, what="segmentation head", fields=SEGMENTATION_HEAD_FIELDS)
        return cls(**{name: data[name] for name in SEGMENTATION_HEAD_FIELDS})
