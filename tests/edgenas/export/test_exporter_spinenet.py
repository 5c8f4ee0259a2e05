"""Export of SpineNet RetinaNet detectors: two named outputs that compute what Keras computes.

A small detector (SpineNet-Mobile-49XS, 128x128, 3 classes) goes to TFLite fp32
and int8 (and, marked slow, ONNX fp32 and int8); each file must list
`class_outputs` then `box_outputs` with the anchor count of the input, match the
Keras model the export converted on held-out images, and be timed by the
on-device profiler. Bad requests fail before anything is built.
"""

import re

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

import devices
from edgenas import build_keras
from edgenas.errors import SpecError
from edgenas.export import ExportSettings, export, prepare_model
from edgenas.export import exporter as export_module
from edgenas.models.anchors import num_anchors_total
from edgenas.models.spinenet import build_spinenet
from edgenas.specs import spinenet_reference
from edgenas.specs.detection_head import DetectionHeadSpec
from edgenas.specs.spinenet_detector import SpineNetDetectorSpec

_SHAPE = (128, 128, 3)
_CLASSES = 3
_CALIBRATION = 4
_ANCHORS = num_anchors_total(_SHAPE[:2])  # 9 anchors x (16^2 + 8^2 + 4^2 + 2^2 + 1) = 3069
_NAMES = ["class_outputs", "box_outputs"]
_WIDTHS = {"class_outputs": _CLASSES, "box_outputs": 4}
_PROFILE = devices.ProfileSettings(threads=1, runs=5, warmup=1, max_attempts=1)


def _settings(**changes):
    return dict(input_shape=_SHAPE, num_classes=_CLASSES, calibration_samples=_CALIBRATION, **changes)


@pytest.fixture(scope="module")
def backbone():
    return spinenet_reference("spinenet_mobile49xs")


@pytest.fixture(scope="module")
def tflite_export(backbone, tmp_path_factory):
    out = tmp_path_factory.mktemp("spinenet-artifacts")
    return out, export(backbone, out_dir=out, formats="tflite", precision=("fp32", "int8"), **_settings())


@pytest.fixture(scope="module")
def keras_reference(backbone):
    """The model the export converted, run on 8 held-out images and on the 4 int8 calibration images.

    Returns:
        {"held_out": (images, outputs), "calibration": (images, outputs)}, outputs by name.
    """
    model, calibration = prepare_model(backbone, ExportSettings(format="tflite", **_settings()))
    held_out = np.random.default_rng(11).uniform(-1, 1, size=(8, *_SHAPE)).astype(np.float32)
    sets = {}
    for label, images in (("held_out", held_out), ("calibration", calibration)):
        outputs = model(images, training=False)
        sets[label] = images, {name: np.asarray(outputs[name]) for name in _NAMES}
    return sets


