"""Writing and reading trials: start, finish, fail, resume after an interruption."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from edgenas.export import ModelFormat, Precision
from edgenas.store import (
    InvalidRecordError,
    Rung,
    Trial,
    TrialArtifact,
    TrialStateError,
    TrialStatus,
    TrialStore,
    TrialTimings,
)

SHA = "ab" * 32


@pytest.fixture
def study(store: TrialStore, make_study) -> str:
    return store.create_or_open_study(make_study(), resume=False).name


def _finish(store: TrialStore, study: str, index: int, *, accuracy: float, latency_ms: float, reward: float,
            spec: str, make_latency) -> Trial:
    trial = store.start_trial(study, index=index, dna=(index % 3, 1), spec=spec)
    return store.finish_trial(trial, accuracy=accuracy, latency=make_latency(latency_ms, seed=index), reward=reward)


def test_start_commits_a_running_trial(store: TrialStore, study: str, db_path: Path, spec_text: str) -> None:
    trial = store.start_trial(study, index=0, dna=[2, 0, 1], spec=spec_text)

    assert trial.status is TrialStatus.RUNNING
    assert trial.dna == (2, 0, 1)
    assert trial.finished_at is None and trial.latency_ms is None
    with TrialStore(db_path) as other:  # committed: another connection sees it
        assert other.trials(study) == [trial]


def test_finish_records_every_result_and_reads_back_equal(
    store: TrialStore, study: str, spec_text: str, make_latency
) -> None:
    trial = store.start_trial(study, index=0, dna=(1, 2), spec=spec_text)
    artifacts = (
        TrialArtifact(format=ModelFormat.TFLITE, precision=Precision.INT8, key="k" * 24, sha256=SHA,
                      path=Path("/art/k.tflite")),
        TrialArtifact(format="onnx", precision="fp32", key="j" * 24, sha256="cd" * 32, path="/art/j.onnx"),
    )
    timings = TrialTimings(proxy_train_s=12.5, export_s=3.25, profile_s=1.5, total_s=17.5)

    done = store.finish_trial(
        trial,
        accuracy=0.6875,
        latency=make_latency(21.5),
        reward=0.66,
        proxy_scores=[0.625, 0.75],
        objectives=[0.6875, -21.5],
        artifacts=artifacts,
        timings=timings,
    )

    assert done.status is TrialStatus.DONE
    assert done.latency_ms == 21.5
    assert done.objectives == (0.6875, -21.5) and done.proxy_scores == (0.625, 0.75)
    assert done.artifacts[1].format is ModelFormat.ONNX and done.artifacts[1].path == Path("/art/j.onnx")
    assert done.finished_at is not None and done.finished_at >= done.started_at
    assert store.trials(study) == [done]


def test_a_trial_stopped_early_reads_back_equal_and_is_never_the_best(
    store: TrialStore, study: str, spec_text: str, make_latency
) -> None:
    full = store.finish_trial(store.start_trial(study, index=0, dna=(1, 2), spec=spec_text), accuracy=0.5,
                              latency=make_latency(20.0), reward=0.5, rungs=[Rung(10, 0.3), Rung(30, 0.5)])  # fmt: skip
    stopped = store.finish_trial(store.start_trial(study, index=1, dna=(2, 1), spec=spec_text), accuracy=0.9,
                                 latency=make_latency(5.0), reward=0.9, rungs=[Rung(10, 0.9)], stopped_early=True)  # fmt: skip
    assert store.trials(study) == [full, stopped] and stopped.stopped_early and not full.stopped_early
    assert store.best(study) == full  # the higher reward is a shorter training's


def test_a_version_1_latency_reads_back_as_version_1(
    store: TrialStore, study: str, spec_text: str, make_latency, db_path: Path
) -> None:
    # Results measured by an older profiler (schema version 1) stay readable and are stored as they came.
    old = make_latency(21.5, schema_version=1)
    done = _finish(store, study, 0, accuracy=0.5, latency_ms=21.5, reward=0.5, spec=spec_text,
                   make_latency=lambda ms, seed: old)
    (read,) = store.trials(study)
    assert read == done and read.latency == old
    assert (read.latency.schema_version, read.latency.stability_criterion, read.latency.robust_cv) == (1, "cv", None)
    with sqlite3.connect(db_path) as conn:
        (text,) = conn.execute("SELECT latency FROM trials").fetchone()
    stored = json.loads(text)
    assert stored == old.to_json() and stored["schema_version"] == 1
    assert not {"mad_ms", "robust_cv", "stability_criterion"} & set(stored)


def test_fail_records_the_error_and_timings(store: TrialStore, study: str, spec_text: str) -> None:
    trial = store.start_trial(study, index=0, dna=(0,), spec=spec_text)

    failed = store.fail_trial(trial, error="ExportError: op not supported", timings=TrialTimings(total_s=4.0))

    assert failed.status is TrialStatus.FAILED
    assert (failed.error, failed.timings.total_s, failed.accuracy) == ("ExportError: op not supported", 4.0, None)
    assert store.trials(study) == [failed]


def test_reads_filter_by_status_in_index_order_and_pick_the_best(
    store: TrialStore, study: str, spec_text: str, make_latency
) -> None:
    for index, reward in [(2, 0.5), (0, 0.7), (3, 0.7)]:  # started out of order; 0 and 3 tie on reward
        _finish(store, study, index, accuracy=0.6, latency_ms=20.0, reward=reward, spec=spec_text,
                make_latency=make_latency)
    store.fail_trial(store.start_trial(study, index=1, dna=(0,), spec=spec_text), error="boom")
    store.start_trial(study, index=4, dna=(0,), spec=spec_text)

    assert [t.index for t in store.trials(study)] == [0, 1, 2, 3, 4]
    assert [t.index for t in store.trials(study, status=TrialStatus.DONE)] == [0, 2, 3]
    assert [t.index for t in store.trials(study, status=TrialStatus.RUNNING)] == [4]
    assert [t.index for t in store.finished_trials(study)] == [0, 1, 2, 3]
    assert store.best(study).index == 0  # highest reward, earliest on a tie


def test_best_is_none_without_a_rewarded_done_trial(store: TrialStore, study: str, spec_text: str) -> None:
    assert store.best(study) is None
    store.fail_trial(store.start_trial(study, index=0, dna=(0,), spec=spec_text), error="boom")
    assert store.best(study) is None


def test_an_index_is_started_once(store: TrialStore, study: str, spec_text: str) -> None:
    store.start_trial(study, index=0, dna=(0,), spec=spec_text)
    with pytest.raises(TrialStateError, match="already holds trial #0, running.*mark_interrupted"):
        store.start_trial(study, index=0, dna=(1,), spec=spec_text)


def test_a_trial_ends_once(store: TrialStore, study: str, spec_text: str, make_latency) -> None:
    trial = store.start_trial(study, index=0, dna=(0,), spec=spec_text)
    done = store.finish_trial(trial, accuracy=0.5, latency=make_latency(10.0), reward=0.5)

    with pytest.raises(TrialStateError, match="#0 is already done"):
        store.fail_trial(trial, error="late")
    with pytest.raises(TrialStateError, match="is done, not running"):
        store.finish_trial(done, accuracy=0.9, latency=None, reward=0.9)
    assert store.trials(study) == [done]


@pytest.mark.parametrize(
    ("results", "message"),
    [
        ({"accuracy": float("nan")}, "accuracy must be finite"),
        ({"reward": "high"}, "reward must be a number"),
        ({"latency": {"latency_ms": 3.0}}, "latency must be a LatencyResult"),
        ({"objectives": (0.5, float("inf"))}, r"objectives\[1\] must be finite"),
        ({"artifacts": ({"sha256": SHA},)}, r"artifacts\[0\] must be a TrialArtifact"),
        ({"timings": TrialTimings}, "timings must be a TrialTimings"),
    ],
)
def test_bad_results_are_refused_and_the_trial_stays_running(
    store: TrialStore, study: str, spec_text: str, make_latency, results: dict[str, object], message: str
) -> None:
    trial = store.start_trial(study, index=0, dna=(0,), spec=spec_text)
    kwargs: dict[str, object] = {"accuracy": 0.5, "latency": make_latency(10.0), "reward": 0.5, **results}

    with pytest.raises(InvalidRecordError, match=message):
        store.finish_trial(trial, **kwargs)  # type: ignore[arg-type]

    assert store.trials(study) == [trial]
    assert store.finish_trial(trial, accuracy=0.5, latency=make_latency(10.0), reward=0.5).status is TrialStatus.DONE


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"index": -1}, "index must be >= 0"),
        ({"dna": (0, "a")}, r"dna\[1\] must be an integer"),
        ({"spec": ""}, "spec must be a non-empty string"),
    ],
)
def test_bad_starts_write_nothing(store: TrialStore, study: str, spec_text: str, kwargs, message: str) -> None:
    arguments = {"index": 0, "dna": (0,), "spec": spec_text, **kwargs}
    with pytest.raises(InvalidRecordError, match=message):
        store.start_trial(study, **arguments)
    assert store.trials(study) == []


def test_fail_needs_an_error_message(store: TrialStore, study: str, spec_text: str) -> None:
    trial = store.start_trial(study, index=0, dna=(0,), spec=spec_text)
    with pytest.raises(InvalidRecordError, match="error must be a non-empty string"):
        store.fail_trial(trial, error="  ")
    assert store.trials(study) == [trial]


def test_mark_interrupted_deletes_running_trials_so_they_run_again(
    store: TrialStore, study: str, spec_text: str, make_latency
) -> None:
    done = _finish(store, study, 0, accuracy=0.6, latency_ms=20.0, reward=0.6, spec=spec_text,
                   make_latency=make_latency)
    failed = store.fail_trial(store.start_trial(study, index=1, dna=(0,), spec=spec_text), error="boom")
    in_flight = store.start_trial(study, index=2, dna=(2, 2), spec=spec_text)

    assert store.mark_interrupted(study) == (in_flight,)

    assert store.trials(study) == [done, failed]  # finished trials are kept, never repeated
    with pytest.raises(TrialStateError, match="not in the store"):
        store.finish_trial(in_flight, accuracy=0.5, latency=make_latency(9.0), reward=0.5)
    rerun = store.start_trial(study, index=2, dna=(2, 2), spec=spec_text)
    assert store.trials(study, status=TrialStatus.RUNNING) == [rerun]
    assert store.mark_interrupted(study) == (rerun,)
    assert store.mark_interrupted(study) == ()


def test_finishing_with_another_spec_is_refused(store: TrialStore, study: str, spec_text: str) -> None:
    import dataclasses

    trial = store.start_trial(study, index=0, dna=(0,), spec=spec_text)
    with pytest.raises(TrialStateError, match="holds spec"):
        store.fail_trial(dataclasses.replace(trial, spec="relu-stem8-conv_r1_k3_s1_e1_se0_c8-head8"), error="x")


def test_rows_are_readable_with_plain_sql(store: TrialStore, study: str, db_path: Path, spec_text: str,
                                          make_latency) -> None:
    _finish(store, study, 0, accuracy=0.625, latency_ms=12.5, reward=0.6, spec=spec_text, make_latency=make_latency)
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("SELECT idx, status, accuracy, latency_ms FROM trials").fetchall() == [
            (0, "done", 0.625, 12.5)
        ]
    finally:
        conn.close()
