"""`NasFpnDetectorSpec`: a RetinaNet detector on a chain backbone with a NAS-FPN decoder.

Paper: Ghiasi, Lin and Le, "NAS-FPN: Learning Scalable Feature Pyramid
Architecture for Object Detection", CVPR 2019, https://arxiv.org/abs/1904.07392.

The backbone's level 3-5 features (`edgenas.specs.chain_levels.feature_taps`)
enter the NAS-FPN decoder (`NasFpnSpec`: levels 6 and 7 pooled from level 5,
then its cells, repeated), whose levels 3-7 feed the RetinaNet head. Its cells
resample any level to any other by whole factors of 2, so every level's map
must divide exactly: input sides are multiples of 128 (level 7's stride), where
a plain FPN takes multiples of 32.

The compact string is `<ArchSpec string>|<NAS-FPN token>|<head token>`
(`ChainBackboneDetector`).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from edgenas.specs.arch import ArchSpec
from edgenas.specs.chain_backbone_detector import ChainBackboneDetector
from edgenas.specs.detection_head import DetectionHeadSpec
from edgenas.specs.nasfpn import NASFPN_EXAMPLE, NasFpnSpec

__all__ = ["NASFPN_DETECTOR_SIDE_MULTIPLE_PX", "NasFpnDetectorSpec"]

NASFPN_DETECTOR_SIDE_MULTIPLE_PX = 128
"""Input sides are multiples of level 7's stride: every level 3-7 map divides exactly."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class NasFpnDetectorSpec(ChainBackboneDetector):
    """A RetinaNet detector: a chain backbone, a NAS-FPN decoder, and the detection head on levels 3-7.

    Frozen, hashable and validated at construction; `str(spec)` parses back
    strictly. The number of classes is given when the model is built or exported.

    Attributes:
        backbone: The chain whose stem and stages are the backbone (its 1x1 head is not built).
        decoder: The NAS-FPN decoder.
        head: The detection head (class and box subnets shared across levels).

    Raises:
        SpecError: If a field has the wrong type, or the backbone has no level 3, 4 and 5 features.
    """

    DECODER_TYPE: ClassVar[type] = NasFpnSpec
    DECODER_EXAMPLE: ClassVar[str] = NASFPN_EXAMPLE
    SCHEMA: ClassVar[str] = "edgenas.NasFpnDetectorSpec/1"
    NOUN: ClassVar[str] = "NAS-FPN detector"
    SIDE_MULTIPLE_PX: ClassVar[int] = NASFPN_DETECTOR_SIDE_MULTIPLE_PX
    MIN_SIDE_PX: ClassVar[int] = NASFPN_DETECTOR_SIDE_MULTIPLE_PX
    SIDE_RULE: ClassVar[str] = "level 7's stride, so that the cells' resampling between levels 3-7 is exact"

    backbone: ArchSpec
    decoder: NasFpnSpec
    head: DetectionHeadSpec
