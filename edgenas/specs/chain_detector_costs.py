"""Parameters, MACs and the largest activation of a `ChainDetectorSpec`, from the spec alone.

The counts follow `edgenas.models.chain_detector` layer for layer: the chain's
stem and stages (`stages_cost`: `estimate_cost`'s count without the classifier's 1x1 head
convolution, pooling and dense layer), the FPN (`edgenas.models.fpn`) and the
RetinaNet head (`edgenas.specs.detection_head_costs`). Parameters are Keras'
count: BatchNorm's moving statistics included. Feature-map sides are those of
'same' padding (`level_side_px`: every stride-2 step rounds up).
"""

from __future__ import annotations

from collections.abc import Sequence

from edgenas.specs.arch import ArchSpec
from edgenas.errors import SpecError
from edgenas.specs.chain_backbone_detector import ChainBackboneDetector
from edgenas.specs.chain_levels import DECODER_LEVELS, FeatureTap, feature_taps, level_side_px
from edgenas.specs.costs import NetworkCost, stages_cost
from edgenas.specs.detection_head_costs import (
    head_batchnorm_statistics,
    head_cost_on_locations,
    head_largest_activation,
)
from edgenas.specs.fpn import FpnSpec
from edgenas.specs.nasfpn import NasFpnSpec
from edgenas.specs.nasfpn_costs import nasfpn_cost
from edgenas.specs.image_shape import image_shape

__all__ = ["chain_backbone_cost", "decoder_cost", "estimate_chain_detector_cost", "fpn_cost"]

_BN_VALUES_PER_CHANNEL = 4  # scale, offset, moving mean, moving variance


def _level_pixels(height: int, width: int, level: int) -> int:
    return level_side_px(height, level) * level_side_px(width, level)


def chain_backbone_cost(backbone: ArchSpec, *, input_shape: Sequence[int]) -> NetworkCost:
    """The stem and stages of a chain (`stages_cost`: the classifier's 1x1 head convolution is not built).

    Raises:
        SpecError: If the backbone has no level 3, 4 and 5 features, or the shape is not three positive ints.
    """
    feature_taps(backbone)
    return stages_cost(backbone, input_shape=image_shape(input_shape))


def _conv(fpn: FpnSpec, *, filters_in: int, kernel_size: int, pixels: int) -> tuple[int, int]:
    """(params, MACs) of one FPN convolution with bias writing `pixels` pixels of `num_filters` channels."""
    area, filters = kernel_size * kernel_size, fpn.num_filters
    per_pixel = area * filters_in + filters_in * filters if fpn.use_separable_conv else area * filters_in * filters
    return per_pixel + filters, per_pixel * pixels


def fpn_cost(fpn: FpnSpec, *, taps: Sequence[FeatureTap], input_shape: Sequence[int]) -> NetworkCost:
    """The FPN on the backbone's level 3-5 features: laterals, post-hoc convs, levels 6 and 7, BatchNorms.

    Up-sampling and sums are counted as no MACs.

    Args:
        fpn: The decoder.
        taps: The backbone's features it reads (`feature_taps`).
        input_shape: The detector's input (height, width, channels).
    """
    height, width, _ = image_shape(input_shape)
    params = macs = 0
    convs = [(tap.filters, 1, tap.level) for tap in taps]  # laterals
    convs += [(fpn.num_filters, 3, level) for level in DECODER_LEVELS]  # post-hoc convs; levels 6 and 7's stride 2
    for filters_in, kernel_size, level in convs:
        p, m = _conv(fpn, filters_in=filters_in, kernel_size=kernel_size, pixels=_level_pixels(height, width, level))
        params, macs = params + p, macs + m
    params += _BN_VALUES_PER_CHANNEL * fpn.num_filters * len(DECODER_LEVELS)
    largest = fpn.num_filters * _level_pixels(height, width, DECODER_LEVELS[0])
    return NetworkCost(params=params, macs=macs, largest_activation=largest)


def decoder_cost(
    decoder: FpnSpec | NasFpnSpec, *, taps: Sequence[FeatureTap], input_shape: Sequence[int]
) -> NetworkCost:
    """The cost of a chain detector's decoder on the backbone's `taps`: `fpn_cost` or `nasfpn_cost`.

    Raises:
        SpecError: If the decoder is of neither kind, or the input does not suit it.
    """
    if isinstance(decoder, FpnSpec):
        return fpn_cost(decoder, taps=taps, input_shape=input_shape)
    if isinstance(decoder, NasFpnSpec):
        return nasfpn_cost(decoder, input_filters={tap.level: tap.filters for tap in taps}, input_shape=input_shape)
    raise SpecError(f"no cost model for a {type(decoder).__name__} decoder")


def estimate_chain_detector_cost(
    spec: ChainBackboneDetector, *, input_shape: Sequence[int], num_classes: int
) -> NetworkCost:
    """The whole detector: backbone, decoder (FPN or NAS-FPN) and head on levels 3-7 (Keras' parameter count).

    Args:
        spec: The detector (a `ChainDetectorSpec` or a `NasFpnDetectorSpec`).
        input_shape: Height, width, channels of one image.
        num_classes: Classes of the head.

    Raises:
        SpecError: If the shape is not three positive ints.
    """
    height, width, channels = image_shape(input_shape)
    shape = (height, width, channels)
    backbone = chain_backbone_cost(spec.backbone, input_shape=shape)
    decoder = decoder_cost(spec.decoder, taps=feature_taps(spec.backbone), input_shape=shape)
    head = spec.head
    locations = sum(_level_pixels(height, width, level) for level in DECODER_LEVELS)
    head_params, head_macs = head_cost_on_locations(
        head,
        num_levels=len(DECODER_LEVELS),
        locations=locations,
        filters_in=spec.decoder.num_filters,
        num_classes=num_classes,
    )
    head_params += head_batchnorm_statistics(head, num_levels=len(DECODER_LEVELS))
    finest = _level_pixels(height, width, DECODER_LEVELS[0])
    head_largest = head_largest_activation(head, finest_pixels=finest, locations=locations, num_classes=num_classes)
    return NetworkCost(
        params=backbone.params + decoder.params + head_params,
        macs=backbone.macs + decoder.macs + head_macs,
        largest_activation=max(backbone.largest_activation, decoder.largest_activation, head_largest),
    )
