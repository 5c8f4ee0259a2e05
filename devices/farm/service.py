"""`FarmService` (the farm's state) and its HTTP API (`create_app`, FastAPI).

Every route needs ``Authorization: Bearer <token>`` (else 401). Errors are
JSON ``{"detail": "<one line>"}``.

================================  =====================================================
``GET  /v1/status``               tags and their devices, device states, job counts, limits
``HEAD /v1/models/{sha256}``      200 when the farm has the model, else 404
``PUT  /v1/models/{sha256}``      upload the raw model bytes: 201 (200 if already there);
                                  413 over the size limit; 422 hash mismatch or not a model
``POST /v1/jobs``                 ``{"model_sha256", "tag", "settings"?, "max_attempts"?}``
                                  (settings left out: the inventory's defaults):
                                  201 with the job (done at once when the result is cached);
                                  404 model not uploaded; 413 body over `MAX_JOB_BYTES`;
                                  422 a field of the wrong type, out of bounds or too long,
                                  or an unknown tag (see `job_request`)
``GET  /v1/jobs/{id}?wait_s=S``   the job, after waiting up to S seconds (<= 60) for it to finish
================================  =====================================================

A 4xx ``detail`` names the bad field or parameter first and echoes at most
~100 characters of what the client sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import math
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from ._echo import cut, shown
from .errors import HashMismatchError, NotAModelError, UnknownJobError, UploadTooLargeError
from .inventory import Inventory
from .job import Job
from .job_request import JobRequestError, parse_job_request
from .job_store import JobStore
from .model_store import ModelStore, check_sha256
from .registry import create_backend
from .scheduler import FarmDevice, Scheduler
from .state_lock import StateLock

__all__ = ["API_VERSION", "DEFAULT_MAX_MODEL_BYTES", "MAX_JOB_BYTES", "MAX_WAIT_S", "FarmService", "create_app"]

API_VERSION = 1
DEFAULT_MAX_MODEL_BYTES = 256 * 1024 * 1024
"""Largest model upload a farm accepts unless told otherwise."""
MAX_WAIT_S = 60.0
"""Longest a ``GET /v1/jobs/{id}`` waits for the job to finish."""
MAX_JOB_BYTES = 2 * 1024 * 1024
"""Largest ``POST /v1/jobs`` body read. A job is ~300 bytes; a body with a 1,000,000-character
tag still fits, so its sender learns which field is wrong (422) rather than only its size (413)."""
_MAX_JOB_ID = 2**63 - 1  # the largest id SQLite stores


class FarmService:
    """A farm: the inventory's devices, the job queue, the model store and the scheduler.

    The state lives in `state_dir`: ``jobs.sqlite`` (queue and result cache)
    and ``models/`` (uploads by SHA-256), so a restarted farm resumes its queue.
    The farm locks the folder (`StateLock`) before it opens the queue and until
    `stop`: one farm per state folder. Use it with ``with`` or call `stop`.

    Args:
        inventory: The devices.
        state_dir: Folder of the farm's state (created when missing).
        max_model_bytes: Largest upload accepted.
        quarantine_after: Failed jobs in a row that quarantine a device.
        health_interval_s: Seconds between health checks of a quarantined device.
        devices: The backends, one per inventory entry in order; None builds
            them from the inventory with the backend registry.

    Raises:
        FarmStateInUseError: Another farm holds `state_dir` (nothing in it was changed).
    """

    def __init__(
        self,
        inventory: Inventory,
        *,
        state_dir: str | os.PathLike[str],
        max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES,
        quarantine_after: int = 3,
        health_interval_s: float = 30.0,
        devices: Sequence[FarmDevice] | None = None,
    ) -> None:
        if isinstance(max_model_bytes, bool) or not isinstance(max_model_bytes, int) or max_model_bytes < 1:
            raise ValueError(f"max_model_bytes must be an integer >= 1, got {max_model_bytes!r}")
        if devices is None:
            devices = [FarmDevice(entry, create_backend(entry)) for entry in inventory.devices]
        self.inventory = inventory
        self.max_model_bytes = max_model_bytes
        self.state_dir = Path(state_dir)
        self._lock = StateLock(self.state_dir)  # before the queue: opening it re-queues the running jobs
        jobs = None
        try:
            self.models = ModelStore(self.state_dir / "models")
            self.jobs = jobs = JobStore(self.state_dir / "jobs.sqlite")
            self.scheduler = Scheduler(
                self.jobs,
                self.models,
                devices,
                quarantine_after=quarantine_after,
                health_interval_s=health_interval_s,
            )
        except BaseException:
            if jobs is not None:
                jobs.close()
            self._lock.release()
            raise

    def start(self) -> None:
        """Starts the devices' workers."""
        self.scheduler.start()

    def stop(self) -> None:
        """Stops the workers (after their running measurements), closes the queue and unlocks the folder.

        Idempotent; a farm never started may be stopped.
        """
        self.scheduler.stop()
        self.jobs.close()
        self._lock.release()

    def __enter__(self) -> FarmService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def status(self) -> dict[str, Any]:
        """The ``GET /v1/status`` document."""
        tags: dict[str, list[str]] = {}
        for entry in self.inventory.devices:
            for tag in entry.tags:
                tags.setdefault(tag, []).append(entry.name)
        return {
            "api_version": API_VERSION,
            "tags": tags,
            "devices": [s.to_json() for s in self.scheduler.statuses()],
            "jobs": self.jobs.counts(),
            "max_model_bytes": self.max_model_bytes,
            "default_settings": self.inventory.settings.to_json(),
        }


def _error(status_code: int, detail: str) -> HTTPException:
    return HTTPException(status_code=status_code, detail=detail)


