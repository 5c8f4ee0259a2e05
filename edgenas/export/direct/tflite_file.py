"""`graph_to_tflite`: a `Graph` as a .tflite flatbuffer, fp32 or int8, without TensorFlow.

The file is written with the TFLite schema's generated Python object API, which
ships with `ai-edge-litert`, and `flatbuffers`. Its layout follows the
converter's: one subgraph, every constant in its own buffer (buffer 0 empty),
the op versions the converter writes for each precision, no signature.

int8 follows the converter's full-integer quantisation: int8 input and output;
every activation tensor int8 with one scale and zero point, from ranges
calibrated on seeded images (`edgenas.export.direct.calibration`); kernels
int8 with one symmetric scale per output channel; biases int32 at input scale x
kernel scale; a LOGISTIC's output at the fixed scale 1/256, zero point -128;
an elementwise op's float constant (an unfolded BatchNorm's) int8 with one
scale and zero point from its own range.
MAX_POOL_2D, RESHAPE and CONCATENATION move values without changing them: the
converter gives their inputs and outputs one scale and zero point, those of the
widest range among the tensors they join (a concatenation's output, which holds
every input's range), so that none of them requantises. A tensor calibration
sees constant at zero gets the unit-range scale that `edgenas.export._int8_ranges`
gives the converter's files, so XNNPACK accepts it.

No TensorFlow: numpy, flatbuffers and the schema module.
"""

from __future__ import annotations

from collections.abc import Mapping

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema

from edgenas.graphs.graph import FusedActivation, Graph, OpDef, OpType, Padding, TensorDef, TensorRole

__all__ = ["CONSTANT_ZERO_RANGE", "FP32_OP_VERSIONS", "INT8_OP_VERSIONS", "graph_to_tflite", "quantization_of_range"]

FP32_OP_VERSIONS = {op: 1 for op in OpType}
"""The op versions TF 2.21's converter writes in an fp32 file."""
INT8_OP_VERSIONS = {
    OpType.CONV_2D: 3,
    OpType.DEPTHWISE_CONV_2D: 3,
    OpType.ADD: 2,
    OpType.MUL: 2,
    OpType.MEAN: 2,
    OpType.LOGISTIC: 2,
    OpType.HARD_SWISH: 1,
    OpType.FULLY_CONNECTED: 4,
    OpType.MAX_POOL_2D: 2,
    OpType.CONCATENATION: 2,
    OpType.RESHAPE: 1,
    OpType.RELU: 2,
    OpType.RELU6: 2,
}
"""The op versions TF 2.21's converter writes in a full-integer int8 file (the graph test checks both tables)."""

CONSTANT_ZERO_RANGE = 1e-6
"""A calibrated range narrower than this is a constant zero (the converter's threshold: `ExpandVerySmallRange`)."""
_NOMINAL_SCALE = 2.0**-7  # edgenas.export._int8_ranges.NOMINAL_SCALE (not imported: that module imports tflite)
_LOGISTIC_SCALE, _LOGISTIC_ZERO_POINT = 1.0 / 256.0, -128
_BUFFER_ALIGNMENT = 16  # the schema's force_align on Buffer.data

_ACTIVATIONS = {
    FusedActivation.NONE: schema.ActivationFunctionType.NONE,
    FusedActivation.RELU: schema.ActivationFunctionType.RELU,
    FusedActivation.RELU6: schema.ActivationFunctionType.RELU6,
}
_PADDINGS = {Padding.SAME: schema.Padding.SAME, Padding.VALID: schema.Padding.VALID}


def quantization_of_range(low: float, high: float) -> tuple[float, int]:
    """The int8 scale and zero point of an activation calibrated to [low, high] (the range is widened to hold 0).

    A range narrower than `CONSTANT_ZERO_RANGE` gets the unit-range scale and zero point 0.
    """
    low, high = min(float(low), 0.0), max(float(high), 0.0)
    if high - low < CONSTANT_ZERO_RANGE:
        return _NOMINAL_SCALE, 0
    scale = (high - low) / 255.0
    zero_point = int(np.clip(_round(np.float64(-128 - low / scale)), -128, 127))
    return scale, zero_point


def _round(values: np.ndarray) -> np.ndarray:
    """Rounds half away from zero, as the converter's quantiser (C++ `std::round`) does, where numpy rounds to even."""
    return np.sign(values) * np.floor(np.abs(values) + 0.5)


