"""`graph_to_onnx`: a `Graph` as the ONNX model tf2onnx makes of the same Keras network, without TensorFlow.

tf2onnx (1.17, opset 17) lays a chain classifier out in NCHW behind one
Transpose of the NHWC input, and keeps some of Keras' structure that the TFLite
converter folds away. The same rules here, node for node:

- a convolution with BatchNorm: Conv (explicit "same" pads, the folded bias),
  then its activation as a node (Relu; ReLU6 as Clip(0, 6));
- a depthwise convolution: Conv with `group` = channels and no bias, then the
  BatchNorm as Mul and Add of [1, C, 1, 1] constants, then the activation;
- an SE module's 1x1 "valid" convolutions on a 1x1 map: a Reshape to
  [1, C, 1, 1] before each, no pads, and no bias (Keras' zero bias is dropped);
- swish: Sigmoid, Mul; hard swish: Add 3, Clip(0, 6), Mul 1/6, Mul;
- MEAN: GlobalAveragePool, with a Squeeze of axes 2 and 3 when the axes go;
- the classifier: MatMul (its zero bias dropped).

int8 is onnxruntime's static QDQ quantisation of this float model, as the
converter path quantises tf2onnx's (`edgenas.export.onnx_quantize`).

No TensorFlow: numpy and onnx.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from edgenas.graphs.graph import FusedActivation, Graph, OpDef, OpType, Padding

__all__ = ["ONNX_OPSET", "PRODUCER", "graph_to_onnx"]

ONNX_OPSET = 17
"""The opset of the converter path's files (`ExportSettings.onnx_opset`)."""
PRODUCER = "edgenas direct"
"""The producer name of every file the direct writer makes (a .tflite file's description says the same)."""


class _Emitter:
    def __init__(self, graph: Graph, seed: int) -> None:
        self.graph = graph
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.names: dict[int, str] = {}
        self.rng = np.random.default_rng(seed)
        self.count = 0
        self.shared_names: set[str] = set()

    def fresh(self, stem: str) -> str:
        self.count += 1
        return f"{stem}__{self.count}"

    def constant(self, stem: str, value: np.ndarray) -> str:
        name = self.fresh(stem)
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def shared(self, name: str, value: np.ndarray) -> str:
        """One initializer for a constant every node of a kind reads (tf2onnx shares them: one QDQ pair in int8)."""
        if name not in self.shared_names:
            self.shared_names.add(name)
            self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def node(self, op_type: str, inputs: list[str], stem: str, **attributes: object) -> str:
        output = self.fresh(stem)
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, **attributes))
        return output

    def activation(self, x: str, activation: FusedActivation, stem: str) -> str:
        if activation is FusedActivation.RELU:
            return self.node("Relu", [x], f"{stem}/relu")
        if activation is FusedActivation.RELU6:
            return self.node("Clip", [x, *self.relu6_bounds()], f"{stem}/relu6")
        return x

    def relu6_bounds(self) -> tuple[str, str]:
        return self.shared("relu6/min", np.array(0.0, np.float32)), self.shared("relu6/max", np.array(6.0, np.float32))

    def op(self, op: OpDef) -> None:
        tensors = self.graph.tensors
        out = tensors[op.outputs[0]]
        x = self.names[op.inputs[0]] if op.inputs else ""
        stem = out.name
        if op.op is OpType.CONV_2D:
            weight, bias = tensors[op.inputs[1]].data, tensors[op.inputs[2]].data
            assert weight is not None and bias is not None
            attributes = _conv_attributes(tensors[op.inputs[0]].shape, weight.shape[1], op)
            if op.padding is Padding.VALID:  # tf2onnx: a Reshape, not a Transpose, for a 1x1 map
                channels = tensors[op.inputs[0]].shape[-1]
                shape = self.constant(f"{stem}/new_shape", np.array([1, channels, 1, 1], np.int64))
                x = self.node("Reshape", [x, shape], f"{stem}/reshape")
            inputs = [x, self.constant(f"{stem}/kernel", np.ascontiguousarray(weight.transpose(0, 3, 1, 2)))]
            if np.any(bias != 0):
                inputs.append(self.constant(f"{stem}/bias", bias))
            y = self.node("Conv", inputs, f"{stem}/conv", **attributes)
            self.names[op.outputs[0]] = self.activation(y, op.activation, stem)
        elif op.op is OpType.DEPTHWISE_CONV_2D:
            weight, bias = tensors[op.inputs[1]].data, tensors[op.inputs[2]].data
            assert weight is not None and bias is not None
            channels = weight.shape[3]
            attributes = _conv_attributes(tensors[op.inputs[0]].shape, weight.shape[1], op, group=channels)
            kernel = self.constant(f"{stem}/depthwise_kernel", np.ascontiguousarray(weight.transpose(3, 0, 1, 2)))
            y = self.node("Conv", [x, kernel], f"{stem}/depthwise", **attributes)
            scale = self.rng.uniform(0.5, 1.5, size=(1, channels, 1, 1)).astype(np.float32)
            y = self.node("Mul", [y, self.constant(f"{stem}/bn_scale", scale)], f"{stem}/bn_mul")
            y = self.node("Add", [y, self.constant(f"{stem}/bn_offset", bias.reshape(1, channels, 1, 1))],
                          f"{stem}/bn_add")  # fmt: skip
            self.names[op.outputs[0]] = self.activation(y, op.activation, stem)
        elif op.op in (OpType.ADD, OpType.MUL):
            kind = "Add" if op.op is OpType.ADD else "Mul"
            self.names[op.outputs[0]] = self.node(kind, [x, self.names[op.inputs[1]]], stem)
        elif op.op is OpType.LOGISTIC:
            self.names[op.outputs[0]] = self.node("Sigmoid", [x], stem)
        elif op.op is OpType.HARD_SWISH:
            y = self.node("Add", [x, self.shared("hard_swish/three", np.full((1, 1, 1, 1), 3.0, np.float32))],
                          f"{stem}/add")  # fmt: skip
            y = self.node("Clip", [y, *self.relu6_bounds()], f"{stem}/relu6")
            y = self.node("Mul", [y, self.shared("hard_swish/sixth", np.array(1 / 6, np.float32))], f"{stem}/scale")
            self.names[op.outputs[0]] = self.node("Mul", [x, y], stem)
        elif op.op is OpType.MEAN:
            y = self.node("GlobalAveragePool", [x], f"{stem}/pool")
            if not op.keep_dims:
                y = self.node("Squeeze", [y, self.constant(f"{stem}/axes", np.array([2, 3], np.int64))],
                              f"{stem}/squeeze")  # fmt: skip
            self.names[op.outputs[0]] = y
        elif op.op is OpType.FULLY_CONNECTED:
            weight = tensors[op.inputs[1]].data
            assert weight is not None
            kernel = self.constant(f"{stem}/kernel", np.ascontiguousarray(weight.T))
            self.names[op.outputs[0]] = self.node("MatMul", [x, kernel], stem)
        else:  # MAX_POOL_2D, CONCATENATION, RESHAPE: detector ops, whose tf2onnx layout this writer does not know
            raise ValueError(f"the direct ONNX writer has no form for {op.op.value} (it writes chain classifiers)")


