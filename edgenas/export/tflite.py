"""Keras model -> .tflite (fp32, or full-integer int8 with a representative dataset).

The model is traced once into a concrete function and converted with
`from_concrete_functions` without the model as trackable object: the fastest path
here, and the one whose weights end up as constants (passing the model leaves
them as variables, and the float model then outputs NaN; see shared/stack.md).

A model with dict outputs (the SpineNet RetinaNet detector: `class_outputs`,
`box_outputs`) would come out of that path with its outputs in sorted-key order
and named `Identity`, `Identity_1`. It is converted from its frozen graph
instead, with each output renamed to its key: the .tflite output tensors are
named exactly as the dict keys, in the model's own output order (the detector:
`class_outputs` then `box_outputs`), with no SignatureDef. Read them by name,
`{d["name"]: d for d in interpreter.get_output_details()}`.

An int8 file's tensors that calibration saw constant at zero get a usable scale
(`_int8_ranges`): with the quantizer's own choice XNNPACK refused the file.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

from edgenas.errors import ExportError
from edgenas.export._int8_ranges import widen_constant_zero_ranges
from edgenas.export.settings import Precision

__all__ = ["convert_to_tflite"]


def convert_to_tflite(
    model: keras.Model, path: Path, *, precision: Precision, calibration: np.ndarray
) -> None:
    """Writes `model` as a TFLite flatbuffer to `path`.

    Args:
        model: A Keras model with one image input, and one output or a dict of
            outputs (those keep their keys as tensor names, see the module docstring).
        path: Destination file.
        precision: fp32, or int8 (int8 weights, activations, input and output;
            an activation that is zero on every calibration image gets a unit
            range, see `_int8_ranges`, so that XNNPACK can run the file).
        calibration: Representative images (N, H, W, C) for int8 ranges.
    """
    input_shape = (1, *model.inputs[0].shape[1:])

    @tf.function(input_signature=[tf.TensorSpec(input_shape, tf.float32, name="image")])
    def serve(image: tf.Tensor) -> tf.Tensor:
        return model(image, training=False)

    concrete = serve.get_concrete_function()
    if isinstance(model.output, dict):
        converter = _named_outputs_converter(concrete, input_shape, output_names=list(model.output))
    else:
        converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    if precision is Precision.INT8:

        def representative() -> object:
            for image in calibration:
                yield [image[np.newaxis]]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
        path.write_bytes(widen_constant_zero_ranges(converter.convert()))
        return
    path.write_bytes(converter.convert())


def _named_outputs_converter(
    concrete: tf.types.experimental.ConcreteFunction, input_shape: tuple[int, ...], *, output_names: list[str]
) -> tf.lite.TFLiteConverter:
    """A converter of the frozen graph whose outputs are `tf.identity` tensors named `output_names`, in that order.

    Args:
        concrete: The traced model; its structured outputs are a dict keyed by `output_names`.
        input_shape: The input's shape, batch included.
        output_names: The dict's keys in the order the .tflite file lists its outputs.
    """
    frozen = convert_variables_to_constants_v2(concrete)
    structured = concrete.structured_outputs
    # The frozen function's flat outputs follow tf.nest's order of the dict (sorted keys).
    flat_names = tf.nest.flatten({name: name for name in structured})
    if sorted(flat_names) != sorted(output_names) or len(frozen.inputs) != 1:
        raise ExportError(
            f"cannot name the outputs {output_names} of a model whose traced outputs are {flat_names} "
            f"and inputs {[t.name for t in frozen.inputs]}"
        )
    graph = tf.Graph()
    with graph.as_default():
        image = tf.compat.v1.placeholder(tf.float32, shape=input_shape, name="image")
        flat = tf.graph_util.import_graph_def(
            frozen.graph.as_graph_def(),
            input_map={frozen.inputs[0].name: image},
            return_elements=[tensor.name for tensor in frozen.outputs],
            name="model",
        )
        by_name = dict(zip(flat_names, flat))
        outputs = [tf.identity(by_name[name], name=name) for name in output_names]
    return tf.compat.v1.lite.TFLiteConverter(graph.as_graph_def(), [image], outputs)
