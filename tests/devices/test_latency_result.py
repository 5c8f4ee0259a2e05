"""Tests of devices/latency_result.py: the typed view of the profiler's JSON."""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

from devices.latency_result import (
    DELEGATES,
    READABLE_SCHEMA_VERSIONS,
    RUNTIMES,
    SCHEMA_VERSION,
    STABILITY_CRITERIA,
    DeviceInfo,
    LatencyResult,
    TensorInfo,
)

PROFILER = Path(__file__).resolve().parents[2] / "devices" / "profiler.py"

SAMPLE: dict[str, Any] = {
    "schema_version": 2,
    "model_path": "/home/pi/models/mbv2.tflite",
    "artifact_sha256": "4113d0b4ee18f4dff0cc6a9b19375a2fe97a0b18dba8f06fa72f80f58689c46b",
    "size_bytes": 13921636,
    "runtime": "litert",
    "runtime_version": "2.3.0",
    "threads": 1,
    "delegate": "xnnpack",
    "inputs": [{"name": "x", "dtype": "float32", "shape": [1, 224, 224, 3]}],
    "latency_ms": 6.7671665,
    "p90_ms": 6.8695112,
    "mean_ms": 6.819328099999998,
    "std_ms": 0.17984309853252353,
    "min_ms": 6.713292,
    "cv": 0.02637255399582894,
    "mad_ms": 0.0412385,
    "robust_cv": 0.009034727582637437,
    "runs": 50,
    "warmup_runs": 10,
    "attempts": 1,
    "max_attempts": 3,
    "stable": True,
    "stability_criterion": "robust_cv",
    "cv_threshold": 0.05,
    "seed": 0,
    "device": {
        "hostname": "pi4",
        "platform": "Linux-6.1.0-rpi7-rpi-v8-aarch64-with-glibc2.36",
        "machine": "aarch64",
        "cpu_model": "Raspberry Pi 4 Model B Rev 1.4",
        "cpu_count": 4,
        "cpu_governor": "performance",
        "temperature_c": 51.121,
    },
    "measured_at": "2026-11-28T02:05:39.122022+00:00",
}

V2_KEYS = ("mad_ms", "robust_cv", "stability_criterion")
SAMPLE_V1: dict[str, Any] = {
    **{k: v for k, v in copy.deepcopy(SAMPLE).items() if k not in V2_KEYS},
    "schema_version": 1,
}
"""What a version 1 profiler printed: no MAD, no robust CV, stability judged by CV."""


def _with(path: str, value: Any) -> dict[str, Any]:
    """SAMPLE with the field at a dotted path (``device.cpu_count``, ``inputs.0.shape``) replaced."""
    data = copy.deepcopy(SAMPLE)
    *parents, last = path.split(".")
    target: Any = data
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return data


def _without(path: str) -> dict[str, Any]:
    data = copy.deepcopy(SAMPLE)
    *parents, last = path.split(".")
    target: Any = data
    for key in parents:
        target = target[key]
    del target[last]
    return data


# --------------------------------------------------------------------------- #
# Round trip and shape of the objects
# --------------------------------------------------------------------------- #


def test_round_trip_from_dict_is_exact() -> None:
    result = LatencyResult.from_json(SAMPLE)
    assert result.to_json() == SAMPLE
    assert json.dumps(result.to_json()) == json.dumps(SAMPLE)  # same keys, same order, same numbers
    assert LatencyResult.from_json(result.to_json()) == result


def test_round_trip_from_text() -> None:
    text = json.dumps(SAMPLE)
    result = LatencyResult.from_json(text)
    assert result == LatencyResult.from_json(SAMPLE)
    assert json.dumps(result.to_json()) == text


def test_fields_are_typed_and_immutable() -> None:
    result = LatencyResult.from_json(SAMPLE)
    assert result.inputs == (TensorInfo(name="x", dtype="float32", shape=(1, 224, 224, 3)),)
    assert isinstance(result.inputs, tuple) and isinstance(result.inputs[0].shape, tuple)
    assert isinstance(result.device, DeviceInfo) and result.device.cpu_count == 4
    assert result.latency_ms == 6.7671665 and result.stable is True
    assert result.measured_at_datetime.utcoffset().total_seconds() == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.latency_ms = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.device.hostname = "other"  # type: ignore[misc]
    assert len({result, LatencyResult.from_json(SAMPLE)}) == 1  # hashable, equal by value


