"""Tests of devices/profiler.py, the standalone on-device profiler.

Almost every test runs the profiler as a script in its own process, exactly as
it runs on a board.
"""

from __future__ import annotations

import ast
import datetime
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

PROFILER = Path(__file__).resolve().parents[2] / "devices" / "profiler.py"

RESULT_KEYS = {
    "schema_version", "model_path", "artifact_sha256", "size_bytes", "runtime", "runtime_version",
    "threads", "delegate", "inputs", "latency_ms", "p90_ms", "mean_ms", "std_ms", "min_ms", "cv",
    "mad_ms", "robust_cv", "runs", "warmup_runs", "attempts", "max_attempts", "stable", "stability_criterion",
    "cv_threshold", "seed", "device", "measured_at",
}  # fmt: skip
DEVICE_KEYS = {"hostname", "platform", "machine", "cpu_model", "cpu_count", "cpu_governor", "temperature_c"}
FORBIDDEN_MODULES = ("tensorflow", "keras", "tf_keras", "edgenas", "devices", "latency_models")


def _load_profiler_module():
    """Imports profiler.py by path (its module level is standard library only)."""
    spec = importlib.util.spec_from_file_location("_profiler_under_test", PROFILER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ok_json(proc: subprocess.CompletedProcess[str]) -> dict:
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, f"stdout must be exactly one JSON line, got {proc.stdout!r}"
    return json.loads(lines[0])


def _assert_one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, f"expected one stderr line, got {proc.stderr!r}"
    assert lines[0].startswith("error: ")
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def _assert_stats(r: dict) -> None:
    assert 0 < r["min_ms"] <= r["latency_ms"] <= r["p90_ms"]
    assert r["mean_ms"] >= r["min_ms"]
    assert r["std_ms"] >= 0
    assert r["cv"] == pytest.approx(r["std_ms"] / r["mean_ms"])
    assert r["mad_ms"] >= 0
    assert r["robust_cv"] == pytest.approx(1.4826 * r["mad_ms"] / r["latency_ms"])
    assert r["stability_criterion"] in ("robust_cv", "cv")
    assert r["stable"] == (r[r["stability_criterion"]] <= r["cv_threshold"])
    assert 1 <= r["attempts"] <= r["max_attempts"]


# --------------------------------------------------------------------------- #
# Successful measurements
# --------------------------------------------------------------------------- #


def test_tflite_float_result_is_complete_and_consistent(run_profiler, tflite_f32: Path) -> None:
    before = datetime.datetime.now(datetime.timezone.utc)
    r = _ok_json(run_profiler(tflite_f32, "--runs", "20", "--warmup", "3", "--threads", "2", "--seed", "7"))

    assert set(r) == RESULT_KEYS
    assert r["schema_version"] == 2
    assert r["stability_criterion"] == "robust_cv"  # the default
    assert r["model_path"] == str(tflite_f32.resolve())
    assert r["artifact_sha256"] == hashlib.sha256(tflite_f32.read_bytes()).hexdigest()
    assert r["size_bytes"] == tflite_f32.stat().st_size
    assert r["runtime"] == "litert"
    assert r["runtime_version"] == importlib.metadata.version("ai-edge-litert")
    assert r["threads"] == 2
    assert r["delegate"] == "xnnpack"
    assert [(i["dtype"], i["shape"]) for i in r["inputs"]] == [("float32", [1, 32, 32, 3])]
    assert isinstance(r["inputs"][0]["name"], str)
    _assert_stats(r)
    assert (r["runs"], r["warmup_runs"], r["max_attempts"], r["cv_threshold"], r["seed"]) == (20, 3, 3, 0.05, 7)

    device = r["device"]
    assert set(device) == DEVICE_KEYS
    assert device["hostname"] == socket.gethostname()
    assert device["machine"] == platform.machine()
    assert device["platform"] == platform.platform()
    assert device["cpu_count"] == os.cpu_count()
    assert device["cpu_model"] is None or isinstance(device["cpu_model"], str)
    assert device["cpu_governor"] is None or isinstance(device["cpu_governor"], str)
    assert device["temperature_c"] is None or -50 < device["temperature_c"] < 200

    measured_at = datetime.datetime.fromisoformat(r["measured_at"])
    assert measured_at.utcoffset() == datetime.timedelta(0)
    assert before <= measured_at <= datetime.datetime.now(datetime.timezone.utc)


def test_int8_model_reports_int8_input(run_profiler, tflite_int8: Path) -> None:
    r = _ok_json(run_profiler(tflite_int8, "--runs", "10", "--warmup", "2"))
    assert [(i["dtype"], i["shape"]) for i in r["inputs"]] == [("int8", [1, 32, 32, 3])]
    assert r["delegate"] == "xnnpack"  # LiteRT runs int8 through XNNPACK too
    assert r["artifact_sha256"] == hashlib.sha256(tflite_int8.read_bytes()).hexdigest()
    _assert_stats(r)


def test_dynamic_batch_is_measured_at_batch_one(run_profiler, tflite_models: dict[str, Path]) -> None:
    r = _ok_json(run_profiler(tflite_models["dynamic"], "--runs", "5", "--warmup", "1"))
    assert r["inputs"][0]["shape"] == [1, 32, 32, 3]
    _assert_stats(r)


def test_onnx_model_runs_on_onnxruntime_cpu(run_profiler, onnx_model: Path) -> None:
    r = _ok_json(run_profiler(onnx_model, "--runs", "10", "--warmup", "2", "--threads", "2"))
    assert r["runtime"] == "onnxruntime"
    assert r["runtime_version"] == importlib.metadata.version("onnxruntime")
    assert r["delegate"] == "cpu"
    assert r["threads"] == 2
    assert r["inputs"] == [{"name": "x", "dtype": "float32", "shape": [1, 3, 16, 16]}]  # symbolic batch -> 1
    assert r["artifact_sha256"] == hashlib.sha256(onnx_model.read_bytes()).hexdigest()
    _assert_stats(r)


def test_runtime_flag_overrides_the_extension(run_profiler, tflite_f32: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "model.bin"
    shutil.copy(tflite_f32, renamed)
    r = _ok_json(run_profiler(renamed, "--runtime", "litert", "--runs", "5", "--warmup", "1"))
    assert r["runtime"] == "litert"


def test_latency_tracks_the_work_in_the_model(run_profiler, tflite_models: dict[str, Path]) -> None:
    small = _ok_json(run_profiler(tflite_models["f32"], "--runs", "20", "--warmup", "3"))
    heavy = _ok_json(run_profiler(tflite_models["heavy"], "--runs", "20", "--warmup", "3"))
    # ~0.1 M against ~115 M multiply-adds: the timer must see the difference.
    assert heavy["latency_ms"] > 5 * small["latency_ms"]


@pytest.mark.parametrize("criterion", ["robust_cv", "cv"])
def test_forced_instability_repeats_and_reports_unstable(run_profiler, tflite_f32: Path, criterion: str) -> None:
    r = _ok_json(
        run_profiler(
            tflite_f32, "--cv-threshold", "0", "--max-attempts", "2", "--runs", "5", "--warmup", "1",
            "--stability", criterion,
        )
    )  # fmt: skip
    assert r["attempts"] == 2
    assert r["stable"] is False
    assert r["stability_criterion"] == criterion
    assert r[criterion] > 0  # five runs timed in ns: three equal to the ns (a zero MAD) would be a fluke
    assert r["cv_threshold"] == 0.0


def test_stable_measurement_stops_after_one_attempt(run_profiler, tflite_f32: Path) -> None:
    r = _ok_json(run_profiler(tflite_f32, "--cv-threshold", "1000", "--runs", "5", "--warmup", "1"))
    assert r["attempts"] == 1
    assert r["stable"] is True


def test_output_file_is_written_atomically_instead_of_stdout(run_profiler, tflite_f32: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    proc = run_profiler(tflite_f32, "--runs", "5", "--warmup", "1", "--output", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    r = json.loads(out.read_text())
    assert set(r) == RESULT_KEYS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]  # no temporary file left


def test_runs_from_any_working_directory(run_profiler, tflite_f32: Path, tmp_path: Path) -> None:
    r = _ok_json(run_profiler(tflite_f32, "--runs", "5", "--warmup", "1", cwd=tmp_path))
    assert r["model_path"] == str(tflite_f32.resolve())


# --------------------------------------------------------------------------- #
# Expected failures: exit status 2 and one specific line on stderr
# --------------------------------------------------------------------------- #


def test_missing_file(run_profiler, tmp_path: Path) -> None:
    _assert_one_line_error(run_profiler(tmp_path / "absent.tflite"), "model file not found", "absent.tflite")


@pytest.mark.parametrize("name", ["garbage.tflite", "empty.tflite"])
def test_file_that_is_not_a_tflite_model(run_profiler, garbage, name: str) -> None:
    path = garbage(name)
    if name.startswith("empty"):
        path.write_bytes(b"")
    _assert_one_line_error(run_profiler(path), "not a TFLite model", "TFL3", name)


def test_corrupt_flatbuffer_with_tflite_identifier(run_profiler, tmp_path: Path) -> None:
    path = tmp_path / "corrupt.tflite"
    path.write_bytes(b"\x00\x00\x00\x00TFL3" + b"\xff" * 100)
    proc = run_profiler(path)
    assert proc.returncode == 2
    last = proc.stderr.splitlines()[-1]  # native runtimes may log above our line
    assert last.startswith("error: litert cannot load") and "corrupt.tflite" in last
    assert "Traceback" not in proc.stderr


def test_garbage_onnx(run_profiler, garbage) -> None:
    _assert_one_line_error(run_profiler(garbage("garbage.onnx")), "onnxruntime cannot load", "garbage.onnx")


def test_tflite_file_given_to_onnxruntime_gets_a_hint(run_profiler, tflite_f32: Path) -> None:
    _assert_one_line_error(run_profiler(tflite_f32, "--runtime", "onnxruntime"), "use --runtime litert")


def test_directory_is_not_a_model(run_profiler, tmp_path: Path) -> None:
    folder = tmp_path / "model.tflite"
    folder.mkdir()
    _assert_one_line_error(run_profiler(folder), "not a regular file")


def test_unknown_runtime(run_profiler, tflite_f32: Path) -> None:
    _assert_one_line_error(
        run_profiler(tflite_f32, "--runtime", "tensorrt"), "unknown runtime 'tensorrt'", "litert, onnxruntime"
    )


def test_unknown_extension_needs_runtime_flag(run_profiler, garbage) -> None:
    _assert_one_line_error(run_profiler(garbage("model.pb")), "cannot infer the runtime", "'.pb'", "--runtime")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--threads", "0"], "--threads must be >= 1"),
        (["--threads", "two"], "argument --threads: invalid int value: 'two'"),
        (["--runs", "1"], "--runs must be >= 2"),
        (["--warmup", "-1"], "--warmup must be >= 0"),
        (["--cv-threshold", "-0.1"], "--cv-threshold must be a finite number >= 0"),
        (["--cv-threshold", "nan"], "--cv-threshold must be a finite number >= 0"),
        (["--stability", "mad"], "unknown --stability 'mad'; known criteria: robust_cv, cv"),
        (["--max-attempts", "0"], "--max-attempts must be >= 1"),
        (["--seed", "-3"], "--seed must be >= 0"),
        (["--output", "/nonexistent-folder/r.json"], "output folder does not exist"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_invalid_arguments(run_profiler, tflite_f32: Path, args: list[str], fragment: str) -> None:
    _assert_one_line_error(run_profiler(tflite_f32, *args), fragment)


def test_model_argument_is_required(run_profiler) -> None:
    _assert_one_line_error(run_profiler(), "the following arguments are required: model")


def test_main_returns_status_instead_of_exiting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profiler = _load_profiler_module()
    assert profiler.main([str(tmp_path / "absent.onnx")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: model file not found: {tmp_path / 'absent.onnx'}\n"


def test_help_exits_zero(run_profiler) -> None:
    proc = run_profiler("--help")
    assert proc.returncode == 0 and "--cv-threshold" in proc.stdout and "--stability" in proc.stdout
    assert _load_profiler_module().main(["--help"]) == 0


def test_self_check_reports_numpy_and_runtimes(run_profiler) -> None:
    proc = run_profiler("--self-check")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["numpy"] == np.__version__
    assert report["runtimes"]["litert"] and report["runtimes"]["onnxruntime"]
    assert report["runtimes"]["tflite_runtime"] is None
    assert report["device"]["cpu_count"] == os.cpu_count()


def test_self_check_takes_no_model(run_profiler, tflite_f32: Path) -> None:
    _assert_one_line_error(run_profiler("--self-check", tflite_f32), "--self-check takes no model")


def test_self_check_fails_without_any_runtime(run_profiler_wrapped) -> None:
    proc, modules = run_profiler_wrapped(["--self-check"], blocked=["ai_edge_litert", "tflite_runtime", "onnxruntime"])
    assert proc.returncode == 2
    assert proc.stderr == "error: no runtime is installed (ai-edge-litert, tflite-runtime or onnxruntime)\n"
    assert json.loads(proc.stdout)["runtimes"] == {"litert": None, "tflite_runtime": None, "onnxruntime": None}
    assert "tensorflow" not in modules


# --------------------------------------------------------------------------- #
# Runtimes: fallback, absence, and what gets imported
# --------------------------------------------------------------------------- #


def test_falls_back_to_tflite_runtime(run_profiler_wrapped, tflite_f32: Path, fake_tflite_runtime: Path) -> None:
    proc, _ = run_profiler_wrapped(
        [tflite_f32, "--runs", "5", "--warmup", "1"], blocked=["ai_edge_litert"], extra_path=fake_tflite_runtime
    )
    r = _ok_json(proc)
    assert (r["runtime"], r["runtime_version"]) == ("tflite_runtime", "2.14.0")


def test_no_tflite_interpreter_installed(run_profiler_wrapped, tflite_f32: Path) -> None:
    proc, _ = run_profiler_wrapped([tflite_f32], blocked=["ai_edge_litert", "tflite_runtime"])
    _assert_one_line_error(proc, "no TFLite interpreter is installed", "ai_edge_litert", "tflite_runtime")


def test_onnxruntime_not_installed(run_profiler_wrapped, onnx_model: Path) -> None:
    proc, _ = run_profiler_wrapped([onnx_model], blocked=["onnxruntime"])
    _assert_one_line_error(proc, "onnxruntime is not installed")


def test_numpy_not_installed(run_profiler_wrapped, tflite_f32: Path) -> None:
    proc, _ = run_profiler_wrapped([tflite_f32], blocked=["numpy"])
    _assert_one_line_error(proc, "numpy is not installed")


@pytest.mark.parametrize("model", ["tflite", "onnx"])
def test_never_imports_tensorflow_or_the_project(run_profiler_wrapped, tflite_f32, onnx_model, model) -> None:
    path = tflite_f32 if model == "tflite" else onnx_model
    proc, modules = run_profiler_wrapped([path, "--runs", "5", "--warmup", "1"])
    _ok_json(proc)
    roots = {m.partition(".")[0] for m in modules}
    assert roots.isdisjoint(FORBIDDEN_MODULES), sorted(roots & set(FORBIDDEN_MODULES))
    assert ("ai_edge_litert" in roots) == (model == "tflite")
    assert ("onnxruntime" in roots) == (model == "onnx")


def test_module_level_imports_are_standard_library_only() -> None:
    tree = ast.parse(PROFILER.read_text())
    top_level = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top_level.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            top_level.add((node.module or "").partition(".")[0])
    assert top_level <= sys.stdlib_module_names, top_level - sys.stdlib_module_names
    everywhere = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            everywhere.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "the profiler is standalone: no relative imports"
            everywhere.add((node.module or "").partition(".")[0])
    third_party = everywhere - sys.stdlib_module_names
    assert third_party == {"numpy", "ai_edge_litert", "tflite_runtime", "onnxruntime"}


# --------------------------------------------------------------------------- #
# Helpers, in process
# --------------------------------------------------------------------------- #


def test_latency_stats_definitions() -> None:
    stats = _load_profiler_module().latency_stats(np, [1_000_000, 2_000_000, 3_000_000, 4_000_000])
    assert stats["latency_ms"] == 2.5
    assert stats["p90_ms"] == pytest.approx(3.7)  # linear interpolation
    assert stats["mean_ms"] == 2.5
    assert stats["std_ms"] == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    assert stats["min_ms"] == 1.0
    assert stats["cv"] == pytest.approx(stats["std_ms"] / 2.5)
    assert stats["mad_ms"] == 1.0  # deviations from 2.5: 1.5, 0.5, 0.5, 1.5
    assert stats["robust_cv"] == pytest.approx(1.4826 * 1.0 / 2.5)
    assert all(type(v) is float for v in stats.values())


def test_robust_cv_ignores_a_few_outliers_that_cv_does_not() -> None:
    stats = _load_profiler_module().latency_stats(np, [10_000_000] * 48 + [100_000_000] * 2)
    assert (stats["latency_ms"], stats["mad_ms"], stats["robust_cv"]) == (10.0, 0.0, 0.0)
    assert stats["cv"] > 1.0


def test_robust_cv_matches_cv_on_normal_times() -> None:
    times = np.random.default_rng(0).normal(10e6, 0.5e6, size=20_000)
    stats = _load_profiler_module().latency_stats(np, times)
    assert stats["robust_cv"] == pytest.approx(stats["cv"], rel=0.03)


def _fake_runs(times_ms: list[float]):
    """A run_once for `_measure` with a fake clock: each call takes the next of `times_ms`, cycling."""
    state = {"now": 0, "calls": 0}

    def run_once() -> None:
        state["now"] += int(times_ms[state["calls"] % len(times_ms)] * 1e6)
        state["calls"] += 1

    return run_once, state


# 48 runs of 10 ms and 2 preempted runs of 100 ms: the median is untouched, the std is not.
_PREEMPTED = [10.0] * 24 + [100.0] + [10.0] * 24 + [100.0]


@pytest.mark.parametrize(
    ("criterion", "attempts", "stable"),
    [("cv", 3, False), ("robust_cv", 1, True)],
)
def test_outliers_repeat_attempts_by_cv_but_not_by_robust_cv(
    monkeypatch: pytest.MonkeyPatch, criterion: str, attempts: int, stable: bool
) -> None:
    profiler = _load_profiler_module()
    run_once, state = _fake_runs(_PREEMPTED)
    monkeypatch.setattr(profiler.time, "perf_counter_ns", lambda: state["now"])
    stats, made = profiler._measure(
        run_once, np, runs=50, warmup=0, cv_threshold=0.05, max_attempts=3, stability=criterion
    )
    assert made == attempts
    assert state["calls"] == 50 * attempts
    assert (stats[criterion] <= 0.05) is stable
    assert stats["latency_ms"] == 10.0
    assert stats["robust_cv"] == 0.0 and stats["cv"] > 1.0


@pytest.mark.parametrize(("criterion", "kept_ms"), [("robust_cv", 10.025), ("cv", 12.0)])
def test_the_attempt_with_the_lowest_criterion_is_kept(
    monkeypatch: pytest.MonkeyPatch, criterion: str, kept_ms: float
) -> None:
    profiler = _load_profiler_module()
    # Attempt 1: one outlier (robust_cv 0.0074, cv 0.66); attempt 2: an even spread (robust_cv 0.012, cv 0.012).
    attempts = [[10.0, 10.1, 9.9, 10.0, 10.05, 50.0], [12.0, 11.9, 12.1, 12.0, 11.8, 12.2]]
    run_once, state = _fake_runs([t for attempt in attempts for t in attempt])
    monkeypatch.setattr(profiler.time, "perf_counter_ns", lambda: state["now"])
    stats, made = profiler._measure(
        run_once, np, runs=6, warmup=0, cv_threshold=0.001, max_attempts=2, stability=criterion
    )
    assert made == 2
    assert stats["latency_ms"] == pytest.approx(kept_ms)


@pytest.mark.parametrize(
    ("dtype", "low", "high"),
    [("float32", -1, 1), ("float16", -1, 1), ("int8", -128, 127), ("uint8", 0, 255), ("int64", 0, 15), ("bool", 0, 1)],
)
def test_random_inputs_are_seeded_and_typed(dtype: str, low: int, high: int) -> None:
    profiler = _load_profiler_module()
    make = lambda seed: profiler.random_input(np, np.random.default_rng(seed), dtype, (4, 64))  # noqa: E731
    a, b, c = make(0), make(0), make(1)
    assert a.dtype == np.dtype(dtype) and a.shape == (4, 64)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert low <= a.min() and a.max() <= high
    if dtype in ("int8", "uint8"):
        assert int(a.max()) - int(a.min()) > 200  # quantized inputs span the whole range


def test_random_input_rejects_strings() -> None:
    profiler = _load_profiler_module()
    with pytest.raises(profiler.ProfilerFailure, match="input dtype"):
        profiler.random_input(np, np.random.default_rng(0), "str", (2,))


# --------------------------------------------------------------------------- #
# A fresh virtual environment: numpy and ai-edge-litert, nothing else
# --------------------------------------------------------------------------- #


@pytest.mark.slow
def test_runs_in_a_fresh_venv_with_only_numpy_and_litert(tmp_path: Path, tflite_f32: Path, tflite_int8: Path) -> None:
    start = time.monotonic()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, capture_output=True, timeout=120)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    pip = subprocess.run(
        [python, "-m", "pip", "install", "--disable-pip-version-check", "-q", "numpy==2.4.6", "ai-edge-litert==2.3.0"],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    offline = ("No matching distribution", "Could not fetch", "NewConnectionError", "Name or service")
    if pip.returncode != 0 and any(s in pip.stderr for s in offline):
        pytest.skip(f"cannot install from the package index here: {pip.stderr.strip().splitlines()[-1]}")
    assert pip.returncode == 0, pip.stderr

    probe = subprocess.run(
        [python, "-c", "import importlib.util as u; print([m for m in ('tensorflow', 'keras', 'onnxruntime', "
         "'edgenas', 'devices') if u.find_spec(m)])"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=True,
    )  # fmt: skip
    assert probe.stdout.strip() == "[]", "the fresh venv must not see TensorFlow, onnxruntime or the project"

    for model, dtype in ((tflite_f32, "float32"), (tflite_int8, "int8")):
        proc = subprocess.run(
            [python, "-X", "importtime", PROFILER, model, "--runs", "10", "--warmup", "2"],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
        r = json.loads(proc.stdout)
        assert r["runtime"] == "litert" and r["runtime_version"] == "2.3.0"
        assert r["inputs"][0]["dtype"] == dtype
        _assert_stats(r)
        imported = {
            line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")
        }
        roots = {m.lstrip().partition(".")[0] for m in imported}
        assert "ai_edge_litert" in roots and "numpy" in roots
        assert roots.isdisjoint(FORBIDDEN_MODULES), sorted(roots & set(FORBIDDEN_MODULES))

    # The client side drives the fresh interpreter too.
    from devices import profile_local  # noqa: PLC0415

    result = profile_local(tflite_int8, runs=10, warmup=2, python=python)
    assert result.runtime == "litert" and result.inputs[0].dtype == "int8"
    assert time.monotonic() - start < 120


def test_serve_answers_one_line_per_request_until_stdin_ends(tflite_f32: Path, tmp_path: Path) -> None:
    requests = [
        json.dumps([str(tflite_f32), "--runs", "4", "--warmup", "1"]),
        "not json",
        json.dumps({"model": str(tflite_f32)}),
        json.dumps([str(tflite_f32), "--runs", "1"]),
        json.dumps([str(tflite_f32), "--self-check"]),
        json.dumps([str(tmp_path / "missing.tflite")]),
        "",
        json.dumps([str(tflite_f32), "--runs", "3", "--warmup", "0", "--seed", "5"]),
    ]
    proc = subprocess.run([sys.executable, str(PROFILER), "--serve"], input="\n".join(requests) + "\n",
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(answers) == 7  # the blank line is skipped
    assert answers[0]["result"]["runs"] == 4 and answers[0]["result"]["model_path"] == str(tflite_f32.resolve())
    assert answers[1]["error"].startswith("a request must be a JSON array of arguments")
    assert answers[2]["error"] == "a request must be a JSON array of strings (the arguments of one run)"
    assert answers[3]["error"] == "--runs must be >= 2 (a standard deviation needs two runs), got 1"
    assert answers[4]["error"] == "--self-check takes no model"
    assert answers[5]["error"].startswith("model file not found")
    assert (answers[6]["result"]["runs"], answers[6]["result"]["seed"]) == (3, 5)


def test_onnx_result_carries_the_chosen_criterion(run_profiler, onnx_model: Path) -> None:
    cases = (([], "robust_cv"), (["--stability", "cv"], "cv"), (["--stability", "robust_cv"], "robust_cv"))
    for args, criterion in cases:
        r = _ok_json(run_profiler(onnx_model, "--runs", "6", "--warmup", "1", "--cv-threshold", "1000", *args))
        assert set(r) == RESULT_KEYS and r["schema_version"] == 2
        assert r["stability_criterion"] == criterion
        assert (r["attempts"], r["stable"]) == (1, True)
        _assert_stats(r)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stability", "mad"], "error: unknown --stability 'mad'; known criteria: robust_cv, cv"),
        (["--stability", "CV"], "error: unknown --stability 'CV'; known criteria: robust_cv, cv"),
        (["--stability", ""], "error: unknown --stability ''; known criteria: robust_cv, cv"),
        (["--stability"], "error: argument --stability: expected one argument"),
    ],
)
def test_a_bad_stability_is_refused(run_profiler, onnx_model: Path, args: list[str], message: str) -> None:
    assert _assert_one_line_error(run_profiler(onnx_model, *args)) == message


def test_profile_refuses_a_bad_stability_before_reading_the_model(tmp_path: Path) -> None:
    profiler = _load_profiler_module()
    with pytest.raises(profiler.ProfilerFailure, match=r"unknown stability 'mad'; known criteria: robust_cv, cv"):
        profiler.profile(str(tmp_path / "absent.onnx"), stability="mad")


def test_serve_takes_the_stability_flag(onnx_model: Path) -> None:
    requests = [
        json.dumps([str(onnx_model), "--runs", "3", "--warmup", "0", "--stability", "cv"]),
        json.dumps([str(onnx_model), "--runs", "3", "--warmup", "0", "--stability", "median"]),
        json.dumps([str(onnx_model), "--runs", "3", "--warmup", "0"]),
    ]
    proc = subprocess.run([sys.executable, str(PROFILER), "--serve"], input="\n".join(requests) + "\n",
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert answers[0]["result"]["stability_criterion"] == "cv"
    assert answers[1] == {"error": "unknown --stability 'median'; known criteria: robust_cv, cv"}
    assert answers[2]["result"]["stability_criterion"] == "robust_cv"


def test_serve_takes_no_model_on_its_command_line(run_profiler, tflite_f32: Path) -> None:
    proc = run_profiler("--serve", tflite_f32)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: --serve takes no model, --self-check or --output: it reads its requests from stdin"
    )