def _run_tflite(path, images):
    """Outputs by tensor name (dequantized), in the file's output order, for each image."""
    interpreter = Interpreter(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    details = interpreter.get_output_details()
    results = {d["name"]: [] for d in details}
    for image in images:
        data = image[np.newaxis]
        if inp["dtype"] == np.int8:
            scale, zero = inp["quantization"]
            data = np.clip(np.round(data / scale + zero), -128, 127).astype(np.int8)
        interpreter.set_tensor(inp["index"], data)
        interpreter.invoke()
        for d in details:
            value = interpreter.get_tensor(d["index"]).astype(np.float32)
            if d["dtype"] == np.int8:
                scale, zero = d["quantization"]
                value = (value - zero) * scale
            results[d["name"]].append(value)
    return {name: np.concatenate(values) for name, values in results.items()}, details, inp


def _run_onnx(path, images):
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    runs = [session.run(None, {session.get_inputs()[0].name: image[np.newaxis]}) for image in images]
    return {name: np.concatenate([run[i] for run in runs]) for i, name in enumerate(names)}, session


def _centred_correlation(a, b):
    """Correlation after removing each output's mean (the class logits sit around the -4.6 prior)."""
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def _assert_int8_tracks_keras(run, sets, *, min_calibration, min_held_out):
    """int8 against float on the calibration images (ranges known) and on held-out ones.

    On the calibration images a wrong scale, zero point or output would show; on
    held-out images this random-weight detector's outputs spread ~2x wider than on
    the calibration images (BatchNorm statistics of a 1x1 level 7 from 64 samples),
    so the int8 ranges clip them and the correlation is lower.
    """
    images, want = sets["calibration"]
    got = run(images)
    for name in _NAMES:
        assert _centred_correlation(got[name], want[name]) > min_calibration, name
        assert abs(got[name].mean() - want[name].mean()) < 0.2 * want[name].std(), name
        assert 0.67 < got[name].std() / want[name].std() < 1.5, name
    images, want = sets["held_out"]
    got = run(images)
    for name in _NAMES:
        assert _centred_correlation(got[name], want[name]) > min_held_out, name
        assert abs(got[name].mean() - want[name].mean()) < 0.25 * want[name].std(), name


def _assert_close_to_keras(got, want):
    for name in _NAMES:
        # Measured ~5e-6 of the output's largest magnitude (TFLite and ONNX).
        np.testing.assert_allclose(got[name], want[name], rtol=0, atol=1e-4 * np.abs(want[name]).max())


def test_keras_outputs_vary_and_stay_bounded(keras_reference):
    # The export redraws the head (its 0.01-stddev init outputs constants) and calibrates
    # BatchNorm on enough images for the 1x1 level 7 (from two images outputs reached 1e10).
    _, outputs = keras_reference["held_out"]
    for name in _NAMES:
        assert outputs[name].shape == (8, _ANCHORS, _WIDTHS[name])
        assert 0.1 < outputs[name].std() < 10, name
    assert abs(outputs["class_outputs"].mean() - np.log(0.01 / 0.99)) < 1.0  # the prior bias


def test_tflite_files_list_class_then_box_outputs_by_name(tflite_export):
    _, result = tflite_export
    for precision, dtype in (("fp32", np.float32), ("int8", np.int8)):
        interpreter = Interpreter(model_path=str(result.get("tflite", precision).path))
        interpreter.allocate_tensors()
        outputs = interpreter.get_output_details()
        assert [d["name"] for d in outputs] == _NAMES
        assert [tuple(d["shape"]) for d in outputs] == [(1, _ANCHORS, _CLASSES), (1, _ANCHORS, 4)]
        assert {d["dtype"] for d in outputs} == {dtype}
        (inp,) = interpreter.get_input_details()
        assert inp["name"] == "image" and tuple(inp["shape"]) == (1, *_SHAPE) and inp["dtype"] == dtype


def test_tflite_fp32_matches_keras(tflite_export, keras_reference):
    _, result = tflite_export
    images, want = keras_reference["held_out"]
    got, _, _ = _run_tflite(result.get("tflite", "fp32").path, images)
    _assert_close_to_keras(got, want)


def test_tflite_int8_tracks_keras(tflite_export, keras_reference):
    _, result = tflite_export
    path = result.get("tflite", "int8").path
    # Measured 0.86 for both outputs on the calibration images, 0.58 (class) and 0.61 (box)
    # held out; shuffled outputs would give ~0.
    run = lambda images: _run_tflite(path, images)[0]  # noqa: E731
    _assert_int8_tracks_keras(run, keras_reference, min_calibration=0.75, min_held_out=0.45)
    assert result.get("tflite", "int8").size_bytes < 0.5 * result.get("tflite", "fp32").size_bytes


def test_profiler_times_both_tflite_files(tflite_export):
    _, result = tflite_export
    device = devices.LocalDevice("local")
    for precision in ("fp32", "int8"):
        artifact = result.get("tflite", precision)
        measured = device.measure(artifact.path, _PROFILE)
        assert measured.runtime == "litert" and measured.delegate == "xnnpack"
        assert measured.artifact_sha256 == artifact.sha256
        assert [(t.name, t.shape) for t in measured.inputs] == [("image", (1, *_SHAPE))]
        assert measured.inputs[0].dtype == ("int8" if precision == "int8" else "float32")
        assert measured.latency_ms > 0


def test_second_export_is_a_cache_hit_without_a_build(tflite_export, backbone, monkeypatch):
    out, first = tflite_export

    def no_build(*args, **kwargs):
        raise AssertionError("a cached export must not build a model")

    monkeypatch.setattr(export_module, "prepare_model", no_build)
    again = export(backbone, out_dir=out, formats="tflite", precision=("fp32", "int8"), **_settings())
    assert again.all_cached
    assert [a.path for a in again.artifacts] == [a.path for a in first.artifacts]
    assert [a.sha256 for a in again.artifacts] == [a.sha256 for a in first.artifacts]
    assert all(a.spec == str(backbone) for a in again.artifacts)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        (dict(input_shape=(200, 200, 3)), r"at input_shape \(200, 200, 3\): input 200x200 is not a multiple of 128"),
        (dict(input_shape=(224, 224, 3)), r"input 224x224 is not a multiple of 128 \(2 \*\* level 7"),
        (dict(input_shape=(128, 256)), r"input_shape must be \(height, width, channels\)"),
        (dict(num_classes=0), r"needs num_classes > 0 \(detector classes\), got 0"),
    ],
)
def test_bad_request_fails_before_anything_is_built(backbone, tmp_path, monkeypatch, changes, match):
    def no_build(*args, **kwargs):
        raise AssertionError("built a model for a request that must be refused")

    monkeypatch.setattr(export_module, "prepare_model", no_build)
    out = tmp_path / "never-created"
    with pytest.raises(SpecError, match=match):
        export(backbone, out_dir=out, formats=("tflite", "onnx"), **{**_settings(), **changes})
    detector = SpineNetDetectorSpec(backbone=backbone, head=DetectionHeadSpec())
    with pytest.raises(SpecError, match=match):
        export(detector, out_dir=out, **{**_settings(), **changes})
    assert not out.exists()


