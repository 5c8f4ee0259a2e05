"""`chain_graph`: the converter's graph of a chain classifier (`ArchSpec`), written from the spec alone.

It mirrors `edgenas.models.chain.build_chain` layer for layer, as the TFLite
converter lays out its model: each convolution's BatchNorm is folded into the
convolution's bias; ReLU and ReLU6 are fused into the op before them; swish is
a LOGISTIC and a MUL, hard swish one HARD_SWISH op; an SE module is a MEAN
(keeping the axes), a 1x1 "valid" convolution with a zero bias (as Keras
initialises it), its activation, a 1x1 "valid" convolution with a zero bias, a
LOGISTIC and the MUL that gates; global pooling is a
MEAN, and the classifier a FULLY_CONNECTED without bias (Keras initialises the
bias to zero and the converter drops a zero bias). `tests/edgenas/export/direct`
compares this graph with the converter's file op for op.

No TensorFlow: numpy only.
"""

from __future__ import annotations

from edgenas.graphs.graph import FusedActivation, Graph, GraphBuilder, Padding
from edgenas.specs import Activation, ArchSpec, BlockFn
from edgenas.specs.costs import se_reduced_filters

__all__ = ["chain_block", "chain_graph", "chain_stages", "classifier_head", "stem"]

_FUSED = {Activation.RELU: FusedActivation.RELU, Activation.RELU6: FusedActivation.RELU6}
"""Activations the converter fuses into the op that produces their input."""


def _conv_act(
    g: GraphBuilder,
    x: int,
    *,
    filters: int,
    kernel_size: int,
    strides: int,
    activation: Activation | None,
    name: str,
    padding: Padding = Padding.SAME,
    zero_bias: bool = False,
) -> int:
    fused = _FUSED.get(activation, FusedActivation.NONE) if activation is not None else FusedActivation.NONE
    x = g.conv2d(x, filters=filters, kernel_size=kernel_size, strides=strides, padding=padding, activation=fused,
                 zero_bias=zero_bias, name=name)  # fmt: skip
    return _unfused(g, x, activation, name)


def _unfused(g: GraphBuilder, x: int, activation: Activation | None, name: str) -> int:
    """The ops of an activation that is not fused (swish, hard swish); `x` itself otherwise."""
    if activation is Activation.SWISH:
        return g.mul(x, g.logistic(x, name=f"{name}/sigmoid"), name=f"{name}/swish")
    if activation is Activation.HARD_SWISH:
        return g.hard_swish(x, name=f"{name}/hard_swish")
    return x


def _squeeze_excite(g: GraphBuilder, x: int, *, input_filters: int, se_ratio: float, activation: Activation,
                    name: str) -> int:  # fmt: skip
    channels = g.shape(x)[-1]
    s = g.mean_spatial(x, keep_dims=True, name=f"{name}_squeeze")
    s = _conv_act(g, s, filters=se_reduced_filters(input_filters, se_ratio), kernel_size=1, strides=1,
                  activation=activation, padding=Padding.VALID, zero_bias=True, name=f"{name}_reduce")  # fmt: skip
    s = g.conv2d(s, filters=channels, kernel_size=1, padding=Padding.VALID, zero_bias=True, name=f"{name}_expand")
    return g.mul(x, g.logistic(s, name=f"{name}_gate"), name=f"{name}_excite")


