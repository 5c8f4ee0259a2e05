"""Export: TFLite and ONNX files that compute what the Keras model computes, cached by content."""

import json
import os
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from ai_edge_litert.interpreter import Interpreter

from edgenas import spaces
from edgenas.errors import ExportError, SpecError
from edgenas.export import ExportSettings, export, prepare_model
from edgenas.export import exporter as export_module
from edgenas.families import parse_spec
from edgenas.specs import ArchSpec

_SHAPE = (96, 96, 3)
_CLASSES = 10


@pytest.fixture(scope="module")
def a1():
    return spaces.get("mnasnet", reference="mnasnet_a1").reference("mnasnet_a1")


@pytest.fixture(scope="module")
def exported(a1, tmp_path_factory):
    out = tmp_path_factory.mktemp("artifacts")
    result = export(
        a1,
        out_dir=out,
        formats=("tflite", "onnx"),
        precision=("fp32", "int8"),
        input_shape=_SHAPE,
        num_classes=_CLASSES,
    )
    return out, result


@pytest.fixture(scope="module")
def reference_outputs(a1):
    model, _ = prepare_model(
        a1, ExportSettings(format="tflite", input_shape=_SHAPE, num_classes=_CLASSES)
    )
    image = np.random.default_rng(123).uniform(-1, 1, size=(1, *_SHAPE)).astype(np.float32)
    return image, np.asarray(model(image, training=False))


def _run_tflite(path, image):
    interpreter = Interpreter(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    data = image
    if inp["dtype"] == np.int8:
        scale, zero = inp["quantization"]
        data = np.clip(np.round(image / scale + zero), -128, 127).astype(np.int8)
    interpreter.set_tensor(inp["index"], data)
    interpreter.invoke()
    result = interpreter.get_tensor(out["index"])
    if out["dtype"] == np.int8:
        scale, zero = out["quantization"]
        result = (result.astype(np.float32) - zero) * scale
    return result, inp["dtype"]


def _run_onnx(path, image):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: image})[0]


def _cosine(a, b):
    a, b = a.ravel(), b.ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_outputs_are_not_constant(reference_outputs):
    _, logits = reference_outputs
    assert np.std(logits) > 1e-3  # calibrated BatchNorm: the comparison below means something


def test_fp32_tflite_and_onnx_match_keras(exported, reference_outputs):
    _, result = exported
    image, logits = reference_outputs
    tflite_out, dtype = _run_tflite(result.get("tflite", "fp32").path, image)
    assert dtype == np.float32
    np.testing.assert_allclose(tflite_out, logits, rtol=1e-3, atol=1e-4 * np.abs(logits).max())
    onnx_out = _run_onnx(result.get("onnx", "fp32").path, image)
    np.testing.assert_allclose(onnx_out, logits, rtol=1e-3, atol=1e-4 * np.abs(logits).max())


def _centred_correlation(a, b):
    """Correlation of outputs across images after removing each class's mean output."""
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def _int8_against_keras(spec, tmp_path):
    result = export(spec, out_dir=tmp_path, formats=("tflite", "onnx"), precision="int8", input_shape=_SHAPE, num_classes=_CLASSES)
    model, _ = prepare_model(spec, ExportSettings(format="tflite", input_shape=_SHAPE, num_classes=_CLASSES))
    images = np.random.default_rng(5).uniform(-1, 1, size=(8, *_SHAPE)).astype(np.float32)
    keras_out = np.asarray(model(images, training=False))
    tflite_out = np.concatenate([_run_tflite(result.tflite_path, x[None])[0] for x in images])
    onnx_out = np.concatenate([_run_onnx(result.onnx_path, x[None]) for x in images])
    return result, keras_out, tflite_out, onnx_out


def test_int8_pipeline_is_faithful_on_a_shallow_network(tmp_path):
    spec = ArchSpec.parse("relu6-stem16-mbconv_r1_k3_s1_e1_se0_c16-mbconv_r2_k3_s2_e6_se0.25_c24-head64")
    result, keras_out, tflite_out, onnx_out = _int8_against_keras(spec, tmp_path)
    assert _run_tflite(result.tflite_path, np.zeros((1, *_SHAPE), np.float32))[1] == np.int8
    # Measured 0.99 (TFLite) and 0.985 (ONNX): scales, zero points and input quantisation are right.
    assert _centred_correlation(tflite_out, keras_out) > 0.95
    assert _centred_correlation(onnx_out, keras_out) > 0.95