def _aligned_bytes(builder: flatbuffers.Builder, payload: np.ndarray) -> int:
    """A ubyte vector of the array's bytes, 16-byte aligned, copied once (no intermediate `bytes`)."""
    raw = np.ascontiguousarray(payload).reshape(-1).view(np.uint8)
    builder.StartVector(1, raw.size, _BUFFER_ALIGNMENT)
    builder.head = builder.head - raw.size
    builder.Bytes[builder.head : builder.head + raw.size] = memoryview(raw)
    builder.vectorNumElems = raw.size
    return builder.EndVector()


class _Writer:
    def __init__(self, graph: Graph, ranges: Mapping[int, tuple[float, float]] | None) -> None:
        self.graph = graph
        self.int8 = ranges is not None
        self.ranges = ranges or {}
        self.activation_q: dict[int, tuple[float, int]] = {}
        self.weight_scales: dict[int, np.ndarray] = {}
        self.payloads: list[np.ndarray | None] = [None]  # buffer 0: the empty sentinel
        self.tensors: list[schema.TensorT] = []

    def activation_quantization(self, index: int) -> tuple[float, int]:
        if index not in self.activation_q:
            low, high = self.ranges[index]
            self.activation_q[index] = quantization_of_range(low, high)
        return self.activation_q[index]

    def plan_quantization(self) -> None:
        """Fixed output scales first (LOGISTIC), then one shared scale per group of tensors joined by ops that
        only move values (`_SAME_SCALE_OPS`), from the union of their ranges."""
        for op in self.graph.ops:
            if op.op is OpType.LOGISTIC:
                self.activation_q[op.outputs[0]] = (_LOGISTIC_SCALE, _LOGISTIC_ZERO_POINT)
        for members in _same_scale_groups(self.graph):
            if len(members) == 1:
                continue
            low = min(self.ranges[i][0] for i in members)
            high = max(self.ranges[i][1] for i in members)
            shared = quantization_of_range(low, high)
            for index in members:
                self.activation_q[index] = shared

    def tensor(self, index: int, tensor: TensorDef, bias_input_scale: float | None, bias_weight: int | None) -> None:
        t = schema.TensorT()
        t.shape = np.asarray(tensor.shape, dtype=np.int32)
        t.name = tensor.name
        t.buffer = 0
        t.type = schema.TensorType.FLOAT32
        quant = None
        if tensor.role is TensorRole.AXES:
            t.type = schema.TensorType.INT32
            t.buffer = self._buffer(np.asarray(tensor.data, dtype=np.int32))
        elif tensor.role is TensorRole.ACTIVATION:
            if self.int8:
                t.type = schema.TensorType.INT8
                scale, zero_point = self.activation_quantization(index)
                quant = _quantization([scale], [zero_point], 0)
        elif tensor.role is TensorRole.CONSTANT:
            assert tensor.data is not None
            if self.int8:
                t.type = schema.TensorType.INT8
                data, scale, zero_point = _per_tensor_int8(tensor.data)
                t.buffer = self._buffer(data)
                quant = _quantization([scale], [zero_point], 0)
            else:
                t.buffer = self._buffer(np.asarray(tensor.data, dtype=np.float32))
        elif tensor.role is TensorRole.WEIGHT:
            assert tensor.data is not None
            if self.int8:
                t.type = schema.TensorType.INT8
                data, scales = _per_channel_int8(tensor.data, tensor.channel_axis)
                self.weight_scales[index] = scales
                t.buffer = self._buffer(data)
                quant = _quantization(scales.tolist(), [0] * len(scales), tensor.channel_axis)
            else:
                t.buffer = self._buffer(np.asarray(tensor.data, dtype=np.float32))
        else:  # bias
            assert tensor.data is not None
            if self.int8:
                assert bias_input_scale is not None and bias_weight is not None
                scales = bias_input_scale * self.weight_scales[bias_weight]
                data = np.clip(_round(tensor.data / scales), -(2**31), 2**31 - 1).astype(np.int32)
                t.type = schema.TensorType.INT32
                t.buffer = self._buffer(data)
                quant = _quantization(scales.tolist(), [0] * len(scales), 0)
            else:
                t.buffer = self._buffer(np.asarray(tensor.data, dtype=np.float32))
        t.quantization = quant
        t.hasRank = True
        self.tensors.append(t)

    def _buffer(self, payload: np.ndarray) -> int:
        self.payloads.append(payload)
        return len(self.payloads) - 1

    def write(self, description: str) -> bytes:
        graph = self.graph
        if self.int8:
            self.plan_quantization()
        # A bias's scale needs its op's input scale and kernel scales: the kernel precedes the bias in `tensors`.
        bias_of: dict[int, tuple[int, int]] = {}
        for op in graph.ops:
            if op.op in (OpType.CONV_2D, OpType.DEPTHWISE_CONV_2D, OpType.FULLY_CONNECTED) and op.inputs[2] >= 0:
                bias_of[op.inputs[2]] = (op.inputs[0], op.inputs[1])
        for index, tensor in enumerate(graph.tensors):
            source, weight = bias_of.get(index, (None, None))
            input_scale = self.activation_quantization(source)[0] if self.int8 and source is not None else None
            self.tensor(index, tensor, input_scale, weight)
        versions = INT8_OP_VERSIONS if self.int8 else FP32_OP_VERSIONS
        kinds = list(dict.fromkeys(op.op for op in graph.ops))
        codes = []
        for kind in kinds:
            code = schema.OperatorCodeT()
            code.builtinCode = getattr(schema.BuiltinOperator, kind.value)
            code.deprecatedBuiltinCode = min(code.builtinCode, 127)
            code.version = versions[kind]
            codes.append(code)
        subgraph = schema.SubGraphT()
        subgraph.tensors = self.tensors
        subgraph.inputs = np.asarray(graph.inputs, dtype=np.int32)
        subgraph.outputs = np.asarray(graph.outputs, dtype=np.int32)
        subgraph.operators = [_operator(op, kinds.index(op.op)) for op in graph.ops]
        subgraph.name = "main"
        model = schema.ModelT()
        model.version = 3
        model.description = description
        model.operatorCodes = codes
        model.subgraphs = [subgraph]
        builder = flatbuffers.Builder(sum(p.nbytes for p in self.payloads if p is not None) + 65536)
        # Buffers are packed by hand so that their data is 16-byte aligned (the schema's force_align).
        buffer_offsets = []
        for payload in self.payloads:
            data = _aligned_bytes(builder, payload) if payload is not None else None
            schema.BufferStart(builder)
            if data is not None:
                schema.BufferAddData(builder, data)
            buffer_offsets.append(schema.BufferEnd(builder))
        model.buffers = []
        packed = _pack_model(builder, model, buffer_offsets)
        builder.Finish(packed, file_identifier=b"TFL3")
        return bytes(builder.Output())


