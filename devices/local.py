"""Measure a model's latency on this machine with the on-device profiler.

The profiler (``profiler.py`` beside this file) always runs in its own process:
a runtime must not share a process with TensorFlow (``tflite_runtime`` breaks
when TensorFlow was imported first) and the timing must not be disturbed by
whatever the caller is doing. It is run by file path, not ``-m``, exactly as on
a remote board, so it needs neither this package nor ``edgenas``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from .backend import DeviceBackend, MeasureSession, checked_device_name
from .errors import DeviceUnavailableError, ProfilerError
from .latency_result import LatencyResult
from .lifeline import run_child
from .settings import ProfileSettings

__all__ = ["PROFILER_PATH", "LocalDevice", "profile_local"]

PROFILER_PATH = Path(__file__).resolve().with_name("profiler.py")
"""The standalone profiler program."""

def profile_local(
    model_path: str | os.PathLike[str],
    *,
    runtime: str | None = None,
    threads: int = 1,
    runs: int = 50,
    warmup: int = 10,
    cv_threshold: float = 0.05,
    max_attempts: int = 3,
    seed: int = 0,
    stability_criterion: str = "robust_cv",
    timeout_s: float = 600.0,
    python: str | os.PathLike[str] = sys.executable,
) -> LatencyResult:
    """Profiles a ``.tflite`` or ``.onnx`` model in a separate local process.

    Args:
        model_path: The model file.
        runtime: ``"litert"`` or ``"onnxruntime"``; None lets the profiler
            infer it from the file extension.
        threads: CPU threads given to the runtime.
        runs: Timed runs per attempt (>= 2).
        warmup: Untimed runs before each attempt.
        cv_threshold: An attempt whose spread (``stability_criterion``) exceeds this is repeated.
        max_attempts: Attempts at most; the most stable one is reported.
        seed: Seed of the random input data.
        stability_criterion: ``"robust_cv"`` (1.4826 * MAD / median) or
            ``"cv"`` (std / mean), the spread that judges an attempt.
        timeout_s: Wall-clock limit for the whole profiler process.
        python: The interpreter that runs the profiler; it needs numpy and the
            runtime, nothing else.

    Returns:
        The validated measurement.

    Raises:
        FileNotFoundError: ``model_path`` does not exist (nothing is spawned).
        ValueError: An argument is out of range (nothing is spawned).
        ProfilerError: The profiler failed (its one-line message), crashed,
            timed out, printed something that is not a valid result, or
            could not be started.
    """
    path = Path(model_path)
    if not path.exists():
        raise FileNotFoundError(f"model file not found: {path}")
    settings = ProfileSettings(
        runtime=runtime,
        threads=threads,
        runs=runs,
        warmup=warmup,
        cv_threshold=cv_threshold,
        max_attempts=max_attempts,
        seed=seed,
        stability_criterion=stability_criterion,
    )
    return _run_profiler(path, settings, timeout_s=timeout_s, python=python)


def _run_profiler(
    path: Path, settings: ProfileSettings, *, timeout_s: float, python: str | os.PathLike[str]
) -> LatencyResult:
    """Runs the profiler on an existing file with validated settings (see `profile_local`)."""
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not timeout_s > 0:
        raise ValueError(f"timeout_s must be a number > 0, got {timeout_s!r}")
    command = [os.fspath(python), os.fspath(PROFILER_PATH), os.fspath(path.resolve()), *settings.profiler_args()]
    try:
        proc = run_child(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise ProfilerError(
            f"profiler timed out after {timeout_s:g} s on {path}", stderr=_text(e.stderr)
        ) from None
    except OSError as e:
        raise ProfilerError(f"cannot start the profiler with {os.fspath(python)!r}: {e}") from e

    if proc.returncode != 0:
        raise ProfilerError(
            _failure_message(proc.returncode, proc.stderr), returncode=proc.returncode, stderr=proc.stderr
        )
    try:
        return LatencyResult.from_json(proc.stdout)
    except ValueError as e:
        raise ProfilerError(
            f"profiler printed an invalid result: {e}", returncode=proc.returncode, stderr=proc.stderr
        ) from e


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data


def _failure_message(returncode: int, stderr: str) -> str:
    """The profiler's own ``error:`` line, else a description of the exit."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("error: "):
            return line[len("error: ") :]
    if returncode < 0:
        try:
            how = f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"was killed by signal {-returncode}"
    else:
        how = f"exited with status {returncode}"
    last = f": {lines[-1]}" if lines else ""
    return f"profiler {how}{last}"



class LocalDevice(DeviceBackend):
    """This machine as a device: the profiler in a subprocess (see `profile_local`).

    Args:
        name: The device's name in a farm inventory.
        python: The interpreter that runs the profiler (numpy and a runtime, nothing else needed).
    """

    def __init__(self, name: str = "local", *, python: str | os.PathLike[str] = sys.executable) -> None:
        self._name = checked_device_name(name)
        self._python = os.fspath(python)

    @property
    def name(self) -> str:
        """The device's name."""
        return self._name

    def session(self) -> MeasureSession:
        """One profiler process kept up for a sequence of models (`devices.profiler_session.ProfilerSession`)."""
        from .profiler_session import ProfilerSession  # noqa: PLC0415

        return ProfilerSession(profiler=PROFILER_PATH, python=self._python)

    def measure(
        self, model_path: str | os.PathLike[str], settings: ProfileSettings, *, timeout_s: float = 600.0
    ) -> LatencyResult:
        """Times the model here; see `DeviceBackend.measure`."""
        path = Path(model_path)
        if not path.exists():
            raise FileNotFoundError(f"model file not found: {path}")
        return _run_profiler(path, settings, timeout_s=timeout_s, python=self._python)

    def check_health(self, *, timeout_s: float = 30.0) -> None:
        """Runs `profiler.py --self-check` with this device's interpreter."""
        try:
            proc = run_child(
                [self._python, os.fspath(PROFILER_PATH), "--self-check"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                encoding="utf-8",
                errors="replace",
                timeout=timeout_s,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise DeviceUnavailableError(f"{self._name}: the profiler self-check did not run: {e}", device=self._name) from None
        if proc.returncode != 0:
            reason = _failure_message(proc.returncode, proc.stderr)
            raise DeviceUnavailableError(f"{self._name}: profiler self-check failed: {reason}", device=self._name)
