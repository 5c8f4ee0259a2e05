"""Exceptions of the device side of edgenas."""

from __future__ import annotations

__all__ = ["DeviceUnavailableError", "ProfilerError"]


class ProfilerError(RuntimeError):
    """The on-device profiler failed, timed out or could not be started.

    ``str(error)`` is the profiler's own one-line message (without its
    ``error:`` prefix) when it gave one.

    Attributes:
        returncode: The profiler's exit status; None when it did not exit on its
            own (timeout) or could not be started.
        stderr: Everything the profiler wrote to stderr (runtime logs included).
    """

    def __init__(self, message: str, *, returncode: int | None = None, stderr: str = "") -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


class DeviceUnavailableError(RuntimeError):
    """A device cannot be reached or used: connection refused or dropped, key refused, tool missing.

    Attributes:
        device: The device's name.
    """

    def __init__(self, message: str, *, device: str) -> None:
        super().__init__(message)
        self.device = device
