"""A process killed (SIGKILL) while writing trials leaves a store that opens, with every committed trial."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from edgenas.store import TrialStatus, TrialStore

REPO_ROOT = Path(__file__).resolve().parents[3]

# Resumes (or creates) the study, discards what a killed run left running, then
# writes trials forever: each one started, then finished, printing its index
# once the finishing transaction has committed. Index 3k fails, the rest succeed.
_WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[2])
    from devices import DeviceInfo, LatencyResult, TensorInfo
    from edgenas.store import Study, TrialStore, TrialTimings

    def latency(ms):
        return LatencyResult(
            schema_version=2, model_path="/m.tflite", artifact_sha256="ab" * 32, size_bytes=10,
            runtime="litert", runtime_version="2.3.0", threads=1, delegate="xnnpack",
            inputs=(TensorInfo(name="x", dtype="float32", shape=(1, 8, 8, 3)),),
            latency_ms=ms, p90_ms=ms, mean_ms=ms, std_ms=0.0, min_ms=ms, cv=0.0, mad_ms=0.0, robust_cv=0.0, runs=2,
            warmup_runs=0, attempts=1, max_attempts=1, stable=True, stability_criterion="robust_cv", cv_threshold=0.05,
            seed=0,
            device=DeviceInfo(hostname=None, platform=None, machine=None, cpu_model=None, cpu_count=None,
                              cpu_governor=None, temperature_c=None),
            measured_at="2026-01-01T00:00:00+00:00",
        )

    store = TrialStore(sys.argv[1])
    study = store.create_or_open_study(
        Study(name="crash", space="mnasnet", space_options="{}", space_fingerprint="f" * 24,
              reward='{"target_ms": 10}', algorithm="random", seed=0, device="local"),
        resume=True,
    )
    store.mark_interrupted(study.name)
    index = len(store.trials(study.name))
    print("ready", index, flush=True)
    while True:
        trial = store.start_trial(study.name, index=index, dna=(index % 5, index % 7), spec=f"spec-{index}")
        if index % 3 == 0:
            store.fail_trial(trial, error=f"error {index}", timings=TrialTimings(total_s=0.5))
        else:
            store.finish_trial(trial, accuracy=index / 1000, latency=latency(1.0 + index), reward=index / 100,
                               artifacts=(), timings=TrialTimings(total_s=1.0))
        print(index, flush=True)
        index += 1
    """
)


def _run_and_kill(script: Path, db: Path, *, committed_before_kill: int) -> list[int]:
    """Starts the writer, waits for `committed_before_kill` commits, SIGKILLs it; returns the indices it committed."""
    process = subprocess.Popen(
        [sys.executable, str(script), str(db), str(REPO_ROOT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        header = process.stdout.readline()
        assert header.startswith("ready"), process.stderr.read()
        committed = [int(process.stdout.readline()) for _ in range(committed_before_kill)]
        os.kill(process.pid, signal.SIGKILL)  # mid-loop: most likely inside a transaction
        process.wait(timeout=30)
        committed += [int(line) for line in process.stdout.read().split()]  # printed before the kill landed
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    return committed


def _check_consistent(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_writers_lose_no_committed_trial_and_resume_repeats_none(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    db = tmp_path / "crash.db"
    committed: list[int] = []

    for kill_after in (25, 40, 15):  # three kill-and-resume rounds on one file
        committed += _run_and_kill(script, db, committed_before_kill=kill_after)
        _check_consistent(db)
        with TrialStore(db) as store:
            trials = store.trials("crash")
            finished = [t for t in trials if t.status.finished]
            # Every committed trial is there, intact, and nothing is repeated.
            assert [t.index for t in finished] == list(range(len(finished)))
            assert set(committed) <= {t.index for t in finished}
            for trial in finished:
                if trial.index % 3 == 0:
                    assert (trial.status, trial.error) == (TrialStatus.FAILED, f"error {trial.index}")
                else:
                    assert trial.status is TrialStatus.DONE
                    assert (trial.accuracy, trial.latency_ms, trial.reward) == (
                        trial.index / 1000, 1.0 + trial.index, trial.index / 100
                    )
                assert trial.spec == f"spec-{trial.index}" and trial.dna == (trial.index % 5, trial.index % 7)
            # At most the trial in flight is lost: one running row, right after the finished ones.
            running = [t.index for t in trials if t.status is TrialStatus.RUNNING]
            assert running in ([], [len(finished)])

    assert len(committed) >= 80 and len(set(committed)) == len(committed)
