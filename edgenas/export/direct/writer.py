"""`timing_tflite` / `timing_onnx`: spec -> the bytes of its timing model, through the spec's family.

No TensorFlow. A .tflite fp32 file is the graph's as it is; int8 runs the fp32
file in LiteRT on seeded images for the activation ranges, then writes the
quantised file. An .onnx fp32 file is the graph in tf2onnx's layout; int8 is
onnxruntime's static QDQ quantisation of it, calibrated on the same images.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from edgenas.errors import ExportError, SpecError
from edgenas.export.direct.calibration import calibrate_ranges, seeded_images
from edgenas.graphs.graph import Graph
from edgenas.export.direct.onnx_file import PRODUCER, graph_to_onnx
from edgenas.export.direct.tflite_file import graph_to_tflite
from edgenas.export.settings import ModelFormat, Precision
from edgenas.families import family_of, families
from edgenas.specs.enums import coerce_enum

__all__ = [
    "CALIBRATION_IMAGES",
    "DirectWriterUnsupportedError",
    "graph_onnx",
    "graph_tflite",
    "timing_graph",
    "timing_onnx",
    "timing_tflite",
]

CALIBRATION_IMAGES = 2
"""Seeded images that calibrate an int8 file's ranges (the converter path's BatchNorm calibration uses two too)."""


class DirectWriterUnsupportedError(ExportError):
    """The spec's family has no direct writer: its timing model must come from the converter."""


def timing_graph(
    spec: Any, *, input_shape: tuple[int, int, int] | None = None, num_classes: int | None = None, seed: int = 0
) -> Graph:
    """The converter's graph of `spec`, with seeded random weights.

    `input_shape` and `num_classes` default to the family's deployment ones.

    Raises:
        DirectWriterUnsupportedError: If the spec's family has no direct writer (the message lists those that do).
        SpecError: If the family refuses the input shape or class count, or the count is not positive.
    """
    family = family_of(spec)
    input_shape = family.deployment.input_shape if input_shape is None else input_shape
    num_classes = family.deployment.num_classes if num_classes is None else num_classes
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise SpecError(f"num_classes must be a positive integer, got {num_classes!r}")
    shape = family.check_input(spec, input_shape=input_shape, num_classes=num_classes)
    graph = family.timing_graph(spec, input_shape=shape, num_classes=num_classes, seed=seed)
    if graph is None:
        have = ", ".join(f.name for f in families() if f.has_timing_graph) or "none"
        raise DirectWriterUnsupportedError(
            f"the {family.name} family has no direct writer (families with one: {have}); use the converter"
        )
    return graph


def timing_tflite(
    spec: Any,
    *,
    precision: Precision | str,
    input_shape: tuple[int, int, int] | None = None,
    num_classes: int | None = None,
    seed: int = 0,
) -> bytes:
    """The .tflite bytes of `spec`'s timing model, written without TensorFlow.

    Args:
        spec: A spec of a family with a direct writer.
        precision: fp32, or int8 (full-integer: int8 input and output).
        input_shape: Height, width, channels (default: the family's deployment input).
        num_classes: Classes (default: the family's deployment count).
        seed: Seed of the weights and of the calibration images.

    Raises:
        DirectWriterUnsupportedError: If the spec's family has no direct writer.
        SpecError: If the family refuses the input shape or class count.
    """
    precision = coerce_enum(Precision, precision, field="precision")
    graph = timing_graph(spec, input_shape=input_shape, num_classes=num_classes, seed=seed)
    return graph_tflite(graph, precision=precision, seed=seed)


def graph_tflite(graph: Graph, *, precision: Precision | str, seed: int = 0) -> bytes:
    """The .tflite bytes of a graph: fp32, or int8 calibrated on `CALIBRATION_IMAGES` images drawn with `seed`."""
    precision = coerce_enum(Precision, precision, field="precision")
    fp32 = graph_to_tflite(graph)
    if precision is Precision.FP32:
        return fp32
    images = seeded_images(input_shape=graph.tensors[graph.inputs[0]].shape[1:], count=CALIBRATION_IMAGES, seed=seed)
    return graph_to_tflite(graph, ranges=calibrate_ranges(graph, fp32, images))


def timing_onnx(
    spec: Any,
    *,
    precision: Precision | str,
    input_shape: tuple[int, int, int] | None = None,
    num_classes: int | None = None,
    seed: int = 0,
) -> bytes:
    """The .onnx bytes of `spec`'s timing model (tf2onnx's layout), written without TensorFlow.

    Arguments and errors as `timing_tflite`; int8 is QDQ (onnxruntime's static quantisation).

    Raises:
        DirectWriterUnsupportedError: Also for a family whose direct writer makes no .onnx files
            (`Family.timing_graph_formats`).
    """
    precision = coerce_enum(Precision, precision, field="precision")
    family = family_of(spec)
    if family.has_timing_graph and ModelFormat.ONNX not in family.timing_graph_formats:
        formats = ", ".join(family.timing_graph_formats)
        raise DirectWriterUnsupportedError(
            f"the {family.name} family's direct writer makes {formats} files only, no onnx; use the converter"
        )
    graph = timing_graph(spec, input_shape=input_shape, num_classes=num_classes, seed=seed)
    return graph_onnx(graph, precision=precision, seed=seed)


def graph_onnx(graph: Graph, *, precision: Precision | str, seed: int = 0) -> bytes:
    """The .onnx bytes of a graph: fp32, or int8 QDQ calibrated on `CALIBRATION_IMAGES` images drawn with `seed`."""
    precision = coerce_enum(Precision, precision, field="precision")
    model = graph_to_onnx(graph, seed=seed).SerializeToString()
    if precision is Precision.FP32:
        return model
    import onnx  # noqa: PLC0415

    from edgenas.export.onnx_quantize import quantize_static  # noqa: PLC0415 - onnxruntime on use

    images = seeded_images(input_shape=graph.tensors[graph.inputs[0]].shape[1:], count=CALIBRATION_IMAGES, seed=seed)
    with tempfile.TemporaryDirectory(prefix="edgenas-direct-onnx-") as folder:
        float_path, int8_path = Path(folder) / "float.onnx", Path(folder) / "int8.onnx"
        float_path.write_bytes(model)
        quantize_static(float_path, int8_path, images)
        quantized = onnx.load(int8_path)
    quantized.producer_name = PRODUCER  # the quantiser names itself; the file says who wrote the graph
    return quantized.SerializeToString()