def test_int8_reference_is_quantised(exported, a1):
    out, result = exported
    tflite_int8 = result.get("tflite", "int8")
    assert _run_tflite(tflite_int8.path, np.zeros((1, *_SHAPE), np.float32))[1] == np.int8
    # int8 weights: about a quarter of the float file.
    assert tflite_int8.size_bytes < 0.4 * result.get("tflite", "fp32").size_bytes
    assert result.get("onnx", "int8").size_bytes < 0.4 * result.get("onnx", "fp32").size_bytes
    # Error compounds through 17 random-weight layers (trained networks fare better):
    # measured centred correlations 0.76 (TFLite) and 0.53 (ONNX); garbage would be ~0.
    again, keras_out, tflite_out, onnx_out = _int8_against_keras(a1, out)
    assert again.all_cached
    assert _centred_correlation(tflite_out, keras_out) > 0.6
    assert _centred_correlation(onnx_out, keras_out) > 0.35


def test_files_are_content_addressed_with_metadata(exported, a1):
    out, result = exported
    keys = {artifact.key for artifact in result.artifacts}
    assert len(keys) == 4
    for artifact in result.artifacts:
        assert artifact.path == out / f"{artifact.key}.{artifact.format.value}"
        meta = json.loads((out / f"{artifact.key}.json").read_text())
        assert meta["spec"] == str(a1)
        assert meta["size_bytes"] == artifact.path.stat().st_size
        assert not artifact.cached and artifact.export_s > 0
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_second_export_is_a_cache_hit(exported, a1):
    out, first = exported
    again = export(
        a1,
        out_dir=out,
        formats=("tflite", "onnx"),
        precision=("fp32", "int8"),
        input_shape=_SHAPE,
        num_classes=_CLASSES,
    )
    assert again.all_cached
    assert [a.path for a in again.artifacts] == [a.path for a in first.artifacts]
    assert [a.sha256 for a in again.artifacts] == [a.sha256 for a in first.artifacts]


def test_changed_settings_change_the_key(exported, a1):
    out, first = exported
    other = export(a1, out_dir=out, formats="tflite", precision="fp32", input_shape=(64, 64, 3), num_classes=_CLASSES)
    assert not other.all_cached
    assert other.tflite_path != first.get("tflite", "fp32").path


def test_same_request_gives_the_same_bytes(exported, a1, tmp_path):
    _, first = exported
    again = export(a1, out_dir=tmp_path, formats="tflite", precision="fp32", input_shape=_SHAPE, num_classes=_CLASSES)
    assert again.tflite_path.name == first.get("tflite", "fp32").path.name
    assert again.get("tflite").sha256 == first.get("tflite", "fp32").sha256


def test_ambiguous_and_missing_lookups(exported):
    _, result = exported
    with pytest.raises(LookupError, match="more than one tflite artifact"):
        result.tflite_path
    single = type(result)(artifacts=(result.get("onnx", "fp32"),))
    with pytest.raises(LookupError, match="no tflite artifact"):
        single.tflite_path


def test_unwritable_output_folder(a1, tmp_path):
    if os.geteuid() == 0:
        target = tmp_path / "file"
        target.write_text("not a folder")
        out = target / "sub"  # a folder under a regular file cannot exist, even for root
    else:
        out = tmp_path / "ro"
        out.mkdir()
        out.chmod(0o500)
    with pytest.raises(ExportError, match="is not writable"):
        export(a1, out_dir=out, formats="tflite")


