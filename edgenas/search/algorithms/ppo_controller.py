"""A PPO-trained controller over categorical decisions, as a PyGlove DNA generator.

Papers:
    Proximal Policy Optimization Algorithms, Schulman et al., 2017,
    https://arxiv.org/abs/1707.06347 (the clipped surrogate objective).
    MnasNet, Tan et al., CVPR 2019, https://arxiv.org/abs/1807.11626 (a NAS
    controller trained with PPO against a moving-average reward baseline, the
    recipe Vertex AI NAS also uses).

Unlike MnasNet's RNN controller, the policy here is factorised: one independent
softmax per decision point, its logits in numpy. Proposals are sampled with a
seeded `numpy.random.Generator`, so the same seed and the same feedback give the
same proposals.
"""

from __future__ import annotations

import math
import numbers
from collections import deque
from typing import Any

import numpy as np
import pyglove as pg

from edgenas.search.algorithms._adam import Adam
from edgenas.search.algorithms._policy import CategoricalPolicy
from edgenas.search.algorithms.errors import AlgorithmOptionError, UnsupportedSpaceError

__all__ = ["PPOController", "check_categorical", "clipped_surrogate"]


def check_categorical(dna_spec: pg.DNASpec, *, algorithm: str = "PPO") -> list[int]:
    """The number of candidates of each decision point of a flat categorical space.

    Args:
        dna_spec: The space's DNA spec.
        algorithm: Who asks, as the error message names it.

    Raises:
        UnsupportedSpaceError: If the spec has no decision point, or a decision
            that is not a `pg.oneof` over literal values (a `pg.manyof`, a
            `pg.floatv`, a custom decision, or a choice with nested decisions).
    """
    points = dna_spec.decision_points
    if not points:
        raise UnsupportedSpaceError("the space has no decision points; there is nothing to search")
    counts = []
    for point in points:
        if not point.is_categorical:
            kind = "a pg.floatv" if point.is_numerical else "a custom decision point"
            raise UnsupportedSpaceError(
                f"{algorithm} supports only categorical decisions (pg.oneof over literals); "
                f"decision {point.id} is {kind}"
            )
        if point.is_subchoice or point.num_choices != 1:
            raise UnsupportedSpaceError(
                f"{algorithm} supports only categorical decisions (pg.oneof over literals); "
                f"decision {point.id} is part of a pg.manyof"
            )
        if any(candidate.decision_points for candidate in point.candidates):
            raise UnsupportedSpaceError(
                f"{algorithm} supports only categorical decisions (pg.oneof over literals); "
                f"a candidate of decision {point.id} holds further decisions"
            )
        counts.append(len(point.candidates))
    return counts


def clipped_surrogate(
    ratios: np.ndarray, advantages: np.ndarray, *, clip_epsilon: float
) -> tuple[float, np.ndarray]:
    """PPO's clipped objective `mean(min(r * A, clip(r, 1 - eps, 1 + eps) * A))`.

    Args:
        ratios: New over old probability of each draw, `(batch,)`.
        advantages: Advantage of each draw, `(batch,)`.
        clip_epsilon: The clip range eps.

    Returns:
        The objective and its derivative with respect to each draw's new
        log-probability (`r * A / batch` where the unclipped term is the
        minimum, 0 where the clipped, constant term is).
    """
    clipped_ratios = np.clip(ratios, 1.0 - clip_epsilon, 1.0 + clip_epsilon)
    unclipped, clipped = ratios * advantages, clipped_ratios * advantages
    objective = float(np.minimum(unclipped, clipped).mean())
    weights = np.where(unclipped <= clipped, unclipped, 0.0) / len(ratios)
    return objective, weights