def test_unknown_spec_type_is_refused(backbone, tmp_path):
    wanted = (
        "export needs a spec of a registered family (ArchSpec, ChainDetectorSpec, ChainSegmenterSpec, "
        "NasFpnDetectorSpec, SpineNetSpec, SpineNetDetectorSpec, SpineNetSegmenterSpec), got str"
    )
    with pytest.raises(SpecError, match=re.escape(wanted)):
        export(str(backbone), out_dir=tmp_path, **_settings())


def test_detector_spec_builds_its_head_and_exports(backbone, tmp_path):
    head = DetectionHeadSpec(head_num_convs=2, head_num_filters=16, num_anchors=3, use_separable_conv=False)
    detector = SpineNetDetectorSpec(backbone=backbone, head=head)
    model = build_keras(detector, input_shape=_SHAPE, num_classes=_CLASSES)
    same = build_spinenet(backbone, input_shape=_SHAPE, num_classes=_CLASSES, detection_head=head)
    assert model.count_params() == same.count_params()
    assert model.name == f"edgenas_{detector.digest()[:12]}"
    assert model.get_layer("class_outputs_conv1").filters == 16
    with pytest.raises(SpecError, match="a SpineNetDetectorSpec builds a detector: num_classes must be an int > 0"):
        build_keras(detector, input_shape=_SHAPE, num_classes=0)

    result = export(detector, out_dir=tmp_path, formats="tflite", **_settings())
    artifact = result.get("tflite")
    assert artifact.spec == str(detector)
    interpreter = Interpreter(model_path=str(artifact.path))
    anchors = num_anchors_total(_SHAPE[:2]) // 9 * 3
    assert [(d["name"], tuple(d["shape"])) for d in interpreter.get_output_details()] == [
        ("class_outputs", (1, anchors, _CLASSES)),
        ("box_outputs", (1, anchors, 4)),
    ]


@pytest.mark.slow
def test_onnx_fp32_and_int8_match_keras_and_are_profiled(tflite_export, keras_reference, backbone):
    out, _ = tflite_export
    result = export(backbone, out_dir=out, formats="onnx", precision=("int8", "fp32"), **_settings())
    images, want = keras_reference["held_out"]
    device = devices.LocalDevice("local")
    for precision in ("fp32", "int8"):
        artifact = result.get("onnx", precision)
        got, session = _run_onnx(artifact.path, images)
        assert [(o.name, tuple(o.shape)) for o in session.get_outputs()] == [
            ("class_outputs", (1, _ANCHORS, _CLASSES)),
            ("box_outputs", (1, _ANCHORS, 4)),
        ]
        if precision == "fp32":
            _assert_close_to_keras(got, want)
        else:
            # QDQ, symmetric int8 activations: measured 0.74 for both outputs on the
            # calibration images, 0.51 (class) and 0.55 (box) held out.
            run = lambda x, path=artifact.path: _run_onnx(path, x)[0]  # noqa: E731
            _assert_int8_tracks_keras(run, keras_reference, min_calibration=0.62, min_held_out=0.4)
        measured = device.measure(artifact.path, _PROFILE)
        assert measured.runtime == "onnxruntime" and measured.latency_ms > 0
        assert [(t.name, t.dtype, t.shape) for t in measured.inputs] == [("image", "float32", (1, *_SHAPE))]
    assert result.get("onnx", "int8").size_bytes < 0.7 * result.get("onnx", "fp32").size_bytes
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
