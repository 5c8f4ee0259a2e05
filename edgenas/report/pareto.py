"""`pareto_front`: the trials no other trial beats on both accuracy and latency."""

from __future__ import annotations

from collections.abc import Iterable

from edgenas.store import Trial

__all__ = ["measured", "pareto_front"]


def measured(trials: Iterable[Trial]) -> list[Trial]:
    """The complete done trials (not stopped early by halving) with an accuracy and a latency, in order."""
    return [t for t in trials if t.complete and t.accuracy is not None and t.latency is not None]


def pareto_front(trials: Iterable[Trial]) -> list[Trial]:
    """Returns the non-dominated trials for (accuracy: maximise, latency_ms: minimise).

    A trial dominates another if it is at least as accurate and at least as fast,
    and strictly better on one of the two. Failed and running trials, and done
    trials without an accuracy or a latency, are ignored. Trials with identical
    accuracy and latency dominate neither other, so all of them are kept.

    Args:
        trials: Trials of a study, e.g. `TrialStore.trials(...)`.

    Returns:
        The front, by latency ascending (then index); accuracy rises along it.
    """
    # Fastest first and, at equal latency, most accurate first: a trial is
    # dominated exactly when an earlier one is more accurate, or equally
    # accurate and strictly faster.
    ordered = sorted(measured(trials), key=lambda t: (t.latency_ms, -t.accuracy, t.index))
    front: list[Trial] = []
    best_accuracy = float("-inf")
    best_latency_ms = float("inf")  # latency at which best_accuracy was first reached
    for trial in ordered:
        if trial.accuracy > best_accuracy:
            best_accuracy, best_latency_ms = trial.accuracy, trial.latency_ms
            front.append(trial)
        elif trial.accuracy == best_accuracy and trial.latency_ms == best_latency_ms:
            front.append(trial)  # a tie with a front member
    return front
