"""Stand-ins that let a search run in milliseconds: an in-process worker pool and a device.

`FakePool` replaces `edgenas.search.loop.WorkerPool`: it evaluates a candidate
with a scripted outcome instead of training and exporting it in a TensorFlow
worker, and answers a further proxy training (`proxy_score`, another seed) with
a score hashed from the spec and the seed; a training with rungs (`proxy_training`,
successive halving) climbs linearly to that score and asks the real gate at each
intermediate rung. Use `install(monkeypatch, outcome)`. `FakeDevice` times nothing
and returns a valid measurement. `search` runs a small MnasNet study timed on a
`FakeDevice`. The loop around them (proposals, the store, resume, rewards) is real.
"""

from __future__ import annotations

import hashlib
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import edgenas
from devices import DeviceBackend, DeviceInfo, LatencyResult, TensorInfo
from devices.hashing import sha256_file
from edgenas.export import Artifact, ModelFormat, Precision
from edgenas.proxy import ProxyTask
from edgenas.search import loop
from edgenas.search.evaluate import CandidateJob, CandidateResult, evaluate_candidate, proxy_score, proxy_training
from edgenas.search.rewards import make_reward
from edgenas.store import Rung

Outcome = Callable[[CandidateJob], CandidateResult]


def exported(job: CandidateJob) -> CandidateResult:
    """A candidate that trains to an accuracy read from its spec and exports to a small file."""
    digest = hashlib.sha256(f"{job.spec}/{job.input_shape}/{job.num_classes}/{job.precision}".encode()).hexdigest()
    path = Path(job.export_dir) / f"{digest[:24]}.tflite"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(digest.encode())
    artifact = Artifact(
        key=digest[:24], path=path, format=ModelFormat.TFLITE, precision=Precision(job.precision), spec=job.spec,
        input_shape=job.input_shape, num_classes=job.num_classes, sha256=sha256_file(path),
        size_bytes=path.stat().st_size, export_s=0.01, cached=False,
    )  # fmt: skip
    accuracy = None if job.proxy_task is None else 0.3 + int(digest[:4], 16) / 0xFFFF / 2
    return CandidateResult(accuracy=accuracy, proxy=None, artifact=artifact, proxy_s=0.01, export_s=0.01)


def hashed_score(spec: str, seed: int) -> float:
    """The stand-in score of a further proxy training of `spec` with training seed `seed` (0.3 to 0.8)."""
    return 0.3 + int(hashlib.sha256(f"{spec}/{seed}".encode()).hexdigest()[:4], 16) / 0xFFFF / 2


def rung_score(spec: str, seed: int, steps: int, total_steps: int) -> float:
    """The stand-in score of `spec` after `steps` of `total_steps` steps: a linear climb to `hashed_score`."""
    return hashed_score(spec, seed) * steps / total_steps


def trained_with_rungs(spec: str, task: Any, *, rung_steps: tuple[int, ...], gate: Callable[[int, float], bool]) -> Any:
    """A stand-in of `proxy_training`: scored at each rung, stopped where `gate` says no."""
    rungs = []
    for k, steps in enumerate(rung_steps):
        rungs.append(Rung(steps, rung_score(spec, task.seed, steps, task.steps)))
        if not gate(k, rungs[-1].score):
            return types.SimpleNamespace(accuracy=rungs[-1].score, rungs=tuple(rungs), stopped_early=True)
    rungs.append(Rung(task.steps, hashed_score(spec, task.seed)))
    return types.SimpleNamespace(accuracy=rungs[-1].score, rungs=tuple(rungs), stopped_early=False)


def failing(message: str) -> Outcome:
    """A candidate whose export raises `ExportError(message)`."""

    def outcome(job: CandidateJob) -> CandidateResult:
        from edgenas.errors import ExportError  # noqa: PLC0415

        raise ExportError(message)

    return outcome


class FakePool:
    """In-process `WorkerPool` that evaluates each candidate with `outcome`.

    Attributes:
        evaluated: The spec of every candidate evaluated, in order.
        scored: `(spec, seed)` of every further proxy training, in order.
        halved: The spec of every training with rungs, in order.
    """

    def __init__(self, outcome: Outcome) -> None:
        self._outcome = outcome
        self.evaluated: list[str] = []
        self.scored: list[tuple[str, int]] = []
        self.halved: list[str] = []

    def run(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        if fn is proxy_training:
            self.halved.append(args[0])
            return trained_with_rungs(*args, **kwargs)
        if fn is proxy_score:
            spec, task = args
            self.scored.append((spec, task.seed))
            return hashed_score(spec, task.seed)
        assert fn is evaluate_candidate, fn
        (job,) = args
        self.evaluated.append(job.spec)
        return self._outcome(job)

    def __enter__(self) -> FakePool:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def install(monkeypatch: Any, outcome: Outcome = exported) -> FakePool:
    """Makes every search of this test use one `FakePool` (returned)."""
    pool = FakePool(outcome)
    monkeypatch.setattr(loop, "WorkerPool", lambda **_: pool)
    return pool


class FakeDevice(DeviceBackend):
    """A device that answers at once and measures every model at `latency_ms`."""

    def __init__(self, name: str = "board", *, latency_ms: float | Callable[[Path], float] = 2.0) -> None:
        self._name = name
        self._latency_ms = latency_ms
        self.measured: list[Path] = []

    @property
    def name(self) -> str:
        return self._name

    def check_health(self, *, timeout_s: float = 30.0) -> None:
        pass

    def measure(self, model_path: Any, settings: Any, *, timeout_s: float = 600.0) -> LatencyResult:
        self.measured.append(Path(model_path))
        ms = self._latency_ms(Path(model_path)) if callable(self._latency_ms) else self._latency_ms
        return LatencyResult(
            schema_version=2, model_path=str(model_path), artifact_sha256=sha256_file(model_path), size_bytes=64,
            runtime="litert", runtime_version="2.3.0", threads=settings.threads, delegate="xnnpack",
            inputs=(TensorInfo(name="image", dtype="float32", shape=(1, 64, 64, 3)),),
            latency_ms=ms, p90_ms=ms * 1.05, mean_ms=ms * 1.01, std_ms=ms * 0.02, min_ms=ms * 0.97, cv=0.02,
            mad_ms=ms * 0.01, robust_cv=0.015, runs=settings.runs, warmup_runs=5, attempts=1, max_attempts=3,
            stable=True, stability_criterion=settings.stability_criterion, cv_threshold=0.05, seed=0,
            device=DeviceInfo(hostname=self._name, platform="Linux", machine="aarch64", cpu_model="Cortex-A72",
                              cpu_count=4, cpu_governor="performance", temperature_c=40.0),
            measured_at="2026-01-02T03:04:05.000006+00:00",
        )  # fmt: skip


def search(tmp_path: Path, trials: int, **overrides: Any) -> Any:
    """`edgenas.run_search` of `trials` random MnasNet candidates at 64x64, 10 classes, on `FakeDevice("board")`."""
    options: dict[str, Any] = dict(
        reward=make_reward("mnasnet-soft", target_ms=2.0),
        trials=trials,
        db=tmp_path / "study.sqlite",
        algorithm="random",
        accuracy=ProxyTask(dataset="shapes", steps=3, image_size=32, num_images=96, batch_size=16),
        seed=3,
        input_shape=(64, 64, 3),
        num_classes=10,
        latency=FakeDevice("board"),
        progress=False,
    )
    options.update(overrides)
    return edgenas.run_search(edgenas.spaces.get("mnasnet"), **options)
