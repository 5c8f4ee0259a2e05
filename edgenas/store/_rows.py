"""Conversion between records and SQLite rows (private)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from edgenas.store._values import format_time, parse_time
from edgenas.store.artifact import TrialArtifact
from edgenas.store.errors import InvalidRecordError
from edgenas.store.predicted_latency import latency_from_json
from edgenas.store.rung import Rung
from edgenas.store.study import Study
from edgenas.store.timings import TrialTimings
from edgenas.store.trial import Trial

__all__ = ["STUDY_COLUMNS", "TRIAL_COLUMNS", "study_from_row", "study_params", "trial_from_row", "trial_params"]

STUDY_COLUMNS = (
    "name",
    "space",
    "space_options",
    "space_fingerprint",
    "reward",
    "algorithm",
    "seed",
    "device",
    "input_shape",
    "num_classes",
    "export_recipe",
    "proxy_seeds",
    "halving",
    "screening",
    "created_at",
)
TRIAL_COLUMNS = (
    "study",
    "idx",
    "dna",
    "spec",
    "status",
    "accuracy",
    "proxy_scores",
    "rungs",
    "stopped_early",
    "latency_ms",
    "latency",
    "reward",
    "objectives",
    "artifacts",
    "proxy_train_s",
    "export_s",
    "profile_s",
    "total_s",
    "error",
    "started_at",
    "finished_at",
)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def study_params(study: Study) -> dict[str, Any]:
    """Named SQL parameters of a study row."""
    params = {name: getattr(study, name) for name in STUDY_COLUMNS}
    params["input_shape"] = None if study.input_shape is None else _dumps(list(study.input_shape))
    params["created_at"] = format_time(study.created_at)
    return params


def study_from_row(row: sqlite3.Row) -> Study:
    """The study of a `studies` row."""
    values = {name: row[name] for name in STUDY_COLUMNS}
    values["input_shape"] = None if values["input_shape"] is None else json.loads(values["input_shape"])
    values["created_at"] = parse_time("created_at", values["created_at"])
    return Study(**values)


def trial_params(trial: Trial) -> dict[str, Any]:
    """Named SQL parameters of a trial row."""
    return {
        "study": trial.study,
        "idx": trial.index,
        "dna": _dumps(list(trial.dna)),
        "spec": trial.spec,
        "status": trial.status.value,
        "accuracy": trial.accuracy,
        "proxy_scores": None if trial.proxy_scores is None else _dumps(list(trial.proxy_scores)),
        "rungs": None if trial.rungs is None else _dumps([rung.to_json() for rung in trial.rungs]),
        "stopped_early": int(trial.stopped_early),
        "latency_ms": trial.latency_ms,
        "latency": None if trial.latency is None else _dumps(trial.latency.to_json()),
        "reward": trial.reward,
        "objectives": None if trial.objectives is None else _dumps(list(trial.objectives)),
        "artifacts": _dumps([artifact.to_json() for artifact in trial.artifacts]),
        "proxy_train_s": trial.timings.proxy_train_s,
        "export_s": trial.timings.export_s,
        "profile_s": trial.timings.profile_s,
        "total_s": trial.timings.total_s,
        "error": trial.error,
        "started_at": format_time(trial.started_at),
        "finished_at": format_time(trial.finished_at),
    }


def trial_from_row(row: sqlite3.Row) -> Trial:
    """The trial of a `trials` row.

    Raises:
        InvalidRecordError: If the row does not decode (naming study and index).
    """
    try:
        latency = None if row["latency"] is None else latency_from_json(row["latency"])
        return Trial(
            study=row["study"],
            index=row["idx"],
            dna=tuple(json.loads(row["dna"])),
            spec=row["spec"],
            status=row["status"],
            accuracy=row["accuracy"],
            proxy_scores=None if row["proxy_scores"] is None else tuple(json.loads(row["proxy_scores"])),
            rungs=None if row["rungs"] is None else tuple(Rung.from_json(item) for item in json.loads(row["rungs"])),
            stopped_early=bool(row["stopped_early"]),
            latency=latency,
            reward=row["reward"],
            objectives=None if row["objectives"] is None else tuple(json.loads(row["objectives"])),
            artifacts=tuple(TrialArtifact.from_json(item) for item in json.loads(row["artifacts"])),
            timings=TrialTimings(
                proxy_train_s=row["proxy_train_s"],
                export_s=row["export_s"],
                profile_s=row["profile_s"],
                total_s=row["total_s"],
            ),
            error=row["error"],
            started_at=parse_time("started_at", row["started_at"]),
            finished_at=parse_time("finished_at", row["finished_at"], optional=True),
        )
    except (ValueError, TypeError) as error:  # InvalidRecordError is a ValueError
        raise InvalidRecordError(f"stored trial {row['study']!r} #{row['idx']} does not decode: {error}") from None
