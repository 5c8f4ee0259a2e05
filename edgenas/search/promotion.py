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

__all__ = ["PromotionRule", "RungPoint"]


@dataclasses.dataclass(frozen=True)
class RungPoint:
    """A trial at a rung: its score there and its latency.

    Attributes:
        score: Held-out score after the rung's steps.
        latency_ms: The trial's latency (measured or predicted).
    """

    score: float
    latency_ms: float


def _dominated_by(point: RungPoint, others: Sequence[RungPoint]) -> int:
    """How many of `others` are at least as good on both and better on one (higher score, lower latency)."""
    return sum(
        o.score >= point.score
        and o.latency_ms <= point.latency_ms
        and (o.score > point.score or o.latency_ms < point.latency_ms)
        for o in others
    )


@dataclasses.dataclass(frozen=True)
class PromotionRule:
    """Goes on past a rung when the trial ranks in the best 1 / `eta` of the trials scored there.

    The ranking is the study's: under a scalar reward, the reward of (rung score,
    latency); under the Pareto reward, how many of the rung's points dominate it
    (the rung's own front ranks first). The best one always goes on, and ties
    with the last place that goes on go on too.

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
        if getattr(self.reward, "is_pareto", False):
            keys = [float(_dominated_by(p, points)) for p in points]
        else:
            keys = [-float(self.reward(accuracy=p.score, latency_ms=p.latency_ms)) for p in points]
        cutoff = sorted(keys)[max(len(points) // self.eta, 1) - 1]
        return keys[-1] <= cutoff
