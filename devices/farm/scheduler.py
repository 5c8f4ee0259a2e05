"""The farm's scheduler: one worker thread per device, all serving one queue.

A worker takes the oldest queued job of one of its device's tags and times it.
When the attempt fails, the job goes back to the queue for another device with
the tag (`JobStore.fail`); the job fails only when its attempts run out or every
device with the tag has failed it.

A device is quarantined at once when it cannot be reached
(`DeviceUnavailableError`) and after `quarantine_after` failed jobs in a row
(a profiler that crashes, times out or prints garbage). A quarantined device
takes no jobs; its health check (`DeviceBackend.check_health`) runs every
`health_interval_s` and lets it back in when it passes. Every device is
health-checked when the scheduler starts.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import math
import threading
import time
from collections.abc import Sequence

from ..backend import DeviceBackend
from ..errors import DeviceUnavailableError, ProfilerError
from .errors import FarmConfigError
from .inventory import DeviceEntry
from .job import Job, JobState
from .job_store import JobStore
from .model_store import ModelStore

__all__ = ["DeviceState", "DeviceStatus", "FarmDevice", "Scheduler"]

_log = logging.getLogger(__name__)


class DeviceState(enum.Enum):
    """What a device is doing."""

    STARTING = "starting"
    IDLE = "idle"
    BUSY = "busy"
    QUARANTINED = "quarantined"


@dataclasses.dataclass(frozen=True)
class FarmDevice:
    """A device of the farm: its inventory entry and the backend that drives it."""

    entry: DeviceEntry
    backend: DeviceBackend


@dataclasses.dataclass(frozen=True)
class DeviceStatus:
    """A snapshot of one device.

    Attributes:
        name: The device.
        backend: Its backend's registry name.
        tags: The tags it serves.
        state: What it is doing.
        job_id: The job it is running, when busy.
        jobs_done: Jobs it measured since the farm started.
        jobs_failed: Attempts that failed on it since the farm started.
        consecutive_failures: Failed attempts since its last success.
        last_error: Its last failure's message, or None.
    """

    name: str
    backend: str
    tags: tuple[str, ...]
    state: DeviceState
    job_id: int | None
    jobs_done: int
    jobs_failed: int
    consecutive_failures: int
    last_error: str | None

    def to_json(self) -> dict[str, object]:
        """A JSON object."""
        data = dataclasses.asdict(self)
        data["state"] = self.state.value
        data["tags"] = list(self.tags)
        return data


@dataclasses.dataclass
class _Worker:
    device: FarmDevice
    thread: threading.Thread | None = None
    state: DeviceState = DeviceState.STARTING
    job_id: int | None = None
    jobs_done: int = 0
    jobs_failed: int = 0
    consecutive_failures: int = 0
    last_error: str | None = None
    next_health_check: float = 0.0


class Scheduler:
    """Runs the queue of a `JobStore` on a set of devices.

    Args:
        jobs: The queue.
        models: Where the jobs' model files are.
        devices: The devices (names unique).
        quarantine_after: Failed jobs in a row that quarantine a device.
        health_interval_s: Seconds between health checks of a quarantined device.
        poll_s: Longest a worker sleeps before looking at the queue again
            (it is woken at once when a job is queued).

    Raises:
        FarmConfigError: (a `ValueError`) Device names repeat, `quarantine_after` is not an
            integer >= 1, or `health_interval_s` is not a finite number >= 0.
    """

    def __init__(
        self,
        jobs: JobStore,
        models: ModelStore,
        devices: Sequence[FarmDevice],
        *,
        quarantine_after: int = 3,
        health_interval_s: float = 30.0,
        poll_s: float = 1.0,
    ) -> None:
        names = [d.entry.name for d in devices]
        if len(set(names)) != len(names):
            raise FarmConfigError(f"device names repeat: {names}")
        if isinstance(quarantine_after, bool) or not isinstance(quarantine_after, int) or quarantine_after < 1:
            raise FarmConfigError(f"quarantine_after must be an integer >= 1, got {quarantine_after!r}")
        if isinstance(health_interval_s, bool) or not isinstance(health_interval_s, (int, float)) or not (
            math.isfinite(health_interval_s) and health_interval_s >= 0
        ):
            raise FarmConfigError(
                f"health_interval_s must be a finite number of seconds >= 0, got {health_interval_s!r}"
            )
        self._jobs = jobs
        self._models = models
        self._workers = [_Worker(device) for device in devices]
        self._quarantine_after = quarantine_after
        self._health_interval_s = health_interval_s
        self._poll_s = poll_s
        self._wake = threading.Condition()
        self._stopping = False
        self._queued_count = 0  # jobs queued so far (guarded by _wake)
        self._tag_devices: dict[str, tuple[str, ...]] = {}
        for device in devices:
            for tag in device.entry.tags:
                self._tag_devices[tag] = (*self._tag_devices.get(tag, ()), device.entry.name)
        jobs.add_listener(self._on_job)

    @property
    def tags(self) -> frozenset[str]:
        """The tags some device serves."""
        return frozenset(self._tag_devices)

    def start(self) -> None:
        """Starts a worker per device; each health-checks its device first."""
        for worker in self._workers:
            worker.thread = threading.Thread(
                target=self._run, args=(worker,), name=f"farm-{worker.device.entry.name}", daemon=True
            )
            worker.thread.start()

    def stop(self, *, timeout_s: float | None = None) -> None:
        """Asks every worker to stop and waits for them (a running measurement finishes first).

        A job still running when the process dies instead goes back to the
        queue when the farm restarts.
        """
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        for worker in self._workers:
            if worker.thread is not None:
                worker.thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def statuses(self) -> list[DeviceStatus]:
        """A snapshot of every device, in inventory order."""
        return [
            DeviceStatus(
                name=w.device.entry.name,
                backend=w.device.entry.backend,
                tags=w.device.entry.tags,
                state=w.state,
                job_id=w.job_id,
                jobs_done=w.jobs_done,
                jobs_failed=w.jobs_failed,
                consecutive_failures=w.consecutive_failures,
                last_error=w.last_error,
            )
            for w in self._workers
        ]

    # -- the worker loop ----------------------------------------------------------------------------

    def _on_job(self, job: Job) -> None:
        if job.state is JobState.QUEUED:
            with self._wake:
                self._queued_count += 1
                self._wake.notify_all()

    def _sleep(self, seconds: float, *, unless_queued_since: int | None = None) -> None:
        """Waits `seconds`, or less when a job is queued or the scheduler stops.

        With `unless_queued_since` (a `_queued_count` read earlier), returns at
        once when a job was queued since then, so a wake-up is never missed.
        """
        with self._wake:
            if self._stopping or (unless_queued_since is not None and self._queued_count != unless_queued_since):
                return
            self._wake.wait(seconds)

    def _run(self, worker: _Worker) -> None:
        self._health_check(worker)
        while not self._stopping:
            if worker.state is DeviceState.QUARANTINED:
                wait_s = worker.next_health_check - time.monotonic()
                if wait_s > 0:
                    self._sleep(wait_s)
                    continue
                self._health_check(worker)
                continue
            entry = worker.device.entry
            queued_count = self._queued_count
            job = self._jobs.claim(entry.name, entry.tags)
            if job is None:
                self._sleep(self._poll_s, unless_queued_since=queued_count)
                continue
            self._measure(worker, job)

    def _health_check(self, worker: _Worker) -> None:
        try:
            worker.device.backend.check_health()
        except DeviceUnavailableError as e:
            self._quarantine(worker, f"health check failed: {e}")
        except Exception as e:  # a backend bug must not kill the worker
            self._quarantine(worker, f"health check raised {type(e).__name__}: {e}")
        else:
            if worker.state is DeviceState.QUARANTINED:
                _log.warning("farm device %s passed its health check and is back", worker.device.entry.name)
            worker.state = DeviceState.IDLE
            worker.consecutive_failures = 0

    def _quarantine(self, worker: _Worker, reason: str) -> None:
        worker.state = DeviceState.QUARANTINED
        worker.last_error = reason
        worker.next_health_check = time.monotonic() + self._health_interval_s
        _log.warning("farm device %s quarantined: %s", worker.device.entry.name, reason)

    def _measure(self, worker: _Worker, job: Job) -> None:
        entry = worker.device.entry
        worker.state, worker.job_id = DeviceState.BUSY, job.id
        unreachable = False
        try:
            model = self._models.get(job.model_sha256)
            if model is None:
                raise ProfilerError(f"model {job.model_sha256} is missing from the farm's model store")
            result = worker.device.backend.measure(model.path, job.settings, timeout_s=entry.timeout_s)
            if result.artifact_sha256 != job.model_sha256:
                raise ProfilerError(
                    f"the device measured a file with sha256 {result.artifact_sha256}, not {job.model_sha256}"
                )
        except DeviceUnavailableError as e:
            message, unreachable = f"device unavailable: {e}", True
        except ProfilerError as e:
            message = str(e)
        except Exception as e:  # a backend bug fails the attempt, never the worker
            message = f"{type(e).__name__}: {e}"
        else:
            worker.jobs_done += 1
            worker.consecutive_failures = 0
            worker.state, worker.job_id = DeviceState.IDLE, None
            self._jobs.complete(job.id, entry.name, result)
            return
        message = " ".join(message.split()) or "no message"
        worker.jobs_failed += 1
        worker.consecutive_failures += 1
        worker.last_error = message
        worker.state, worker.job_id = DeviceState.IDLE, None
        self._jobs.fail(job.id, entry.name, message, tag_devices=self._tag_devices.get(job.tag, ()))
        if unreachable:
            self._quarantine(worker, message)
        elif worker.consecutive_failures >= self._quarantine_after:
            self._quarantine(worker, f"{worker.consecutive_failures} failed jobs in a row; last: {message}")