def test_to_json_returns_a_fresh_dict() -> None:
    result = LatencyResult.from_json(SAMPLE)
    out = result.to_json()
    out["inputs"][0]["shape"][0] = 99
    out["device"]["hostname"] = "changed"
    assert result.to_json() == SAMPLE


def test_integers_in_float_fields_become_floats() -> None:
    data = _with("device.temperature_c", 45)
    data["cv_threshold"] = 1
    data["stable"] = True
    result = LatencyResult.from_json(data)
    assert type(result.device.temperature_c) is float and result.device.temperature_c == 45.0
    assert type(result.cv_threshold) is float
    assert result.to_json() == data  # equal as JSON values


def test_unreadable_device_fields_may_be_null() -> None:
    data = copy.deepcopy(SAMPLE)
    data["device"] = dict.fromkeys(data["device"])
    result = LatencyResult.from_json(data)
    assert result.device == DeviceInfo(None, None, None, None, None, None, None)
    assert result.to_json() == data


def test_direct_construction_normalises_lists_to_tuples() -> None:
    fields = {f.name: getattr(LatencyResult.from_json(SAMPLE), f.name) for f in dataclasses.fields(LatencyResult)}
    fields["inputs"] = [TensorInfo(name="x", dtype="int8", shape=[1, 8])]
    result = LatencyResult(**fields)
    assert result.inputs == (TensorInfo("x", "int8", (1, 8)),)
    assert isinstance(result.inputs, tuple) and isinstance(result.inputs[0].shape, tuple)


def test_schema_agrees_with_the_profiler() -> None:
    spec = importlib.util.spec_from_file_location("_profiler_schema", PROFILER)
    profiler = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(profiler)
    assert profiler.SCHEMA_VERSION == SCHEMA_VERSION == max(READABLE_SCHEMA_VERSIONS)
    assert profiler.STABILITY_CRITERIA == STABILITY_CRITERIA
    profiler_runtimes = {profiler.RUNTIME_LITERT, profiler.RUNTIME_TFLITE_RUNTIME, profiler.RUNTIME_ONNXRUNTIME}
    # tflite_benchmark_model is named by devices/adb.py, never by the profiler.
    assert profiler_runtimes | {"tflite_benchmark_model"} == set(RUNTIMES)
    assert {profiler.DELEGATE_XNNPACK, profiler.DELEGATE_NONE, profiler.DELEGATE_CPU} == set(DELEGATES)


# --------------------------------------------------------------------------- #
# Validation: every problem names its field
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("field", list(SAMPLE))
def test_missing_field_is_named(field: str) -> None:
    with pytest.raises(ValueError, match=rf"field '{field}': missing"):
        LatencyResult.from_json(_without(field))


@pytest.mark.parametrize("field", list(SAMPLE["device"]))
def test_missing_device_field_is_named(field: str) -> None:
    with pytest.raises(ValueError, match=rf"field 'device\.{field}': missing"):
        LatencyResult.from_json(_without(f"device.{field}"))


