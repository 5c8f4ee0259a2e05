"""Parameters and MACs of the RetinaNet detection head, from its settings alone (no model built).

The head (`edgenas.models.spinenet_head.retinanet_head`) has a class and a box
subnet, each `head_num_convs` 3x3 convs with bias shared across levels, a
BatchNorm per conv and level, and a 3x3 output conv. Used by the detector
families' costs and by `latency_models`' detector features (plain data only).
"""

from __future__ import annotations

from collections.abc import Sequence

from edgenas.specs.detection_head import DetectionHeadSpec

__all__ = ["head_batchnorm_statistics", "head_cost", "head_cost_on_locations", "head_largest_activation"]

_SUBNETS = 2  # the class subnet and the box subnet
_MOVING_STATISTICS_PER_CHANNEL = 2  # a BatchNorm's moving mean and variance


def head_cost_on_locations(
    head: DetectionHeadSpec, *, num_levels: int, locations: int, filters_in: int, num_classes: int
) -> tuple[int, int]:
    """Parameters (BatchNorm moving statistics left out) and MACs of the head on feature maps of `locations` pixels.

    Args:
        head: The head.
        num_levels: How many levels it runs on (each has its own BatchNorms).
        locations: Pixels of all its input feature maps together (one image).
        filters_in: Channels of its input feature maps.
        num_classes: Classes of the class subnet.

    Returns:
        (parameters, MACs) for one image.
    """
    f, anchors = head.head_num_filters, head.num_anchors
    params = macs = 0
    for outputs in (anchors * num_classes, anchors * 4):  # the class subnet, then the box subnet
        cin = filters_in
        for _ in range(head.head_num_convs):
            per_pixel = 9 * cin + cin * f if head.use_separable_conv else 9 * cin * f
            params += per_pixel + f + 2 * f * num_levels  # kernel(s), bias, BatchNorm scale and offset per level
            macs += per_pixel * locations
            cin = f
        per_pixel = 9 * cin + cin * outputs if head.use_separable_conv else 9 * cin * outputs
        params += per_pixel + outputs
        macs += per_pixel * locations
    return params, macs


def head_cost(
    head: DetectionHeadSpec, *, levels: Sequence[int], input_shape: Sequence[int], filters_in: int, num_classes: int
) -> tuple[int, int]:
    """Parameters and MACs of the RetinaNet head on levels of `input_shape >> level` pixels (a SpineNet's).

    BatchNorm moving statistics are left out (`head_batchnorm_statistics` counts them).

    Args:
        head: The head.
        levels: Output levels it runs on (min_level..max_level).
        input_shape: The detector's input (height, width, channels).
        filters_in: Channels of the backbone's outputs.
        num_classes: Classes of the class subnet.

    Returns:
        (parameters, MACs) for one image.
    """
    height, width = int(input_shape[0]), int(input_shape[1])
    locations = sum((height >> level) * (width >> level) for level in levels)
    return head_cost_on_locations(
        head, num_levels=len(levels), locations=locations, filters_in=filters_in, num_classes=num_classes
    )


def head_batchnorm_statistics(head: DetectionHeadSpec, *, num_levels: int) -> int:
    """The moving means and variances of the head's BatchNorms (one per tower conv, level and subnet)."""
    return _MOVING_STATISTICS_PER_CHANNEL * head.head_num_filters * head.head_num_convs * num_levels * _SUBNETS


def head_largest_activation(
    head: DetectionHeadSpec, *, finest_pixels: int, locations: int, num_classes: int
) -> int:
    """The head's largest tensor: a tower conv's map on the finest level, or the class (or box) outputs.

    Args:
        head: The head.
        finest_pixels: Pixels of the finest level's map.
        locations: Pixels over every level.
        num_classes: Classes of the class subnet.
    """
    return max(finest_pixels * head.head_num_filters, locations * head.num_anchors * max(num_classes, 4))
