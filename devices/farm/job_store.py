"""The farm's durable queue and result cache, in one SQLite file.

Every state change is one transaction, so a farm killed at any moment restarts
with its jobs intact: `JobStore.__init__` puts the jobs that were running back
in the queue (that attempt is not counted: the farm, not the device, failed).

Results are cached by (model SHA-256, device tag, `ProfileSettings.cache_key`):
a job whose measurement is already known finishes at submission, and a job
equal to one still queued or running is that job, so nothing is measured twice.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path

from ..latency_result import LatencyResult
from ..settings import ProfileSettings
from .errors import FarmConfigError, UnknownJobError
from .job import AttemptError, Job, JobState

__all__ = ["DEFAULT_MAX_ATTEMPTS", "JobStore"]

DEFAULT_MAX_ATTEMPTS = 3
"""Attempts a job gets (each on a different device where the tag has several)."""

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model_sha256 TEXT NOT NULL,
    tag TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    settings_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    device TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    result_json TEXT,
    cached INTEGER NOT NULL DEFAULT 0,
    submitted_at REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, tag, id);
CREATE INDEX IF NOT EXISTS jobs_by_key ON jobs (model_sha256, tag, settings_key, state);
CREATE TABLE IF NOT EXISTS attempt_errors (
    job_id INTEGER NOT NULL REFERENCES jobs (id),
    device TEXT NOT NULL,
    message TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS attempt_errors_by_job ON attempt_errors (job_id);
CREATE TABLE IF NOT EXISTS results (
    model_sha256 TEXT NOT NULL,
    tag TEXT NOT NULL,
    settings_key TEXT NOT NULL,
    result_json TEXT NOT NULL,
    device TEXT NOT NULL,
    PRIMARY KEY (model_sha256, tag, settings_key)
);
"""
_COLUMNS = (
    "id, model_sha256, tag, settings_json, state, device, attempts, max_attempts, result_json, cached, "
    "submitted_at, finished_at"
)

JobListener = Callable[[Job], None]
"""Called with a job after it was queued (again) or finished, outside the store's lock."""


