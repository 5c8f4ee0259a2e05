"""Tests of devices/farm/job_store.py: the durable queue and result cache in a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from devices import LatencyResult, ProfileSettings
from devices.farm.errors import FarmConfigError, UnknownJobError
from devices.farm.job import Job, JobState
from devices.farm.job_store import JobStore

SHA_A = "a" * 64
SHA_B = "b" * 64
FAST = ProfileSettings(runs=5, warmup=1)


def _result(sha256: str, latency_ms: float = 1.5) -> LatencyResult:
    """A valid measurement of `sha256` (the JSON a profiler prints)."""
    return LatencyResult.from_json({
        "schema_version": 1, "model_path": f"/farm/{sha256}.tflite", "artifact_sha256": sha256, "size_bytes": 10,
        "runtime": "litert", "runtime_version": "2.3.0", "threads": 1, "delegate": "cpu", "inputs": [],
        "latency_ms": latency_ms, "p90_ms": latency_ms * 1.1, "mean_ms": latency_ms, "std_ms": 0.01,
        "min_ms": latency_ms * 0.9, "cv": 0.01, "runs": 5, "warmup_runs": 1, "attempts": 1, "max_attempts": 3,
        "stable": True, "cv_threshold": 0.05, "seed": 0,
        "device": {"hostname": "h", "platform": "Linux", "machine": "x86_64", "cpu_model": "cpu", "cpu_count": 2,
                   "cpu_governor": None, "temperature_c": None},
        "measured_at": "2026-11-28T09:00:00+00:00",
    })  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "jobs.sqlite")


def test_a_job_is_claimed_by_one_device_and_completed(store: JobStore) -> None:
    job = store.submit(SHA_A, "cpu", FAST)
    assert job.state is JobState.QUEUED and job.attempts == 0 and not job.cached
    assert store.claim("dev-1", ["gpu"]) is None  # other tag
    claimed = store.claim("dev-1", ["cpu"])
    assert claimed is not None and claimed.id == job.id
    assert claimed.state is JobState.RUNNING and claimed.device == "dev-1" and claimed.attempts == 1
    assert store.claim("dev-2", ["cpu"]) is None  # nothing else queued
    done = store.complete(job.id, "dev-1", _result(SHA_A))
    assert done.state is JobState.DONE and done.result is not None and done.result.latency_ms == 1.5
    assert done.finished_at is not None


def test_a_known_result_is_returned_at_submission_and_a_pending_job_is_shared(store: JobStore) -> None:
    first = store.submit(SHA_A, "cpu", FAST)
    assert store.submit(SHA_A, "cpu", FAST).id == first.id  # queued: the same job
    store.claim("dev-1", ["cpu"])
    assert store.submit(SHA_A, "cpu", FAST).id == first.id  # running: still the same job
    store.complete(first.id, "dev-1", _result(SHA_A))
    again = store.submit(SHA_A, "cpu", FAST)
    assert again.id != first.id and again.state is JobState.DONE and again.cached
    assert again.result == store.get(first.id).result and again.result is not None
    assert again.device == "dev-1"
    # Another tag, other settings or another model are other measurements.
    assert store.submit(SHA_A, "arm", FAST).state is JobState.QUEUED
    assert store.submit(SHA_A, "cpu", ProfileSettings(runs=6, warmup=1)).state is JobState.QUEUED
    assert store.submit(SHA_B, "cpu", FAST).state is JobState.QUEUED
    assert store.counts() == {"queued": 3, "running": 0, "done": 2, "failed": 0}


def test_a_failed_attempt_goes_to_another_device_never_back_to_the_same(store: JobStore) -> None:
    job = store.submit(SHA_A, "cpu", FAST)
    store.claim("dev-1", ["cpu"])
    requeued = store.fail(job.id, "dev-1", "profiler crashed", tag_devices=["dev-1", "dev-2"])
    assert requeued.state is JobState.QUEUED and requeued.device is None
    assert [(e.device, e.message) for e in requeued.errors] == [("dev-1", "profiler crashed")]
    assert store.claim("dev-1", ["cpu"]) is None  # it failed there
    claimed = store.claim("dev-2", ["cpu"])
    assert claimed is not None and claimed.attempts == 2
    done = store.complete(job.id, "dev-2", _result(SHA_A))
    assert done.state is JobState.DONE and done.error == "profiler crashed"


def test_a_job_fails_when_every_device_of_its_tag_failed_it(store: JobStore) -> None:
    job = store.submit(SHA_A, "cpu", FAST, max_attempts=5)
    store.claim("dev-1", ["cpu"])
    store.fail(job.id, "dev-1", "garbage", tag_devices=["dev-1", "dev-2"])
    store.claim("dev-2", ["cpu"])
    failed = store.fail(job.id, "dev-2", "timeout", tag_devices=["dev-1", "dev-2"])
    assert failed.state is JobState.FAILED and failed.attempts == 2
    assert [e.device for e in failed.errors] == ["dev-1", "dev-2"]


def test_a_job_fails_when_its_attempts_run_out(store: JobStore) -> None:
    job = store.submit(SHA_A, "cpu", FAST, max_attempts=1)
    store.claim("dev-1", ["cpu"])
    failed = store.fail(job.id, "dev-1", "garbage", tag_devices=["dev-1", "dev-2", "dev-3"])
    assert failed.state is JobState.FAILED
    # A failed job's result is not cached: submitting again queues a new job.
    assert store.submit(SHA_A, "cpu", FAST).state is JobState.QUEUED


def test_only_the_running_device_may_finish_a_job(store: JobStore) -> None:
    job = store.submit(SHA_A, "cpu", FAST)
    with pytest.raises(ValueError, match="not running on dev-1"):
        store.complete(job.id, "dev-1", _result(SHA_A))
    store.claim("dev-1", ["cpu"])
    with pytest.raises(ValueError, match="not running on dev-2"):
        store.fail(job.id, "dev-2", "x", tag_devices=["dev-1", "dev-2"])
    with pytest.raises(UnknownJobError, match="no farm job 999"):
        store.get(999)


def test_a_reopened_store_requeues_running_jobs_without_counting_the_attempt(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    first = JobStore(path)
    running = first.submit(SHA_A, "cpu", FAST)
    first.claim("dev-1", ["cpu"])
    done = first.submit(SHA_B, "cpu", FAST)
    first.claim("dev-2", ["cpu"])
    first.complete(done.id, "dev-2", _result(SHA_B))
    queued = first.submit(SHA_A, "arm", FAST)
    # No close(): as if the farm was killed.
    second = JobStore(path)
    assert second.recovered == 1
    recovered = second.get(running.id)
    assert recovered.state is JobState.QUEUED and recovered.attempts == 0 and recovered.device is None
    assert second.get(done.id).state is JobState.DONE
    assert second.get(queued.id).state is JobState.QUEUED
    assert [j.id for j in second.queued()] == [running.id, queued.id]
    assert second.submit(SHA_B, "cpu", FAST).cached  # the cache survived too


def test_listeners_hear_queued_and_finished_jobs(store: JobStore) -> None:
    heard: list[tuple[int, JobState]] = []
    store.add_listener(lambda job: heard.append((job.id, job.state)))
    job = store.submit(SHA_A, "cpu", FAST)
    store.claim("dev-1", ["cpu"])
    store.fail(job.id, "dev-1", "x", tag_devices=["dev-1", "dev-2"])
    store.claim("dev-2", ["cpu"])
    store.complete(job.id, "dev-2", _result(SHA_A))
    assert heard == [(job.id, JobState.QUEUED), (job.id, JobState.QUEUED), (job.id, JobState.DONE)]


def test_a_file_that_is_not_a_job_database_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.sqlite"
    text.write_text("not sqlite at all " * 100)
    with pytest.raises(FarmConfigError, match=f"^{text}: not a farm job database: file is not a database$"):
        JobStore(text)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('schema_version', '99')")
    with pytest.raises(FarmConfigError, match="schema version 99"):
        JobStore(other)


def test_a_job_round_trips_through_json(store: JobStore) -> None:
    job = store.submit(SHA_A, "cpu", FAST)
    store.claim("dev-1", ["cpu"])
    store.fail(job.id, "dev-1", "x", tag_devices=["dev-1", "dev-2"])
    store.claim("dev-2", ["cpu"])
    job = store.complete(job.id, "dev-2", _result(SHA_A))
    assert Job.from_json(json.loads(json.dumps(job.to_json()))) == job
    with pytest.raises(ValueError, match="not a farm job document"):
        Job.from_json({"id": 1})
