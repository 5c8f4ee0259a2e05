"""`ProfilerSession` / `LocalDevice.session()`: one profiler process timing a sequence of models, for real."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devices import LocalDevice, ProfilerError, ProfileSettings

_SETTINGS = ProfileSettings(runtime="litert", threads=1, runs=5, warmup=1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


def test_one_process_times_every_model_and_matches_a_one_shot_run(tflite_f32: Path, tflite_int8: Path) -> None:
    device = LocalDevice("local")
    with device.session() as session:
        assert session.pid is None  # started on the first model
        first = session.measure(tflite_f32, _SETTINGS)
        pid = session.pid
        second = session.measure(tflite_int8, _SETTINGS)
        assert session.pid == pid is not None
    assert not _alive(pid)  # closing the session ends the process
    assert first.artifact_sha256 == device.measure(tflite_f32, _SETTINGS).artifact_sha256
    assert (first.runs, first.threads, second.inputs[0].dtype) == (5, 1, "int8")


def test_a_bad_model_is_the_profilers_error_and_the_session_goes_on(tflite_f32: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tflite"
    bogus.write_bytes(b"not a model at all")
    with LocalDevice("local").session() as session:
        with pytest.raises(ProfilerError) as caught:
            session.measure(bogus, _SETTINGS)
        assert "not a TFLite model" in str(caught.value)
        with pytest.raises(FileNotFoundError):
            session.measure(tmp_path / "missing.tflite", _SETTINGS)
        assert session.measure(tflite_f32, _SETTINGS).latency_ms > 0


def test_a_killed_profiler_is_replaced_for_the_next_model(tflite_f32: Path) -> None:
    with LocalDevice("local").session() as session:
        session.measure(tflite_f32, _SETTINGS)
        old = session.pid
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while session.pid is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert session.measure(tflite_f32, _SETTINGS).latency_ms > 0
        assert session.pid not in (None, old)


def test_the_profiler_dies_with_the_process_that_opened_the_session(tflite_f32: Path) -> None:
    code = (
        "import sys, time\n"
        "from devices import LocalDevice, ProfileSettings\n"
        "session = LocalDevice('local').session()\n"
        f"session.measure({str(tflite_f32)!r}, ProfileSettings(runtime='litert', runs=2, warmup=0))\n"
        "print(session.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(owner.stdout.readline())
        assert _alive(pid)
        owner.kill()
        owner.wait()
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), "the profiler outlived the process that started it"
    finally:
        owner.kill()