def test_unknown_field_is_named() -> None:
    with pytest.raises(ValueError, match=r"field 'latency_us': unknown"):
        LatencyResult.from_json({**SAMPLE, "latency_us": 3})
    with pytest.raises(ValueError, match=r"field 'device\.gpu': unknown"):
        LatencyResult.from_json(_with("device.gpu", "none"))


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("schema_version", "1", "schema_version"),
        ("schema_version", 0, "schema_version"),
        ("schema_version", 3, "schema_version"),
        ("mad_ms", -0.1, "mad_ms"),
        ("mad_ms", "0.04", "mad_ms"),
        ("robust_cv", float("nan"), "robust_cv"),
        ("robust_cv", True, "robust_cv"),
        ("robust_cv", None, "robust_cv"),  # null needs the "cv" criterion (and a null mad_ms)
        ("mad_ms", None, "robust_cv"),  # both null or neither
        ("stability_criterion", "std", "stability_criterion"),
        ("stability_criterion", "ROBUST_CV", "stability_criterion"),
        ("stability_criterion", None, "stability_criterion"),
        ("stability_criterion", ["cv"], "stability_criterion"),
        ("model_path", None, "model_path"),
        ("artifact_sha256", "not-a-hash", "artifact_sha256"),
        ("artifact_sha256", SAMPLE["artifact_sha256"].upper(), "artifact_sha256"),
        ("size_bytes", 0, "size_bytes"),
        ("size_bytes", 12.5, "size_bytes"),
        ("runtime", "tensorrt", "runtime"),
        ("runtime_version", 2.3, "runtime_version"),
        ("threads", "1", "threads"),
        ("threads", True, "threads"),
        ("threads", 0, "threads"),
        ("delegate", "gpu", "delegate"),
        ("inputs", {"x": [1]}, "inputs"),
        ("inputs", ["x"], "inputs[0]"),
        ("inputs.0.shape", "1x224x224x3", "inputs[0].shape"),
        ("inputs.0.dtype", None, "inputs[0].dtype"),
        ("latency_ms", "fast", "latency_ms"),
        ("latency_ms", float("nan"), "latency_ms"),
        ("latency_ms", True, "latency_ms"),
        ("std_ms", -0.1, "std_ms"),
        ("runs", 50.0, "runs"),
        ("runs", 1, "runs"),
        ("warmup_runs", None, "warmup_runs"),
        ("attempts", 4, "attempts"),
        ("stable", 1, "stable"),
        ("stable", False, "stable"),  # contradicts robust_cv <= cv_threshold
        ("seed", -1, "seed"),
        ("seed", 1.5, "seed"),
        ("seed", "0", "seed"),
        ("p90_ms", -0.5, "p90_ms"),
        ("p90_ms", "slow", "p90_ms"),
        ("p90_ms", float("inf"), "p90_ms"),
        ("device", [], "device"),
        ("device.cpu_count", "4", "device.cpu_count"),
        ("device.temperature_c", "hot", "device.temperature_c"),
        ("device.hostname", 7, "device.hostname"),
        ("measured_at", "yesterday", "measured_at"),
        ("measured_at", "2026-11-28T02:05:39", "measured_at"),  # no time zone
        ("measured_at", 1795831860, "measured_at"),
    ],
)
def test_ill_typed_or_out_of_range_field_is_named(path: str, value: Any, named: str) -> None:
    data = _with(path, value)
    with pytest.raises(ValueError, match=f"field {re.escape(repr(named))}"):
        LatencyResult.from_json(data)


def test_shape_entries_are_checked_one_by_one() -> None:
    data = copy.deepcopy(SAMPLE)
    data["inputs"][0]["shape"][2] = "224"
    with pytest.raises(ValueError, match=r"field 'inputs\[0\]\.shape\[2\]': must be an integer"):
        LatencyResult.from_json(data)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"min_ms": 7.0}, "min_ms"),  # above the median
        ({"p90_ms": 6.0}, "p90_ms"),  # below the median
    ],
)
def test_statistics_must_be_ordered(changes: dict[str, float], named: str) -> None:
    with pytest.raises(ValueError, match=rf"field '{named}'"):
        LatencyResult.from_json({**SAMPLE, **changes})


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"a string"', "null"])
def test_text_that_is_not_a_json_object(text: str) -> None:
    with pytest.raises(ValueError, match="LatencyResult"):
        LatencyResult.from_json(text)


def test_non_mapping_argument() -> None:
    with pytest.raises(ValueError, match="expected a JSON object"):
        LatencyResult.from_json([SAMPLE])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- #
# Fields a measuring tool may not give: p90_ms and seed (null in JSON)
# --------------------------------------------------------------------------- #

BENCHMARK_MODEL_SAMPLE: dict[str, Any] = {
    **SAMPLE,
    "model_path": "/home/me/models/candidate.tflite",
    "runtime": "tflite_benchmark_model",
    "runtime_version": "unknown",
    "inputs": [],
    "p90_ms": None,
    "seed": None,
    "device": {
        "hostname": "localhost",
        "platform": "Android 12 (Pixel 4, msmnile)",
        "machine": "aarch64",
        "cpu_model": "Qualcomm Technologies, Inc SM8150",
        "cpu_count": 8,
        "cpu_governor": "schedutil",
        "temperature_c": 45.3,
    },
}