def _pack_model(builder: flatbuffers.Builder, model: schema.ModelT, buffer_offsets: list[int]) -> int:
    """`ModelT.Pack` with the buffers already in the builder (at `buffer_offsets`)."""
    codes = [code.Pack(builder) for code in model.operatorCodes]
    schema.ModelStartOperatorCodesVector(builder, len(codes))
    for offset in reversed(codes):
        builder.PrependUOffsetTRelative(offset)
    codes_vector = builder.EndVector()
    subgraphs = [subgraph.Pack(builder) for subgraph in model.subgraphs]
    schema.ModelStartSubgraphsVector(builder, len(subgraphs))
    for offset in reversed(subgraphs):
        builder.PrependUOffsetTRelative(offset)
    subgraphs_vector = builder.EndVector()
    description = builder.CreateString(model.description)
    schema.ModelStartBuffersVector(builder, len(buffer_offsets))
    for offset in reversed(buffer_offsets):
        builder.PrependUOffsetTRelative(offset)
    buffers_vector = builder.EndVector()
    schema.ModelStart(builder)
    schema.ModelAddVersion(builder, model.version)
    schema.ModelAddOperatorCodes(builder, codes_vector)
    schema.ModelAddSubgraphs(builder, subgraphs_vector)
    schema.ModelAddDescription(builder, description)
    schema.ModelAddBuffers(builder, buffers_vector)
    return schema.ModelEnd(builder)


_SAME_SCALE_OPS = (OpType.MAX_POOL_2D, OpType.RESHAPE, OpType.CONCATENATION)
"""Ops whose int8 inputs and outputs share one scale and zero point (their data operands; a RESHAPE's shape
is an int32 constant)."""


