"""Inference graphs of specs as the TFLite converter lays them out, made from the spec alone (no TensorFlow).

`Graph` and `GraphBuilder` (`edgenas.graphs.graph`) are the plain-data graph
every family's writer emits; `chain_graph` is the chain classifiers' writer
(the family's `timing_graph`), and `layer_graph` one of its layers alone (for per-layer timing). `edgenas.export.direct` writes a graph as a
.tflite file.
"""

from edgenas.graphs.chain import chain_graph
from edgenas.graphs.chain_layer import layer_graph
from edgenas.graphs.graph import FusedActivation, Graph, GraphBuilder, OpDef, OpType, Padding, TensorDef, TensorRole

__all__ = [
    "FusedActivation",
    "Graph",
    "GraphBuilder",
    "OpDef",
    "OpType",
    "Padding",
    "TensorDef",
    "TensorRole",
    "chain_graph",
    "layer_graph",
]
