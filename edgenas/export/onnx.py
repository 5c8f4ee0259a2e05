"""Keras model -> .onnx (fp32 through tf2onnx; int8 by onnxruntime's static QDQ quantisation).

A model with dict outputs (the SpineNet RetinaNet detector) gets ONNX outputs
named by its keys; tf2onnx lists them in sorted-key order, and they are put back
in the model's own output order (the detector: `class_outputs`, then
`box_outputs`), the order of the .tflite export too.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from edgenas.errors import ExportError
from edgenas.export.onnx_quantize import quantize_static
from edgenas.export.settings import Precision

__all__ = ["convert_to_onnx"]


def convert_to_onnx(
    model: keras.Model,
    path: Path,
    *,
    precision: Precision,
    calibration: np.ndarray,
    opset: int,
    float_model: Path | None = None,
) -> None:
    """Writes `model` as an ONNX file to `path`.

    Args:
        model: A Keras model with one image input, and one output or a dict of outputs.
        path: Destination file.
        precision: fp32, or int8 (per-channel symmetric int8 weights and int8 activations, QDQ format).
        calibration: Representative images (N, H, W, C) for int8 ranges.
        opset: ONNX opset.
        float_model: int8 only: an fp32 .onnx file this function already wrote for
            the same model and opset; it is quantised instead of converting the
            model again (the slow part; the result is the same file).
    """
    if precision is Precision.FP32:
        _convert_float(model, path, opset=opset)
        return
    if float_model is not None:
        quantize_static(Path(float_model), path, calibration)
        return
    with tempfile.TemporaryDirectory(prefix="edgenas-onnx-") as tmp:
        float_path = Path(tmp) / "float.onnx"
        _convert_float(model, float_path, opset=opset)
        quantize_static(float_path, path, calibration)


def _convert_float(model: keras.Model, path: Path, *, opset: int) -> None:
    import tf2onnx  # noqa: PLC0415  (heavy; only on this path)

    signature = [tf.TensorSpec((1, *model.inputs[0].shape[1:]), tf.float32, name="image")]
    tf2onnx.convert.from_keras(model, input_signature=signature, opset=opset, output_path=str(path))
    if isinstance(model.output, dict):
        _order_outputs(path, list(model.output))


def _order_outputs(path: Path, names: list[str]) -> None:
    """Rewrites the ONNX file so that its graph lists its outputs in the order `names`."""
    import onnx  # noqa: PLC0415

    proto = onnx.load(str(path))
    by_name = {}
    for output in proto.graph.output:
        copy = onnx.ValueInfoProto()
        copy.CopyFrom(output)
        by_name[output.name] = copy
    if sorted(by_name) != sorted(names):
        raise ExportError(f"tf2onnx named the outputs {sorted(by_name)}, expected the model's {names}")
    if list(by_name) == names:
        return
    del proto.graph.output[:]
    proto.graph.output.extend(by_name[name] for name in names)
    onnx.save(proto, str(path))
