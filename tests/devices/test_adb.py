"""Tests of devices/adb.py and its parser, against a fake adb (no phone here).

The fake (tests/devices/fake_adb/) keeps a folder as the phone's file system
and replays real ``benchmark_model`` transcripts from public documentation
(fake_adb/recorded.py). What that does not cover: a real adb server and
phone, real adb error texts beyond the ones copied into the fake, and a real
``benchmark_model`` binary.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import math
import sys
import time
from pathlib import Path

import pytest

from devices import DeviceUnavailableError, LatencyResult, ProfilerError, ProfileSettings
from devices.adb import AdbDevice
from devices.latency_result import RUNTIMES
from devices.adb_device_info import parse_device_info
from devices.adb_output import RunStats, parse_benchmark_output
from devices.adb_target import AdbTarget

FAKE_ADB = Path(__file__).resolve().with_name("fake_adb")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_edgenas_fake_adb_{name}", FAKE_ADB / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


recorded = _load("recorded")
phone_module = _load("phone")

FAST = ProfileSettings(runs=50, warmup=1, max_attempts=1)


@pytest.fixture()
def phone(tmp_path: Path):
    """A fake phone whose benchmark_model replays the TI AM62x XNNPACK transcript."""
    fake = phone_module.make_phone(tmp_path)
    fake.replay(recorded.TI_AM62X_XNNPACK)
    return fake


@pytest.fixture()
def model(tmp_path: Path) -> Path:
    """A small file named like a TFLite model (the fake benchmark_model does not read it)."""
    path = tmp_path / "candidate.tflite"
    path.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(range(256)) * 4)
    return path


def _device(phone, **target: object) -> AdbDevice:
    return AdbDevice(AdbTarget(phone.serial, adb=str(phone.adb), **target), name="pixel")  # type: ignore[arg-type]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


# --------------------------------------------------------------------------- #
# The parser, on recorded output
# --------------------------------------------------------------------------- #


def test_parses_a_recorded_run_with_percentiles() -> None:
    out = parse_benchmark_output(recorded.TI_AM62X_XNNPACK)
    assert out.inference == RunStats(
        count=50, first_us=900416, curr_us=898333, min_us=898007, max_us=906121, avg_us=899641, std_us=1549,
        p5_us=898333, median_us=899281, p95_us=904305,
    )  # fmt: skip
    assert out.warmup == RunStats(1, 905463, 905463, 905463, 905463, 905463, 0.0, 905463, 905463, 905463)
    assert (out.init_us, out.first_inference_us, out.warmup_avg_us, out.inference_avg_us) == (
        614333, 905463, 905463, 899641
    )
    assert out.xnnpack is True
    assert out.inference.sample_std_us == pytest.approx(1549 * math.sqrt(50 / 49))
    assert out.inference.cv == pytest.approx(1549 * math.sqrt(50 / 49) / 899641)


def test_parses_exponent_notation_and_a_run_without_xnnpack() -> None:
    out = parse_benchmark_output(recorded.TI_AM62X_CPU)
    assert out.inference.avg_us == 1.24027e06 and out.inference.median_us == 1239807
    assert out.warmup_avg_us == 1.3576e06
    assert out.xnnpack is False


def test_parses_an_old_build_and_skips_the_operator_profile() -> None:
    out = parse_benchmark_output(recorded.META_TFLITE_OP_PROFILING)
    assert (out.inference.count, out.inference.first_us, out.inference.std_us) == (50, 2990275, 109798)
    assert (out.inference.p5_us, out.inference.median_us, out.inference.p95_us) == (None, None, None)
    assert out.warmup == RunStats(1, 3512391, 3512391, 3512391, 3512391, 3512391, 0.0)


def test_the_old_summary_format_is_refused() -> None:
    with pytest.raises(ValueError, match="no 'Inference timings in us' summary line"):
        parse_benchmark_output(recorded.TF_README_OLD_SUMMARY)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no 'Inference timings in us'"),
        ("Segmentation fault\n", "no 'Inference timings in us'"),
        ("Inference timings in us: Init: 1, First inference: 2, Warmup (avg): 2, Inference (avg): 3\n", "no 'count='"),
        (
            "count=0\nInference timings in us: Init: 1, First inference: 0, Warmup (avg): nan, Inference (avg): nan\n",
            "no timed run",
        ),
        (
            "count=2 first=10 curr=12 min=10 max=12 avg=11 std=1\n"
            "Inference timings in us: Init: 1, First inference: 2, Warmup (avg): 2, Inference (avg): 99\n",
            "disagrees",
        ),
        (
            "count=2 first=10 curr=x min=10 max=12 avg=11 std=1\n"
            "Inference timings in us: Init: 1, First inference: 2, Warmup (avg): 2, Inference (avg): 11\n",
            "not a number",
        ),
    ],
)
def test_garbage_is_a_clear_value_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_benchmark_output(text)


def test_the_all_same_and_empty_forms() -> None:
    # Shapes of Stat::OutputToStream when every run took the same time / when none ran.
    assert RunStats.parse("count=4 curr=1200(all same)") == RunStats(4, 1200, 1200, 1200, 1200, 1200, 0.0)
    assert RunStats.parse("count=0") is None
    out = parse_benchmark_output(
        "count=0\ncount=3 curr=7(all same) p5=7 median=7 p95=7\n"
        "Inference timings in us: Init: 5, First inference: 0, Warmup (avg): -nan, Inference (avg): 7\n"
    )
    assert out.warmup is None and out.first_inference_us is None and out.warmup_avg_us is None
    assert (out.inference.count, out.inference.median_us, out.inference.cv) == (3, 7, 0.0)


def test_device_description_is_parsed() -> None:
    info = parse_device_info(
        "@@edgenas:model\nPixel 7\n@@edgenas:board\ngs201\n@@edgenas:release\n14\n@@edgenas:machine\naarch64\n"
        "@@edgenas:hostname\nlocalhost\n@@edgenas:cpuinfo\nprocessor\t: 0\nprocessor\t: 1\n"
        "CPU implementer\t: 0x41\nCPU part\t: 0xd05\n@@edgenas:governor\n@@edgenas:thermal\n"
        "battery 31000\nskin-therm 44\nbig-cpu 51234\n"
    )
    assert info.platform == "Android 14 (Pixel 7, gs201)"
    assert (info.machine, info.hostname, info.cpu_count) == ("aarch64", "localhost", 2)
    assert info.cpu_model == "ARM implementer 0x41 part 0xd05"
    assert info.cpu_governor is None  # nothing readable
    assert info.temperature_c == pytest.approx(51.234)  # the CPU zone, read as millidegrees
    empty = parse_device_info("")
    assert empty == type(empty)(None, None, None, None, None, None, None)


# --------------------------------------------------------------------------- #
# A full measurement through the fake adb
# --------------------------------------------------------------------------- #


def test_measure_through_the_fake_adb(phone, model: Path) -> None:
    result = _device(phone).measure(model, ProfileSettings(threads=4, runs=50, warmup=1, seed=7), timeout_s=60)
    assert isinstance(result, LatencyResult)
    assert LatencyResult.from_json(result.to_json()) == result
    sha = hashlib.sha256(model.read_bytes()).hexdigest()
    assert (result.artifact_sha256, result.size_bytes, result.model_path) == (sha, model.stat().st_size, str(model))
    assert (result.runtime, result.runtime_version) == ("tflite_benchmark_model", "unknown")
    assert result.runtime in RUNTIMES
    # The recorded transcript, in milliseconds: the printed median, never the mean.
    assert (result.runs, result.warmup_runs, result.threads, result.delegate) == (50, 1, 4, "xnnpack")
    assert (result.latency_ms, result.mean_ms, result.min_ms) == (899.281, 899.641, 898.007)
    assert result.std_ms == pytest.approx(1.549 * math.sqrt(50 / 49))
    assert result.cv == pytest.approx(result.std_ms / result.mean_ms)
    # What the tool cannot give.
    assert (result.p90_ms, result.seed, result.inputs) == (None, None, ())
    assert (result.attempts, result.max_attempts, result.stable, result.cv_threshold) == (1, 3, True, 0.05)
    # No per-run times, no MAD: stability is judged by CV although the settings ask for robust_cv (the default).
    assert (result.stability_criterion, result.mad_ms, result.robust_cv) == ("cv", None, None)
    assert result.schema_version == 2
    assert result.measured_at_datetime.utcoffset().total_seconds() == 0
    # The fake phone's made-up description.
    assert result.device.platform == "Android 12 (Pixel 4, msmnile)"
    assert (result.device.machine, result.device.hostname) == ("aarch64", "localhost")
    assert (result.device.cpu_count, result.device.cpu_governor) == (8, "schedutil")
    assert result.device.cpu_model == "Qualcomm Technologies, Inc SM8150"
    assert result.device.temperature_c == pytest.approx(45.3)
    # What ran on the phone.
    remote = f"/data/local/tmp/edgenas-{sha[:16]}.tflite"
    assert ["-s", phone.serial, "push", str(model), remote] in phone.adb_calls()
    (call,) = phone.benchmark_calls()
    assert call["argv"] == [
        f"--graph={phone.root}{remote}",
        "--num_threads=4",
        "--num_runs=50",
        "--warmup_runs=1",
        "--min_secs=0",
        "--warmup_min_secs=0",
        "--use_xnnpack=true",
    ]
    assert phone.taskset_masks() == []
    assert phone.tmp_files() == []  # the model and the pid file are gone


def test_a_run_without_xnnpack_is_delegate_none(phone, model: Path) -> None:
    phone.replay(recorded.TI_AM62X_CPU)
    result = _device(phone).measure(model, FAST, timeout_s=60)
    assert (result.delegate, result.latency_ms, result.mean_ms) == ("none", 1239.807, 1240.27)


def test_pinning_runs_benchmark_model_under_taskset(phone, model: Path) -> None:
    result = _device(phone, cpu_mask="f0").measure(model, FAST, timeout_s=60)
    assert phone.taskset_masks() == ["f0"]
    assert result.device.cpu_governor == "performance"  # cpu4, the first pinned CPU
    assert phone.tmp_files() == []


def test_an_old_build_without_median_is_a_profiler_error(phone, model: Path) -> None:
    phone.replay(recorded.META_TFLITE_OP_PROFILING)
    settings = ProfileSettings(runs=50, warmup=1, max_attempts=3)
    with pytest.raises(ProfilerError, match=r"^pixel: benchmark_model printed no median .*mean is not substituted"):
        _device(phone).measure(model, settings, timeout_s=60)
    assert len(phone.benchmark_calls()) == 1  # refused at the first attempt, not retried
    assert phone.tmp_files() == []


def test_a_report_that_is_no_valid_result_is_a_profiler_error(phone, model: Path) -> None:
    # Made up: a build that ignored --num_runs and timed a single run.
    phone.replay(
        "INFO: count=1 curr=5000 p5=5000 median=5000 p95=5000\n"
        "INFO: Inference timings in us: Init: 10, First inference: 0, Warmup (avg): nan, Inference (avg): 5000\n"
    )
    with pytest.raises(ProfilerError, match=r"^pixel: benchmark_model's report is not a valid measurement: .*'runs'"):
        _device(phone).measure(model, FAST, timeout_s=60)
    assert phone.tmp_files() == []


def test_unstable_attempts_are_repeated_and_the_best_kept(phone, model: Path) -> None:
    settings = ProfileSettings(runs=50, warmup=1, cv_threshold=0.0001, max_attempts=3)
    result = _device(phone).measure(model, settings, timeout_s=60)
    assert (result.attempts, result.max_attempts, result.stable, result.cv_threshold) == (3, 3, False, 0.0001)
    assert len(phone.benchmark_calls()) == 3


@pytest.mark.parametrize("criterion", ["robust_cv", "cv"])
def test_either_criterion_is_measured_by_cv(phone, model: Path, criterion: str) -> None:
    # The recorded transcript's CV is about 0.0017: stable at 0.01, unstable at 0.0001, whatever the criterion.
    stable = ProfileSettings(runs=50, warmup=1, cv_threshold=0.01, max_attempts=3, stability_criterion=criterion)
    result = _device(phone).measure(model, stable, timeout_s=60)
    assert (result.attempts, result.stable, result.stability_criterion, result.robust_cv) == (1, True, "cv", None)
    unstable = dataclasses.replace(stable, cv_threshold=0.0001)
    result = _device(phone).measure(model, unstable, timeout_s=60)
    assert (result.attempts, result.stable, result.stability_criterion) == (3, False, "cv")
    assert len(phone.benchmark_calls()) == 4
    assert not any("stability" in arg for call in phone.benchmark_calls() for arg in call["argv"])


def test_health_check(phone) -> None:
    _device(phone).check_health(timeout_s=30)


# --------------------------------------------------------------------------- #
# An unusable phone
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ("unauthorized", r"the phone has not authorized this computer .* \(adb: device unauthorized\.\)$"),
        ("offline", r"the phone is offline \(adb: device offline\)$"),
    ],
)
def test_an_unusable_phone_is_device_unavailable(phone, model: Path, state: str, reason: str) -> None:
    phone.set_state(state)
    device = _device(phone)
    with pytest.raises(DeviceUnavailableError, match=rf"^pixel: adb cannot use phone {phone.serial}: {reason}") as info:
        device.measure(model, FAST, timeout_s=60)
    assert info.value.device == "pixel"
    assert not getattr(info.value, "__notes__", None)  # nothing was pushed: no cleanup to fail
    with pytest.raises(DeviceUnavailableError, match=reason):
        device.check_health(timeout_s=30)


def test_an_unknown_serial_is_device_unavailable(phone, model: Path) -> None:
    device = AdbDevice(AdbTarget("emulator-5554", adb=str(phone.adb)))
    expected = r"^emulator-5554: .*no phone with this serial is connected \(adb: device 'emulator-5554' not found\)$"
    with pytest.raises(DeviceUnavailableError, match=expected):
        device.measure(model, FAST, timeout_s=60)


def test_a_missing_adb_is_device_unavailable(tmp_path: Path, model: Path) -> None:
    device = AdbDevice(AdbTarget("R58M123ABC", adb=str(tmp_path / "no-adb")))
    with pytest.raises(DeviceUnavailableError, match="cannot start adb"):
        device.measure(model, FAST, timeout_s=60)


def test_a_missing_benchmark_model_is_device_unavailable(tmp_path: Path, model: Path) -> None:
    phone = phone_module.make_phone(tmp_path, with_benchmark_model=False)
    device = _device(phone)
    with pytest.raises(DeviceUnavailableError, match=r"^pixel: cannot run /data/local/tmp/benchmark_model on the "):
        device.measure(model, FAST, timeout_s=60)
    with pytest.raises(DeviceUnavailableError, match=r"missing /data/local/tmp/benchmark_model \(not there"):
        device.check_health(timeout_s=30)
    assert phone.tmp_files() == []


def test_a_corrupted_push_is_device_unavailable(phone, model: Path) -> None:
    phone.set_state("device", corrupt_push=True)
    expected = r"^pixel: candidate.tflite arrived with SHA-256 [0-9a-f]{64} instead of [0-9a-f]{64}$"
    with pytest.raises(DeviceUnavailableError, match=expected):
        _device(phone).measure(model, FAST, timeout_s=60)
    assert phone.benchmark_calls() == []
    assert phone.tmp_files() == []


# --------------------------------------------------------------------------- #
# benchmark_model fails on the phone
# --------------------------------------------------------------------------- #


def test_garbage_output_is_a_profiler_error(phone, model: Path) -> None:
    phone.replay("Segmentation fault\n")
    with pytest.raises(ProfilerError, match=r"^pixel: benchmark_model printed no usable report: .*Inference timings"):
        _device(phone).measure(model, FAST, timeout_s=60)
    assert phone.tmp_files() == []


def test_a_failing_benchmark_model_is_a_profiler_error(phone, model: Path) -> None:
    phone.replay("STARTING!\nERROR: the model could not be loaded (made up for this test)\n", status=1)
    with pytest.raises(ProfilerError, match=r"^pixel: benchmark_model exited with status 1: ERROR: the model") as info:
        _device(phone).measure(model, FAST, timeout_s=60)
    assert info.value.returncode == 1
    assert phone.tmp_files() == []


def test_a_timeout_stops_benchmark_model_and_cleans_up(phone, model: Path) -> None:
    phone.replay(recorded.TI_AM62X_XNNPACK, sleep_s=60)
    started = time.monotonic()
    with pytest.raises(ProfilerError, match=r"^pixel: benchmark_model timed out after 4 s"):
        _device(phone).measure(model, FAST, timeout_s=4)
    assert time.monotonic() - started < 30
    assert phone.tmp_files() == []
    (call,) = phone.benchmark_calls()
    deadline = time.monotonic() + 10
    while _alive(call["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(call["pid"]), "benchmark_model still runs on the phone after the timeout"


# --------------------------------------------------------------------------- #
# Arguments
# --------------------------------------------------------------------------- #


def test_bad_arguments_raise_before_adb_runs(phone, tmp_path: Path, model: Path) -> None:
    device = _device(phone)
    with pytest.raises(FileNotFoundError):
        device.measure(tmp_path / "missing.tflite", FAST)
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"x")
    with pytest.raises(ValueError, match="TFLite models only"):
        device.measure(onnx, FAST)
    with pytest.raises(ValueError, match="runtime 'onnxruntime'"):
        device.measure(model, ProfileSettings(runtime="onnxruntime"))
    with pytest.raises(ValueError, match="timeout_s"):
        device.measure(model, FAST, timeout_s=-1)
    with pytest.raises(ValueError, match="ProfileSettings"):
        device.measure(model, {"threads": 1})  # type: ignore[arg-type]
    assert phone.adb_calls() == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"serial": "-d"}, "serial"),
        ({"serial": "a b"}, "serial"),
        ({"benchmark_model": "benchmark_model"}, "benchmark_model"),
        ({"benchmark_model": "/data/local/tmp/x; reboot"}, "benchmark_model"),
        ({"remote_dir": "/"}, "remote_dir"),
        ({"cpu_mask": "0"}, "selects no CPU"),
        ({"cpu_mask": "big"}, "cpu_mask"),
        ({"adb": ""}, "adb"),
    ],
)
def test_target_validation(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"serial": "R58M123ABC"}
    fields.update(changes)
    with pytest.raises(ValueError, match=message):
        AdbTarget(**fields)  # type: ignore[arg-type]


def test_first_pinned_cpu() -> None:
    assert AdbTarget("s").first_cpu == 0
    assert AdbTarget("s", cpu_mask="f0").first_cpu == 4
    assert AdbTarget("s", cpu_mask="0x30").first_cpu == 4
    assert AdbTarget("s", cpu_mask="80", remote_dir="/data/local/tmp/").remote_dir == "/data/local/tmp"
