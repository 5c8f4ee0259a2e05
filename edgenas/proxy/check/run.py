"""`check_proxy`: train a plan's architectures (resuming from its store) and measure the proxy's fidelity."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from edgenas.proxy.check.plan import CheckArchitecture, CheckPlan
from edgenas.proxy.check.stats import ArchitectureScores, FidelityStats, fidelity_stats
from edgenas.proxy.check.store import TrainingStore

__all__ = ["ProxyCheck", "check_proxy"]

_TRAININGS_PER_WORKER = 4
"""A worker trains this many networks, then a fresh one takes over (TensorFlow keeps ~160 MB per model)."""


@dataclasses.dataclass(frozen=True)
class ProxyCheck:
    """The outcome of a proxy check.

    Attributes:
        plan: What was asked.
        scores: The architectures with every training done, in plan order.
        failures: "spec: error" of each training that failed in this run (its architecture is left out).
        trained: Trainings run by this call (the rest came from the store).
        stats: The fidelity figures, or None with fewer than 2 complete architectures.
    """

    plan: CheckPlan
    scores: tuple[ArchitectureScores, ...]
    failures: tuple[str, ...]
    trained: int
    stats: FidelityStats | None


def _train(spec_text: str, task: Any) -> tuple[float, float]:
    """Trains one architecture on one task in a worker; (score, wall seconds)."""
    from edgenas.families import family_of, parse_spec  # noqa: PLC0415

    start = time.perf_counter()
    spec = parse_spec(spec_text)
    result = family_of(spec).train_proxy(spec, task)
    return float(result.accuracy), time.perf_counter() - start


def _scores(plan: CheckPlan, store: TrainingStore) -> list[ArchitectureScores]:
    found = []
    for arch in plan.architectures:
        proxy = [store.get(arch.spec, task) for task in plan.proxy_tasks]
        long = [store.get(arch.spec, task) for task in plan.long_tasks]
        if None in long or None in proxy:
            continue
        found.append(ArchitectureScores(
            spec=arch.spec, reference=arch.reference, proxy_scores=tuple(p.score for p in proxy),
            long_score=sum(t.score for t in long) / len(long), proxy_s=sum(p.seconds for p in proxy) / len(proxy),
            long_s=sum(t.seconds for t in long) / len(long), long_scores=tuple(t.score for t in long),
        ))  # fmt: skip
    return found


def check_proxy(
    plan: CheckPlan,
    *,
    store: str | os.PathLike[str],
    progress: bool = True,
    on_training: Callable[[CheckArchitecture, Any, float], None] | None = None,
    timeout_s: float | None = None,
    train_fn: Callable[[str, Any], tuple[float, float]] | None = None,
) -> ProxyCheck:
    """Runs every training of `plan` that `store` does not hold yet, each in a recycled worker process.

    Each training is written to the store as soon as it ends, so an interrupted check
    resumes where it stopped. A training that fails (an exception, a dead worker, a
    timeout) is reported in `failures` and its architecture is left out of the figures;
    the next run tries it again.

    Args:
        plan: From `plan_check`.
        store: The SQLite file of trainings (`TrainingStore`; created when missing).
        progress: Show a progress bar on stderr.
        on_training: Called with (architecture, task, score) after each new training.
        timeout_s: Most seconds one training may take (default: no limit).
        train_fn: What trains one architecture in the worker: a picklable module-level function of
            (spec string, task) returning (score in [0, 1], wall seconds); default: the family's proxy
            training (`Family.train_proxy`).

    Raises:
        ProxyConfigError: If the store file cannot be used (nothing is trained).
    """
    from tqdm import tqdm  # noqa: PLC0415

    from edgenas.search.loop import _quiet_worker  # noqa: PLC0415
    from edgenas.search.workers import WorkerPool  # noqa: PLC0415

    failures: list[str] = []
    trained = 0
    with TrainingStore(store) as trainings:
        todo = [(arch, task) for arch, task in plan.trainings if trainings.get(arch.spec, task) is None]
        failed_specs: set[str] = set()
        pool = WorkerPool(tasks_per_worker=_TRAININGS_PER_WORKER, initializer=_quiet_worker)
        with pool, tqdm(total=len(todo), desc="trainings", unit="training", disable=not progress,
                        file=sys.stderr) as bar:  # fmt: skip
            for arch, task in todo:
                bar.update(1)
                if arch.spec in failed_specs:  # its figures are out anyway; the next run retries it
                    continue
                try:
                    score, seconds = pool.run(train_fn or _train, arch.spec, task, timeout_s=timeout_s)
                except Exception as error:  # noqa: BLE001 - a dead worker, a timeout, a failed training: reported
                    failures.append(f"{arch.spec}: {type(error).__name__}: {error}")
                    failed_specs.add(arch.spec)
                    continue
                trainings.put(arch.spec, task, score=score, seconds=seconds)
                trained += 1
                if on_training is not None:
                    on_training(arch, task, score)
        scores = _scores(plan, trainings)
    stats = fidelity_stats(scores) if len(scores) >= 2 else None
    return ProxyCheck(plan=plan, scores=tuple(scores), failures=tuple(failures), trained=trained, stats=stats)
