"""`graph_to_tflite`: quantisation of the converter's kind, 16-byte aligned buffers, biases at input x kernel scale,
one scale for the operands of ops that move values."""

from __future__ import annotations

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

from edgenas.export.direct import timing_graph, timing_tflite
from edgenas.families import parse_spec
from edgenas.export.direct.tflite_file import graph_to_tflite, quantization_of_range
from edgenas.graphs import GraphBuilder

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


_SPINENET = (
    "spinenet-relu-levels3to7-endpoints8-scale0.25-alpha0.5-repeats1-residual_l5_in0+1-bottleneck_l7_in0+1"
    "-residual_l3_in1+3_out-residual_l4_in3+4_out-residual_l5_in2+5_out-bottleneck_l6_in3+6_out"
    "-residual_l7_in6+7_out|head_c1_f8_a2_sep"
)
"""Max-pools (ResNet stem and resampling), up-sampling (CONCATENATION and RESHAPE), the head's concatenations."""
_MOVERS = {schema.BuiltinOperator.MAX_POOL_2D, schema.BuiltinOperator.RESHAPE, schema.BuiltinOperator.CONCATENATION}


def test_ops_that_move_values_join_their_operands_at_the_widest_ranges_scale() -> None:
    g = GraphBuilder(seed=0)
    x = g.input("image", (1, 4, 4, 2))
    narrow = g.conv2d(x, filters=2, kernel_size=1, name="narrow")
    wide = g.conv2d(x, filters=2, kernel_size=1, name="wide")
    joined = g.concatenation([narrow, wide], axis=1, name="joined")
    flat = g.reshape(joined, shape=(1, 64), name="flat")
    pooled = g.max_pool2d(wide, pool_size=3, strides=2, name="pooled")
    graph = g.finish([flat, pooled])
    ranges = {x: (-1.0, 1.0), narrow: (-0.5, 0.25), wide: (-2.0, 3.0), joined: (-2.0, 3.0), flat: (-2.0, 3.0),
              pooled: (-1.0, 3.0)}  # fmt: skip
    model = _model(graph_to_tflite(graph, ranges=ranges))
    tensors = model.subgraphs[0].tensors
    expected = quantization_of_range(-2.0, 3.0)
    for index in (narrow, wide, joined, flat, pooled):  # one group: every tensor at the union's scale
        q = tensors[index].quantization
        assert (float(q.scale[0]), int(q.zeroPoint[0])) == (pytest.approx(expected[0]), expected[1])
    assert float(tensors[x].quantization.scale[0]) == pytest.approx(quantization_of_range(-1.0, 1.0)[0])


def test_a_spinenet_file_quantises_moved_values_unchanged_with_the_converters_versions() -> None:
    spec = parse_spec(_SPINENET)
    int8 = _model(timing_tflite(spec, precision="int8", input_shape=(128, 128, 3), num_classes=3))
    fp32 = _model(timing_tflite(spec, precision="fp32", input_shape=(128, 128, 3), num_classes=3))
    assert {code.version for code in fp32.operatorCodes} == {1}
    versions = {code.builtinCode: code.version for code in int8.operatorCodes}
    assert {code: versions[code] for code in _MOVERS} == {
        schema.BuiltinOperator.MAX_POOL_2D: 2, schema.BuiltinOperator.RESHAPE: 1,
        schema.BuiltinOperator.CONCATENATION: 2,
    }  # fmt: skip
    graph = int8.subgraphs[0]
    moved = 0
    for op in graph.operators:
        if int8.operatorCodes[op.opcodeIndex].builtinCode not in _MOVERS:
            continue
        operands = [graph.tensors[i] for i in (*op.inputs, *op.outputs)]
        operands = [t for t in operands if t.type == schema.TensorType.INT8]  # not a RESHAPE's shape
        assert len({(float(t.quantization.scale[0]), int(t.quantization.zeroPoint[0])) for t in operands}) == 1
        moved += 1
    assert moved > 20


def test_an_unfolded_batchnorms_constants_are_int8_per_tensor_and_a_shared_relu6_an_op_of_its_own() -> None:
    g = GraphBuilder(seed=0)
    x = g.input("image", (1, 4, 4, 2))
    conv = g.conv2d(x, filters=3, kernel_size=1, name="conv")
    relu = g.relu(conv, six=True, name="act/Relu6")  # the convolution's output is read twice: nothing is fused
    scaled = g.mul_constant(conv, name="bn/batchnorm/mul_1")
    shifted = g.add_constant(scaled, name="bn/batchnorm/add_1")
    graph = g.finish([relu, shifted])
    ranges = {x: (-1.0, 1.0), conv: (-2.0, 2.0), relu: (0.0, 2.0), scaled: (-3.0, 3.0), shifted: (-3.0, 3.1)}
    int8, fp32 = _model(graph_to_tflite(graph, ranges=ranges)), _model(graph_to_tflite(graph))
    versions = {code.builtinCode: code.version for code in int8.operatorCodes}
    assert (versions[schema.BuiltinOperator.RELU6], versions[schema.BuiltinOperator.MUL],
            versions[schema.BuiltinOperator.ADD]) == (2, 2, 2)  # fmt: skip
    assert {code.version for code in fp32.operatorCodes} == {1}
    for op in (graph.ops[2], graph.ops[3]):
        source = graph.tensors[op.inputs[1]]
        tensor = int8.subgraphs[0].tensors[op.inputs[1]]
        assert source.shape == (3,) and tensor.type == schema.TensorType.INT8
        scale, zero_point = float(tensor.quantization.scale[0]), int(tensor.quantization.zeroPoint[0])
        assert len(tensor.quantization.scale) == 1
        values = np.frombuffer(bytes(int8.buffers[tensor.buffer].data), dtype=np.int8).astype(np.float32)
        assert np.abs((values - zero_point) * scale - source.data).max() <= scale / 2 + 1e-7
        assert fp32.subgraphs[0].tensors[op.inputs[1]].type == schema.TensorType.FLOAT32
