"""Tests of devices/farm/model_format.py: telling a TFLite flatbuffer from an ONNX model by its bytes.

The accepted files are real models (TFLite files converted by TensorFlow in
the session fixtures, ONNX graphs built with ``onnx.helper`` and checked by
``onnx.checker``); the rejected ones include every truncation of them.
"""

from __future__ import annotations

import mmap
import struct
import zlib
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from devices.farm.model_format import ModelFormat, detect_model_format

NOT_A_MODEL = "not a TFLite flatbuffer (no 'TFL3' at bytes 4..8) and not an ONNX model"


def _relu_model(*, ir_version: int = 8) -> onnx.ModelProto:
    """A checked one-node ONNX model: y = Relu(x)."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=ir_version)
    onnx.checker.check_model(model)
    return model


@pytest.fixture(scope="module")
def relu_onnx() -> bytes:
    return _relu_model().SerializeToString()


@pytest.fixture(scope="module")
def tflite_bytes(tflite_f32: Path) -> bytes:
    return tflite_f32.read_bytes()


def _png() -> bytes:
    """A real 1x1 grey PNG image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80")  # filter byte 0, one grey pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _rejection(data: bytes) -> str:
    with pytest.raises(ValueError) as raised:
        detect_model_format(data)
    return str(raised.value)


@pytest.mark.parametrize("name", ["f32", "int8", "dynamic", "heavy"])
def test_real_tflite_files_are_tflite(tflite_models: dict[str, Path], name: str) -> None:
    assert detect_model_format(tflite_models[name].read_bytes()) is ModelFormat.TFLITE


def test_a_real_onnx_model_is_onnx(relu_onnx: bytes, onnx_model: Path) -> None:
    assert detect_model_format(relu_onnx) is ModelFormat.ONNX
    assert detect_model_format(onnx_model.read_bytes()) is ModelFormat.ONNX  # Conv-Relu-Pool-Gemm with weights


def test_an_onnx_model_with_metadata_and_doc_string_is_onnx() -> None:
    model = _relu_model()
    model.doc_string = "a model"
    model.producer_name = "test"
    helper.set_model_props(model, {"author": "me"})
    onnx.checker.check_model(model)
    assert detect_model_format(model.SerializeToString()) is ModelFormat.ONNX


def test_any_buffer_is_accepted(tflite_f32: Path, relu_onnx: bytes) -> None:
    assert detect_model_format(bytearray(relu_onnx)) is ModelFormat.ONNX
    assert detect_model_format(memoryview(relu_onnx)) is ModelFormat.ONNX
    with open(tflite_f32, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert detect_model_format(mapped) is ModelFormat.TFLITE
        # detect released its view: the map can be closed (the with block would raise otherwise)


def test_the_extension_is_the_one_the_profiler_reads() -> None:
    assert (ModelFormat.TFLITE.extension, ModelFormat.ONNX.extension) == (".tflite", ".onnx")


def test_empty_bytes_are_rejected() -> None:
    assert _rejection(b"") == "the file is empty"


def test_random_bytes_are_rejected() -> None:
    data = np.random.default_rng(7).bytes(4096)
    assert _rejection(data).startswith(NOT_A_MODEL)


def test_a_text_file_is_rejected() -> None:
    assert _rejection(Path(__file__).read_bytes()).startswith(NOT_A_MODEL)
    assert _rejection(b"devices:\n  - name: a\n").startswith(NOT_A_MODEL)


def test_a_png_image_is_rejected() -> None:
    assert _rejection(_png()).startswith(NOT_A_MODEL)


def test_every_truncation_of_a_tflite_file_is_rejected(tflite_bytes: bytes) -> None:
    accepted = []
    for size in range(1, len(tflite_bytes)):
        try:
            detect_model_format(tflite_bytes[:size])
        except ValueError:
            continue
        accepted.append(size)
    assert accepted == []


@pytest.mark.parametrize("keep", [0.25, 0.5, 0.9])
def test_a_truncated_tflite_file_says_so(tflite_bytes: bytes, keep: float) -> None:
    message = _rejection(tflite_bytes[: int(len(tflite_bytes) * keep)])
    assert message.startswith("TFLite identifier present but ")
    assert "truncated?" in message


def test_every_truncation_of_an_onnx_model_is_rejected(onnx_model: Path, relu_onnx: bytes) -> None:
    for data in (onnx_model.read_bytes(), relu_onnx):
        accepted = []
        for size in range(1, len(data)):
            try:
                detect_model_format(data[:size])
            except ValueError as e:
                assert str(e).startswith(NOT_A_MODEL)
                continue
            accepted.append(size)
        assert accepted == [], len(data)


@pytest.mark.parametrize(
    ("root", "problem"),
    [
        (0, "the root table offset 0 is outside"),
        (4, "the root table offset 4 is outside"),
        (0xFFFFFFFF, "the root table offset 4294967295 is outside"),
    ],
)
def test_tfl3_with_a_root_offset_outside_the_file_is_rejected(tflite_bytes: bytes, root: int, problem: str) -> None:
    data = struct.pack("<I", root) + tflite_bytes[4:]
    message = _rejection(data)
    assert message.startswith(f"TFLite identifier present but {problem} the {len(data)}-byte file")


def test_tfl3_with_a_root_offset_at_the_end_is_rejected(tflite_bytes: bytes) -> None:
    data = struct.pack("<I", len(tflite_bytes)) + tflite_bytes[4:]
    assert "root table offset" in _rejection(data)


def test_tfl3_with_a_root_offset_into_garbage_is_rejected() -> None:
    data = struct.pack("<I", 8) + b"TFL3" + b"\xff" * 200
    assert _rejection(data).startswith("TFLite identifier present but the vtable of the model table")


def test_a_tfl3_header_alone_is_rejected() -> None:
    assert _rejection(b"\x1c\x00\x00\x00TFL3").startswith("TFLite identifier present but ")
    assert _rejection(b"\x1c\x00\x00\x00TFL3" + bytes(range(256)) * 4).startswith("TFLite identifier present but ")


def test_tfl3_elsewhere_than_bytes_4_to_8_is_not_tflite(tflite_bytes: bytes) -> None:
    assert _rejection(b"TFL3" + tflite_bytes).startswith(NOT_A_MODEL)


def test_a_protobuf_without_graph_is_not_onnx() -> None:
    model = onnx.ModelProto(ir_version=8)
    model.opset_import.append(helper.make_opsetid("", 17))
    assert _rejection(model.SerializeToString()) == f"{NOT_A_MODEL} (no graph field)"


def test_a_protobuf_without_ir_version_is_not_onnx() -> None:
    model = _relu_model()
    model.ClearField("ir_version")
    assert _rejection(model.SerializeToString()) == f"{NOT_A_MODEL} (no ir_version field)"


def test_an_onnx_model_without_opset_import_is_rejected() -> None:
    model = _relu_model()
    del model.opset_import[:]
    assert "no opset_import field" in _rejection(model.SerializeToString())


def test_an_implausible_ir_version_is_rejected() -> None:
    model = _relu_model()
    model.ir_version = 10**6
    assert _rejection(model.SerializeToString()) == f"{NOT_A_MODEL} (implausible ir_version 1000000)"


def test_another_protobuf_message_is_not_onnx() -> None:
    tensor = helper.make_tensor("w", TensorProto.FLOAT, [2, 2], [1.0, 2.0, 3.0, 4.0])
    assert _rejection(tensor.SerializeToString()).startswith(NOT_A_MODEL)