def chain_block(
    g: GraphBuilder,
    x: int,
    *,
    block_fn: BlockFn,
    filters: int,
    kernel_size: int,
    strides: int,
    expand_ratio: int,
    se_ratio: float,
    activation: Activation,
    name: str,
) -> int:
    """One block of a chain (`edgenas.models.layers`: `plain_conv`, `mbconv`, `fused_mbconv`) as the converter's ops.

    Args:
        g: The graph being built.
        x: The block's input tensor.
        block_fn: The block kind.
        filters: Output channels.
        kernel_size: Kernel of the spatial convolution.
        strides: Its stride.
        expand_ratio: Expansion of an mbconv or fused mbconv.
        se_ratio: SE ratio of the block's input filters (0: none).
        activation: The block's activation.
        name: Prefix of its tensor names.

    Returns:
        The block's output tensor.
    """
    if block_fn is BlockFn.CONV:
        return _conv_act(g, x, filters=filters, kernel_size=kernel_size, strides=strides, activation=activation,
                         name=name)  # fmt: skip
    input_filters = g.shape(x)[-1]
    shortcut = x
    expanded = expand_ratio != 1
    fused = _FUSED.get(activation, FusedActivation.NONE)
    if block_fn is BlockFn.MBCONV:
        if expanded:
            x = _conv_act(g, x, filters=input_filters * expand_ratio, kernel_size=1, strides=1,
                          activation=activation, name=f"{name}_expand")  # fmt: skip
        x = g.depthwise_conv2d(x, kernel_size=kernel_size, strides=strides, activation=fused, name=f"{name}_dw")
        x = _unfused(g, x, activation, f"{name}_dw")
    elif expanded:  # fused mbconv: the k x k expansion carries the stride
        x = _conv_act(g, x, filters=input_filters * expand_ratio, kernel_size=kernel_size, strides=strides,
                      activation=activation, name=f"{name}_expand")  # fmt: skip
    if se_ratio > 0:
        x = _squeeze_excite(g, x, input_filters=input_filters, se_ratio=se_ratio, activation=activation,
                            name=f"{name}_se")  # fmt: skip
    if block_fn is BlockFn.MBCONV or expanded:
        x = g.conv2d(x, filters=filters, kernel_size=1, name=f"{name}_project")
    else:  # fused mbconv at ratio 1: one k x k convolution with the stride and the activation
        x = _conv_act(g, x, filters=filters, kernel_size=kernel_size, strides=strides, activation=activation,
                      name=f"{name}_project")  # fmt: skip
    if strides == 1 and input_filters == filters:
        x = g.add(shortcut, x, name=f"{name}_add")
    return x


def classifier_head(g: GraphBuilder, x: int, *, filters: int, activation: Activation, num_classes: int) -> int:
    """The 1x1 head convolution, global pooling and (with classes) the classifier, as the converter's ops."""
    x = _conv_act(g, x, filters=filters, kernel_size=1, strides=1, activation=activation, name="head")
    x = g.mean_spatial(x, keep_dims=False, name="pool")
    if num_classes:
        x = g.fully_connected(x, units=num_classes, name="classifier")
    return x


def stem(g: GraphBuilder, x: int, *, filters: int, activation: Activation, kernel_size: int = 3,
         strides: int = 2) -> int:  # fmt: skip
    """The stem convolution with its activation."""
    return _conv_act(g, x, filters=filters, kernel_size=kernel_size, strides=strides, activation=activation,
                     name="stem")  # fmt: skip


def chain_stages(g: GraphBuilder, x: int, spec: ArchSpec) -> list[int]:
    """The stem and every stage of `spec` on the image `x` (`edgenas.models.chain.chain_stages`): what a
    classifier and a detector on the chain share.

    Returns:
        The output tensor of each stage, by stage index.
    """
    x = stem(g, x, filters=spec.stem_filters, activation=spec.activation)
    outputs = []
    for stage_index, block in enumerate(spec.blocks):
        for repeat in range(block.num_repeats):
            x = chain_block(
                g, x, block_fn=block.block_fn, filters=block.output_filters, kernel_size=block.kernel_size,
                strides=block.strides if repeat == 0 else 1, expand_ratio=block.expand_ratio,
                se_ratio=block.se_ratio, activation=spec.activation_of(block), name=f"stage{stage_index}_block{repeat}",
            )  # fmt: skip
        outputs.append(x)
    return outputs


def chain_graph(
    spec: ArchSpec, *, input_shape: tuple[int, int, int], num_classes: int, input_name: str = "image", seed: int = 0
) -> Graph:
    """The converter's graph of `spec` as a classifier, batch 1, with seeded random weights.

    Args:
        spec: The architecture.
        input_shape: Height, width, channels (checked by the caller: `Family.check_input`).
        num_classes: Classifier outputs; 0 ends at the pooled features.
        input_name: Name of the input tensor.
        seed: Seed of the weights.
    """
    g = GraphBuilder(seed=seed)
    x = chain_stages(g, g.input(input_name, (1, *input_shape)), spec)[-1]
    x = classifier_head(g, x, filters=spec.head_filters, activation=spec.activation, num_classes=num_classes)
    return g.finish([x])
