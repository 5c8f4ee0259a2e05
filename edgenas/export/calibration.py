"""Seeded calibration data and BatchNorm calibration of freshly built models.

A network with random weights and untrained BatchNorm statistics can give a
constant output; running one batch in training mode with momentum 0 sets every
BatchNorm layer's statistics to that batch's, so that inference outputs vary
with the input and runtimes can be compared on them.
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["calibrate_batchnorm", "calibration_images"]


def calibration_images(*, input_shape: tuple[int, int, int], count: int, seed: int) -> np.ndarray:
    """`count` seeded images with values in [-1, 1), shape (count, H, W, C), float32."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, size=(count, *input_shape)).astype(np.float32)


def calibrate_batchnorm(model: keras.Model, images: np.ndarray) -> None:
    """Sets every BatchNorm layer's moving statistics to those of `images`."""
    layers = [layer for layer in _all_layers(model) if isinstance(layer, keras.layers.BatchNormalization)]
    saved = [layer.momentum for layer in layers]
    try:
        for layer in layers:
            layer.momentum = 0.0
        model(images, training=True)
    finally:
        for layer, momentum in zip(layers, saved):
            layer.momentum = momentum


def _all_layers(model: keras.Model) -> list[keras.layers.Layer]:
    found = []
    for layer in model.layers:
        found.append(layer)
        if isinstance(layer, keras.Model):
            found.extend(_all_layers(layer))
    return found
