"""Keras pieces of SpineNet: residual and bottleneck blocks, block groups, cross-scale resampling.

Papers: SpineNet, https://arxiv.org/abs/1912.05027; SpineNet-Mobile,
https://arxiv.org/abs/2010.11426.
"""

from __future__ import annotations

import keras

from edgenas.models.layers import BatchNormConfig, activation_layer, conv_bn_act, mbconv
from edgenas.models.upsample import upsample_nearest
from edgenas.specs import Activation, SpineNetBlockFn, SpineNetMBConv

__all__ = ["block_group", "bottleneck_block", "resample_mobile", "resample_resnet", "residual_block"]


def _projection(
    x: keras.KerasTensor, *, channels: int, strides: int, bn: BatchNormConfig, name: str
) -> keras.KerasTensor:
    """The shortcut of a block whose input and output shapes differ: 1x1 conv and BatchNorm."""
    if x.shape[-1] == channels and strides == 1:
        return x
    return conv_bn_act(x, filters=channels, kernel_size=1, strides=strides, activation=None, bn=bn, name=f"{name}_proj")


def residual_block(
    x: keras.KerasTensor,
    *,
    filters: int,
    strides: int,
    activation: Activation,
    bn: BatchNormConfig,
    name: str,
) -> keras.KerasTensor:
    """ResNet's basic block: 3x3, 3x3, sum with the (projected) input, activation."""
    shortcut = _projection(x, channels=filters, strides=strides, bn=bn, name=name)
    y = conv_bn_act(
        x, filters=filters, kernel_size=3, strides=strides, activation=activation, bn=bn, name=f"{name}_conv1"
    )
    y = conv_bn_act(y, filters=filters, kernel_size=3, strides=1, activation=None, bn=bn, name=f"{name}_conv2")
    y = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return activation_layer(activation, f"{name}_out_act")(y)


def bottleneck_block(
    x: keras.KerasTensor,
    *,
    filters: int,
    strides: int,
    activation: Activation,
    bn: BatchNormConfig,
    name: str,
) -> keras.KerasTensor:
    """ResNet's bottleneck: 1x1 to `filters`, 3x3, 1x1 to 4x `filters`, sum with the input, activation."""
    shortcut = _projection(x, channels=4 * filters, strides=strides, bn=bn, name=name)
    y = conv_bn_act(x, filters=filters, kernel_size=1, strides=1, activation=activation, bn=bn, name=f"{name}_conv1")
    y = conv_bn_act(
        y, filters=filters, kernel_size=3, strides=strides, activation=activation, bn=bn, name=f"{name}_conv2"
    )
    y = conv_bn_act(y, filters=4 * filters, kernel_size=1, strides=1, activation=None, bn=bn, name=f"{name}_conv3")
    y = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return activation_layer(activation, f"{name}_out_act")(y)


def block_group(
    x: keras.KerasTensor,
    *,
    block_fn: SpineNetBlockFn,
    filters: int,
    strides: int,
    repeats: int,
    activation: Activation,
    bn: BatchNormConfig,
    mbconv_settings: SpineNetMBConv | None,
    name: str,
) -> keras.KerasTensor:
    """`repeats` blocks of `block_fn`; only the first one strides or changes the channel count.

    Args:
        x: The merged input of the node.
        block_fn: The block to stack.
        filters: The block's filters (a bottleneck outputs 4x as many channels).
        strides: Stride of the first block.
        repeats: Number of blocks.
        activation: Non-linearity.
        bn: BatchNorm settings.
        mbconv_settings: Expansion, kernel and SE of mbconv blocks (required for mbconv).
        name: Prefix of the layer names.

    Raises:
        ValueError: If an mbconv group has no settings.
    """
    for repeat in range(repeats):
        stride = strides if repeat == 0 else 1
        block_name = f"{name}_r{repeat}"
        if block_fn is SpineNetBlockFn.BOTTLENECK:
            x = bottleneck_block(x, filters=filters, strides=stride, activation=activation, bn=bn, name=block_name)
        elif block_fn is SpineNetBlockFn.RESIDUAL:
            x = residual_block(x, filters=filters, strides=stride, activation=activation, bn=bn, name=block_name)
        else:
            if mbconv_settings is None:
                raise ValueError("an mbconv block group needs SpineNetMBConv settings")
            x = mbconv(
                x,
                filters=filters,
                kernel_size=mbconv_settings.kernel_size,
                strides=stride,
                expand_ratio=mbconv_settings.expand_ratio,
                se_ratio=mbconv_settings.se_ratio,
                activation=activation,
                bn=bn,
                name=block_name,
            )
    return x


def resample_resnet(
    x: keras.KerasTensor,
    *,
    source_level: int,
    source_filters: int,
    target_level: int,
    target_channels: int,
    alpha: float,
    activation: Activation,
    bn: BatchNormConfig,
    name: str,
) -> keras.KerasTensor:
    """Brings a block's output to another level and channel count (ResNet-style SpineNet).

    A 1x1 convolution narrows to `int(source_filters * alpha)`; going down, a 3x3
    stride-2 convolution then 3x3 stride-2 max-pools halve the resolution once per
    level; going up, nearest-neighbour up-sampling; a last 1x1 convolution (with
    BatchNorm, no activation) gives the target's channels.

    Args:
        x: The source block's output.
        source_level: Its level.
        source_filters: Its nominal filters (a bottleneck's output channels / 4).
        target_level: The level of the block being fed.
        target_channels: The channels that block merges at.
        alpha: The resampling width factor.
        activation: Non-linearity.
        bn: BatchNorm settings.
        name: Prefix of the layer names.
    """
    reduced = int(source_filters * alpha)
    x = conv_bn_act(x, filters=reduced, kernel_size=1, strides=1, activation=activation, bn=bn, name=f"{name}_reduce")
    if target_level > source_level:
        x = conv_bn_act(x, filters=reduced, kernel_size=3, strides=2, activation=activation, bn=bn, name=f"{name}_down")
        for step in range(target_level - source_level - 1):
            x = keras.layers.MaxPooling2D(pool_size=3, strides=2, padding="same", name=f"{name}_pool{step}")(x)
    elif target_level < source_level:
        x = upsample_nearest(x, levels=source_level - target_level, name=name)
    return conv_bn_act(
        x, filters=target_channels, kernel_size=1, strides=1, activation=None, bn=bn, name=f"{name}_expand"
    )


def resample_mobile(
    x: keras.KerasTensor,
    *,
    source_level: int,
    target_level: int,
    target_channels: int,
    activation: Activation,
    bn: BatchNormConfig,
    name: str,
) -> keras.KerasTensor:
    """Brings a block's output to another level and channel count (SpineNet-Mobile).

    Going down, one 3x3 stride-2 depthwise convolution (BatchNorm, activation) per
    level; going up, nearest-neighbour up-sampling; then a 1x1 convolution (with
    BatchNorm, no activation) to the target's channels.
    """
    for step in range(target_level - source_level):
        x = keras.layers.DepthwiseConv2D(3, strides=2, padding="same", use_bias=False, name=f"{name}_down{step}_dw")(x)
        x = bn.layer(f"{name}_down{step}_bn")(x)
        x = activation_layer(activation, f"{name}_down{step}_act")(x)
    if target_level < source_level:
        x = upsample_nearest(x, levels=source_level - target_level, name=name)
    return conv_bn_act(
        x, filters=target_channels, kernel_size=1, strides=1, activation=None, bn=bn, name=f"{name}_expand"
    )
