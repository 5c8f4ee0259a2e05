"""`TrialStore`: the studies and trials of searches, in one SQLite file.

Every write is a single transaction, committed before the call returns, with
the journal in WAL mode and synchronous writes: a process killed at any moment
leaves a file that opens, holding every trial whose write returned.

Resume semantics: a trial is a row written when it starts (``running``) and
updated when it ends (``done`` or ``failed``). A process killed mid-trial leaves
one ``running`` row; `mark_interrupted` *deletes* such rows, so the resumed
search proposes and runs that index again while every finished trial is kept
and never repeated. (Marking them failed instead would feed a spurious failure
to the algorithm and make a resumed search differ from an uninterrupted one
with the same seed.) One process writes a study at a time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from devices import LatencyResult
from edgenas.store import _resume, _rows, _schema
from edgenas.store._values import utc_now
from edgenas.store.artifact import TrialArtifact
from edgenas.store.errors import (
    InvalidRecordError,
    StudyExistsError,
    TrialStateError,
    UnknownStudyError,
)
from edgenas.store.predicted_latency import PredictedLatency
from edgenas.store.rung import Rung
from edgenas.store.status import TrialStatus
from edgenas.store.study import Study
from edgenas.store.timings import TrialTimings
from edgenas.store.trial import Trial

__all__ = ["TrialStore"]

class TrialStore:
    """The trial store of searches: an SQLite file of studies and their trials.

    The connection may be used from several threads (calls are serialised).
    Use it as a context manager, or call `close`.

    Args:
        path: The store file; created (with its folder) if missing.
        timeout_s: How long a write waits for another process holding the lock.

    Raises:
        StoreOpenError: If the file cannot be opened.
        NotAStoreError: If the file exists but is not an edgenas trial store; it is left untouched.
        SchemaVersionError: If the file is a store of a newer schema version; it is left untouched.
            A store of an older version is upgraded in place (see `edgenas.store._schema`).
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout_s: float = 30.0) -> None:
        self._path = Path(path)
        self._conn = _schema.connect(self._path, timeout_s=timeout_s)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        """The store file."""
        return self._path

    def close(self) -> None:
        """Closes the connection (idempotent)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> TrialStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TrialStore({str(self._path)!r})"

    # ------------------------------------------------------------------ #
    # Plumbing

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any error."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: a consistent snapshot across its statements."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("COMMIT")

    def _require_study(self, conn: sqlite3.Connection, name: str) -> Study:
        row = conn.execute("SELECT * FROM studies WHERE name = ?", (name,)).fetchone()
        if row is None:
            names = [r[0] for r in conn.execute("SELECT name FROM studies ORDER BY name")]
            known = ", ".join(repr(n) for n in names) if names else "none"
            raise UnknownStudyError(f"no study {name!r} in {str(self._path)!r}; studies there: {known}")
        return _rows.study_from_row(row)

    # ------------------------------------------------------------------ #
    # Studies

    def create_or_open_study(self, study: Study, *, resume: bool) -> Study:
        """Creates a study, or reopens a stored one of the same name to resume it.

        Args:
            study: The study as this run would create it.
            resume: Whether an existing study of that name may be continued.

        Returns:
            The new study, or the stored one when resuming (its seed and
            created_at are the stored ones). A study written by trial store
            schema 1 did not record its input shape, class count and export
            recipe: resumed with no done trial, it records `study`'s now.

        Raises:
            StudyExistsError: If the name exists and `resume` is false.
            StudyMismatchError: If resuming with another space, space options,
                space fingerprint, reward, algorithm, device (with runtime,
                threads and precision), input shape, class count, export recipe or proxy seeds
                than the stored study's (the message names every differing field,
                stored and given; after an export recipe change also the done
                trials it leaves stale), or a schema 1 study that has done trials
                with the fields it did not record (nothing is written).
            InvalidRecordError: If `study` is not a `Study`.
        """
        if not isinstance(study, Study):
            raise InvalidRecordError(f"study must be a Study, got {type(study).__name__}")
        with self._write() as conn:
            row = conn.execute("SELECT * FROM studies WHERE name = ?", (study.name,)).fetchone()
            if row is None:
                columns = ", ".join(_rows.STUDY_COLUMNS)
                values = ", ".join(f":{c}" for c in _rows.STUDY_COLUMNS)
                conn.execute(f"INSERT INTO studies ({columns}) VALUES ({values})", _rows.study_params(study))
                return study
            stored = _rows.study_from_row(row)
            if not resume:
                counts = dict(
                    conn.execute("SELECT status, COUNT(*) FROM trials WHERE study = ? GROUP BY status", (study.name,))
                )
                summary = ", ".join(f"{counts.get(s.value, 0)} {s.value}" for s in TrialStatus)
                raise StudyExistsError(
                    f"study {study.name!r} already exists in {str(self._path)!r} ({summary}); "
                    "pass --resume (resume=True) to continue it, or choose another study name",
                    study_name=study.name,
                )
            done = [
                r[0]
                for r in conn.execute(
                    "SELECT idx FROM trials WHERE study = ? AND status = 'done' ORDER BY idx", (study.name,)
                )
            ]
            resumed = _resume.resumed_study(stored, study, done=done, path=self._path)
            if resumed != stored:  # fields a schema 1 study did not record, recorded now
                assignments = ", ".join(f"{c} = :{c}" for c in _rows.STUDY_COLUMNS if c != "name")
                conn.execute(f"UPDATE studies SET {assignments} WHERE name = :name", _rows.study_params(resumed))
            return resumed

    def study(self, name: str) -> Study:
        """Returns the stored study `name`.

        Raises:
            UnknownStudyError: If there is none; the message lists the stored studies.
        """
        with self._read() as conn:
            return self._require_study(conn, name)

    def studies(self) -> list[Study]:
        """Returns every stored study, by name."""
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM studies ORDER BY name").fetchall()
        return [_rows.study_from_row(row) for row in rows]

    # ------------------------------------------------------------------ #
    # Trial writes

    def start_trial(self, study_name: str, *, index: int, dna: Sequence[int], spec: str) -> Trial:
        """Records a trial as running, committed before it returns.

        Args:
            study_name: The study.
            index: Proposal order, from 0; unique in the study.
            dna: The decision values.
            spec: The compact spec string.

        Returns:
            The running trial (pass it to `finish_trial` or `fail_trial`).

        Raises:
            UnknownStudyError: If the study does not exist.
            TrialStateError: If the study already holds `index`.
            InvalidRecordError: On an invalid index, DNA or spec (nothing written).
        """
        trial = Trial(
            study=study_name,
            index=index,
            dna=tuple(dna) if isinstance(dna, (list, tuple)) else dna,
            spec=spec,
            status=TrialStatus.RUNNING,
            started_at=utc_now(),
        )
        with self._write() as conn:
            self._require_study(conn, study_name)
            row = conn.execute(
                "SELECT status FROM trials WHERE study = ? AND idx = ?", (study_name, trial.index)
            ).fetchone()
            if row is not None:
                hint = " (a stale running row: call mark_interrupted first)" if row["status"] == "running" else ""
                raise TrialStateError(
                    f"study {study_name!r} already holds trial #{trial.index}, {row['status']}{hint}"
                )
            columns = ", ".join(_rows.TRIAL_COLUMNS)
            values = ", ".join(f":{c}" for c in _rows.TRIAL_COLUMNS)
            conn.execute(f"INSERT INTO trials ({columns}) VALUES ({values})", _rows.trial_params(trial))
        return trial

    def _end(self, trial: Trial, ended: Trial) -> Trial:
        with self._write() as conn:
            row = conn.execute(
                "SELECT status, spec FROM trials WHERE study = ? AND idx = ?", (trial.study, trial.index)
            ).fetchone()
            where = f"trial {trial.study!r} #{trial.index}"
            if row is None:
                raise TrialStateError(f"{where} is not in the store (discarded as interrupted?)")
            if row["status"] != TrialStatus.RUNNING.value:
                raise TrialStateError(f"{where} is already {row['status']}; a trial ends once")
            if row["spec"] != trial.spec:
                raise TrialStateError(f"{where} holds spec {row['spec']!r}, not {trial.spec!r}")
            assignments = ", ".join(f"{c} = :{c}" for c in _rows.TRIAL_COLUMNS if c not in ("study", "idx"))
            conn.execute(
                f"UPDATE trials SET {assignments} WHERE study = :study AND idx = :idx", _rows.trial_params(ended)
            )
        return ended

    @staticmethod
    def _check_running(trial: Trial) -> None:
        if not isinstance(trial, Trial):
            raise InvalidRecordError(f"trial must be a Trial, got {type(trial).__name__}")
        if trial.status is not TrialStatus.RUNNING:
            raise TrialStateError(f"trial {trial.study!r} #{trial.index} is {trial.status.value}, not running")

    def finish_trial(
        self,
        trial: Trial,
        *,
        accuracy: float | None,
        latency: LatencyResult | PredictedLatency | None,
        reward: float | None,
        proxy_scores: Sequence[float] | None = None,
        rungs: Sequence[Rung] | None = None,
        stopped_early: bool = False,
        objectives: Sequence[float] | None = None,
        artifacts: Sequence[TrialArtifact] = (),
        timings: TrialTimings | None = None,
    ) -> Trial:
        """Records a running trial as done, in one transaction.

        Args:
            trial: The running trial `start_trial` returned.
            accuracy: Proxy-task accuracy.
            latency: The latency: measured, or predicted.
            proxy_scores: Each proxy training's score, by seed (None: not recorded).
            rungs: The first training's score at each rung it reached (None: no halving).
            stopped_early: Whether halving stopped its training before the last rung.
            reward: The scalar reward.
            objectives: The objective vector of a Pareto search.
            artifacts: The exported model files.
            timings: Where the trial's time went.

        Returns:
            The done trial.

        Raises:
            TrialStateError: If the stored trial is not running (finished, or discarded).
            InvalidRecordError: On an invalid value (nothing written).
        """
        self._check_running(trial)
        done = dataclasses.replace(
            trial,
            status=TrialStatus.DONE,
            accuracy=accuracy,
            proxy_scores=None if proxy_scores is None else tuple(proxy_scores),
            rungs=None if rungs is None else tuple(rungs),
            stopped_early=stopped_early,
            latency=latency,
            reward=reward,
            objectives=None if objectives is None else tuple(objectives),
            artifacts=tuple(artifacts),
            timings=TrialTimings() if timings is None else timings,
            finished_at=utc_now(),
        )
        return self._end(trial, done)

    def fail_trial(self, trial: Trial, *, error: str, timings: TrialTimings | None = None) -> Trial:
        """Records a running trial as failed, in one transaction.

        Args:
            trial: The running trial `start_trial` returned.
            error: Why it failed (one line is best).
            timings: Where the trial's time went.

        Returns:
            The failed trial.

        Raises:
            TrialStateError: If the stored trial is not running (finished, or discarded).
            InvalidRecordError: On an empty error or invalid timings (nothing written).
        """
        self._check_running(trial)
        failed = dataclasses.replace(
            trial,
            status=TrialStatus.FAILED,
            error=error,
            timings=TrialTimings() if timings is None else timings,
            finished_at=utc_now(),
        )
        return self._end(trial, failed)

    def mark_interrupted(self, study_name: str) -> tuple[Trial, ...]:
        """Deletes the study's stale running trials, so that a resumed search runs them again.

        Call it when resuming, before proposing: a running row there was left by
        a process that was killed mid-trial (one process writes a study at a
        time). Finished trials are untouched, so they are never repeated.

        Args:
            study_name: The study.

        Returns:
            The deleted trials, in index order (to report what will be re-run).

        Raises:
            UnknownStudyError: If the study does not exist.
        """
        with self._write() as conn:
            self._require_study(conn, study_name)
            rows = conn.execute(
                "SELECT * FROM trials WHERE study = ? AND status = 'running' ORDER BY idx", (study_name,)
            ).fetchall()
            conn.execute("DELETE FROM trials WHERE study = ? AND status = 'running'", (study_name,))
        return tuple(_rows.trial_from_row(row) for row in rows)

    # ------------------------------------------------------------------ #
    # Trial reads

    def trials(self, study_name: str, *, status: TrialStatus | None = None) -> list[Trial]:
        """Returns the study's trials in index order, optionally of one status.

        Raises:
            UnknownStudyError: If the study does not exist.
        """
        if status is not None and not isinstance(status, TrialStatus):
            raise InvalidRecordError(f"status must be a TrialStatus or None, got {status!r}")
        with self._read() as conn:
            self._require_study(conn, study_name)
            if status is None:
                rows = conn.execute("SELECT * FROM trials WHERE study = ? ORDER BY idx", (study_name,)).fetchall()
            else:
                rows = conn.execute(
                    "SELECT * FROM trials WHERE study = ? AND status = ? ORDER BY idx", (study_name, status.value)
                ).fetchall()
        return [_rows.trial_from_row(row) for row in rows]

    def finished_trials(self, study_name: str) -> list[Trial]:
        """Returns the study's done and failed trials in index order.

        Raises:
            UnknownStudyError: If the study does not exist.
        """
        return [t for t in self.trials(study_name) if t.status.finished]

    def best(self, study_name: str) -> Trial | None:
        """Returns the complete done trial of highest reward (the earliest on a tie), or None.

        A trial that successive halving stopped early is left out: its score is a shorter training's.

        Raises:
            UnknownStudyError: If the study does not exist.
        """
        with self._read() as conn:
            self._require_study(conn, study_name)
            row = conn.execute(
                "SELECT * FROM trials WHERE study = ? AND status = 'done' AND NOT stopped_early AND reward IS NOT NULL "
                "ORDER BY reward DESC, idx ASC LIMIT 1",
                (study_name,),
            ).fetchone()
        return None if row is None else _rows.trial_from_row(row)
