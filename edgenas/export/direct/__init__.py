"""Timing models written straight from a spec: .tflite files without TensorFlow.

A model that is only timed (predictor collection, measured latency in a search,
scaling) needs the converter's graph, not trained weights. `timing_tflite`
writes that graph from the spec in milliseconds, with seeded random weights and,
for int8, quantisation calibrated on seeded images. A family without a writer
(`Family.timing_graph` returns None; the graphs are `edgenas.graphs`) raises `DirectWriterUnsupportedError`; the
caller falls back to the converter.

Importing this package imports neither TensorFlow nor LiteRT; int8 calibration
runs LiteRT.
"""

from edgenas.export.direct.writer import DirectWriterUnsupportedError, timing_graph, timing_tflite

__all__ = ["DirectWriterUnsupportedError", "timing_graph", "timing_tflite"]
