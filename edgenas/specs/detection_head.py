"""`DetectionHeadSpec`: settings of the RetinaNet-style detection head on a SpineNet backbone.

Defaults follow TF Model Garden's RetinaNet configs: 4 convs of 256 filters,
9 anchors (3 scales x 3 aspect ratios) for the ResNet-style SpineNets; the
SpineNet-Mobile RetinaNet config uses a separable-conv head of 48 filters.
"""

from __future__ import annotations

import dataclasses

from edgenas.errors import SpecError

__all__ = ["DetectionHeadSpec", "default_detection_head"]


@dataclasses.dataclass(frozen=True)
class DetectionHeadSpec:
    """Shared class and box subnets across the output levels.

    Attributes:
        head_num_convs: 3x3 convs in each subnet tower (each followed by a BatchNorm per level).
        head_num_filters: Filters of every tower conv.
        num_anchors: Anchors per location (num_scales x len(aspect_ratios) of the anchor generator).
        use_separable_conv: Depthwise-separable convs (SpineNet-Mobile) instead of full 3x3 convs.
    """

    head_num_convs: int = 4
    head_num_filters: int = 256
    num_anchors: int = 9
    use_separable_conv: bool = False

    def __post_init__(self) -> None:
        for field, minimum in (("head_num_convs", 0), ("head_num_filters", 1), ("num_anchors", 1)):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise SpecError(f"DetectionHeadSpec.{field} must be an int >= {minimum}, got {value!r}")
        if not isinstance(self.use_separable_conv, bool):
            raise SpecError(f"DetectionHeadSpec.use_separable_conv must be a bool, got {self.use_separable_conv!r}")


def default_detection_head(mobile: bool) -> DetectionHeadSpec:
    """Model Garden's head for the family: separable 48 filters (mobile) or 256 filters."""
    if mobile:
        return DetectionHeadSpec(head_num_filters=48, use_separable_conv=True)
    return DetectionHeadSpec()
