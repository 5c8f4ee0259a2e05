"""Inference graphs of specs as the TFLite converter lays them out, made from the spec alone (no TensorFlow).

`Graph` and `GraphBuilder` (`edgenas.graphs.graph`) are the plain-data graph
every family's writer emits. Families with a writer (their `timing_graph`):
the chain classifiers (`chain_graph`; `layer_graph` is one of their layers
alone, for per-layer timing), the SpineNet detectors (`spinenet_graph`) and
the chain detectors (`chain_detector_graph`: the chain's stages, the FPN of
`edgenas.graphs.fpn`), both with the RetinaNet head of
`edgenas.graphs.retinanet_head`. A graph that
branches is put in the converter's order by `converter_order`
(`edgenas.graphs.order`). `edgenas.export.direct` writes a graph as a .tflite
file (and a chain classifier's as an .onnx file).
"""

from edgenas.graphs.chain import chain_graph
from edgenas.graphs.chain_detector import chain_detector_graph
from edgenas.graphs.chain_layer import layer_graph
from edgenas.graphs.graph import FusedActivation, Graph, GraphBuilder, OpDef, OpType, Padding, TensorDef, TensorRole
from edgenas.graphs.order import converter_order
from edgenas.graphs.spinenet import spinenet_graph

__all__ = [
    "FusedActivation",
    "Graph",
    "GraphBuilder",
    "OpDef",
    "OpType",
    "Padding",
    "TensorDef",
    "TensorRole",
    "chain_detector_graph",
    "chain_graph",
    "converter_order",
    "layer_graph",
    "spinenet_graph",
]
