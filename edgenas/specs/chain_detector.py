"""`ChainDetectorSpec`: a RetinaNet detector on a chain backbone (`ArchSpec`) with an FPN decoder.

Papers: RetinaNet, https://arxiv.org/abs/1708.02002; FPN,
https://arxiv.org/abs/1612.03144; MobileNetV2, https://arxiv.org/abs/1801.04381.

The backbone's stem and stages hand their level 3, 4 and 5 features
(`edgenas.specs.chain_levels.feature_taps`) to the FPN, which makes levels 3-7;
the RetinaNet head runs on each. The backbone's 1x1 head convolution and pooling
are a classifier's and are not built, so `backbone.head_filters` changes the
spec string but not the network.

The compact string is the backbone's string, the FPN token and the head token,
joined by `|`::

    relu6-stem32-mbconv_r1_k3_s1_e1_se0_c16-...-head1280|fpn_f128_sep|head_c4_f128_a9_sep

A `SpineNetDetectorSpec` string has exactly one `|`, an `ArchSpec` or
`SpineNetSpec` string none, so the spec strings cannot collide.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from edgenas.specs.arch import ArchSpec
from edgenas.specs.chain_backbone_detector import ChainBackboneDetector
from edgenas.specs.detection_head import DetectionHeadSpec
from edgenas.specs.fpn import FPN_EXAMPLE, FpnSpec

__all__ = [
    "CHAIN_DETECTOR_MIN_SIDE_PX",
    "CHAIN_DETECTOR_SIDE_MULTIPLE_PX",
    "ChainDetectorSpec",
    "default_chain_detector",
    "mobilenet_v2_fpn_retinanet",
]

CHAIN_DETECTOR_SIDE_MULTIPLE_PX = 32
"""Input sides are multiples of this: level 5's stride, so levels 3-5 halve exactly and the FPN's
nearest 2x up-sampling restores their sizes (levels 6 and 7 round up)."""

CHAIN_DETECTOR_MIN_SIDE_PX = 128
"""The smallest input side: level 7 is then 1 pixel, as at any side up to 128 ('same' padding rounds up)."""

_MOBILE_FPN = FpnSpec(num_filters=128, use_separable_conv=True)
_MOBILE_HEAD = DetectionHeadSpec(head_num_convs=4, head_num_filters=128, num_anchors=9, use_separable_conv=True)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChainDetectorSpec(ChainBackboneDetector):
    """A RetinaNet detector: a chain backbone, an FPN decoder on its levels 3-5, and the detection head on levels 3-7.

    Frozen, hashable and validated at construction. `str(spec)` is
    `<backbone>|<fpn>|<head>` and parses back strictly (`ChainBackboneDetector`).
    The number of classes is not part of the architecture: it is given when the
    model is built or exported. Input sides are multiples of 32 from 128 up.

    Attributes:
        backbone: The chain whose stem and stages are the backbone (its 1x1 head is not built).
        decoder: The FPN.
        head: The detection head (class and box subnets shared across levels).

    Raises:
        SpecError: If a field has the wrong type, or the backbone has no level 3, 4
            and 5 features (`feature_taps`: it must end at stride 32).
    """

    DECODER_TYPE: ClassVar[type] = FpnSpec
    DECODER_EXAMPLE: ClassVar[str] = FPN_EXAMPLE
    SCHEMA: ClassVar[str] = "edgenas.ChainDetectorSpec/1"
    NOUN: ClassVar[str] = "chain detector"
    SIDE_MULTIPLE_PX: ClassVar[int] = CHAIN_DETECTOR_SIDE_MULTIPLE_PX
    MIN_SIDE_PX: ClassVar[int] = CHAIN_DETECTOR_MIN_SIDE_PX
    SIDE_RULE: ClassVar[str] = "the backbone's stride at level 5"

    backbone: ArchSpec
    decoder: FpnSpec
    head: DetectionHeadSpec


def default_chain_detector(backbone: ArchSpec) -> ChainDetectorSpec:
    """The mobile RetinaNet recipe on a chain backbone.

    An FPN of 128 separable filters and a head of 4 separable convs x 128 filters
    with 9 anchors, as TF Model Garden's MobileNet RetinaNet configs set them.

    Raises:
        SpecError: If `backbone` is not an `ArchSpec` with level 3, 4 and 5 features.
    """
    return ChainDetectorSpec(backbone=backbone, decoder=_MOBILE_FPN, head=_MOBILE_HEAD)


def mobilenet_v2_fpn_retinanet() -> ChainDetectorSpec:
    """MobileNetV2 + FPN + RetinaNet: the mobile recipe on the mnasnet space's `mobilenet_v2` reference.

    At 320x320 with 91 classes it has 2,266,711 parameters (tests pin the
    breakdown against TF Model Garden's own backbone, decoder and head).
    """
    from edgenas.spaces.mnasnet_choices import REFERENCES  # noqa: PLC0415  (the spaces import the specs)

    return default_chain_detector(REFERENCES["mobilenet_v2"].spec())
