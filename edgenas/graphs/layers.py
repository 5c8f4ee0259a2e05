"""Keras layers of the detector builders as the converter's ops, named as the converter's TensorFlow graph names them.

Each function mirrors one helper of `edgenas.models` (`layers.conv_bn_act`,
`layers.activation_layer`, a Keras `Add` with its activation, `MaxPooling2D`,
`upsample.upsample_nearest`, a BatchNorm the converter cannot fold) and names
every op's output tensor after the TensorFlow op that reads the op's input: the
Keras layer's name, its name scope's suffix (`_1` for a layer called once) and
the op (`"block3_in0_reduce_conv_1/convolution"`).
`edgenas.graphs.order.converter_order` orders the branches of a graph by those
names, as the converter does.

No TensorFlow: numpy only.
"""

from __future__ import annotations

from edgenas.graphs.graph import FusedActivation, GraphBuilder
from edgenas.specs import Activation

__all__ = [
    "activation",
    "add_all",
    "batch_norm",
    "conv_bn_act",
    "fused",
    "max_pool",
    "scope",
    "unfused_activation",
    "upsample_nearest",
]

_FUSED = {Activation.RELU: FusedActivation.RELU, Activation.RELU6: FusedActivation.RELU6}
"""Activations the converter fuses into the op that produces their input."""
_UPSAMPLE_STAGE_FACTOR = 4  # edgenas.models.upsample._MAX_STAGE_FACTOR


def scope(layer: str, *, call: int = 0) -> str:
    """The name scope of a Keras layer's `call`-th call (0 first) in the traced model: `layer_1`, `layer_3`, ..."""
    return f"{layer}_{2 * call + 1}"


def fused(activation: Activation | None) -> FusedActivation:
    """The activation fused into the op before it (ReLU, ReLU6), or NONE for one that is an op of its own."""
    return FusedActivation.NONE if activation is None else _FUSED.get(activation, FusedActivation.NONE)


def activation(g: GraphBuilder, x: int, value: Activation | None, *, layer: str) -> int:
    """The ops of an activation layer that is not fused into `x`'s op (swish, hard swish); `x` otherwise."""
    if value is Activation.SWISH:
        sigmoid = g.logistic(x, name=f"{scope(layer)}/Sigmoid")
        return g.mul(x, sigmoid, name=f"{scope(layer)}/mul_1")
    if value is Activation.HARD_SWISH:
        return g.hard_swish(x, name=f"{scope(layer)}/HardSwish")
    return x


def unfused_activation(g: GraphBuilder, x: int, value: Activation, *, layer: str) -> int:
    """An activation layer on a tensor that other layers read too: the converter cannot fuse even a ReLU or
    ReLU6 into the op that made `x`, so each is an op of its own."""
    if value in (Activation.RELU, Activation.RELU6):
        six = value is Activation.RELU6
        return g.relu(x, six=six, name=f"{scope(layer)}/{'Relu6' if six else 'Relu'}")
    return activation(g, x, value, layer=layer)


def batch_norm(g: GraphBuilder, x: int, *, layer: str) -> int:
    """A BatchNorm on a tensor that other layers read too: the converter cannot fold it into the op that made
    `x`, so it stays TensorFlow's `x * scale + offset`, a MUL and an ADD with (C,) constants."""
    scaled = g.mul_constant(x, name=f"{scope(layer)}/batchnorm/mul_1")
    return g.add_constant(scaled, name=f"{scope(layer)}/batchnorm/add_1")


def conv_bn_act(g: GraphBuilder, x: int, *, filters: int, kernel_size: int, strides: int,
                activation_fn: Activation | None, name: str) -> int:  # fmt: skip
    """`edgenas.models.layers.conv_bn_act`: convolution with BatchNorm folded in, then the activation (None: none)."""
    y = g.conv2d(x, filters=filters, kernel_size=kernel_size, strides=strides, activation=fused(activation_fn),
                 name=f"{scope(f'{name}_conv')}/convolution")  # fmt: skip
    return activation(g, y, activation_fn, layer=f"{name}_act")


def add_all(g: GraphBuilder, inputs: list[int], *, activation_fn: Activation | None, layer: str,
            activation_layer: str) -> int:  # fmt: skip
    """A Keras `Add` of two or more tensors (an ADD per extra input, in order), then its activation layer.

    A ReLU or ReLU6 is fused into the last ADD; swish and hard swish follow as ops of their own.
    """
    total = inputs[0]
    for position, other in enumerate(inputs[1:]):
        last = position == len(inputs) - 2
        suffix = "" if position == 0 else f"_{position}"
        total = g.add(total, other, activation=fused(activation_fn) if last else FusedActivation.NONE,
                      name=f"{scope(layer)}/Add{suffix}")  # fmt: skip
    return activation(g, total, activation_fn, layer=activation_layer)


def max_pool(g: GraphBuilder, x: int, *, name: str) -> int:
    """A Keras `MaxPooling2D(3, strides=2, padding="same")`."""
    return g.max_pool2d(x, pool_size=3, strides=2, name=f"{scope(name)}/MaxPool2d")


def upsample_nearest(g: GraphBuilder, x: int, *, levels: int, name: str) -> int:
    """`edgenas.models.upsample.upsample_nearest`: stages of CONCATENATION and RESHAPE, factor 4 (2 for an odd
    last level)."""
    factors = [_UPSAMPLE_STAGE_FACTOR] * (levels // 2) + [2] * (levels % 2)
    for stage, factor in enumerate(factors):
        last = stage == len(factors) - 1
        stage_name = f"{name}_up" if last else f"{name}_up{stage}"
        batch, height, width, channels = g.shape(x)
        x = g.concatenation([x] * factor, axis=-1, name=f"{scope(f'{stage_name}_wcat')}/concat")
        x = g.reshape(x, shape=(batch, height, width * factor, channels), name=f"{scope(f'{stage_name}_w')}/Reshape")
        x = g.concatenation([x] * factor, axis=2, name=f"{scope(f'{stage_name}_hcat')}/concat")
        out_layer = stage_name if last else f"{stage_name}_h"
        x = g.reshape(x, shape=(batch, height * factor, width * factor, channels),
                      name=f"{scope(out_layer)}/Reshape")  # fmt: skip
    return x