class JobStore:
    """Jobs and cached results in a SQLite file; safe to share between threads.

    Args:
        path: The database file (created with its folder when missing).

    Attributes:
        recovered: How many jobs were running when the farm last stopped
            (queued again on opening).

    Raises:
        FarmConfigError: (a `ValueError`) The file is not a farm job database of this version.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._listeners: list[JobListener] = []
        self._conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False, timeout=30.0)
        try:
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.executescript(_SCHEMA)
            self._check_version()
            self.recovered = self._requeue_running()
        except sqlite3.DatabaseError as e:
            self._conn.close()
            raise FarmConfigError(f"{self._path}: not a farm job database: {e}") from None

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def close(self) -> None:
        """Closes the database."""
        with self._lock:
            self._conn.close()

    def add_listener(self, listener: JobListener) -> None:
        """Registers a callback for queued and finished jobs (it must not block)."""
        self._listeners.append(listener)

    def submit(
        self, model_sha256: str, tag: str, settings: ProfileSettings, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS
    ) -> Job:
        """Queues a measurement, or returns the job that already has (or will have) its result.

        Args:
            model_sha256: The model, already in the farm's model store.
            tag: The device tag to run it on.
            settings: Runtime settings.
            max_attempts: Attempts before the job fails.

        Returns:
            A done job with ``cached=True`` when the result is known, the queued
            or running job with the same key when there is one, else a new job.
        """
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(f"max_attempts must be an integer >= 1, got {max_attempts!r}")
        key = settings.cache_key()
        now = time.time()
        with self._transaction():
            cached = self._conn.execute(
                "SELECT result_json, device FROM results WHERE model_sha256 = ? AND tag = ? AND settings_key = ?",
                (model_sha256, tag, key),
            ).fetchone()
            if cached is None:
                pending = self._conn.execute(
                    "SELECT id FROM jobs WHERE model_sha256 = ? AND tag = ? AND settings_key = ? "
                    "AND state IN ('queued', 'running') ORDER BY id LIMIT 1",
                    (model_sha256, tag, key),
                ).fetchone()
                if pending is not None:
                    return self._get(pending[0])
            state, device, result_json = (
                ("queued", None, None) if cached is None else ("done", cached[1], cached[0])
            )
            job_id = self._conn.execute(
                "INSERT INTO jobs (model_sha256, tag, settings_json, settings_key, state, device, max_attempts, "
                "result_json, cached, submitted_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    model_sha256, tag, json.dumps(settings.to_json()), key, state, device, max_attempts,
                    result_json, cached is not None, now, None if cached is None else now,
                ),
            ).lastrowid
            job = self._get(job_id)
        self._notify(job)
        return job

    def claim(self, device: str, tags: Collection[str]) -> Job | None:
        """Takes the oldest queued job of one of `tags` that `device` has not failed, and marks it running.

        Returns:
            The job, now running on `device`, or None when there is none.
        """
        tags = list(tags)
        if not tags:
            return None
        marks = ", ".join("?" * len(tags))
        with self._transaction():
            row = self._conn.execute(
                f"SELECT id FROM jobs WHERE state = 'queued' AND tag IN ({marks}) AND id NOT IN "  # noqa: S608
                "(SELECT job_id FROM attempt_errors WHERE device = ?) ORDER BY id LIMIT 1",
                (*tags, device),
            ).fetchone()
            if row is None:
                return None
            self._conn.execute(
                "UPDATE jobs SET state = 'running', device = ?, attempts = attempts + 1 WHERE id = ?",
                (device, row[0]),
            )
            return self._get(row[0])

    def complete(self, job_id: int, device: str, result: LatencyResult) -> Job:
        """Records the measurement of a job running on `device` and caches it.

        Raises:
            UnknownJobError: No such job.
            ValueError: The job is not running on `device`.
        """
        with self._transaction():
            job = self._running_on(job_id, device)
            result_json = json.dumps(result.to_json())
            self._conn.execute(
                "UPDATE jobs SET state = 'done', result_json = ?, finished_at = ? WHERE id = ?",
                (result_json, time.time(), job_id),
            )
            self._conn.execute(
                "INSERT OR REPLACE INTO results (model_sha256, tag, settings_key, result_json, device) "
                "VALUES (?, ?, ?, ?, ?)",
                (job.model_sha256, job.tag, job.settings.cache_key(), result_json, device),
            )
            job = self._get(job_id)
        self._notify(job)
        return job

    def fail(self, job_id: int, device: str, message: str, *, tag_devices: Collection[str]) -> Job:
        """Records a failed attempt; queues the job again or, when nothing is left to try, fails it.

        Args:
            job_id: The job, running on `device`.
            device: The device it failed on.
            message: Why, in one line.
            tag_devices: Every device serving the job's tag (quarantined ones too).

        Returns:
            The job: queued again while attempts and untried devices remain, else failed.

        Raises:
            UnknownJobError: No such job.
            ValueError: The job is not running on `device`.
        """
        with self._transaction():
            job = self._running_on(job_id, device)
            self._conn.execute(
                "INSERT INTO attempt_errors (job_id, device, message, at) VALUES (?, ?, ?, ?)",
                (job_id, device, message, time.time()),
            )
            failed_on = {d for (d,) in self._conn.execute(
                "SELECT device FROM attempt_errors WHERE job_id = ?", (job_id,)
            )}  # fmt: skip
            untried = set(tag_devices) - failed_on
            if job.attempts >= job.max_attempts or not untried:
                self._conn.execute(
                    "UPDATE jobs SET state = 'failed', finished_at = ? WHERE id = ?", (time.time(), job_id)
                )
            else:
                self._conn.execute("UPDATE jobs SET state = 'queued', device = NULL WHERE id = ?", (job_id,))
            job = self._get(job_id)
        self._notify(job)
        return job

    def get(self, job_id: int) -> Job:
        """The job with this id.

        Raises:
            UnknownJobError: No such job.
        """
        with self._lock:
            return self._get(job_id)

    def counts(self) -> dict[str, int]:
        """Jobs per state."""
        with self._lock:
            rows = dict(self._conn.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())
        return {state.value: rows.get(state.value, 0) for state in JobState}

    def queued(self) -> list[Job]:
        """The queued jobs, oldest first."""
        with self._lock:
            ids = [i for (i,) in self._conn.execute("SELECT id FROM jobs WHERE state = 'queued' ORDER BY id")]
            return [self._get(i) for i in ids]

    # -- internals -------------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn, self._lock)

    def _get(self, job_id: int) -> Job:
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()  # noqa: S608
        if row is None:
            raise UnknownJobError(f"no farm job {job_id}")
        errors = tuple(
            AttemptError(device, message)
            for device, message in self._conn.execute(
                "SELECT device, message FROM attempt_errors WHERE job_id = ? ORDER BY rowid", (job_id,)
            )
        )
        (id_, sha, tag, settings_json, state, device, attempts, max_attempts, result_json, cached, sub, fin) = row
        return Job(
            id=id_,
            model_sha256=sha,
            tag=tag,
            settings=ProfileSettings.from_json(json.loads(settings_json)),
            state=JobState(state),
            device=device,
            attempts=attempts,
            max_attempts=max_attempts,
            result=None if result_json is None else LatencyResult.from_json(result_json),
            errors=errors,
            cached=bool(cached),
            submitted_at=sub,
            finished_at=fin,
        )

    def _running_on(self, job_id: int, device: str) -> Job:
        job = self._get(job_id)
        if job.state is not JobState.RUNNING or job.device != device:
            raise ValueError(f"farm job {job_id} is {job.state.value} on {job.device}, not running on {device}")
        return job

    def _check_version(self) -> None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(_SCHEMA_VERSION),))
        elif row[0] != str(_SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"schema version {row[0]}, this farm reads version {_SCHEMA_VERSION}")

    def _requeue_running(self) -> int:
        cursor = self._conn.execute(
            "UPDATE jobs SET state = 'queued', device = NULL, attempts = attempts - 1 WHERE state = 'running'"
        )
        return cursor.rowcount

    def _notify(self, job: Job) -> None:
        if job.state is JobState.RUNNING:
            return
        for listener in self._listeners:
            listener(job)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error) under the store's thread lock."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        self._conn = conn
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            self._conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")
        finally:
            self._lock.release()
