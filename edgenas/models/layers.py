"""Keras building blocks of chain networks: conv, mbconv (inverted residual), fused mbconv and SE.

Fused-MBConv: EfficientNetV2, Tan and Le, ICML 2021, https://arxiv.org/abs/2104.00298.
"""

from __future__ import annotations

import keras

from edgenas.specs import Activation, se_reduced_filters

__all__ = [
    "BatchNormConfig",
    "activation_layer",
    "conv_bn_act",
    "fused_mbconv",
    "mbconv",
    "plain_conv",
    "squeeze_excite",
]


class BatchNormConfig:
    """BatchNorm settings shared by every layer of a built network.

    Args:
        momentum: Moving-average momentum (short proxy training wants about 0.9).
        epsilon: Variance epsilon.
    """

    def __init__(self, *, momentum: float = 0.99, epsilon: float = 1e-3) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"bn momentum must be in [0, 1), got {momentum}")
        self.momentum = momentum
        self.epsilon = epsilon

    def layer(self, name: str) -> keras.layers.BatchNormalization:
        """A BatchNormalization layer with these settings."""
        return keras.layers.BatchNormalization(momentum=self.momentum, epsilon=self.epsilon, name=name)


def activation_layer(activation: Activation, name: str) -> keras.layers.Layer:
    """The Keras layer for an activation."""
    if activation is Activation.RELU:
        return keras.layers.ReLU(name=name)
    if activation is Activation.RELU6:
        return keras.layers.ReLU(max_value=6.0, name=name)
    if activation is Activation.SWISH:
        return keras.layers.Activation("swish", name=name)
    if activation is Activation.HARD_SWISH:
        return keras.layers.Activation("hard_swish", name=name)
    raise ValueError(f"no Keras layer for activation {activation!r}")


def conv_bn_act(
    x: keras.KerasTensor,
    *,
    filters: int,
    kernel_size: int,
    strides: int,
    activation: Activation | None,
    bn: BatchNormConfig,
    name: str,
) -> keras.KerasTensor:
    """Convolution (no bias), BatchNorm, then the activation unless it is None."""
    x = keras.layers.Conv2D(
        filters, kernel_size, strides=strides, padding="same", use_bias=False, name=f"{name}_conv"
    )(x)
    x = bn.layer(f"{name}_bn")(x)
    if activation is not None:
        x = activation_layer(activation, f"{name}_act")(x)
    return x


def plain_conv(
    x: keras.KerasTensor,
    *,
    filters: int,
    kernel_size: int,
    strides: int,
    activation: Activation,
    bn: BatchNormConfig,
    name: str,
) -> keras.KerasTensor:
    """The `conv` block: one k x k convolution with BatchNorm and activation, no skip."""
    return conv_bn_act(
        x, filters=filters, kernel_size=kernel_size, strides=strides, activation=activation, bn=bn, name=name
    )


def squeeze_excite(
    x: keras.KerasTensor,
    *,
    input_filters: int,
    se_ratio: float,
    activation: Activation,
    name: str,
) -> keras.KerasTensor:
    """Squeeze-and-excitation: pooled features gate the channels through a bottleneck.

    The bottleneck width is a ratio of the block's input filters (MnasNet's rule).
    """
    channels = x.shape[-1]
    reduced = se_reduced_filters(input_filters, se_ratio)
    s = keras.layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_squeeze")(x)
    s = keras.layers.Conv2D(reduced, 1, use_bias=True, name=f"{name}_reduce")(s)
    s = activation_layer(activation, f"{name}_reduce_act")(s)
    s = keras.layers.Conv2D(channels, 1, use_bias=True, activation="sigmoid", name=f"{name}_expand")(s)
    return keras.layers.Multiply(name=f"{name}_excite")([x, s])


def mbconv(
    x: keras.KerasTensor,
    *,
    filters: int,
    kernel_size: int,
    strides: int,
    expand_ratio: int,
    se_ratio: float,
    activation: Activation,
    bn: BatchNormConfig,
    name: str,
) -> keras.KerasTensor:
    """The inverted-residual block of MobileNetV2 / MnasNet.

    1x1 expansion (absent when `expand_ratio` is 1), depthwise k x k, optional SE,
    linear 1x1 projection, and an identity skip when the shapes allow it.
    """
    input_filters = x.shape[-1]
    shortcut = x
    expanded = input_filters * expand_ratio
    if expand_ratio != 1:
        x = conv_bn_act(
            x, filters=expanded, kernel_size=1, strides=1, activation=activation, bn=bn, name=f"{name}_expand"
        )
    x = keras.layers.DepthwiseConv2D(
        kernel_size, strides=strides, padding="same", use_bias=False, name=f"{name}_dw_conv"
    )(x)
    x = bn.layer(f"{name}_dw_bn")(x)
    x = activation_layer(activation, f"{name}_dw_act")(x)
    if se_ratio > 0:
        x = squeeze_excite(
            x, input_filters=input_filters, se_ratio=se_ratio, activation=activation, name=f"{name}_se"
        )
    x = conv_bn_act(x, filters=filters, kernel_size=1, strides=1, activation=None, bn=bn, name=f"{name}_project")
    if strides == 1 and input_filters == filters:
        x = keras.layers.Add(name=f"{name}_add")([shortcut, x])
    return x


def fused_mbconv(
    x: keras.KerasTensor,
    *,
    filters: int,
    kernel_size: int,
    strides: int,
    expand_ratio: int,
    se_ratio: float,
    activation: Activation,
    bn: BatchNormConfig,
    name: str,
) -> keras.KerasTensor:
    """The fused inverted-residual block of EfficientNetV2.

    With `expand_ratio` > 1: a full k x k expansion convolution that carries the
    stride (BatchNorm, activation), optional SE, and a linear 1x1 projection
    (BatchNorm). With `expand_ratio` 1: optional SE on the input, then one k x k
    convolution with the stride, BatchNorm and activation. An identity skip
    when the stride is 1 and the filters agree. The layer order, biases and SE
    widths are those of Keras' `FusedMBConvBlock` in inference (no stochastic depth).
    """
    input_filters = x.shape[-1]
    shortcut = x
    if expand_ratio != 1:
        x = conv_bn_act(
            x,
            filters=input_filters * expand_ratio,
            kernel_size=kernel_size,
            strides=strides,
            activation=activation,
            bn=bn,
            name=f"{name}_expand",
        )
    if se_ratio > 0:
        x = squeeze_excite(
            x, input_filters=input_filters, se_ratio=se_ratio, activation=activation, name=f"{name}_se"
        )
    if expand_ratio != 1:
        x = conv_bn_act(
            x, filters=filters, kernel_size=1, strides=1, activation=None, bn=bn, name=f"{name}_project"
        )
    else:
        x = conv_bn_act(
            x,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            activation=activation,
            bn=bn,
            name=f"{name}_project",
        )
    if strides == 1 and input_filters == filters:
        x = keras.layers.Add(name=f"{name}_add")([shortcut, x])
    return x
