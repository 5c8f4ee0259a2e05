"""Timing models written straight from a spec: .tflite and .onnx files without TensorFlow.

A model that is only timed (predictor collection, measured latency in a search,
scaling) needs the converter's graph, not trained weights. `timing_tflite`
writes that graph from the spec in milliseconds, with seeded random weights and,
for int8, quantisation calibrated on seeded images; `timing_onnx` writes the
graph tf2onnx makes (int8: onnxruntime's QDQ quantisation of it). Families with a
writer: the chain classifiers (.tflite and .onnx), the SpineNet detectors and
the chain detectors (FPN; .tflite only: `Family.timing_graph_formats`). A family without a writer
(`Family.timing_graph` returns None; the graphs are `edgenas.graphs`), or asked
for a format its writer does not make, raises `DirectWriterUnsupportedError`; the
caller falls back to the converter.

Importing this package imports neither TensorFlow nor LiteRT; int8 calibration
runs LiteRT.
"""

from edgenas.export.direct.writer import (
    DirectWriterUnsupportedError,
    graph_onnx,
    graph_tflite,
    timing_graph,
    timing_onnx,
    timing_tflite,
)

__all__ = [
    "DIRECT_WRITER_VERSION",
    "DirectWriterUnsupportedError",
    "graph_onnx",
    "graph_tflite",
    "timing_graph",
    "timing_onnx",
    "timing_tflite",
]

DIRECT_WRITER_VERSION = 1
"""Bump whenever the direct writer changes a file's graph or values: it is part of the key of every file it writes."""
