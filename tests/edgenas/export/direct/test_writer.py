"""`timing_tflite`: files LiteRT runs, seeded, without TensorFlow; clear errors for what it cannot write."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import onnx
import pytest
from ai_edge_litert.interpreter import Interpreter

from edgenas import spaces
from edgenas.errors import SpecError
from edgenas.export.direct import DirectWriterUnsupportedError, timing_onnx, timing_tflite
from edgenas.export.direct.signature import file_signature

_SMALL = "relu-stem8-mbconv_r1_k3_s1_e1_se0.25_c8-mbconv_r2_k5_s2_e3_se0_c16-head32"


def _run(content: bytes, image: np.ndarray) -> np.ndarray:
    interpreter = Interpreter(model_content=content, num_threads=1)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    if detail["dtype"] == np.int8:
        scale, zero_point = detail["quantization"]
        image = np.clip(np.round(image / scale + zero_point), -128, 127).astype(np.int8)
    interpreter.set_tensor(detail["index"], image[np.newaxis])
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_the_file_runs_in_litert_and_its_output_follows_the_input(precision: str) -> None:
    spec = spaces.get("mnasnet").parse_spec(_SMALL)
    content = timing_tflite(spec, precision=precision, input_shape=(64, 64, 3), num_classes=10)
    rng = np.random.default_rng(1)
    first = _run(content, rng.uniform(-1, 1, (64, 64, 3)).astype(np.float32))
    second = _run(content, rng.uniform(-1, 1, (64, 64, 3)).astype(np.float32))
    assert first.shape == second.shape == (1, 10)
    assert first.dtype == (np.float32 if precision == "fp32" else np.int8)
    assert np.isfinite(first.astype(np.float64)).all()
    assert not np.array_equal(first, second), "the output does not depend on the input"


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_the_onnx_file_runs_in_onnxruntime_and_its_output_follows_the_input(precision: str) -> None:
    import onnxruntime  # noqa: PLC0415

    spec = spaces.get("mnasnet").parse_spec(_SMALL)
    session = onnxruntime.InferenceSession(
        timing_onnx(spec, precision=precision, input_shape=(64, 64, 3), num_classes=10),
        providers=["CPUExecutionProvider"],
    )
    (source,) = session.get_inputs()
    assert (source.name, source.shape) == ("image", [1, 64, 64, 3])
    rng = np.random.default_rng(1)
    outputs = [session.run(None, {"image": rng.uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)})[0] for _ in "ab"]
    assert outputs[0].shape == (1, 10) and np.isfinite(outputs[0]).all()
    assert not np.array_equal(outputs[0], outputs[1]), "the output does not depend on the input"
    ops = {node.op_type for node in onnx.load_from_string(
        timing_onnx(spec, precision=precision, input_shape=(64, 64, 3), num_classes=10)).graph.node}  # fmt: skip
    assert ("QuantizeLinear" in ops) == (precision == "int8")


_DETECTORS = {
    # The families' deployments: SpineNet-Mobile 256x256, the chain detector (FPN) 320x320; 91 classes each.
    "spinenet": (("spinenet_mbconv", {"reference": "spinenet_mobile49xs"}, "spinenet_mobile49xs"), 256),
    "chain": (("mnasnet", {"task": "detection"}, "mobilenet_v2"), 320),
}


@pytest.mark.parametrize("precision", ["fp32", "int8"])
@pytest.mark.parametrize("detector", sorted(_DETECTORS))
def test_a_detector_file_runs_in_litert_with_its_two_named_outputs(detector: str, precision: str) -> None:
    (space, options, reference), side = _DETECTORS[detector]
    content = timing_tflite(spaces.get(space, **options).reference(reference), precision=precision)
    interpreter = Interpreter(model_content=content, num_threads=1)
    interpreter.allocate_tensors()
    (source,) = interpreter.get_input_details()
    assert (source["name"], tuple(source["shape"])) == ("image", (1, side, side, 3))
    rng = np.random.default_rng(2)
    runs = []
    for _ in "ab":
        image = rng.uniform(-1, 1, (1, side, side, 3)).astype(np.float32)
        if source["dtype"] == np.int8:
            scale, zero_point = source["quantization"]
            image = np.clip(np.round(image / scale + zero_point), -128, 127).astype(np.int8)
        interpreter.set_tensor(source["index"], image)
        interpreter.invoke()
        runs.append({d["name"]: interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()})
    anchors = 9 * sum(math.ceil(side / 2**level) ** 2 for level in range(3, 8))  # 320: 40, 20, 10, 5 and 3 a side
    assert [(name, out.shape) for name, out in runs[0].items()] == [
        ("class_outputs", (1, anchors, 91)), ("box_outputs", (1, anchors, 4))]  # fmt: skip
    assert all(out.dtype == (np.float32 if precision == "fp32" else np.int8) for out in runs[0].values())
    assert all(np.isfinite(out.astype(np.float64)).all() for out in runs[0].values())
    assert not np.array_equal(runs[0]["box_outputs"], runs[1]["box_outputs"]), "the output does not follow the input"


def test_a_chain_detector_has_no_direct_onnx_file() -> None:
    spec = spaces.get("efficientnet_v2", task="detection").sample(n=1, seed=0)[0]
    with pytest.raises(DirectWriterUnsupportedError) as caught:
        timing_onnx(spec, precision="fp32")
    assert str(caught.value) == (
        "the chain_detector family's direct writer makes tflite files only, no onnx; use the converter"
    )


def test_a_spinenet_detector_has_no_direct_onnx_file() -> None:
    spec = spaces.get("spinenet").sample(n=1, seed=0)[0]
    with pytest.raises(DirectWriterUnsupportedError) as caught:
        timing_onnx(spec, precision="fp32")
    assert str(caught.value) == (
        "the spinenet_detector family's direct writer makes tflite files only, no onnx; use the converter"
    )


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_weights_on_the_same_graph() -> None:
    spec = spaces.get("mnasnet").parse_spec(_SMALL)
    one = timing_tflite(spec, precision="int8", input_shape=(64, 64, 3), num_classes=10, seed=3)
    assert timing_tflite(spec, precision="int8", input_shape=(64, 64, 3), num_classes=10, seed=3) == one
    other = timing_tflite(spec, precision="int8", input_shape=(64, 64, 3), num_classes=10, seed=4)
    assert other != one
    assert file_signature(other) == file_signature(one)


def test_defaults_are_the_familys_deployment() -> None:
    spec = spaces.get("mnasnet").reference("mobilenet_v2")
    ops = file_signature(timing_tflite(spec, precision="fp32"))
    assert ops[0].inputs[0].shape == (1, 224, 224, 3)
    assert ops[-1].outputs[0].shape == (1, 1000)


def test_writing_imports_neither_tensorflow_nor_keras() -> None:
    code = (
        "import sys\n"
        "from edgenas import spaces\n"
        "from edgenas.export.direct import timing_onnx, timing_tflite\n"
        f"spec = spaces.get('mnasnet').parse_spec({_SMALL!r})\n"
        "timing_tflite(spec, precision='fp32', input_shape=(64, 64, 3), num_classes=10)\n"
        "timing_tflite(spec, precision='int8', input_shape=(64, 64, 3), num_classes=10)\n"
        "timing_onnx(spec, precision='fp32', input_shape=(64, 64, 3), num_classes=10)\n"
        "timing_onnx(spec, precision='int8', input_shape=(64, 64, 3), num_classes=10)\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'imported TensorFlow'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_family_without_a_writer_is_named_with_the_families_that_have_one() -> None:
    spec = spaces.get("nasfpn").sample(n=1, seed=0)[0]
    with pytest.raises(DirectWriterUnsupportedError) as caught:
        timing_tflite(spec, precision="fp32")
    assert str(caught.value) == (
        "the nasfpn_detector family has no direct writer (families with one: chain_classifier, chain_detector, "
        "spinenet_detector); use the converter"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"precision": "fp16"}, "unknown precision 'fp16'; known: fp32, int8"),
        ({"precision": "fp32", "num_classes": 0}, "num_classes must be a positive integer, got 0"),
        ({"precision": "fp32", "num_classes": True}, "num_classes must be a positive integer, got True"),
        ({"precision": "fp32", "input_shape": (16, 16, 3)},
         "input 16x16 is smaller than the network's total stride 32"),
    ],
)
def test_bad_requests_are_refused_in_words(options: dict, message: str) -> None:
    spec = spaces.get("mnasnet").reference("mobilenet_v2")
    with pytest.raises(SpecError) as caught:
        timing_tflite(spec, **options)
    assert str(caught.value) == message
