"""`build_keras`: the Keras model of any spec, built by its family (`Family.build`).

Importing this module imports TensorFlow/Keras.
"""

from __future__ import annotations

from typing import Any

import keras

from edgenas.export.memory import check_fits_in_memory
from edgenas.families import family_of

__all__ = ["build_keras"]


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
        spec: The architecture: a spec of any registered family (`edgenas.families`), whose `build` it calls.
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
        UnknownNameError: If no family owns the spec's type; the message lists the types that have one.
        SpecError: On an input shape the network cannot take.
        ModelTooLargeError: If the network cannot fit in this machine's memory
            (`edgenas.export.memory.check_fits_in_memory`); checked before building.
    """
    family = family_of(spec)
    if isinstance(num_classes, int) and num_classes >= 0:  # the builder refuses the others in its own words
        check_fits_in_memory(spec, input_shape=input_shape, num_classes=num_classes)
    return family.build(
        spec,
        input_shape=input_shape,
        num_classes=num_classes,
        bn_momentum=bn_momentum,
        dropout_rate=dropout_rate,
        classifier_activation=classifier_activation,
        name=name,
    )
