"""`build_chain`: the Keras model of a chain classifier (`ArchSpec`). Imports TensorFlow/Keras.

`chain_stages` builds the stem and the stages, which a classifier and a
detector on a chain backbone (`edgenas.models.chain_detector`) share.
"""

from __future__ import annotations

import keras

from edgenas.errors import SpecError
from edgenas.models.layers import BatchNormConfig, conv_bn_act, fused_mbconv, mbconv, plain_conv
from edgenas.specs import ArchSpec, BlockFn

__all__ = ["build_chain", "chain_stages"]

_INVERTED_RESIDUALS = {BlockFn.MBCONV: mbconv, BlockFn.FUSED_MBCONV: fused_mbconv}
"""The builder of each block kind with expansion and SE (a `conv` block has neither)."""


def build_chain(
    spec: ArchSpec,
    *,
    input_shape: tuple[int, int, int],
    num_classes: int,
    bn_momentum: float = 0.99,
    dropout_rate: float = 0.0,
    classifier_activation: str | None = None,
    name: str | None = None,
) -> keras.Model:
    """Builds a chain classifier: stem, the stages of blocks, 1x1 head conv, pooling, dense logits.

    The stem and head use the network's activation; each block its own
    (`ArchSpec.activation_of`). The inference graph has no stochastic depth.

    Args:
        spec: The architecture.
        input_shape: Height, width, channels of one input image.
        num_classes: Classifier outputs; 0 ends at the pooled feature vector.
        bn_momentum: BatchNorm momentum.
        dropout_rate: Dropout before the classifier.
        classifier_activation: None for logits, or a Keras activation name.
        name: Model name (default: "edgenas_" + the first 12 hex digits of the spec digest).

    Raises:
        SpecError: On an input smaller than the total stride or a negative class count.
    """
    input_shape = spec.check_input_shape(input_shape)
    if num_classes < 0:
        raise SpecError(f"num_classes must be non-negative, got {num_classes}")
    bn = BatchNormConfig(momentum=bn_momentum)
    act = spec.activation
    inputs = keras.Input(shape=tuple(int(v) for v in input_shape), name="image")
    x = chain_stages(inputs, spec=spec, bn=bn)[-1]
    x = conv_bn_act(x, filters=spec.head_filters, kernel_size=1, strides=1, activation=act, bn=bn, name="head")
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    if num_classes:
        if dropout_rate > 0:
            x = keras.layers.Dropout(dropout_rate, name="dropout")(x)
        x = keras.layers.Dense(num_classes, activation=classifier_activation, name="classifier")(x)
    return keras.Model(inputs, x, name=name or f"edgenas_{spec.digest()[:12]}")


def chain_stages(inputs: keras.KerasTensor, *, spec: ArchSpec, bn: BatchNormConfig) -> list[keras.KerasTensor]:
    """The stem and every stage of a chain: what a classifier and a detector on it share.

    The stem uses the network's activation; each block its own
    (`ArchSpec.activation_of`). Layers are named `stem_*` and
    `stage{i}_block{r}_*`.

    Args:
        inputs: The image tensor.
        spec: The architecture (its 1x1 head is not built here).
        bn: BatchNorm settings.

    Returns:
        The output of each stage, by stage index (the last is the chain's deepest feature map).
    """
    act = spec.activation
    x = conv_bn_act(inputs, filters=spec.stem_filters, kernel_size=3, strides=2, activation=act, bn=bn, name="stem")
    outputs = []
    for stage_index, block in enumerate(spec.blocks):
        block_act = spec.activation_of(block)
        for repeat in range(block.num_repeats):
            strides = block.strides if repeat == 0 else 1
            block_name = f"stage{stage_index}_block{repeat}"
            if block.block_fn is BlockFn.CONV:
                x = plain_conv(
                    x,
                    filters=block.output_filters,
                    kernel_size=block.kernel_size,
                    strides=strides,
                    activation=block_act,
                    bn=bn,
                    name=block_name,
                )
            else:
                x = _INVERTED_RESIDUALS[block.block_fn](
                    x,
                    filters=block.output_filters,
                    kernel_size=block.kernel_size,
                    strides=strides,
                    expand_ratio=block.expand_ratio,
                    se_ratio=block.se_ratio,
                    activation=block_act,
                    bn=bn,
                    name=block_name,
                )
        outputs.append(x)
    return outputs
