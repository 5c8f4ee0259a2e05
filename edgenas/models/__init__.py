"""Keras models from specs. Importing this package imports TensorFlow/Keras.

`build_keras` builds any registered family's spec (its `Family.build`); the
builders of each kind are `build_chain` and `build_spinenet` /
`build_spinenet_detector`.
"""

from edgenas.models.build import build_keras
from edgenas.models.chain import build_chain
from edgenas.models.spinenet import build_spinenet, build_spinenet_detector

__all__ = ["build_chain", "build_keras", "build_spinenet", "build_spinenet_detector"]