def test_bad_format_and_precision(a1, tmp_path):
    with pytest.raises(SpecError, match="unknown format 'coreml'; known: tflite, onnx"):
        export(a1, out_dir=tmp_path, formats="coreml")
    with pytest.raises(SpecError, match="unknown precision 'fp16'; known: fp32, int8"):
        export(a1, out_dir=tmp_path, precision="fp16")
    with pytest.raises(SpecError, match="export needs a spec of a registered family"):
        export(str(a1), out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_failed_conversion_leaves_nothing_behind(a1, tmp_path):
    from edgenas.export import ArtifactStore, ExportSettings, artifact_key

    store = ArtifactStore(tmp_path)
    settings = ExportSettings(format="tflite")
    key = artifact_key(str(a1), settings)

    def half_then_crash(path):
        path.write_bytes(b"TFL3 half a model")
        raise RuntimeError("converter crashed\nwith a long trace")

    with pytest.raises(ExportError, match="tflite fp32 export failed: converter crashed$"):
        store.write(key, str(a1), settings, half_then_crash, elapsed_s=lambda: 0.0)
    assert list(tmp_path.iterdir()) == []
    assert store.lookup(key, settings) is None


def test_model_without_metadata_is_not_a_cache_hit(a1, tmp_path):
    from edgenas.export import ArtifactStore, ExportSettings, artifact_key

    store = ArtifactStore(tmp_path)
    settings = ExportSettings(format="tflite")
    key = artifact_key(str(a1), settings)
    store.model_path(key, settings.format).write_bytes(b"left by a killed export")
    assert store.lookup(key, settings) is None


@pytest.mark.parametrize(
    ("shape", "error", "match"),
    [
        ((7, 7, 3), SpecError, "^input 7x7 is smaller than the network's total stride 32$"),  # before building
        (_SHAPE, ExportError, "^the build failed$"),
    ],
    ids=["refused-before-building", "failed-build"],
)
def test_failed_export_removes_the_folders_it_created_and_nothing_else(a1, tmp_path, monkeypatch, shape, error, match):
    def failing_build(*args, **kwargs):
        raise ExportError("the build failed")

    monkeypatch.setattr(export_module, "prepare_model", failing_build)
    with pytest.raises(error, match=match):
        export(a1, out_dir=tmp_path / "new" / "deeper", input_shape=shape)
    assert not (tmp_path / "new").exists()
    # A folder that was there stays, with what the caller put in it.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    for out_dir in (mine / "sub", mine):
        with pytest.raises(error, match=match):
            export(a1, out_dir=out_dir, input_shape=shape)
        assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def _description(path) -> str:
    from ai_edge_litert import schema_py_generated as schema  # noqa: PLC0415

    return schema.Model.GetRootAsModel(path.read_bytes(), 0).Description().decode()


def test_a_timing_only_export_is_written_directly_under_its_own_key_without_tensorflow(tmp_path):
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = f"""
import json, sys
from edgenas import spaces
from edgenas.export import export
spec = spaces.get("mnasnet", reference="mnasnet_a1").reference("mnasnet_a1")
result = export(spec, out_dir={str(tmp_path)!r}, formats=("tflite", "onnx"), precision=("fp32", "int8"),
                input_shape=(96, 96, 3), num_classes=10, timing_only=True)
print(json.dumps([[a.key, str(a.path)] for a in result.artifacts]))
assert "tensorflow" not in sys.modules and "keras" not in sys.modules, "imported TensorFlow"
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = json.loads(run.stdout.strip().splitlines()[-1])
    assert len(rows) == 4
    import onnx  # noqa: PLC0415

    for _, path in rows:
        written_by = _description(Path(path)) if path.endswith(".tflite") else onnx.load(path).producer_name
        assert written_by == "edgenas direct", path
    converter_keys = {
        export_module.artifact_key(str(spaces.get("mnasnet", reference="mnasnet_a1").reference("mnasnet_a1")),
                                   ExportSettings(format=f, precision=p, input_shape=(96, 96, 3), num_classes=10))
        for f in ("tflite", "onnx") for p in ("fp32", "int8")
    }  # fmt: skip
    assert not converter_keys & {key for key, _ in rows}  # a deployed model is never served from a timing file


@pytest.mark.slow
def test_a_timing_only_export_of_a_family_without_writer_is_converted_with_one_notice(tmp_path, capsys):
    spec = spaces.get("nasfpn").sample(n=1, seed=0)[0]
    export_module._NOTICED.clear()
    result = export(spec, out_dir=tmp_path, input_shape=(128, 128, 3), timing_only=True)
    export(spec, out_dir=tmp_path, input_shape=(128, 128, 3), timing_only=True)  # cached; no second notice
    assert _description(result.artifacts[0].path) != "edgenas direct"
    notices = [line for line in capsys.readouterr().err.splitlines() if line.startswith("edgenas: no direct writer")]
    assert notices == [
        "edgenas: no direct writer for the nasfpn_detector family: its timing models come from the converter"
    ]


_TINY_SPINENET = (
    "spinenet-relu-levels3to7-endpoints8-scale0.25-repeats1-mbconv_e1_k3_se0-mbconv_l3_in0+1-mbconv_l4_in1+2"
    "-mbconv_l3_in1+3_out-mbconv_l4_in2+4_out-mbconv_l5_in3+5_out-mbconv_l6_in5+6_out-mbconv_l7_in6+7_out"
    "|head_c1_f8_a1"
)


@pytest.mark.slow
def test_a_timing_only_export_in_a_format_the_familys_writer_lacks_is_converted_with_one_notice(tmp_path, capsys):
    spec = parse_spec(_TINY_SPINENET)
    export_module._NOTICED.clear()
    result = export(spec, out_dir=tmp_path, formats=("tflite", "onnx"), precision="fp32", input_shape=(128, 128, 3),
                    num_classes=3, timing_only=True)  # fmt: skip
    tflite, onnx_file = (artifact.path for artifact in result.artifacts)
    import onnx  # noqa: PLC0415

    assert _description(tflite) == "edgenas direct"
    assert onnx.load(onnx_file).producer_name != "edgenas direct"
    notices = [line for line in capsys.readouterr().err.splitlines() if line.startswith("edgenas: no direct writer")]
    assert notices == [
        "edgenas: no direct writer for the spinenet_detector family's onnx files: its timing models come from the "
        "converter"
    ]