@pg.members(
    [
        ("seed", pg.typing.Int(), "Seed of the sampler; the same seed and feedback give the same DNA."),
        ("learning_rate", pg.typing.Float(min_value=0.0, default=0.05), "Adam step size on the logits."),
        ("clip_epsilon", pg.typing.Float(min_value=0.0, max_value=1.0, default=0.2), "PPO ratio clip."),
        ("batch_size", pg.typing.Int(min_value=1, default=10), "Feedbacks per policy update."),
        ("update_epochs", pg.typing.Int(min_value=1, default=4), "Gradient steps per batch."),
        (
            "baseline_decay",
            pg.typing.Float(min_value=0.0, max_value=1.0, default=0.95),
            "Decay of the moving-average reward baseline.",
        ),
        ("entropy_weight", pg.typing.Float(min_value=0.0, default=0.0), "Weight of the entropy bonus."),
    ],
    init_arg_list=[],
)
class PPOController(pg.DNAGenerator):
    """Reinforcement learning: a policy over the decisions, trained by clipped PPO.

    When to use it: large categorical spaces searched sequentially with a
    scalar reward (MnasNet's or TuNAS's), where the search should learn which
    choice of each decision pays off; it tolerates noisy rewards because it
    learns from batches against a moving-average baseline. It needs a few
    hundred trials to concentrate. Spaces with `pg.floatv` or `pg.manyof` are
    not supported.

    Each feedback's advantage is its reward minus the moving average of the
    rewards before it. Every `batch_size` feedbacks, the policy takes
    `update_epochs` Adam steps on the clipped surrogate
    `mean(min(r * A, clip(r, 1 - eps, 1 + eps) * A))`, where `r` is the ratio
    of the draw's probability now to its probability when it was proposed.

    Use it like any DNA generator: `pg.sample(space, PPOController(seed=0))`,
    or `setup(dna_spec)`, then `propose()` / `feedback(dna, reward)`.
    """

    def _on_bound(self) -> None:
        super()._on_bound()
        if not self.learning_rate > 0:
            raise AlgorithmOptionError(f"learning_rate must be positive, got {self.learning_rate}")

    def _setup(self) -> None:
        self._policy = CategoricalPolicy(check_categorical(self.dna_spec))
        self._optimizer = Adam(self._policy.logits.shape, learning_rate=self.learning_rate)
        self._rng = np.random.default_rng(self.seed)
        self._baseline: float | None = None
        self._pending: dict[tuple[int, ...], deque[float]] = {}
        self._batch: list[tuple[np.ndarray, float, float]] = []  # (choices, old log-prob, advantage)

    @property
    def baseline(self) -> float | None:
        """The moving average of the rewards fed back so far (None before the first)."""
        return self._baseline

    def policy_probabilities(self) -> list[np.ndarray]:
        """The current distribution of each decision point, in `dna_spec.decision_points` order."""
        return self._policy.probabilities()

    def _propose(self) -> pg.DNA:
        choices, log_prob = self._policy.sample(self._rng)
        numbers = [int(c) for c in choices]
        self._pending.setdefault(tuple(numbers), deque()).append(log_prob)
        # Flat spaces of literal choices only (checked in `_setup`): the DNA of a
        # list of numbers equals `pg.DNA.from_numbers` and is built faster.
        return pg.DNA(numbers).use_spec(self.dna_spec)

    def _feedback(self, dna: pg.DNA, reward: Any) -> None:
        if isinstance(reward, bool) or not isinstance(reward, numbers.Real) or not math.isfinite(reward):
            raise ValueError(f"PPO needs a finite scalar reward, got {reward!r}")
        reward = float(reward)
        choices = np.asarray(dna.to_numbers(), dtype=np.int64)
        pending = self._pending.get(tuple(choices.tolist()))
        if pending:
            old_log_prob = pending.popleft()
        else:  # Not proposed by this controller (or replayed): use the current policy.
            old_log_prob = float(self._policy.log_prob(choices)[0])
        if self._baseline is None:
            self._baseline = reward
        advantage = reward - self._baseline
        self._baseline = self.baseline_decay * self._baseline + (1 - self.baseline_decay) * reward
        self._batch.append((choices, old_log_prob, advantage))
        if len(self._batch) >= self.batch_size:
            self._update()
            self._batch = []

    def _update(self) -> None:
        choices = np.stack([c for c, _, _ in self._batch])
        old_log_probs = np.array([lp for _, lp, _ in self._batch])
        advantages = np.array([a for _, _, a in self._batch])
        if not np.any(advantages):
            return
        for _ in range(self.update_epochs):
            ratios = np.exp(self._policy.log_prob(choices) - old_log_probs)
            _, weights = clipped_surrogate(ratios, advantages, clip_epsilon=self.clip_epsilon)
            gradient = self._policy.weighted_score_gradient(choices, weights)
            if self.entropy_weight:
                gradient = gradient + self.entropy_weight * self._policy.entropy_gradient()
            self._policy.logits += self._optimizer.ascent_step(gradient)
