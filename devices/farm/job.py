"""`Job`: one model to time on one device tag, as the farm's queue holds it."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

from ..latency_result import LatencyResult
from ..settings import ProfileSettings

__all__ = ["AttemptError", "Job", "JobState"]


class JobState(enum.Enum):
    """Where a job is in its life: queued -> running -> done | failed (running -> queued on a retry)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """Whether the job will not change any more."""
        return self in (JobState.DONE, JobState.FAILED)


@dataclasses.dataclass(frozen=True)
class AttemptError:
    """One failed attempt of a job.

    Attributes:
        device: The device it failed on.
        message: Why, in one line.
    """

    device: str
    message: str

    def to_json(self) -> dict[str, str]:
        """A JSON object."""
        return {"device": self.device, "message": self.message}


@dataclasses.dataclass(frozen=True)
class Job:
    """A measurement request and its outcome.

    Attributes:
        id: The farm's id of the job.
        model_sha256: Hex SHA-256 of the model file (the farm stores it under that name).
        tag: The device tag that may run it.
        settings: Runtime settings of the measurement.
        state: Where it is.
        device: The device running it (running) or that measured it (done); None otherwise.
        attempts: Attempts started so far.
        max_attempts: Attempts allowed before the job fails.
        result: The measurement, when done.
        errors: The failed attempts, oldest first.
        cached: Whether the result came from the farm's cache (nothing was measured for this job).
        submitted_at: Unix time of submission.
        finished_at: Unix time it finished, when finished.
    """

    id: int
    model_sha256: str
    tag: str
    settings: ProfileSettings
    state: JobState
    device: str | None
    attempts: int
    max_attempts: int
    result: LatencyResult | None
    errors: tuple[AttemptError, ...]
    cached: bool
    submitted_at: float
    finished_at: float | None

    @property
    def error(self) -> str | None:
        """The last failure's message, or None."""
        return self.errors[-1].message if self.errors else None

    def to_json(self) -> dict[str, Any]:
        """A JSON object (the HTTP API's job document)."""
        return {
            "id": self.id,
            "model_sha256": self.model_sha256,
            "tag": self.tag,
            "settings": self.settings.to_json(),
            "state": self.state.value,
            "device": self.device,
            "attempts": self.attempts,
            "max_attempts": self.max_attempts,
            "result": None if self.result is None else self.result.to_json(),
            "errors": [e.to_json() for e in self.errors],
            "cached": self.cached,
            "submitted_at": self.submitted_at,
            "finished_at": self.finished_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Job:
        """The inverse of `to_json`.

        Raises:
            ValueError: A field is missing or invalid.
        """
        try:
            result = data["result"]
            return cls(
                id=int(data["id"]),
                model_sha256=str(data["model_sha256"]),
                tag=str(data["tag"]),
                settings=ProfileSettings.from_json(dict(data["settings"])),
                state=JobState(data["state"]),
                device=data["device"],
                attempts=int(data["attempts"]),
                max_attempts=int(data["max_attempts"]),
                result=None if result is None else LatencyResult.from_json(result),
                errors=tuple(AttemptError(str(e["device"]), str(e["message"])) for e in data["errors"]),
                cached=bool(data["cached"]),
                submitted_at=float(data["submitted_at"]),
                finished_at=None if data["finished_at"] is None else float(data["finished_at"]),
            )
        except (KeyError, TypeError) as e:
            raise ValueError(f"not a farm job document: {e!r}") from None
