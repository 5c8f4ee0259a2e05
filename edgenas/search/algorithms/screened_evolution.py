"""Surrogate-screened evolution: aging evolution along the accuracy/latency front, children picked by a surrogate.

Each proposal after the random start:
1. draws a latency target T log-uniformly between the fastest and the slowest
   member of the population (the last `population_size` finished trials), so
   that the search moves along the whole front rather than to one point of it;
2. breeds `candidates` children: a tournament winner by MnasNet's soft reward
   `accuracy * (latency_ms / T) ** -0.07`, crossed over (uniformly, with
   probability `crossover_prob`) with a second winner, then one decision changed;
3. proposes the child that a `FrontSurrogate` fitted to every finished trial
   predicts to score best at T.

Papers:
    Regularized evolution, Real et al., AAAI 2019, https://arxiv.org/abs/1802.01548 (aging, tournaments).
    MnasNet, Tan et al., CVPR 2019, https://arxiv.org/abs/1807.11626 (the soft latency reward).
    ParEGO, Knowles, IEEE TEVC 2006, https://doi.org/10.1109/TEVC.2005.851274 (a random scalarisation of the
    objectives per proposal, screened by a surrogate).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np
import pyglove as pg

from edgenas.search.algorithms.front_surrogate import FrontSurrogate
from edgenas.search.algorithms.ppo_controller import check_categorical

__all__ = ["SurrogateEvolution"]

_LATENCY_EXPONENT = -0.07  # MnasNet's soft reward
_MAX_DRAWS = 100


@pg.members(
    [
        ("seed", pg.typing.Int(), "Seed of every random choice; the same seed and feedback give the same DNA."),
        ("population_size", pg.typing.Int(min_value=2, default=20), "Random start, then the aging population."),
        ("tournament_size", pg.typing.Int(min_value=1, default=5), "Members drawn per tournament."),
        ("candidates", pg.typing.Int(min_value=1, default=100), "Children the surrogate screens per proposal."),
        ("crossover_prob", pg.typing.Float(min_value=0.0, max_value=1.0, default=0.5), "Chance of a crossover."),
        ("ridge", pg.typing.Float(min_value=0.0, default=1.0), "Penalty of the surrogate's regressions (> 0)."),
    ],
    init_arg_list=[],
)
class SurrogateEvolution(pg.DNAGenerator):
    """Evolution over the accuracy/latency front whose children a ridge-regression surrogate screens.

    Feedback is the pair `(accuracy, -latency_ms)` (a `ParetoObjectives`); an
    accuracy below 0 (the search's mark of a failed trial) or a non-finite
    value keeps the DNA from being proposed again and out of the population and
    the surrogate. Flat categorical spaces only (every space edgenas ships).
    """

    @property
    def multi_objective(self) -> bool:
        return True

    def _on_bound(self) -> None:
        super()._on_bound()
        if not self.ridge > 0:
            raise ValueError(f"ridge must be positive, got {self.ridge}")
        if self.tournament_size > self.population_size:
            raise ValueError(
                f"tournament_size ({self.tournament_size}) must not exceed population_size ({self.population_size})"
            )

    def _setup(self) -> None:
        self._counts = np.asarray(check_categorical(self.dna_spec, algorithm="surrogate_evolution"))
        self._rng = np.random.default_rng(self.seed)
        self._surrogate = FrontSurrogate(self._counts, ridge=self.ridge)
        self._seen: set[tuple[int, ...]] = set()
        self._finished: list[tuple[tuple[int, ...], float, float]] = []  # (choices, accuracy, latency_ms)
        self._population: deque[tuple[tuple[int, ...], float, float]] = deque(maxlen=self.population_size)

    def _propose(self) -> pg.DNA:
        if self.num_proposals < self.population_size or len(self._population) < 2:
            choices = self._random_unseen()
        else:
            choices = self._screened_child()
        self._seen.add(choices)
        return pg.DNA.from_numbers(list(choices), self.dna_spec)

    def _feedback(self, dna: pg.DNA, reward: Any) -> None:
        choices = tuple(int(v) for v in dna.to_numbers())
        self._seen.add(choices)
        accuracy, latency_ms = float(reward[0]), -float(reward[1])
        if not (math.isfinite(accuracy) and math.isfinite(latency_ms)) or accuracy < 0 or latency_ms <= 0:
            return
        member = (choices, accuracy, latency_ms)
        self._finished.append(member)
        self._population.append(member)

    def _random_choices(self) -> tuple[int, ...]:
        return tuple(int(v) for v in self._rng.integers(0, self._counts))

    def _random_unseen(self) -> tuple[int, ...]:
        choices = self._random_choices()
        for _ in range(_MAX_DRAWS):
            if choices not in self._seen:
                break
            choices = self._random_choices()
        return choices

    def _tournament(self, target_ms: float) -> tuple[int, ...]:
        members = list(self._population)
        drawn = self._rng.choice(len(members), size=min(self.tournament_size, len(members)), replace=False)
        scores = [members[i][1] * (members[i][2] / target_ms) ** _LATENCY_EXPONENT for i in drawn]
        return members[int(drawn[int(np.argmax(scores))])][0]

    def _child(self, target_ms: float) -> tuple[int, ...]:
        child = np.array(self._tournament(target_ms))
        if self._rng.random() < self.crossover_prob:
            other = np.array(self._tournament(target_ms))
            child = np.where(self._rng.random(child.size) < 0.5, child, other)
        mutable = np.flatnonzero(self._counts > 1)
        if mutable.size:
            decision = int(self._rng.choice(mutable))
            shift = int(self._rng.integers(1, self._counts[decision]))
            child[decision] = (child[decision] + shift) % self._counts[decision]  # any other candidate
        return tuple(int(v) for v in child)

    def _screened_child(self) -> tuple[int, ...]:
        latencies = [member[2] for member in self._population]
        low, high = math.log(min(latencies)), math.log(max(latencies))
        target_ms = math.exp(self._rng.uniform(low, high)) if high > low else math.exp(low)
        children: list[tuple[int, ...]] = []
        for _ in range(self.candidates * 2):  # a child already tried or already drawn is skipped
            child = self._child(target_ms)
            if child not in self._seen and child not in children:
                children.append(child)
                if len(children) == self.candidates:
                    break
        if not children:
            return self._random_unseen()
        self._surrogate.fit(
            np.array([m[0] for m in self._finished]),
            np.array([m[1] for m in self._finished]),
            np.array([m[2] for m in self._finished]),
        )
        accuracy, latency_ms = self._surrogate.predict(np.array(children))
        predicted = accuracy * (latency_ms / target_ms) ** _LATENCY_EXPONENT
        return children[int(np.argmax(predicted))]
