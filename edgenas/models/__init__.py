"""Keras models from specs. Importing this package imports TensorFlow/Keras."""

from edgenas.models.build import build_keras, register_builder
from edgenas.models.spinenet import build_spinenet, build_spinenet_detector  # also registers their builders

__all__ = ["build_keras", "build_spinenet", "build_spinenet_detector", "register_builder"]
