"""Export of a segmenter: one named output, `segmentation_logits` at stride 8, that computes what Keras computes.

A small chain segmenter (MobileNetV2's stages, 64x64, 2 object classes) goes
through the exporter (Keras and the converters: segmenters declare no direct
writer) to TFLite fp32 and int8 and to ONNX fp32 and int8; each file is run in its real
runtime (LiteRT, onnxruntime) and compared with the Keras model the export
converted. `edgenas export --task segmentation` writes the same files.
"""

import json

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

from edgenas import spaces
from edgenas.cli import main
from edgenas.export import ExportSettings, export, prepare_model
from edgenas.specs.segmenter import default_chain_segmenter

_SHAPE = (64, 64, 3)
_CLASSES = 2
_LOGITS_SHAPE = (1, 8, 8, _CLASSES + 1)
_NAME = "segmentation_logits"


def _settings():
    return dict(input_shape=_SHAPE, num_classes=_CLASSES, calibration_samples=4)


@pytest.fixture(scope="module")
def spec():
    return default_chain_segmenter(spaces.get("mnasnet").reference("mobilenet_v2"))


@pytest.fixture(scope="module")
def exported(spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("segmenter-artifacts")
    return export(spec, out_dir=out, formats=("tflite", "onnx"), precision=("fp32", "int8"), **_settings())


@pytest.fixture(scope="module")
def keras_reference(spec):
    """The model the export converted, on 4 held-out images and on the 4 int8 calibration images."""
    model, calibration = prepare_model(spec, ExportSettings(format="tflite", **_settings()))
    held_out = np.random.default_rng(5).uniform(-1, 1, size=(4, *_SHAPE)).astype(np.float32)
    return {label: (images, np.asarray(model(images, training=False)[_NAME]))
            for label, images in (("held_out", held_out), ("calibration", calibration))}  # fmt: skip


def _run_tflite(path, images):
    interpreter = Interpreter(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    (out,) = interpreter.get_output_details()
    values = []
    for image in images:
        data = image[np.newaxis]
        if inp["dtype"] == np.int8:
            scale, zero = inp["quantization"]
            data = np.clip(np.round(data / scale + zero), -128, 127).astype(np.int8)
        interpreter.set_tensor(inp["index"], data)
        interpreter.invoke()
        value = interpreter.get_tensor(out["index"]).astype(np.float32)
        if out["dtype"] == np.int8:
            scale, zero = out["quantization"]
            value = (value - zero) * scale
        values.append(value)
    return np.concatenate(values), inp, out


def _run_onnx(path, images):
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,) = session.get_inputs()
    values = np.concatenate([session.run(None, {inp.name: image[np.newaxis]})[0] for image in images])
    return values, session


def test_keras_logits_vary(keras_reference):
    _, logits = keras_reference["held_out"]
    assert logits.shape == (4, *_LOGITS_SHAPE[1:])
    assert np.isfinite(logits).all() and logits.std() > 1e-3


def test_tflite_fp32_names_its_one_output_and_matches_keras(exported, keras_reference):
    images, want = keras_reference["held_out"]
    got, inp, out = _run_tflite(exported.get("tflite", "fp32").path, images)
    assert (inp["name"], tuple(inp["shape"])) == ("image", (1, *_SHAPE))
    assert (out["name"], tuple(out["shape"]), out["dtype"]) == (_NAME, _LOGITS_SHAPE, np.float32)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4 * np.abs(want).max())


def test_tflite_int8_tracks_keras(exported, keras_reference):
    artifact = exported.get("tflite", "int8")
    # Random weights: measured correlations 0.89 (calibration images) and 0.88 (held out).
    for label, min_correlation in (("calibration", 0.8), ("held_out", 0.75)):
        images, want = keras_reference[label]
        got, inp, out = _run_tflite(artifact.path, images)
        assert (inp["dtype"], out["dtype"], out["name"]) == (np.int8, np.int8, _NAME)
        assert np.corrcoef(got.ravel(), want.ravel())[0, 1] > min_correlation, label
    assert artifact.size_bytes < 0.5 * exported.get("tflite", "fp32").size_bytes


def test_onnx_fp32_names_its_one_output_and_matches_keras(exported, keras_reference):
    images, want = keras_reference["held_out"]
    got, session = _run_onnx(exported.get("onnx", "fp32").path, images)
    assert [(o.name, tuple(o.shape)) for o in session.get_outputs()] == [(_NAME, _LOGITS_SHAPE)]
    assert session.get_inputs()[0].name == "image"
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4 * np.abs(want).max())


def test_onnx_int8_tracks_keras(exported, keras_reference):
    # QDQ with symmetric activations: measured correlations 0.82 (calibration images) and 0.71 (held out).
    for label, min_correlation in (("calibration", 0.7), ("held_out", 0.6)):
        images, want = keras_reference[label]
        got, session = _run_onnx(exported.get("onnx", "int8").path, images)
        assert [o.name for o in session.get_outputs()] == [_NAME]
        assert np.corrcoef(got.ravel(), want.ravel())[0, 1] > min_correlation, label


def test_the_cli_exports_a_segmentation_form_of_a_chain_space(exported, tmp_path, capsys):
    code = main(["export", "--space", "mnasnet", "--task", "segmentation", "--reference", "mobilenet_v2",
                 "--input-size", "64", "--num-classes", "2", "--formats", "tflite,onnx", "--out", str(tmp_path),
                 "--json"])  # fmt: skip
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["format"] for row in rows] == ["tflite", "onnx"]
    assert {row["path"].rsplit("/", 1)[1] for row in rows} == {
        exported.get(fmt, "fp32").path.name for fmt in ("tflite", "onnx")  # the same content-addressed files
    }