class _Waiters:
    """Wakes the requests waiting on a job when a scheduler thread changes it."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._events: dict[int, set[asyncio.Event]] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def on_job(self, job: Job) -> None:  # called in scheduler threads
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between
                loop.call_soon_threadsafe(self._wake, job.id)

    def _wake(self, job_id: int) -> None:
        for event in self._events.get(job_id, ()):
            event.set()

    @contextlib.contextmanager
    def watch(self, job_id: int) -> Any:
        event = asyncio.Event()
        self._events.setdefault(job_id, set()).add(event)
        try:
            yield event
        finally:
            events = self._events.get(job_id)
            if events is not None:
                events.discard(event)
                if not events:
                    del self._events[job_id]


def create_app(service: FarmService, *, token: str) -> FastAPI:
    """The farm's HTTP API over `service` (see the module docstring).

    Args:
        service: The farm; the app starts and stops it with its lifespan.
        token: The bearer token every request must carry.
    """
    if not isinstance(token, str) or not token:
        raise ValueError("a farm needs a non-empty token")
    expected = token.encode()
    waiters = _Waiters()
    service.jobs.add_listener(waiters.on_job)

    def authorize(request: Request) -> None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), expected):
            raise HTTPException(401, "missing or wrong farm token", headers={"WWW-Authenticate": "Bearer"})

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        waiters.bind(asyncio.get_running_loop())
        service.start()
        try:
            yield
        finally:
            await asyncio.to_thread(service.stop)

    app = FastAPI(title="edgenas device farm", lifespan=lifespan, dependencies=[Depends(authorize)])

    @app.get("/v1/status")
    def status() -> dict[str, Any]:
        return service.status()

    @app.head("/v1/models/{sha256}")
    def has_model(sha256: str) -> Response:
        stored = service.models.get(_sha256(sha256))
        return Response(status_code=200 if stored is not None else 404)

    @app.put("/v1/models/{sha256}")
    async def put_model(sha256: str, request: Request) -> JSONResponse:
        _sha256(sha256)
        stored = service.models.get(sha256)
        if stored is not None:
            return JSONResponse(stored.to_json(), status_code=200)
        limit = service.max_model_bytes
        _refuse_declared_size(request, limit, what="model upload")
        upload = service.models.begin_upload(sha256, max_size_bytes=limit)
        try:
            async for chunk in request.stream():
                upload.write(chunk)
            stored = upload.finish()
        except UploadTooLargeError as e:
            raise _error(413, str(e)) from None
        except (HashMismatchError, NotAModelError) as e:
            raise _error(422, str(e)) from None
        finally:
            upload.abort()  # no-op once finished
        return JSONResponse(stored.to_json(), status_code=201)

    @app.post("/v1/jobs", status_code=201)
    async def submit(request: Request) -> dict[str, Any]:
        try:
            job_request = parse_job_request(
                await _read_json(request, MAX_JOB_BYTES),
                tags=service.scheduler.tags,
                default_settings=service.inventory.settings,
            )
        except JobRequestError as e:
            raise _error(422, str(e)) from None
        sha256 = job_request.model_sha256
        if service.models.get(sha256) is None:
            raise _error(404, f"model {sha256} is not on the farm; upload it first (PUT /v1/models/{sha256})")
        job = await asyncio.to_thread(
            service.jobs.submit,
            sha256,
            job_request.tag,
            job_request.settings,
            max_attempts=job_request.max_attempts,
        )
        return job.to_json()

    @app.get("/v1/jobs/{job_id}")
    async def get_job(job_id: str, request: Request) -> dict[str, Any]:
        number = _job_id(job_id)
        wait_s = _wait_s(request.query_params.get("wait_s", "0"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        with waiters.watch(number) as event:
            while True:
                event.clear()
                try:
                    job = await asyncio.to_thread(service.jobs.get, number)
                except UnknownJobError as e:
                    raise _error(404, str(e)) from None
                remaining = deadline - loop.time()
                if job.state.finished or remaining <= 0:
                    return job.to_json()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)

    return app


def _sha256(value: object) -> str:
    try:
        return check_sha256(value)
    except ValueError as e:
        raise _error(422, str(e)) from None


def _refuse_declared_size(request: Request, limit: int, *, what: str) -> None:
    """413 at once when the request's ``Content-Length`` is over `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        raise _error(413, f"{what} of {cut(declared)} bytes is larger than the farm's limit of {limit} bytes")


async def _read_json(request: Request, limit: int) -> object:
    """The request's body decoded as JSON, read up to `limit` bytes (413 past it, 422 when not JSON)."""
    _refuse_declared_size(request, limit, what="job request")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _error(413, f"job request is larger than the farm's limit of {limit} bytes")
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as e:  # bad JSON or encoding, an integer of > 4300 digits, deep nesting
        reason = str(e) if isinstance(e, ValueError) else "nested too deep"
        raise _error(422, f"the job must be a JSON object: {cut(reason)}") from None


def _job_id(text: str) -> int:
    """The job id of a ``/v1/jobs/{job_id}`` path (422 when not an integer; 404 when no job can have it)."""
    if not text.isascii() or not text.isdigit():
        raise _error(422, f"job_id must be an integer, got {shown(text)}")
    if len(text) > 19 or int(text) > _MAX_JOB_ID:
        raise _error(404, f"no farm job {shown(text)}")
    return int(text)


def _wait_s(text: str) -> float:
    """The ``wait_s`` query parameter: seconds from 0 to `MAX_WAIT_S` (422 otherwise)."""
    try:
        wait_s = float(text)
    except ValueError:
        wait_s = math.nan
    if not 0.0 <= wait_s <= MAX_WAIT_S:
        raise _error(422, f"wait_s must be a number of seconds from 0 to {MAX_WAIT_S:g}, got {shown(text)}")
    return wait_s
