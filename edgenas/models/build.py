"""Builds Keras models from specs; one builder per spec type, found by registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from edgenas.errors import DuplicateNameError, SpecError, UnknownNameError
from edgenas.export.memory import check_fits_in_memory
from edgenas.models.layers import BatchNormConfig, conv_bn_act, mbconv, plain_conv
from edgenas.specs import ArchSpec, BlockFn

__all__ = ["build_keras", "register_builder"]

Builder = Callable[..., keras.Model]
_BUILDERS: dict[type, Builder] = {}


def register_builder(spec_type: type, builder: Builder) -> None:
    """Registers the Keras builder of a spec type.

    Raises:
        DuplicateNameError: If the type already has a builder.
    """
    if spec_type in _BUILDERS:
        raise DuplicateNameError(f"a builder for {spec_type.__name__} is already registered")
    _BUILDERS[spec_type] = builder


def build_keras(
    spec: Any,
    *,
    input_shape: tuple[int, int, int] = (224, 224, 3),
    num_classes: int = 1000,
    bn_momentum: float = 0.99,
    dropout_rate: float = 0.0,
    classifier_activation: str | None = None,
    name: str | None = None,
) -> keras.Model:
    """Builds the Keras model of a spec, with fresh random weights.

    Args:
        spec: The architecture (an `ArchSpec`, or any spec type with a builder).
        input_shape: Height, width, channels of one input image.
        num_classes: Classifier outputs; 0 builds the backbone and head without
            the classifier (the output is the pooled feature vector).
        bn_momentum: BatchNorm momentum (0.9 suits a few hundred proxy steps).
        dropout_rate: Dropout before the classifier.
        classifier_activation: None for logits, or a Keras activation name such as "softmax".
        name: Model name (default: "edgenas_" + the first 12 hex digits of the spec digest).

    Returns:
        An uncompiled `keras.Model`.

    Raises:
        UnknownNameError: If no builder handles the spec's type.
        SpecError: On an input shape the network cannot take.
        ModelTooLargeError: If the network cannot fit in this machine's memory
            (`edgenas.export.memory.check_fits_in_memory`); checked before building.
    """
    builder = _BUILDERS.get(type(spec))
    if builder is None:
        known = ", ".join(t.__name__ for t in _BUILDERS)
        raise UnknownNameError(f"no Keras builder for {type(spec).__name__}; builders exist for: {known}")
    if isinstance(num_classes, int) and num_classes >= 0:  # the builder refuses the others in its own words
        check_fits_in_memory(spec, input_shape=input_shape, num_classes=num_classes)
    return builder(
        spec,
        input_shape=input_shape,
        num_classes=num_classes,
        bn_momentum=bn_momentum,
        dropout_rate=dropout_rate,
        classifier_activation=classifier_activation,
        name=name,
    )


def _build_chain(
    spec: ArchSpec,
    *,
    input_shape: tuple[int, int, int],
    num_classes: int,
    bn_momentum: float,
    dropout_rate: float,
    classifier_activation: str | None,
    name: str | None,
) -> keras.Model:
    input_shape = spec.check_input_shape(input_shape)
    if num_classes < 0:
        raise SpecError(f"num_classes must be non-negative, got {num_classes}")
    bn = BatchNormConfig(momentum=bn_momentum)
    act = spec.activation
    inputs = keras.Input(shape=tuple(int(v) for v in input_shape), name="image")
    x = conv_bn_act(inputs, filters=spec.stem_filters, kernel_size=3, strides=2, activation=act, bn=bn, name="stem")
    for stage_index, block in enumerate(spec.blocks):
        for repeat in range(block.num_repeats):
            strides = block.strides if repeat == 0 else 1
            block_name = f"stage{stage_index}_block{repeat}"
            if block.block_fn is BlockFn.CONV:
                x = plain_conv(
                    x,
                    filters=block.output_filters,
                    kernel_size=block.kernel_size,
                    strides=strides,
                    activation=act,
                    bn=bn,
                    name=block_name,
                )
            else:
                x = mbconv(
                    x,
                    filters=block.output_filters,
                    kernel_size=block.kernel_size,
                    strides=strides,
                    expand_ratio=block.expand_ratio,
                    se_ratio=block.se_ratio,
                    activation=act,
                    bn=bn,
                    name=block_name,
                )
    x = conv_bn_act(x, filters=spec.head_filters, kernel_size=1, strides=1, activation=act, bn=bn, name="head")
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    if num_classes:
        if dropout_rate > 0:
            x = keras.layers.Dropout(dropout_rate, name="dropout")(x)
        x = keras.layers.Dense(num_classes, activation=classifier_activation, name="classifier")(x)
    return keras.Model(inputs, x, name=name or f"edgenas_{spec.digest()[:12]}")


register_builder(ArchSpec, _build_chain)