@pytest.mark.parametrize("nulls", [("p90_ms",), ("seed",), ("p90_ms", "seed")])
def test_null_p90_and_seed_round_trip(nulls: tuple[str, ...]) -> None:
    data = {**SAMPLE, **dict.fromkeys(nulls)}
    result = LatencyResult.from_json(data)
    for name in nulls:
        assert getattr(result, name) is None
    assert result.to_json() == data
    assert json.dumps(result.to_json()) == json.dumps(data)  # null in the JSON text
    assert LatencyResult.from_json(json.dumps(result.to_json())) == result


def test_a_benchmark_model_result_round_trips() -> None:
    result = LatencyResult.from_json(BENCHMARK_MODEL_SAMPLE)
    assert (result.runtime, result.p90_ms, result.seed, result.inputs) == ("tflite_benchmark_model", None, None, ())
    assert LatencyResult.from_json(result.to_json()) == result
    assert result.to_json() == BENCHMARK_MODEL_SAMPLE


def test_the_new_runtime_is_accepted() -> None:
    assert "tflite_benchmark_model" in RUNTIMES
    assert LatencyResult.from_json({**SAMPLE, "runtime": "tflite_benchmark_model"}).runtime == "tflite_benchmark_model"


@pytest.mark.parametrize("field", ["p90_ms", "seed"])
def test_null_fields_are_still_required(field: str) -> None:
    with pytest.raises(ValueError, match=rf"field '{field}': missing"):
        LatencyResult.from_json(_without(field))


def test_ordering_against_p90_is_skipped_without_p90() -> None:
    # Any median is fine without a p90 ...
    result = LatencyResult.from_json({**SAMPLE, "p90_ms": None, "latency_ms": 9.0})
    assert result.latency_ms == 9.0
    # ... but min <= median is still checked, and a present p90 still is.
    with pytest.raises(ValueError, match=r"field 'min_ms'"):
        LatencyResult.from_json({**SAMPLE, "p90_ms": None, "min_ms": 7.0})
    with pytest.raises(ValueError, match=r"field 'p90_ms': 6\.0 is below the median"):
        LatencyResult.from_json({**SAMPLE, "p90_ms": 6.0})


def test_a_negative_p90_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"field 'p90_ms': must be >= 0"):
        LatencyResult.from_json({**SAMPLE, "p90_ms": -1.0})


def test_min_equal_to_the_median_passes_without_p90() -> None:
    # The tolerance scales with the median when there is no p90.
    result = LatencyResult.from_json({**SAMPLE, "p90_ms": None, "min_ms": SAMPLE["latency_ms"] * (1 + 1e-12)})
    assert result.p90_ms is None


def test_direct_construction_with_none() -> None:
    fields = {f.name: getattr(LatencyResult.from_json(SAMPLE), f.name) for f in dataclasses.fields(LatencyResult)}
    fields.update(p90_ms=None, seed=None, inputs=())
    result = LatencyResult(**fields)
    assert (result.p90_ms, result.seed, result.inputs) == (None, None, ())
    assert LatencyResult.from_json(result.to_json()) == result


# --------------------------------------------------------------------------- #
# Stability criteria and schema version 1
# --------------------------------------------------------------------------- #


def test_stable_follows_the_criterion() -> None:
    # cv 0.2 is unstable by CV; robust_cv 0.01 is stable: the criterion decides which one counts.
    spread = {"cv": 0.2, "robust_cv": 0.01}
    robust = LatencyResult.from_json({**SAMPLE, **spread, "stability_criterion": "robust_cv", "stable": True})
    assert robust.stable is True
    plain = LatencyResult.from_json({**SAMPLE, **spread, "stability_criterion": "cv", "stable": False})
    assert plain.stable is False and plain.robust_cv == 0.01
    with pytest.raises(ValueError, match=r"field 'stable': is False but robust_cv 0\.01 against cv_threshold 0\.05"):
        LatencyResult.from_json({**SAMPLE, **spread, "stability_criterion": "robust_cv", "stable": False})
    with pytest.raises(ValueError, match=r"field 'stable': is True but cv 0\.2 against cv_threshold 0\.05"):
        LatencyResult.from_json({**SAMPLE, **spread, "stability_criterion": "cv", "stable": True})


