"""Keras model -> .tflite (fp32, or full-integer int8 with a representative dataset).

The model is traced once into a concrete function and converted with
`from_concrete_functions` without the model as trackable object: the fastest path
here, and the one whose weights end up as constants (passing the model leaves
them as variables, and the float model then outputs NaN; see shared/stack.md).
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from edgenas.export.settings import Precision

__all__ = ["convert_to_tflite"]


def convert_to_tflite(
    model: keras.Model, path: Path, *, precision: Precision, calibration: np.ndarray
) -> None:
    """Writes `model` as a TFLite flatbuffer to `path`.

    Args:
        model: A Keras model with one image input.
        path: Destination file.
        precision: fp32, or int8 (int8 weights, activations, input and output).
        calibration: Representative images (N, H, W, C) for int8 ranges.
    """
    input_shape = (1, *model.inputs[0].shape[1:])

    @tf.function(input_signature=[tf.TensorSpec(input_shape, tf.float32, name="image")])
    def serve(image: tf.Tensor) -> tf.Tensor:
        return model(image, training=False)

    converter = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()])
    if precision is Precision.INT8:

        def representative() -> object:
            for image in calibration:
                yield [image[np.newaxis]]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    path.write_bytes(converter.convert())
