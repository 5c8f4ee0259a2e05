"""`Trial`: one proposed architecture of a study and what its evaluation gave."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from devices import LatencyResult
from edgenas.store._values import (
    check_enum,
    check_float,
    check_int,
    check_text,
    check_time,
    format_time,
    parse_time,
)
from edgenas.store.artifact import TrialArtifact
from edgenas.store.errors import InvalidRecordError
from edgenas.store.predicted_latency import PredictedLatency, latency_from_json
from edgenas.store.status import TrialStatus
from edgenas.store.timings import TrialTimings

__all__ = ["Trial"]


def _check_tuple(name: str, value: object) -> tuple[Any, ...]:
    if not isinstance(value, (tuple, list)):
        raise InvalidRecordError(f"{name} must be a tuple, got {type(value).__name__}")
    return tuple(value)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Trial:
    """One trial of a study: a DNA, its spec, and the outcome of evaluating it.

    A running trial has no results; a done trial has no error; a failed trial has
    an error and no results. Both finished states carry `finished_at`.

    Attributes:
        study: The study's name.
        index: Proposal order inside the study, from 0.
        dna: The search algorithm's decision values.
        spec: The architecture's compact spec string (`str(ArchSpec)`).
        status: Running, done or failed.
        accuracy: Proxy-task accuracy (done trials): the mean of `proxy_scores` where the
            candidate was trained more than once.
        proxy_scores: Each proxy training's score, by seed (done trials; None where not
            recorded: a trial of an older store, or one that reused another trial's training).
        latency: The latency (done trials): measured on a device, or predicted.
        reward: The scalar reward (done trials).
        objectives: The objective vector, for Pareto searches (done trials).
        artifacts: The exported model files.
        timings: Where the trial's time went.
        error: Why the trial failed (failed trials).
        started_at: When the trial started (aware).
        finished_at: When it ended (aware; None while running).
    """

    study: str
    index: int
    dna: tuple[int, ...]
    spec: str
    status: TrialStatus
    accuracy: float | None = None
    proxy_scores: tuple[float, ...] | None = None
    latency: LatencyResult | PredictedLatency | None = None
    reward: float | None = None
    objectives: tuple[float, ...] | None = None
    artifacts: tuple[TrialArtifact, ...] = ()
    timings: TrialTimings = dataclasses.field(default_factory=TrialTimings)
    error: str | None = None
    started_at: datetime.datetime
    finished_at: datetime.datetime | None = None

    def __post_init__(self) -> None:
        check_text("study", self.study)
        check_int("index", self.index, minimum=0)
        dna = _check_tuple("dna", self.dna)
        object.__setattr__(self, "dna", tuple(check_int(f"dna[{i}]", v, minimum=0) for i, v in enumerate(dna)))
        check_text("spec", self.spec)
        object.__setattr__(self, "status", check_enum(TrialStatus, "trial status", self.status))
        object.__setattr__(self, "accuracy", check_float("accuracy", self.accuracy, optional=True))
        object.__setattr__(self, "reward", check_float("reward", self.reward, optional=True))
        if self.proxy_scores is not None:
            scores = _check_tuple("proxy_scores", self.proxy_scores)
            if not scores:
                raise InvalidRecordError("proxy_scores must hold at least one score (or be None)")
            object.__setattr__(
                self, "proxy_scores", tuple(check_float(f"proxy_scores[{i}]", v) for i, v in enumerate(scores))
            )
        if self.latency is not None and not isinstance(self.latency, (LatencyResult, PredictedLatency)):
            raise InvalidRecordError(
                f"latency must be a LatencyResult, a PredictedLatency or None, got {type(self.latency).__name__}"
            )
        if self.objectives is not None:
            values = _check_tuple("objectives", self.objectives)
            if not values:
                raise InvalidRecordError("objectives must hold at least one value (or be None)")
            object.__setattr__(
                self, "objectives", tuple(check_float(f"objectives[{i}]", v) for i, v in enumerate(values))
            )
        artifacts = _check_tuple("artifacts", self.artifacts)
        for i, artifact in enumerate(artifacts):
            if not isinstance(artifact, TrialArtifact):
                raise InvalidRecordError(f"artifacts[{i}] must be a TrialArtifact, got {type(artifact).__name__}")
        object.__setattr__(self, "artifacts", artifacts)
        if not isinstance(self.timings, TrialTimings):
            raise InvalidRecordError(f"timings must be a TrialTimings, got {type(self.timings).__name__}")
        check_text("error", self.error, optional=True)
        check_time("started_at", self.started_at)
        check_time("finished_at", self.finished_at, optional=True)
        self._check_state()

    def _check_state(self) -> None:
        results = {
            "accuracy": self.accuracy,
            "latency": self.latency,
            "reward": self.reward,
            "objectives": self.objectives,
            "proxy_scores": self.proxy_scores,
        }
        if self.status is TrialStatus.RUNNING:
            present = [name for name, value in results.items() if value is not None]
            present += ["artifacts"] if self.artifacts else []
            present += [name for name in ("error", "finished_at") if getattr(self, name) is not None]
            if present:
                raise InvalidRecordError(f"a running trial has no {', '.join(present)} yet")
            return
        if self.finished_at is None:
            raise InvalidRecordError(f"a {self.status.value} trial needs finished_at")
        if self.status is TrialStatus.DONE and self.error is not None:
            raise InvalidRecordError("a done trial has no error")
        if self.status is TrialStatus.FAILED:
            if self.error is None:
                raise InvalidRecordError("a failed trial needs an error message")
            present = [name for name, value in results.items() if value is not None]
            if present:
                raise InvalidRecordError(f"a failed trial has no {', '.join(present)}")

    @property
    def latency_ms(self) -> float | None:
        """The (measured median or predicted) latency in milliseconds, or None without one."""
        return None if self.latency is None else self.latency.latency_ms

    def to_json(self) -> dict[str, Any]:
        """Returns the trial as a JSON-ready dict (the latency as the profiler's JSON)."""
        return {
            "study": self.study,
            "index": self.index,
            "dna": list(self.dna),
            "spec": self.spec,
            "status": self.status.value,
            "accuracy": self.accuracy,
            "proxy_scores": None if self.proxy_scores is None else list(self.proxy_scores),
            "latency_ms": self.latency_ms,
            "latency": None if self.latency is None else self.latency.to_json(),
            "reward": self.reward,
            "objectives": None if self.objectives is None else list(self.objectives),
            "artifacts": [artifact.to_json() for artifact in self.artifacts],
            "timings": self.timings.to_json(),
            "error": self.error,
            "started_at": format_time(self.started_at),
            "finished_at": format_time(self.finished_at),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trial:
        """Builds a trial from `to_json()` output (``latency_ms`` is derived and ignored; an older
        edgenas's output, without ``proxy_scores``, too).

        Raises:
            InvalidRecordError: On a missing, unknown or invalid field.
        """
        if not isinstance(data, dict):
            raise InvalidRecordError(f"a trial must be a JSON object, got {type(data).__name__}")
        names = {field.name for field in dataclasses.fields(cls)} | {"latency_ms"}
        if not names - {"proxy_scores"} <= set(data) <= names:
            raise InvalidRecordError(
                f"trial JSON: missing {sorted(names - set(data))}, unknown {sorted(set(data) - names)}"
            )
        try:
            latency = None if data["latency"] is None else latency_from_json(data["latency"])
        except ValueError as error:
            raise InvalidRecordError(f"trial {data.get('index')!r} latency: {error}") from None
        artifacts = data["artifacts"]
        if not isinstance(artifacts, list):
            raise InvalidRecordError("trial JSON: artifacts must be a list")
        return cls(
            study=data["study"],
            index=data["index"],
            dna=_check_tuple("dna", data["dna"]),
            spec=data["spec"],
            status=data["status"],
            accuracy=data["accuracy"],
            proxy_scores=None if data.get("proxy_scores") is None else _check_tuple("proxy_scores", data["proxy_scores"]),
            latency=latency,
            reward=data["reward"],
            objectives=None if data["objectives"] is None else _check_tuple("objectives", data["objectives"]),
            artifacts=tuple(TrialArtifact.from_json(item) for item in artifacts),
            timings=TrialTimings.from_json(data["timings"]),
            error=data["error"],
            started_at=parse_time("started_at", data["started_at"]),
            finished_at=parse_time("finished_at", data["finished_at"], optional=True),
        )
