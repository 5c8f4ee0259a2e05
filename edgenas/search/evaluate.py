"""The per-candidate work that needs TensorFlow: proxy training and export (in a worker)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from edgenas.export import Artifact, export
from edgenas.families import family_of, parse_spec

__all__ = ["CandidateJob", "CandidateResult", "evaluate_candidate", "proxy_score", "proxy_training", "seeded_task"]


@dataclasses.dataclass(frozen=True)
class CandidateJob:
    """What a worker needs to evaluate one candidate (picklable plain data).

    Attributes:
        spec: The candidate's compact spec string.
        proxy_task: The proxy task for accuracy, or None to skip training.
        export_dir: The artifact folder.
        input_shape: Deployment resolution the latency is measured at.
        num_classes: Classifier outputs of the deployed model.
        precision: "fp32" or "int8".
        seed: Seed of the exported weights.
    """

    spec: str
    proxy_task: object | None
    export_dir: str
    input_shape: tuple[int, int, int]
    num_classes: int
    precision: str
    seed: int


@dataclasses.dataclass(frozen=True)
class CandidateResult:
    """What a worker returns.

    Attributes:
        accuracy: Held-out proxy accuracy (AP@0.5 for a detector), or None when no proxy task ran.
        proxy: The proxy task's full result, or None.
        artifact: The exported model file.
        proxy_s: Seconds spent on the proxy task.
        export_s: Seconds spent exporting (0 when the file was cached).
    """

    accuracy: float | None
    proxy: object | None
    artifact: Artifact
    proxy_s: float
    export_s: float


def evaluate_candidate(job: CandidateJob) -> CandidateResult:
    """Trains the candidate on the proxy task and exports it; runs in a worker process.

    The spec's family exports it (a SpineNet backbone as its RetinaNet detector) as a
    timing model (`export(timing_only=True)`: written from the spec where the family has
    a direct writer) and trains it on the job's proxy task (`Family.train_proxy`).
    """
    spec = parse_spec(job.spec)
    # Export first: it is cheaper than training, and a candidate that cannot be
    # converted fails before any training time is spent on it.
    start = time.perf_counter()
    artifact = export(
        spec,
        out_dir=job.export_dir,
        formats="tflite",
        precision=job.precision,
        input_shape=job.input_shape,
        num_classes=job.num_classes,
        seed=job.seed,
        timing_only=True,  # only timed: the report's best model is exported by the converter
    ).artifacts[0]
    export_s = 0.0 if artifact.cached else time.perf_counter() - start
    proxy = None
    accuracy = None
    start = time.perf_counter()
    if job.proxy_task is not None:
        proxy = family_of(spec).train_proxy(spec, job.proxy_task)
        accuracy = float(proxy.accuracy)
    proxy_s = time.perf_counter() - start
    return CandidateResult(
        accuracy=accuracy,
        proxy=proxy,
        artifact=artifact,
        proxy_s=proxy_s,
        export_s=export_s,
    )


def seeded_task(task: object, offset: int) -> object:
    """The proxy task with its training seed moved on by `offset` (`task` itself for 0); the data stay the same."""
    return task if offset == 0 else dataclasses.replace(task, seed=task.seed + offset)  # type: ignore[type-var,attr-defined]


def proxy_score(spec: str, task: object) -> float:
    """One more proxy training of a candidate (another seed); runs in a worker process.

    Returns:
        Its score (accuracy, or AP@0.5 for a detector).
    """
    parsed = parse_spec(spec)
    return float(family_of(parsed).train_proxy(parsed, task).accuracy)


def proxy_training(
    spec: str, task: object, *, rung_steps: tuple[int, ...], gate: Callable[[int, float], bool]
) -> Any:
    """One proxy training of a candidate, scored at `rung_steps` and stopped where `gate` says no; in a worker.

    Returns:
        The family's proxy result, with its `rungs` and `stopped_early`.
    """
    parsed = parse_spec(spec)
    return family_of(parsed).train_proxy_with_rungs(parsed, task, rung_steps=rung_steps, gate=gate)
