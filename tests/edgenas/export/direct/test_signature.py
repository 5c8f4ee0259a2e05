"""Signatures: what two files must share to run the same kernels, and the first place they part."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from edgenas.export.direct import timing_tflite
from edgenas.export.direct.signature import file_signature, first_difference, onnx_file_signature
from edgenas.families import parse_spec

_SPEC = "relu-stem8-mbconv_r1_k3_s1_e1_se0_c8-mbconv_r1_k3_s2_e3_se0_c16-head32"


def _tflite(text: str) -> bytes:
    return timing_tflite(parse_spec(text), precision="fp32", input_shape=(64, 64, 3), num_classes=10)


def test_weights_do_not_count_but_strides_and_shapes_do() -> None:
    base = file_signature(_tflite(_SPEC))
    reseeded = file_signature(timing_tflite(parse_spec(_SPEC), precision="fp32", input_shape=(64, 64, 3),
                                            num_classes=10, seed=9))  # fmt: skip
    assert first_difference(base, reseeded) is None
    strided = file_signature(_tflite(_SPEC.replace("mbconv_r1_k3_s2", "mbconv_r1_k3_s1")))
    message = first_difference(base, strided)
    assert message is not None and message.startswith("op 5 differs:\n  converter: DEPTHWISE_CONV_2D v1")
    assert "strideH=2" in message.splitlines()[1] and "strideH=1" in message.splitlines()[2]
    longer = file_signature(_tflite(_SPEC.replace("mbconv_r1_k3_s2", "mbconv_r2_k3_s2")))
    assert "differs" in first_difference(base, longer)
    expected = f"the converter's file has {len(base)} ops, the direct file {len(base) - 1}"
    assert first_difference(base, base[:-1]) == expected


def _onnx(nodes: list, initializers: list) -> bytes:
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 1, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 1, 1])], initializer=initializers,
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def test_onnx_signatures_skip_reshapes_that_move_nothing_and_sort_constant_only_nodes() -> None:
    shape = numpy_helper.from_array(np.array([1, 4, 1, 1], np.int64), "shape")
    a = numpy_helper.from_array(np.ones((1, 4, 1, 1), np.float32), "a")
    b = numpy_helper.from_array(np.ones((1, 1, 1, 1), np.float32), "b")
    with_reshape = _onnx([
        helper.make_node("Neg", ["a"], ["na"]), helper.make_node("Neg", ["b"], ["nb"]),
        helper.make_node("Reshape", ["x", "shape"], ["r"]), helper.make_node("Add", ["r", "na"], ["s"]),
        helper.make_node("Mul", ["s", "nb"], ["y"]),
    ], [shape, a, b])  # fmt: skip
    plain = _onnx([
        helper.make_node("Neg", ["b"], ["nb"]), helper.make_node("Neg", ["a"], ["na"]),
        helper.make_node("Add", ["x", "na"], ["s"]), helper.make_node("Mul", ["s", "nb"], ["y"]),
    ], [a, b])  # fmt: skip
    first, second = onnx_file_signature(with_reshape), onnx_file_signature(plain)
    assert first_difference(first, second) is None
    assert [op.op for op in first] == ["Add", "Mul", "Neg", "Neg"]
    assert first[0].inputs[0].shape == (1, 4, 1, 1) and first[0].inputs[1].constant is False
