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
from edgenas.store.rung import Rung
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
        rungs: The first training's score at each rung it reached (done trials of a study with
            successive halving, `edgenas.search.Halving`; None otherwise), by steps ascending.
        stopped_early: Whether halving stopped its training at its last rung (done trials): its
            accuracy is that rung's score, so it is no peer of the trials that trained to the end.
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
    rungs: tuple[Rung, ...] | None = None
    stopped_early: bool = False
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
        if self.rungs is not None:
            rungs = _check_tuple("rungs", self.rungs)
            if not rungs or not all(isinstance(r, Rung) for r in rungs):
                raise InvalidRecordError(f"rungs must be a non-empty tuple of Rung (or None), got {rungs!r}")
            if any(a.steps >= b.steps for a, b in zip(rungs, rungs[1:])):
                raise InvalidRecordError(f"rungs must have ascending steps, got {[r.steps for r in rungs]}")
            object.__setattr__(self, "rungs", rungs)
        if not isinstance(self.stopped_early, bool):
            raise InvalidRecordError(f"stopped_early must be a bool, got {type(self.stopped_early).__name__}")
        if self.stopped_early and self.rungs is None:
            raise InvalidRecordError("a trial stopped early needs its rungs")
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
            "rungs": self.rungs,
            "stopped_early": self.stopped_early or None,
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
    def complete(self) -> bool:
        """Done and trained to the end (not stopped early): a trial the front and the best are chosen among."""
        return self.status is TrialStatus.DONE and not self.stopped_early

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
            "rungs": None if self.rungs is None else [rung.to_json() for rung in self.rungs],
            "stopped_early": self.stopped_early,
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
        edgenas's output, without ``proxy_scores``, ``rungs`` or ``stopped_early``, too).

        Raises:
            InvalidRecordError: On a missing, unknown or invalid field.
        """
        if not isinstance(data, dict):
            raise InvalidRecordError(f"a trial must be a JSON object, got {type(data).__name__}")
        names = {field.name for field in dataclasses.fields(cls)} | {"latency_ms"}
        if not names - {"proxy_scores", "rungs", "stopped_early"} <= set(data) <= names:
            raise InvalidRecordError(
                f"trial JSON: missing {sorted(names - set(data))}, unknown {sorted(set(data) - names)}"
            )
        try:
            latency = None if data["latency"] is None else latency_from_json(data["latency"])
        except ValueError as error:
            raise InvalidRecordError(f"trial {data.get('index')!r} latency: {error}") from None
        rungs = data.get("rungs")
        if rungs is not None and not isinstance(rungs, list):
            raise InvalidRecordError("trial JSON: rungs must be a list or null")
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
            rungs=None if rungs is None else tuple(Rung.from_json(item) for item in rungs),
            stopped_early=data.get("stopped_early", False),
            latency=latency,
            reward=data["reward"],
            objectives=None if data["objectives"] is None else _check_tuple("objectives", data["objectives"]),
            artifacts=tuple(TrialArtifact.from_json(item) for item in artifacts),
            timings=TrialTimings.from_json(data["timings"]),
            error=data["error"],
            started_at=parse_time("started_at", data["started_at"]),
            finished_at=parse_time("finished_at", data["finished_at"], optional=True),
        )
