"""`DeviceBackend`: what every device (local, SSH board, Android phone) offers the farm."""

from __future__ import annotations

import abc
import os

from .latency_result import LatencyResult
from .settings import ProfileSettings

__all__ = ["DeviceBackend", "MeasureSession", "checked_device_name"]


def checked_device_name(name: object) -> str:
    """Returns `name` if it is a usable device name (a non-empty string), else raises ValueError."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"a device name must be a non-empty string, got {name!r}")
    return name


class DeviceBackend(abc.ABC):
    """One device that can time a model file.

    Implementations: `devices.local.LocalDevice`, `devices.ssh.SshDevice`,
    `devices.adb.AdbDevice`. Each call is independent and may run in any thread;
    a backend holds no connection between calls unless it says so.

    Errors are split by whose fault they are, because the farm treats them
    differently: `DeviceUnavailableError` (cannot reach or use the device: retry
    elsewhere, count against the device) and `ProfilerError` (the device ran the
    profiler and it failed, timed out, crashed or printed garbage: also the
    device's fault unless the model itself is bad). A bad argument is a
    `ValueError`/`FileNotFoundError` raised before anything runs.
    """

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """A short unique name, as in the farm inventory."""

    @abc.abstractmethod
    def measure(
        self, model_path: str | os.PathLike[str], settings: ProfileSettings, *, timeout_s: float = 600.0
    ) -> LatencyResult:
        """Times a `.tflite` / `.onnx` file on the device.

        Args:
            model_path: The model file on this machine.
            settings: Runtime settings of the measurement.
            timeout_s: Wall-clock limit of the whole call.

        Returns:
            The validated measurement; its `artifact_sha256` is that of the local file.

        Raises:
            FileNotFoundError: `model_path` does not exist.
            DeviceUnavailableError: The device cannot be reached or used.
            ProfilerError: The profiler failed on the device.
        """

    @abc.abstractmethod
    def check_health(self, *, timeout_s: float = 30.0) -> None:
        """Checks quickly that the device answers and can run the profiler.

        Raises:
            DeviceUnavailableError: With the reason, when it cannot.
        """

    def session(self) -> MeasureSession:
        """A session for timing a sequence of models (close it, or use it as a context manager).

        The default is a one-shot `measure` per model. `LocalDevice` keeps one
        profiler process up for the session (`devices.profiler_session`).
        """
        return _OneShotSession(self)


class MeasureSession:
    """Times models one after another on one device; `measure` as `DeviceBackend.measure`."""

    def __enter__(self) -> MeasureSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def measure(
        self, model_path: str | os.PathLike[str], settings: ProfileSettings, *, timeout_s: float = 600.0
    ) -> LatencyResult:
        """Times one model (see `DeviceBackend.measure`)."""
        raise NotImplementedError

    def close(self) -> None:
        """Releases what the session holds (default: nothing)."""


class _OneShotSession(MeasureSession):
    def __init__(self, device: DeviceBackend) -> None:
        self._device = device

    def measure(
        self, model_path: str | os.PathLike[str], settings: ProfileSettings, *, timeout_s: float = 600.0
    ) -> LatencyResult:
        return self._device.measure(model_path, settings, timeout_s=timeout_s)