def _conv_attributes(
    input_shape: tuple[int, ...], kernel_size: int, op: OpDef, *, group: int = 1
) -> dict[str, object]:
    attributes: dict[str, object] = {
        "dilations": [1, 1],
        "strides": [op.strides, op.strides],
        "kernel_shape": [kernel_size, kernel_size],
        "group": group,
    }
    if op.padding is Padding.SAME:
        pads = []
        for size in input_shape[1:3]:
            total = max((math.ceil(size / op.strides) - 1) * op.strides + kernel_size - size, 0)
            pads.append((total // 2, total - total // 2))
        attributes["pads"] = [pads[0][0], pads[1][0], pads[0][1], pads[1][1]]
    return attributes


def graph_to_onnx(graph: Graph, *, output_name: str = "classifier", seed: int = 0) -> onnx.ModelProto:
    """The float ONNX model of `graph`, laid out as tf2onnx lays out the Keras model (see the module docstring).

    Args:
        graph: The graph (one NHWC input, one output).
        output_name: The output's name (tf2onnx names it after the Keras output layer).
        seed: Seed of the constants the TFLite graph folded away (a depthwise convolution's BatchNorm scale).
    """
    emitter = _Emitter(graph, seed)
    source = graph.tensors[graph.inputs[0]]
    emitter.names[graph.inputs[0]] = emitter.node("Transpose", [source.name], "input/nchw", perm=[0, 3, 1, 2])
    for op in graph.ops:
        emitter.op(op)
    last = emitter.nodes[-1]
    last.output[0] = output_name
    result = graph.tensors[graph.outputs[0]]
    onnx_graph = helper.make_graph(
        emitter.nodes,
        "edgenas_direct",
        [helper.make_tensor_value_info(source.name, TensorProto.FLOAT, list(source.shape))],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, _nchw(result.shape))],
        initializer=emitter.initializers,
    )
    model = helper.make_model(
        onnx_graph,
        opset_imports=[helper.make_opsetid("", ONNX_OPSET), helper.make_opsetid("ai.onnx.ml", 2)],
        producer_name=PRODUCER,
    )
    model.ir_version = 8
    return model


def _nchw(shape: tuple[int, ...]) -> list[int]:
    return [shape[0], shape[3], shape[1], shape[2]] if len(shape) == 4 else list(shape)
