"""Parameter, multiply-accumulate and activation counts computed from a spec alone, no model built.

The counts follow the builder in `edgenas.models` layer for layer (Keras's convention:
BatchNorm contributes 4 values per channel, its moving statistics included). Tests
check them against `keras.Model.count_params()` on random points of every space.
"""

from __future__ import annotations

import dataclasses
import math

from edgenas.errors import SpecError
from edgenas.specs.arch import ArchSpec
from edgenas.specs.enums import BlockFn

__all__ = ["NetworkCost", "estimate_cost", "se_reduced_filters"]

_BN_VALUES_PER_CHANNEL = 4


def se_reduced_filters(input_filters: int, se_ratio: float) -> int:
    """Width of the squeeze layer of an SE module: a ratio of the block's input filters."""
    return max(1, int(input_filters * se_ratio))


@dataclasses.dataclass(frozen=True)
class NetworkCost:
    """Size and compute of a network at one input resolution.

    Attributes:
        params: Parameter count (Keras convention, BatchNorm statistics included).
        macs: Multiply-accumulates of one forward pass of one image.
        largest_activation: Values of the largest tensor of one image's forward
            pass (the input image included): what must be in memory at once,
            at the least, besides the weights.
    """

    params: int
    macs: int
    largest_activation: int


def _same_out(size: int, stride: int) -> int:
    return math.ceil(size / stride)


def estimate_cost(
    spec: ArchSpec, *, input_shape: tuple[int, int, int] = (224, 224, 3), num_classes: int = 1000
) -> NetworkCost:
    """Counts parameters and MACs of the network `edgenas.build_keras` makes from `spec`.

    Args:
        spec: The architecture.
        input_shape: Height, width and channels of the input image.
        num_classes: Classifier outputs; 0 counts the network without its classifier.

    Returns:
        The network's cost.

    Raises:
        SpecError: If the input shape is not three positive integers.
    """
    if len(input_shape) != 3 or any(int(v) < 1 for v in input_shape):
        raise SpecError(f"input_shape must be (height, width, channels), got {input_shape!r}")
    height, width, channels = (int(v) for v in input_shape)
    bn = _BN_VALUES_PER_CHANNEL
    largest = height * width * channels
    height, width = _same_out(height, 2), _same_out(width, 2)
    params = 9 * channels * spec.stem_filters + bn * spec.stem_filters
    macs = height * width * 9 * channels * spec.stem_filters
    largest = max(largest, height * width * spec.stem_filters)
    filters = spec.stem_filters
    for block in spec.blocks:
        for repeat in range(block.num_repeats):
            stride = block.strides if repeat == 0 else 1
            out_h, out_w = _same_out(height, stride), _same_out(width, stride)
            k2 = block.kernel_size**2
            out_filters = block.output_filters
            if block.block_fn is BlockFn.CONV:
                params += k2 * filters * out_filters + bn * out_filters
                macs += out_h * out_w * k2 * filters * out_filters
            else:
                expanded = filters * block.expand_ratio
                largest = max(largest, height * width * expanded)  # the expansion's (or the input's) map
                if block.expand_ratio != 1:
                    params += filters * expanded + bn * expanded
                    macs += height * width * filters * expanded
                params += k2 * expanded + bn * expanded
                macs += out_h * out_w * k2 * expanded
                if block.se_ratio > 0:
                    reduced = se_reduced_filters(filters, block.se_ratio)
                    params += expanded * reduced + reduced + reduced * expanded + expanded
                    macs += 2 * expanded * reduced + out_h * out_w * expanded
                params += expanded * out_filters + bn * out_filters
                macs += out_h * out_w * expanded * out_filters
            largest = max(largest, out_h * out_w * out_filters)
            filters, height, width = out_filters, out_h, out_w
    params += filters * spec.head_filters + bn * spec.head_filters
    macs += height * width * filters * spec.head_filters
    largest = max(largest, height * width * spec.head_filters, num_classes)
    if num_classes:
        params += spec.head_filters * num_classes + num_classes
        macs += spec.head_filters * num_classes
    return NetworkCost(params=params, macs=macs, largest_activation=largest)