def _same_scale_groups(graph: Graph) -> list[list[int]]:
    """The activation tensors joined by `_SAME_SCALE_OPS`, as groups (a union-find over their operands)."""
    parent: dict[int, int] = {}

    def root(index: int) -> int:
        parent.setdefault(index, index)
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for op in graph.ops:
        if op.op not in _SAME_SCALE_OPS:
            continue
        operands = [i for i in (*op.inputs, *op.outputs) if graph.tensors[i].role is TensorRole.ACTIVATION]
        first = root(operands[0])
        for index in operands[1:]:
            parent[root(index)] = first
    groups: dict[int, list[int]] = {}
    for index in parent:
        groups.setdefault(root(index), []).append(index)
    return list(groups.values())


def _quantization(scales: list[float], zero_points: list[int], axis: int) -> schema.QuantizationParametersT:
    q = schema.QuantizationParametersT()
    q.scale = np.asarray(scales, dtype=np.float32)
    q.zeroPoint = np.asarray(zero_points, dtype=np.int64)
    q.quantizedDimension = axis
    return q


def _per_channel_int8(weights: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per output channel: values in [-127, 127], scale max|w| / 127."""
    moved = np.moveaxis(weights, axis, 0).reshape(weights.shape[axis], -1)
    scales = np.abs(moved).max(axis=1) / 127.0
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    shape = [1] * weights.ndim
    shape[axis] = -1
    quantised = np.clip(_round(weights / scales.reshape(shape)), -127, 127).astype(np.int8)
    return np.ascontiguousarray(quantised), scales


def _per_tensor_int8(values: np.ndarray) -> tuple[np.ndarray, float, int]:
    """An elementwise op's float constant as int8 with one scale and zero point, from its own range."""
    scale, zero_point = quantization_of_range(float(values.min()), float(values.max()))
    quantised = np.clip(_round(values / scale) + zero_point, -128, 127).astype(np.int8)
    return np.ascontiguousarray(quantised), scale, zero_point


_OPTIONS = {
    OpType.CONV_2D: schema.Conv2DOptionsT,
    OpType.DEPTHWISE_CONV_2D: schema.DepthwiseConv2DOptionsT,
    OpType.ADD: schema.AddOptionsT,
    OpType.MUL: schema.MulOptionsT,
    OpType.MEAN: schema.ReducerOptionsT,
    OpType.HARD_SWISH: schema.HardSwishOptionsT,
    OpType.FULLY_CONNECTED: schema.FullyConnectedOptionsT,
    OpType.MAX_POOL_2D: schema.Pool2DOptionsT,
    OpType.CONCATENATION: schema.ConcatenationOptionsT,
}
"""Each op's options table (LOGISTIC, RELU, RELU6 and RESHAPE have none: the converter writes a RESHAPE's new
shape as its second input only); the union's type is the class name without its "T"."""


def _operator(op: OpDef, code_index: int) -> schema.OperatorT:
    o = schema.OperatorT()
    o.opcodeIndex = code_index
    o.inputs = np.asarray(op.inputs, dtype=np.int32)
    o.outputs = np.asarray(op.outputs, dtype=np.int32)
    options_type = _OPTIONS.get(op.op)
    if options_type is None:
        return o
    options = options_type()
    if op.op in (OpType.CONV_2D, OpType.DEPTHWISE_CONV_2D):
        options.padding, options.strideH, options.strideW = _PADDINGS[op.padding], op.strides, op.strides
    if op.op is OpType.DEPTHWISE_CONV_2D:
        options.depthMultiplier = 1
    if op.op is OpType.MEAN:
        options.keepDims = op.keep_dims
    if op.op is OpType.MAX_POOL_2D:
        options.padding, options.strideH, options.strideW = _PADDINGS[op.padding], op.strides, op.strides
        options.filterHeight = options.filterWidth = op.pool_size
    if op.op is OpType.CONCATENATION:
        options.axis = op.axis
    if hasattr(options, "fusedActivationFunction"):
        options.fusedActivationFunction = _ACTIVATIONS[op.activation]
    o.builtinOptionsType = getattr(schema.BuiltinOptions, options_type.__name__[:-1])
    o.builtinOptions = options
    return o


def graph_to_tflite(
    graph: Graph, *, ranges: Mapping[int, tuple[float, float]] | None = None, description: str = "edgenas direct"
) -> bytes:
    """The .tflite bytes of `graph`: fp32 without `ranges`, full-integer int8 with them.

    Args:
        graph: The graph.
        ranges: For int8: the calibrated (min, max) of every activation tensor, by tensor index.
        description: The model's description string.
    """
    return _Writer(graph, ranges).write(description)
