"""Exceptions of the device farm, split by who must act on them.

`FarmError` is the base of every error the farm raises for its user to act on
(the CLI prints it as one line; anything else is a bug). Each subclass also
derives from the built-in or device error that callers already catch.

Configuration and input (`FarmConfigError`, also a `ValueError`): a malformed
farm address or URL, a missing tag or token, an empty token file, a file that
is not a farm job database, an option out of range; a bad inventory
(`InventoryError`; `UnknownBackendError` when it names a backend nobody
registered), an inventory asked for a device it lacks (`UnknownDeviceError`,
also a `KeyError`), a backend registered twice (`DuplicateBackendError`).

Client side: each also derives from the error a `DeviceBackend` caller already
handles, so a farm can stand in for a single device: unreachable or refused ->
`DeviceUnavailableError`, a job that failed or timed out -> `ProfilerError`, a
request the farm rejected (bad model, unknown tag) -> `ValueError`.

Server side, answered as HTTP errors: a state folder another farm holds
(`FarmStateInUseError`, an `OSError`), a rejected upload (`NotAModelError`,
`UploadTooLargeError`, `HashMismatchError`), an unknown job (`UnknownJobError`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..errors import DeviceUnavailableError, ProfilerError

if TYPE_CHECKING:
    from .job import Job

__all__ = [
    "DuplicateBackendError",
    "FarmAuthError",
    "FarmConfigError",
    "FarmError",
    "FarmJobFailedError",
    "FarmRequestError",
    "FarmServerError",
    "FarmStateInUseError",
    "FarmTimeoutError",
    "FarmUnreachableError",
    "HashMismatchError",
    "InventoryError",
    "NotAModelError",
    "UnknownBackendError",
    "UnknownDeviceError",
    "UnknownJobError",
    "UploadTooLargeError",
]


class FarmError(Exception):
    """Base of the errors the farm raises on purpose: bad configuration or input, and a client's errors."""


class FarmConfigError(FarmError, ValueError):
    """A farm's configuration or input is invalid; the message names the value and what is valid.

    A malformed ``farm://`` address or farm URL, a missing tag or token, an
    empty token file, a state file that is not a farm job database, an option
    out of range (``quarantine_after=0``).
    """


class InventoryError(FarmConfigError):
    """A farm inventory file or one of its device entries is invalid (the message names both)."""


class UnknownDeviceError(FarmConfigError, KeyError):
    """An inventory was asked for a device it does not hold; the message lists the devices it holds."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


# The backend registry's two errors mirror edgenas' `UnknownNameError` and
# `DuplicateNameError` (a LookupError and a ValueError, the same message form)
# without importing edgenas: `devices` sits below `edgenas` (Bazel: //edgenas
# depends on //devices), and `import edgenas` would take `devices.farm.registry`
# from about 0.22 s to 0.76 s and load PyGlove into every farm server.


class UnknownBackendError(InventoryError, LookupError):
    """An inventory entry names a backend that is not registered; the message lists the registered ones."""


class DuplicateBackendError(FarmConfigError):
    """A backend name is registered twice; the message lists the registered ones."""


class FarmStateInUseError(OSError):
    """Another farm holds the lock of this state folder (see `StateLock`).

    Attributes:
        state_dir: The folder.
        pid: The holder's process id, when it recorded one.
    """

    def __init__(self, state_dir: str | os.PathLike[str], *, pid: int | None) -> None:
        holder = f"PID {pid}" if pid is not None else "another process"
        super().__init__(f"farm state in {os.fspath(state_dir)} is in use by {holder}")
        self.state_dir = state_dir
        self.pid = pid


class NotAModelError(ValueError):
    """Uploaded bytes are neither a TFLite flatbuffer nor an ONNX model."""


class UploadTooLargeError(ValueError):
    """An upload exceeds the farm's size limit.

    Attributes:
        limit_bytes: The farm's limit.
    """

    def __init__(self, message: str, *, limit_bytes: int) -> None:
        super().__init__(message)
        self.limit_bytes = limit_bytes


class HashMismatchError(ValueError):
    """The SHA-256 sent with an upload is not that of its bytes."""


class UnknownJobError(LookupError):
    """No job has this id."""

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0]) if self.args else ""


class FarmUnreachableError(FarmError, DeviceUnavailableError):
    """The farm does not answer (connection refused, reset or timed out). `device` is the farm's URL."""


class FarmAuthError(FarmError, DeviceUnavailableError):
    """The farm refused the token (HTTP 401). `device` is the farm's URL."""


class FarmServerError(FarmError, DeviceUnavailableError):
    """The farm answered with a server error (HTTP 5xx). `device` is the farm's URL."""


class FarmRequestError(FarmError, ValueError):
    """The farm rejected a request (HTTP 4xx other than 401): not a model, too large, unknown tag...

    Attributes:
        status_code: The HTTP status.
        detail: The farm's one-line reason.
    """

    def __init__(self, message: str, *, status_code: int, detail: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.detail = detail


class FarmJobFailedError(FarmError, ProfilerError):
    """A farm job failed on every attempt; the message lists each device's error.

    Attributes:
        job: The failed job, with `errors` recorded per attempt.
    """

    def __init__(self, job: Job) -> None:
        attempts = "; ".join(f"{e.device}: {e.message}" for e in job.errors) or (job.error or "no error recorded")
        super().__init__(f"farm job {job.id} failed after {job.attempts} attempt(s): {attempts}")
        self.job = job


class FarmTimeoutError(FarmError, ProfilerError):
    """A farm job did not finish in time; it stays on the farm and may still finish.

    Attributes:
        job_id: The job, to wait on again.
    """

    def __init__(self, message: str, *, job_id: int) -> None:
        super().__init__(message)
        self.job_id = job_id
