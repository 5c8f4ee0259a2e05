"""`feature_taps`: where a chain backbone (`ArchSpec`) hands its level 3-5 features to a detection decoder.

A chain's stem has stride 2 (level 1); each stage's first block multiplies the
stride by its own. The feature of level L is the output of the last stage that
ends at stride 2**L, as in TF Model Garden's MobileNet backbone, whose
endpoints are the last block before each down-sampling and the last block.
The 1x1 head convolution and pooling of the classifier are not part of a
detector.
"""

from __future__ import annotations

import dataclasses

from edgenas.errors import SpecError
from edgenas.specs.arch import ArchSpec

__all__ = ["BACKBONE_LEVELS", "DECODER_LEVELS", "FeatureTap", "feature_taps", "level_side_px"]

BACKBONE_LEVELS = (3, 4, 5)
"""The levels a chain backbone gives the decoder (strides 8, 16 and 32)."""

DECODER_LEVELS = (3, 4, 5, 6, 7)
"""The levels a decoder hands the detection head (6 and 7 made by the decoder)."""

_STEM_LEVEL = 1


@dataclasses.dataclass(frozen=True)
class FeatureTap:
    """One backbone feature a decoder reads.

    Attributes:
        level: Its level (stride 2**level).
        stage_index: Index in `ArchSpec.blocks` of the stage whose last block outputs it.
        filters: Its channels.
    """

    level: int
    stage_index: int
    filters: int


def feature_taps(spec: ArchSpec) -> tuple[FeatureTap, ...]:
    """The level 3, 4 and 5 features of a chain backbone, by ascending level.

    Raises:
        SpecError: If a stage's stride is not 1 or 2, or the chain does not end at
            level 5 (total stride 32) with a stage ending at each of levels 3 and 4;
            the message says what the chain reaches.
    """
    if not isinstance(spec, ArchSpec):
        raise SpecError(f"a detection backbone must be an ArchSpec (a chain network), got {type(spec).__name__}")
    level = _STEM_LEVEL
    last_stage_at: dict[int, int] = {}
    for index, block in enumerate(spec.blocks):
        if block.strides not in (1, 2):
            raise SpecError(
                f"a detection backbone's stages stride 1 or 2; stage {index} strides {block.strides}"
            )
        level += block.strides == 2
        last_stage_at[level] = index
    missing = [lvl for lvl in BACKBONE_LEVELS if lvl not in last_stage_at]
    if level != BACKBONE_LEVELS[-1] or missing:
        reached = ", ".join(str(lvl) for lvl in sorted(last_stage_at))
        raise SpecError(
            f"a detection backbone must end at stride 32 (level 5) with stages ending at levels 3, 4 and 5; "
            f"this chain's stages end at levels {reached} (total stride {spec.total_stride})"
        )
    return tuple(
        FeatureTap(level=lvl, stage_index=last_stage_at[lvl], filters=spec.blocks[last_stage_at[lvl]].output_filters)
        for lvl in BACKBONE_LEVELS
    )


def level_side_px(side_px: int, level: int) -> int:
    """A feature map's side at `level` for an input side: every stride-2 step rounds up ('same' padding)."""
    for _ in range(level):
        side_px = -(-side_px // 2)
    return side_px
