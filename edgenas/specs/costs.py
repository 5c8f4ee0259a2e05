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

__all__ = ["NetworkCost", "estimate_cost", "se_reduced_filters", "stages_cost"]

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


@dataclasses.dataclass(frozen=True)
class _BlockShape:
    """What one block's cost depends on besides its own choices."""

    in_filters: int
    out_filters: int
    in_pixels: int
    out_pixels: int
    kernel_area: int


def _conv_bn(*, cin: int, cout: int, kernel_area: int, pixels: int) -> tuple[int, int]:
    """(params, MACs) of a bias-free convolution writing `pixels` pixels, and its BatchNorm."""
    return kernel_area * cin * cout + _BN_VALUES_PER_CHANNEL * cout, pixels * kernel_area * cin * cout


def _se_cost(*, input_filters: int, channels: int, se_ratio: float, pixels: int) -> tuple[int, int]:
    """(params, MACs) of an SE module gating `channels` maps of `pixels` pixels.

    The squeeze is `se_reduced_filters(input_filters, se_ratio)` wide; both 1x1
    convolutions have biases; the gate's multiply counts one MAC per value.
    """
    reduced = se_reduced_filters(input_filters, se_ratio)
    params = channels * reduced + reduced + reduced * channels + channels
    return params, 2 * channels * reduced + pixels * channels


def _conv_cost(shape: _BlockShape) -> NetworkCost:
    """A `conv` block: k x k convolution, BatchNorm, activation."""
    params, macs = _conv_bn(
        cin=shape.in_filters, cout=shape.out_filters, kernel_area=shape.kernel_area, pixels=shape.out_pixels
    )
    return NetworkCost(params=params, macs=macs, largest_activation=shape.out_pixels * shape.out_filters)


def _mbconv_cost(shape: _BlockShape, *, expand_ratio: int, se_ratio: float) -> NetworkCost:
    """An `mbconv` block: 1x1 expansion (ratio > 1), depthwise k x k, SE, 1x1 projection."""
    cin, cout = shape.in_filters, shape.out_filters
    expanded = cin * expand_ratio
    params = macs = 0
    if expand_ratio != 1:
        p, m = _conv_bn(cin=cin, cout=expanded, kernel_area=1, pixels=shape.in_pixels)
        params, macs = params + p, macs + m
    params += shape.kernel_area * expanded + _BN_VALUES_PER_CHANNEL * expanded
    macs += shape.out_pixels * shape.kernel_area * expanded
    if se_ratio > 0:
        p, m = _se_cost(input_filters=cin, channels=expanded, se_ratio=se_ratio, pixels=shape.out_pixels)
        params, macs = params + p, macs + m
    p, m = _conv_bn(cin=expanded, cout=cout, kernel_area=1, pixels=shape.out_pixels)
    largest = max(shape.in_pixels * expanded, shape.out_pixels * cout)  # the expansion's (or the input's) map
    return NetworkCost(params=params + p, macs=macs + m, largest_activation=largest)


def _fused_mbconv_cost(shape: _BlockShape, *, expand_ratio: int, se_ratio: float) -> NetworkCost:
    """A `fused_mbconv` block: k x k expansion with the stride (ratio > 1), SE, 1x1 projection.

    With ratio 1 it is one k x k convolution with the stride; its SE, if any,
    gates the block's input (Keras' `FusedMBConvBlock`).
    """
    cin, cout = shape.in_filters, shape.out_filters
    if expand_ratio == 1:
        params = macs = 0
        if se_ratio > 0:
            params, macs = _se_cost(input_filters=cin, channels=cin, se_ratio=se_ratio, pixels=shape.in_pixels)
        p, m = _conv_bn(cin=cin, cout=cout, kernel_area=shape.kernel_area, pixels=shape.out_pixels)
        return NetworkCost(params=params + p, macs=macs + m, largest_activation=shape.out_pixels * cout)
    expanded = cin * expand_ratio
    params, macs = _conv_bn(cin=cin, cout=expanded, kernel_area=shape.kernel_area, pixels=shape.out_pixels)
    if se_ratio > 0:
        p, m = _se_cost(input_filters=cin, channels=expanded, se_ratio=se_ratio, pixels=shape.out_pixels)
        params, macs = params + p, macs + m
    p, m = _conv_bn(cin=expanded, cout=cout, kernel_area=1, pixels=shape.out_pixels)
    largest = shape.out_pixels * max(expanded, cout)
    return NetworkCost(params=params + p, macs=macs + m, largest_activation=largest)


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
    stages, (filters, height, width) = _stages_cost(spec, input_shape=input_shape)
    bn = _BN_VALUES_PER_CHANNEL
    params = stages.params + filters * spec.head_filters + bn * spec.head_filters
    macs = stages.macs + height * width * filters * spec.head_filters
    largest = max(stages.largest_activation, height * width * spec.head_filters, num_classes)
    if num_classes:
        params += spec.head_filters * num_classes + num_classes
        macs += spec.head_filters * num_classes
    return NetworkCost(params=params, macs=macs, largest_activation=largest)


def stages_cost(spec: ArchSpec, *, input_shape: tuple[int, int, int]) -> NetworkCost:
    """The stem and stages of a chain, without its 1x1 head, pooling and classifier (a detector's backbone).

    Raises:
        SpecError: If the input shape is not three positive integers.
    """
    return _stages_cost(spec, input_shape=input_shape)[0]


def _stages_cost(spec: ArchSpec, *, input_shape: tuple[int, int, int]) -> tuple[NetworkCost, tuple[int, int, int]]:
    """The stem and stages' cost, and the last stage's (filters, height, width)."""
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
            shape = _BlockShape(
                in_filters=filters,
                out_filters=block.output_filters,
                in_pixels=height * width,
                out_pixels=out_h * out_w,
                kernel_area=block.kernel_size**2,
            )
            if block.block_fn is BlockFn.CONV:
                part = _conv_cost(shape)
            elif block.block_fn is BlockFn.FUSED_MBCONV:
                part = _fused_mbconv_cost(shape, expand_ratio=block.expand_ratio, se_ratio=block.se_ratio)
            elif block.block_fn is BlockFn.MBCONV:
                part = _mbconv_cost(shape, expand_ratio=block.expand_ratio, se_ratio=block.se_ratio)
            else:  # a new BlockFn needs its cost here, never a silent 0
                raise SpecError(f"no cost model for block_fn {block.block_fn.value!r}")
            params += part.params
            macs += part.macs
            largest = max(largest, part.largest_activation)
            filters, height, width = block.output_filters, out_h, out_w
    return NetworkCost(params=params, macs=macs, largest_activation=largest), (filters, height, width)
