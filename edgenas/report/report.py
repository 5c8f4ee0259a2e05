"""`write_report`: the plot, the front table and the trial list of a study, in one folder."""

from __future__ import annotations

import collections
import dataclasses
import json
import os
from pathlib import Path

from edgenas.report._checks import check_target_ms
from edgenas.report._files import write_text
from edgenas.report.errors import NoResultsError, ReportError
from edgenas.report.pareto import measured, pareto_front
from edgenas.report.plot import plot_search
from edgenas.report.table import front_table
from edgenas.store import Trial, TrialStatus, TrialStore

__all__ = ["REPORT_FILES", "Report", "write_report"]

_PNG, _TABLE, _TRIALS = "report.png", "front.txt", "trials.json"
REPORT_FILES = (_PNG, _TABLE, _TRIALS)
"""The files `write_report` writes into its folder."""

_ERRORS_SHOWN = 3
_STOPPED_SHOWN = 12


@dataclasses.dataclass(frozen=True, kw_only=True)
class Report:
    """What `write_report` wrote.

    Attributes:
        study: The study's name.
        png_path: The accuracy-vs-latency plot.
        table_path: The front table file.
        trials_path: Every trial of the study, as JSON.
        table: The front table's text.
        front: The Pareto front, by latency.
        best: The done trial of highest reward (None if no trial has a reward).
        target_ms: The latency target drawn.
    """

    study: str
    png_path: Path
    table_path: Path
    trials_path: Path
    table: str
    front: tuple[Trial, ...]
    best: Trial | None
    target_ms: float


def _failure_summary(trials: list[Trial]) -> str:
    errors = collections.Counter(t.error for t in trials if t.status is TrialStatus.FAILED)
    if not errors:
        return ""
    shown = "; ".join(f"{count} x {error}" for error, count in errors.most_common(_ERRORS_SHOWN))
    more = f"; {len(errors) - _ERRORS_SHOWN} other errors" if len(errors) > _ERRORS_SHOWN else ""
    return f" (errors: {shown}{more})"


def _halving_note(trials: list[Trial]) -> str:
    """A line under the front table on the trials successive halving stopped (empty when it stopped none)."""
    stopped = [t for t in trials if t.stopped_early]
    if not stopped:
        return ""
    indices = ", ".join(f"#{t.index}" for t in stopped[:_STOPPED_SHOWN])
    more = f" and {len(stopped) - _STOPPED_SHOWN} more" if len(stopped) > _STOPPED_SHOWN else ""
    return (f"\n{len(stopped)} of {len(trials)} trials were stopped early by successive halving ({indices}{more}); "
            "their scores are shorter trainings', so they are left out of the front and the best\n")  # fmt: skip


def write_report(
    store: TrialStore, study_name: str, *, out_dir: str | os.PathLike[str], target_ms: float
) -> Report:
    """Writes ``report.png``, ``front.txt`` and ``trials.json`` for a study into `out_dir`.

    It exports no model. Files are replaced atomically; nothing is written when
    the study has nothing to report.

    Args:
        store: The trial store.
        study_name: The study.
        out_dir: The report folder (created if missing).
        target_ms: The latency target, in milliseconds.

    Returns:
        The report.

    Raises:
        UnknownStudyError: If the store has no such study.
        NoResultsError: If no trial is done with an accuracy and a latency
            (e.g. every trial failed); the message counts the trials by status
            and quotes the most frequent errors.
        ReportError: If `target_ms` is not a positive number.
    """
    target_ms = check_target_ms(target_ms)
    study = store.study(study_name)
    trials = store.trials(study_name)
    if not measured(trials):
        counts = collections.Counter(t.status.value for t in trials)
        summary = ", ".join(f"{counts.get(s.value, 0)} {s.value}" for s in TrialStatus)
        raise NoResultsError(
            f"study {study_name!r} has no done trial with an accuracy and a latency to report "
            f"({len(trials)} trials: {summary}){_failure_summary(trials)}"
        )
    front = tuple(pareto_front(trials))
    best = store.best(study_name)
    table = front_table(front) + _halving_note(trials)

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReportError(f"cannot create the report folder {str(out)!r}: {error.strerror or error}") from None
    png_path = plot_search(trials, target_ms=target_ms, path=out / _PNG)
    table_path = write_text(out / _TABLE, table)
    document = {
        "study": study.to_json(),
        "target_ms": target_ms,
        "best_index": None if best is None else best.index,
        "front_indices": [t.index for t in front],
        "trials": [t.to_json() for t in trials],
    }
    trials_path = write_text(out / _TRIALS, json.dumps(document, indent=2, sort_keys=True) + "\n")
    return Report(
        study=study_name,
        png_path=png_path,
        table_path=table_path,
        trials_path=trials_path,
        table=table,
        front=front,
        best=best,
        target_ms=target_ms,
    )
