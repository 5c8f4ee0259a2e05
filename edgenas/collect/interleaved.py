"""Timing a batch of models in interleaved passes, re-timing those whose passes disagree.

A single timing of a model carries whatever the machine did in those seconds
(a frequency step, a neighbour's burst). Timing a batch once forward and once
backward puts the two timings of every model at different moments and in a
different order relative to the others, so a slow drift hits the batch evenly
and a burst hits one pass of a model, not both. A model whose passes still
differ by more than the tolerance gets one more pass, and its latency is the
median of its passes. What each kept measurement's passes were is recorded
with it, so the spread of the training labels can be reported.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections.abc import Callable, Sequence

from devices import LatencyResult

__all__ = ["RepeatedLatency", "time_interleaved"]


@dataclasses.dataclass(frozen=True)
class RepeatedLatency:
    """A model's latency from several passes.

    Attributes:
        latency_ms: The median of the passes' medians.
        passes_ms: Each pass's median, in the order they ran.
        result: The pass nearest that median (its details go into the store).
    """

    latency_ms: float
    passes_ms: tuple[float, ...]
    result: LatencyResult

    @property
    def spread(self) -> float:
        """How far apart the passes were: the largest over the smallest, minus 1."""
        return max(self.passes_ms) / min(self.passes_ms) - 1

    def result_json(self) -> str:
        """The kept pass's JSON with the passes and the latency kept added."""
        return json.dumps({**self.result.to_json(), "passes_ms": list(self.passes_ms), "kept_ms": self.latency_ms})


def time_interleaved(
    measure: Callable[[int], LatencyResult | None],
    count: int,
    *,
    passes: int = 2,
    tolerance: float = 0.05,
    keep_going: Callable[[], bool] = lambda: True,
) -> list[RepeatedLatency | None]:
    """Times items 0..count-1 in `passes` interleaved passes (forward, backward, ...), then once more each item
    whose passes differ by more than `tolerance`.

    Args:
        measure: Times item i once (None: it cannot be timed; it is then left out of later passes).
        count: The number of items.
        passes: Passes over every item (1: a single timing each, no re-timing).
        tolerance: Largest accepted spread between an item's passes (largest / smallest - 1).
        keep_going: Asked before each pass after the first; False stops, and then no item is kept: none
            has had the passes that check its timing.

    Returns:
        Per item, its latency (None when it could not be timed, or the passes were stopped).

    Raises:
        ValueError: `passes` < 1 or `tolerance` < 0.
    """
    if passes < 1:
        raise ValueError(f"passes must be >= 1, got {passes!r}")
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    timings: list[list[LatencyResult] | None] = [[] for _ in range(count)]
    for index in range(passes):
        if index and not keep_going():
            return [None] * count
        order = range(count) if index % 2 == 0 else range(count - 1, -1, -1)
        _one_pass(measure, timings, order)
    if passes > 1 and keep_going():
        order = [i for i, t in enumerate(timings) if t and len(t) > 1 and _spread(t) > tolerance]
        _one_pass(measure, timings, order)
    return [None if not t else _kept(t) for t in timings]


def _one_pass(
    measure: Callable[[int], LatencyResult | None], timings: list[list[LatencyResult] | None], order: Sequence[int]
) -> None:
    for item in order:
        if timings[item] is None:
            continue
        result = measure(item)
        if result is None:
            timings[item] = None
        else:
            timings[item].append(result)  # type: ignore[union-attr]


def _spread(results: list[LatencyResult]) -> float:
    values = [r.latency_ms for r in results]
    return max(values) / min(values) - 1


def _kept(results: list[LatencyResult]) -> RepeatedLatency:
    values = [r.latency_ms for r in results]
    median = statistics.median(values)
    nearest = min(results, key=lambda r: abs(r.latency_ms - median))
    return RepeatedLatency(latency_ms=median, passes_ms=tuple(values), result=nearest)
