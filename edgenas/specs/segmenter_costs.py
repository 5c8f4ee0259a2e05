"""Parameters, MACs and the largest activation of a segmenter, from its spec alone.

The counts follow `edgenas.models.segmentation_head` layer for layer, in Keras's
convention (a BatchNorm holds 4 values per channel, its moving statistics
included): per level 3-5 a 1x1 lateral conv with bias; on level 3 a 3x3 conv
without bias (depthwise 3x3 then pointwise 1x1 when separable) and its
BatchNorm; a 1x1 classifier with bias to `num_classes + 1` logits. Up-sampling,
sums and the activation count no MACs. The backbone is counted by its own
estimate: a chain's stem and stages (`chain_backbone_cost`), a SpineNet's blocks
and endpoints that levels 3-5 depend on (`estimate_spinenet_cost` with
`output_levels`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from edgenas.errors import SpecError
from edgenas.specs.chain_detector_costs import chain_backbone_cost
from edgenas.specs.chain_levels import feature_taps, level_side_px
from edgenas.specs.costs import NetworkCost
from edgenas.specs.image_shape import image_shape
from edgenas.specs.segmentation_head import SEGMENTATION_LEVELS, SEGMENTATION_OUTPUT_LEVEL, SegmentationHeadSpec
from edgenas.specs.segmenter import ChainSegmenterSpec, SpineNetSegmenterSpec
from edgenas.specs.spinenet_costs import estimate_spinenet_cost

__all__ = ["estimate_segmenter_cost", "segmentation_head_cost", "segmenter_level_filters"]

_BN_VALUES_PER_CHANNEL = 4  # scale, offset, moving mean, moving variance
_FUSE_KERNEL = 3


def segmentation_head_cost(
    head: SegmentationHeadSpec,
    *,
    level_filters: Mapping[int, int],
    level_pixels: Mapping[int, int],
    num_classes: int,
) -> NetworkCost:
    """The decoder on levels 3-5: laterals, the fused 3x3 conv and its BatchNorm, the classifier.

    Args:
        head: The decoder.
        level_filters: Channels of the backbone's feature at each of levels 3, 4 and 5.
        level_pixels: Height x width of each of those features.
        num_classes: Object classes (the classifier writes `num_classes + 1` logits).
    """
    filters, logits = head.num_filters, num_classes + 1
    params = macs = 0
    for level in SEGMENTATION_LEVELS:  # 1x1 laterals with bias
        params += level_filters[level] * filters + filters
        macs += level_pixels[level] * level_filters[level] * filters
    out_pixels = level_pixels[SEGMENTATION_OUTPUT_LEVEL]
    area = _FUSE_KERNEL * _FUSE_KERNEL
    fuse = area * filters + filters * filters if head.use_separable_conv else area * filters * filters
    params += fuse + _BN_VALUES_PER_CHANNEL * filters
    macs += out_pixels * fuse
    params += filters * logits + logits  # 1x1 classifier with bias
    macs += out_pixels * filters * logits
    return NetworkCost(params=params, macs=macs, largest_activation=out_pixels * max(filters, logits))


def segmenter_level_filters(spec: ChainSegmenterSpec | SpineNetSegmenterSpec) -> dict[int, int]:
    """Channels of the backbone's level 3, 4 and 5 features that the decoder reads."""
    if isinstance(spec, ChainSegmenterSpec):
        return {tap.level: tap.filters for tap in feature_taps(spec.backbone)}
    return {level: spec.backbone.endpoints_num_filters for level in SEGMENTATION_LEVELS}


def estimate_segmenter_cost(
    spec: ChainSegmenterSpec | SpineNetSegmenterSpec, *, input_shape: Sequence[int], num_classes: int
) -> NetworkCost:
    """The whole segmenter: backbone (what levels 3-5 depend on) and decoder (Keras' parameter count).

    Raises:
        SpecError: If the spec is not a segmenter, or the input does not suit it.
    """
    if isinstance(spec, ChainSegmenterSpec):
        height, width, channels = spec.check_input_shape(input_shape)
        backbone = chain_backbone_cost(spec.backbone, input_shape=(height, width, channels))
        pixels = {lvl: level_side_px(height, lvl) * level_side_px(width, lvl) for lvl in SEGMENTATION_LEVELS}
    elif isinstance(spec, SpineNetSegmenterSpec):
        height, width, channels = spec.check_input_shape(image_shape(input_shape))
        backbone = estimate_spinenet_cost(
            spec.backbone, input_shape=(height, width, channels), output_levels=SEGMENTATION_LEVELS
        )
        pixels = {lvl: (height >> lvl) * (width >> lvl) for lvl in SEGMENTATION_LEVELS}
    else:
        raise SpecError(f"no segmenter cost model for a {type(spec).__name__}")
    head = segmentation_head_cost(
        spec.head, level_filters=segmenter_level_filters(spec), level_pixels=pixels, num_classes=num_classes
    )
    return NetworkCost(
        params=backbone.params + head.params,
        macs=backbone.macs + head.macs,
        largest_activation=max(backbone.largest_activation, head.largest_activation),
    )