def test_the_cv_criterion_may_have_no_robust_spread() -> None:
    data = {**BENCHMARK_MODEL_SAMPLE, "mad_ms": None, "robust_cv": None, "stability_criterion": "cv"}
    result = LatencyResult.from_json(data)
    assert (result.mad_ms, result.robust_cv, result.stability_criterion) == (None, None, "cv")
    assert result.to_json() == data
    with pytest.raises(ValueError, match=r"field 'robust_cv': is null, so stability_criterion must be 'cv'"):
        LatencyResult.from_json({**data, "stability_criterion": "robust_cv"})


@pytest.mark.parametrize("field", V2_KEYS)
def test_a_version_2_object_needs_the_new_fields(field: str) -> None:
    with pytest.raises(ValueError, match=rf"field '{field}': missing"):
        LatencyResult.from_json(_without(field))


def test_a_version_1_object_reads_as_cv_and_writes_back_unchanged() -> None:
    result = LatencyResult.from_json(SAMPLE_V1)
    assert result.schema_version == 1
    assert (result.stability_criterion, result.mad_ms, result.robust_cv) == ("cv", None, None)
    assert result.latency_ms == SAMPLE["latency_ms"] and result.stable is True
    assert result.to_json() == SAMPLE_V1
    assert json.dumps(result.to_json()) == json.dumps(SAMPLE_V1)  # same keys in the same order, none added
    assert LatencyResult.from_json(json.dumps(SAMPLE_V1)) == result
    assert LatencyResult.from_json(result.to_json()) == result


def test_a_version_1_benchmark_model_object_round_trips() -> None:
    data = {k: v for k, v in BENCHMARK_MODEL_SAMPLE.items() if k not in V2_KEYS} | {"schema_version": 1}
    assert LatencyResult.from_json(data).to_json() == data


def test_version_1_stability_is_judged_by_cv() -> None:
    assert LatencyResult.from_json({**SAMPLE_V1, "cv": 0.2, "stable": False}).stable is False
    with pytest.raises(ValueError, match=r"field 'stable': is True but cv 0\.2"):
        LatencyResult.from_json({**SAMPLE_V1, "cv": 0.2, "stable": True})


@pytest.mark.parametrize("field", V2_KEYS)
def test_a_version_1_object_with_a_version_2_field_is_refused(field: str) -> None:
    with pytest.raises(ValueError, match=rf"field '{field}': unknown field for LatencyResult in schema_version 1"):
        LatencyResult.from_json({**SAMPLE_V1, field: SAMPLE[field]})


def test_a_version_1_object_is_checked_like_a_version_2_one() -> None:
    with pytest.raises(ValueError, match=r"field 'cv': missing"):
        LatencyResult.from_json({k: v for k, v in SAMPLE_V1.items() if k != "cv"})
    with pytest.raises(ValueError, match=r"field 'latency_us': unknown"):
        LatencyResult.from_json({**SAMPLE_V1, "latency_us": 3})


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"stability_criterion": "robust_cv"}, "stability_criterion"),
        ({"mad_ms": 0.04, "robust_cv": 0.009}, "mad_ms"),
        ({"robust_cv": 0.009}, "robust_cv"),
    ],
)
def test_a_version_1_result_cannot_hold_version_2_values(changes: dict[str, Any], named: str) -> None:
    fields = {f.name: getattr(LatencyResult.from_json(SAMPLE_V1), f.name) for f in dataclasses.fields(LatencyResult)}
    with pytest.raises(ValueError, match=rf"field '{named}': must be .* in schema_version 1"):
        LatencyResult(**{**fields, **changes})


@pytest.mark.parametrize("version", [0, 3, -1])
def test_unknown_versions_fail_clearly(version: int) -> None:
    for data in (SAMPLE, SAMPLE_V1):
        with pytest.raises(ValueError) as raised:
            LatencyResult.from_json({**data, "schema_version": version})
        assert str(raised.value) == (
            f"field 'schema_version': unsupported version {version}; this client reads versions 1 and 2"
        )


def test_a_missing_version_is_named() -> None:
    with pytest.raises(ValueError, match=r"field 'schema_version': missing"):
        LatencyResult.from_json(_without("schema_version"))
