"""Typed, frozen architecture specs: the data every other part of edgenas reads."""

from edgenas.specs.arch import ArchSpec
from edgenas.specs.block import BlockSpec
from edgenas.specs.chain_detector import ChainDetectorSpec, default_chain_detector, mobilenet_v2_fpn_retinanet
from edgenas.specs.chain_detector_costs import estimate_chain_detector_cost
from edgenas.specs.costs import NetworkCost, estimate_cost, se_reduced_filters
from edgenas.specs.enums import Activation, BlockFn
from edgenas.specs.detection_head import DetectionHeadSpec
from edgenas.specs.fpn import FpnSpec
from edgenas.specs.efficientnet_v2_references import (
    EFFICIENTNET_V2_STRIDES,
    efficientnet_v2_reference,
    efficientnet_v2_reference_names,
)
from edgenas.specs.segmentation_head import SegmentationHeadSpec
from edgenas.specs.segmenter import (
    ChainSegmenterSpec,
    SpineNetSegmenterSpec,
    default_chain_segmenter,
    default_spinenet_segmenter,
)
from edgenas.specs.spinenet_arch import SpineNetSpec
from edgenas.specs.spinenet_detector import SpineNetDetectorSpec
from edgenas.specs.spinenet_block import SpineNetBlockFn, SpineNetBlockSpec
from edgenas.specs.spinenet_costs import estimate_spinenet_cost
from edgenas.specs.spinenet_family import SpineNetFamily
from edgenas.specs.spinenet_mbconv import SpineNetMBConv
from edgenas.specs.spinenet_references import SpineNetScaling, spinenet_reference, spinenet_reference_names

__all__ = [
    "Activation",
    "ArchSpec",
    "BlockFn",
    "BlockSpec",
    "ChainDetectorSpec",
    "ChainSegmenterSpec",
    "DetectionHeadSpec",
    "EFFICIENTNET_V2_STRIDES",
    "FpnSpec",
    "NetworkCost",
    "SegmentationHeadSpec",
    "SpineNetBlockFn",
    "SpineNetBlockSpec",
    "SpineNetDetectorSpec",
    "SpineNetFamily",
    "SpineNetMBConv",
    "SpineNetScaling",
    "SpineNetSegmenterSpec",
    "SpineNetSpec",
    "default_chain_detector",
    "default_chain_segmenter",
    "default_spinenet_segmenter",
    "efficientnet_v2_reference",
    "efficientnet_v2_reference_names",
    "estimate_chain_detector_cost",
    "estimate_cost",
    "estimate_spinenet_cost",
    "mobilenet_v2_fpn_retinanet",
    "se_reduced_filters",
    "spinenet_reference",
    "spinenet_reference_names",
]
