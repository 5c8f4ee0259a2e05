"""Keras models from specs. Importing this package imports TensorFlow/Keras."""

from edgenas.models.build import build_keras, register_builder

__all__ = ["build_keras", "register_builder"]
