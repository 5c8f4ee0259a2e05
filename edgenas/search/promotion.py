"""`PromotionRule`: whether a training goes on past a rung (successive halving, `Halving`).

The rule is plain data, so the worker process that trains a candidate can
apply it at each rung without asking the search: it carries the candidate's
latency and, for each intermediate rung, the points (score, latency) of the
study's earlier trials there. The search is sequential, so these are exactly
the trials that reached the rung before this one, and a resumed search
rebuilds the same rule from the stored rungs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

__all__ = ["PromotionRule", "RungPoint", "add_rung_points"]


@dataclasses.dataclass(frozen=True)
class RungPoint:
    """A trial at a rung: its score there and its latency.

    Attributes:
        score: Held-out score after the rung's steps.
        latency_ms: The trial's latency (measured or predicted).
    """

    score: float
    latency_ms: float


def _ahead(other: RungPoint, point: RungPoint, reward: Any) -> bool:
    """Whether `other` ranks strictly ahead of `point` at a rung: a strictly higher score, and no worse by the
    study's ranking (under the Pareto reward no slower; under a scalar reward a higher reward)."""
    if other.score <= point.score:
        return False
    if getattr(reward, "is_pareto", False):
        return other.latency_ms <= point.latency_ms
    return float(reward(accuracy=other.score, latency_ms=other.latency_ms)) > float(
        reward(accuracy=point.score, latency_ms=point.latency_ms)
    )


@dataclasses.dataclass(frozen=True)
class PromotionRule:
    """Goes on past a rung when the trial ranks in the best 1 / `eta` of the trials scored there.

    The rung's n points are the earlier trials' there and its own; each is ranked
    by how many points rank strictly ahead of it, and the trial goes on when its
    count is at most the max(n // eta, 1)-th smallest (the best one always goes
    on, and ties with the last place that goes on go on too). One point ranks
    ahead of another when its score there is strictly higher and, under the
    Pareto reward, it is no slower (it dominates it), or under a scalar reward
    its reward is higher too. Under a scalar reward with distinct scores this is
    successive halving's top 1 / eta by reward. A higher score is required:
    latency alone never stops a training, so a rung where every network still
    scores alike (early in the training, before any has learned) stops none.

    Attributes:
        eta: The reduction factor.
        reward: The study's reward (a frozen reward object; `is_pareto` picks the ranking).
        latency_ms: The trial's latency.
        peers: By intermediate rung, the earlier trials' points there.
    """

    eta: int
    reward: Any
    latency_ms: float
    peers: tuple[tuple[RungPoint, ...], ...]

    def continues(self, rung: int, score: float) -> bool:
        """Whether the training goes on after scoring `score` at intermediate rung `rung` (from 0).

        Raises:
            IndexError: If `rung` is not one of the rule's intermediate rungs.
        """
        if not 0 <= rung < len(self.peers):
            raise IndexError(f"rung {rung} is not an intermediate rung (there are {len(self.peers)})")
        own = RungPoint(score=float(score), latency_ms=self.latency_ms)
        points = (*self.peers[rung], own)
        behind = [sum(_ahead(other, point, self.reward) for other in points) for point in points]
        cutoff = sorted(behind)[max(len(points) // self.eta, 1) - 1]
        return behind[-1] <= cutoff


def add_rung_points(peers: list[list[RungPoint]], rungs: Any, latency_ms: float, rung_steps: tuple[int, ...]) -> None:
    """Adds a trained trial's points (its score, its latency) at the intermediate rungs it reached to `peers`."""
    by_steps = {r.steps: r.score for r in rungs or ()}
    for k, steps in enumerate(rung_steps):
        if steps in by_steps:
            peers[k].append(RungPoint(by_steps[steps], latency_ms))
