"""Tests of devices/local.py: profiling in a separate local process."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import devices
from devices import DeviceUnavailableError, LatencyResult, LocalDevice, ProfilerError, ProfileSettings, profile_local
from devices import local as local_module

REPO_ROOT = Path(__file__).resolve().parents[2]


def _fake_python(tmp_path: Path, body: str) -> Path:
    """An executable that stands in for the interpreter and runs ``body`` (sh)."""
    path = tmp_path / "fake-python"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture()
def no_spawn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails the test if profile_local starts a process."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(local_module.subprocess, "run", refuse)


def test_profiles_a_tflite_model(tflite_f32: Path) -> None:
    result = profile_local(tflite_f32, runs=10, warmup=2, threads=2, seed=3)
    assert isinstance(result, LatencyResult)
    assert result.runtime == "litert" and result.delegate == "xnnpack"
    assert (result.threads, result.runs, result.warmup_runs, result.seed) == (2, 10, 2, 3)
    assert result.artifact_sha256 == hashlib.sha256(tflite_f32.read_bytes()).hexdigest()
    assert result.model_path == str(tflite_f32.resolve())
    assert 0 < result.min_ms <= result.latency_ms <= result.p90_ms
    assert LatencyResult.from_json(result.to_json()) == result


def test_profiles_an_onnx_model_with_explicit_runtime(onnx_model: Path) -> None:
    result = profile_local(str(onnx_model), runtime="onnxruntime", runs=5, warmup=1)
    assert (result.runtime, result.delegate) == ("onnxruntime", "cpu")
    assert result.inputs[0].shape == (1, 3, 16, 16)


def test_forced_instability_is_reported(tflite_int8: Path) -> None:
    result = profile_local(tflite_int8, runs=5, warmup=1, cv_threshold=0.0, max_attempts=2)
    assert (result.attempts, result.stable, result.stability_criterion) == (2, False, "robust_cv")
    assert result.inputs[0].dtype == "int8"


@pytest.mark.parametrize("criterion", ["robust_cv", "cv"])
def test_the_stability_criterion_reaches_the_result(onnx_model: Path, criterion: str) -> None:
    result = profile_local(onnx_model, runs=6, warmup=1, cv_threshold=1000.0, stability_criterion=criterion)
    assert (result.schema_version, result.stability_criterion) == (2, criterion)
    assert (result.attempts, result.stable) == (1, True)
    assert result.mad_ms is not None and result.robust_cv is not None  # the profiler always fills both
    assert result.robust_cv == pytest.approx(1.4826 * result.mad_ms / result.latency_ms)


@pytest.mark.parametrize("criterion", ["mad", "", None, 0])
def test_a_bad_stability_criterion_raises_before_spawning(onnx_model: Path, no_spawn: None, criterion: object) -> None:
    with pytest.raises(ValueError, match=r"stability_criterion must be one of robust_cv, cv"):
        profile_local(onnx_model, stability_criterion=criterion)  # type: ignore[arg-type]


def test_works_from_another_directory_without_pythonpath(
    tflite_f32: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    assert profile_local(tflite_f32, runs=5, warmup=1).runs == 5


def test_runs_the_profiler_file_in_a_separate_process(tflite_f32: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = []
    real_run = subprocess.run

    def spy(command, **kwargs):
        commands.append(command)
        return real_run(command, **kwargs)

    monkeypatch.setattr(local_module.subprocess, "run", spy)
    profile_local(tflite_f32, runs=5, warmup=1)
    (command,) = commands
    assert command[0] == sys.executable
    assert command[1] == str(REPO_ROOT / "devices" / "profiler.py")  # a file path, not `-m`
    assert "-m" not in command


def test_missing_file_raises_before_spawning(tmp_path: Path, no_spawn: None) -> None:
    with pytest.raises(FileNotFoundError, match="absent.tflite"):
        profile_local(tmp_path / "absent.tflite")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"runtime": "tensorrt"}, "unknown runtime 'tensorrt'"),
        ({"threads": 0}, "threads must be an integer >= 1"),
        ({"threads": True}, "threads must be an integer >= 1"),
        ({"runs": 1}, "runs must be an integer >= 2"),
        ({"warmup": -1}, "warmup must be an integer >= 0"),
        ({"max_attempts": 0}, "max_attempts must be an integer >= 1"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"cv_threshold": -0.5}, "cv_threshold must be a finite number >= 0"),
        ({"cv_threshold": float("inf")}, "cv_threshold must be a finite number >= 0"),
        ({"stability_criterion": "std"}, "stability_criterion must be one of robust_cv, cv, got 'std'"),
        ({"timeout_s": 0}, "timeout_s must be a number > 0"),
    ],
)
def test_invalid_arguments_raise_before_spawning(tflite_f32: Path, no_spawn: None, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        profile_local(tflite_f32, **kwargs)


def test_arguments_after_the_model_are_keyword_only(tflite_f32: Path) -> None:
    with pytest.raises(TypeError):
        profile_local(tflite_f32, "litert")  # type: ignore[misc]


@pytest.mark.parametrize("name", ["garbage.tflite", "garbage.onnx"])
def test_profiler_failure_carries_its_one_line_message(garbage, run_profiler, name: str) -> None:
    path = garbage(name)
    with pytest.raises(ProfilerError) as info:
        profile_local(path)
    direct = run_profiler(path.resolve())
    assert str(info.value) == direct.stderr.splitlines()[-1].removeprefix("error: ")
    assert isinstance(info.value, RuntimeError)
    assert info.value.returncode == 2
    assert str(info.value) in info.value.stderr


def test_timeout_raises_and_kills_the_profiler(tflite_models: dict[str, Path]) -> None:
    start = time.monotonic()
    with pytest.raises(ProfilerError, match=r"timed out after 1\.5 s") as info:
        profile_local(tflite_models["heavy"], runs=1_000_000, timeout_s=1.5)
    assert time.monotonic() - start < 10
    assert info.value.returncode is None


def test_interpreter_that_cannot_start(tflite_f32: Path, tmp_path: Path) -> None:
    with pytest.raises(ProfilerError, match="cannot start the profiler"):
        profile_local(tflite_f32, python=tmp_path / "no-such-python")


def test_crash_without_an_error_line_is_described(tflite_f32: Path, tmp_path: Path) -> None:
    python = _fake_python(tmp_path, 'echo "Segmentation fault in libfoo" >&2; kill -SEGV $$')
    with pytest.raises(ProfilerError, match="killed by SIGSEGV: Segmentation fault in libfoo") as info:
        profile_local(tflite_f32, python=python)
    assert info.value.returncode == -11


def test_exit_status_without_an_error_line_is_described(tflite_f32: Path, tmp_path: Path) -> None:
    python = _fake_python(tmp_path, 'echo "Traceback: boom" >&2; exit 1')
    with pytest.raises(ProfilerError, match="exited with status 1: Traceback: boom"):
        profile_local(tflite_f32, python=python)


@pytest.mark.parametrize(("stdout", "fragment"), [("not json", "not valid JSON"), ('{"runs": 5}', "missing")])
def test_invalid_result_is_a_profiler_error(tflite_f32: Path, tmp_path: Path, stdout: str, fragment: str) -> None:
    python = _fake_python(tmp_path, f"echo '{stdout}'")
    with pytest.raises(ProfilerError, match=f"profiler printed an invalid result: .*{fragment}"):
        profile_local(tflite_f32, python=python)


def test_importing_devices_stays_light() -> None:
    code = (
        "import sys, devices; "
        "heavy = [m for m in ('numpy', 'tensorflow', 'keras', 'onnxruntime', 'ai_edge_litert', 'edgenas') "
        "if m in sys.modules]; "
        "print(sorted(devices.__all__), heavy)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, env=env, check=True
    )
    assert proc.stdout.strip() == f"{sorted(_PUBLIC)} []"


def test_public_names() -> None:
    assert devices.ProfilerError is ProfilerError and issubclass(ProfilerError, RuntimeError)
    assert set(devices.__all__) == _PUBLIC
    assert issubclass(LocalDevice, devices.DeviceBackend)


_PUBLIC = {
    "AdbDevice",
    "AdbTarget",
    "DeviceBackend",
    "DeviceInfo",
    "DeviceUnavailableError",
    "LatencyResult",
    "LocalDevice",
    "MeasureSession",
    "ProfileSettings",
    "ProfilerError",
    "ProfilerSession",
    "STABILITY_CRITERIA",
    "SshDevice",
    "SshTarget",
    "TensorInfo",
    "profile_local",
}


def test_local_device_measures_with_its_settings(tflite_f32: Path) -> None:
    device = LocalDevice("bench-1")
    result = device.measure(tflite_f32, ProfileSettings(threads=2, runs=4, warmup=1, seed=3), timeout_s=120)
    assert device.name == "bench-1"
    assert (result.threads, result.runs, result.warmup_runs, result.seed) == (2, 4, 1, 3)
    assert result.artifact_sha256 == hashlib.sha256(tflite_f32.read_bytes()).hexdigest()


def test_local_device_health(tmp_path: Path) -> None:
    LocalDevice().check_health(timeout_s=60)
    with pytest.raises(DeviceUnavailableError, match="broken: the profiler self-check did not run") as info:
        LocalDevice("broken", python=tmp_path / "no-such-python").check_health()
    assert info.value.device == "broken"
    no_runtime = _fake_python(tmp_path, 'echo "error: no runtime is installed" >&2; exit 2')
    with pytest.raises(DeviceUnavailableError, match="self-check failed: no runtime is installed"):
        LocalDevice("bare", python=no_runtime).check_health()


def test_local_device_rejects_a_bad_name() -> None:
    with pytest.raises(ValueError, match="non-empty string"):
        LocalDevice("")
