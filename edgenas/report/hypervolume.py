"""`hypervolume_2d`: the accuracy x latency area a front dominates.

Zitzler & Thiele, "Multiobjective Optimization Using Evolutionary Algorithms — A
Comparative Case Study", PPSN 1998 (the S metric, here in two dimensions).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from edgenas.report.errors import ReportError
from edgenas.report.pareto import measured
from edgenas.search.rewards import hypervolume
from edgenas.store import Trial

__all__ = ["hypervolume_2d"]


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ReportError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def hypervolume_2d(front: Iterable[Trial], *, reference_accuracy: float, reference_latency_ms: float) -> float:
    """Returns the area dominated by the trials and bounded by a reference point.

    The area is the union, over the trials, of the rectangles from
    (latency_ms, accuracy) to (reference_latency_ms, reference_accuracy). A trial
    no better than the reference on both objectives adds nothing; dominated
    trials add nothing, so any set of trials may be passed, not only a front.

    Args:
        front: The trials (failed ones and ones without accuracy or latency are ignored).
        reference_accuracy: The worst accuracy counted (e.g. 0, or chance level).
        reference_latency_ms: The worst latency counted (e.g. the latency budget).

    Returns:
        The area, in accuracy x milliseconds; 0.0 for no qualifying trial.

    Raises:
        ReportError: If a reference value is not a finite number.
    """
    ref_accuracy = _finite("reference_accuracy", reference_accuracy)
    ref_latency_ms = _finite("reference_latency_ms", reference_latency_ms)
    # One implementation of the area: the search's own (both objectives maximised).
    return hypervolume(
        [(t.accuracy, -t.latency_ms) for t in measured(front)],
        reference=(ref_accuracy, -ref_latency_ms),
    )
