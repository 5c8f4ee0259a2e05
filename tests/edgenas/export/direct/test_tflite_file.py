"""`graph_to_tflite`: quantisation of the converter's kind, 16-byte aligned buffers, biases at input x kernel scale."""

from __future__ import annotations

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

from edgenas.export.direct import timing_graph, timing_tflite
from edgenas.families import parse_spec
from edgenas.export.direct.tflite_file import graph_to_tflite, quantization_of_range

_SPEC = "swish-stem8-mbconv_r1_k3_s1_e1_se0.25_c8-fused_mbconv_r2_k3_s2_e4_se0_c16-head32"


def _model(content: bytes) -> schema.ModelT:
    return schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(content, 0))


@pytest.mark.parametrize(
    ("low", "high", "scale", "zero_point"),
    [
        (-1.0, 1.0, 2 / 255, -1),  # the converter's input quantisation for images in [-1, 1)
        (0.0, 6.0, 6 / 255, -128),  # a ReLU6 output
        (0.5, 2.0, 2 / 255, -128),  # a range is widened to hold 0
        (-3.0, -1.0, 3 / 255, 127),
        (0.0, 0.0, 2.0**-7, 0),  # constant zero: the unit-range scale (edgenas.export._int8_ranges)
    ],
)
def test_activation_ranges_quantise_as_the_converter_does(low: float, high: float, scale: float,
                                                          zero_point: int) -> None:  # fmt: skip
    got_scale, got_zero_point = quantization_of_range(low, high)
    assert got_scale == pytest.approx(scale)
    assert got_zero_point == zero_point


def test_every_buffer_is_16_byte_aligned() -> None:
    content = timing_tflite(parse_spec(_SPEC), precision="int8", input_shape=(64, 64, 3), num_classes=10)
    model = schema.Model.GetRootAsModel(content, 0)
    base = np.frombuffer(content, dtype=np.uint8).__array_interface__["data"][0]
    offsets = []
    for index in range(model.BuffersLength()):
        data = model.Buffers(index).DataAsNumpy()
        if isinstance(data, np.ndarray) and data.size:
            offsets.append(data.__array_interface__["data"][0] - base)
    assert len(offsets) > 10
    assert all(offset % 16 == 0 for offset in offsets), offsets


def test_int8_kernels_are_per_channel_and_biases_at_input_times_kernel_scale() -> None:
    content = timing_tflite(parse_spec(_SPEC), precision="int8", input_shape=(64, 64, 3), num_classes=10)
    model = _model(content)
    graph = model.subgraphs[0]
    checked = 0
    for op in graph.operators:
        if len(op.inputs) < 3 or op.inputs[2] < 0:
            continue
        data, kernel, bias = (graph.tensors[i] for i in op.inputs[:3])
        assert kernel.type == schema.TensorType.INT8 and bias.type == schema.TensorType.INT32
        assert len(kernel.quantization.scale) == kernel.shape[kernel.quantization.quantizedDimension]
        expected = data.quantization.scale[0] * kernel.quantization.scale
        np.testing.assert_allclose(bias.quantization.scale, expected, rtol=1e-6)
        weights = np.frombuffer(bytes(model.buffers[kernel.buffer].data), dtype=np.int8)
        assert weights.min() >= -127  # symmetric: -128 is never used
        checked += 1
    assert checked >= 8
    codes = model.operatorCodes
    logistic = [op for op in graph.operators if codes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.LOGISTIC]
    assert logistic, "the swish network has sigmoids"
    for op in logistic:
        out = graph.tensors[op.outputs[0]].quantization
        assert (float(out.scale[0]), int(out.zeroPoint[0])) == (1 / 256, -128)


def test_fp32_file_has_float_tensors_and_the_converters_versions() -> None:
    graph = timing_graph(parse_spec(_SPEC), input_shape=(64, 64, 3), num_classes=10)
    model = _model(graph_to_tflite(graph))
    assert {code.version for code in model.operatorCodes} == {1}
    types = {t.type for t in model.subgraphs[0].tensors}
    assert types == {schema.TensorType.FLOAT32, schema.TensorType.INT32}  # INT32: the MEAN axes
    assert model.buffers[0].data is None  # the empty sentinel buffer
