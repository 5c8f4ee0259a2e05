"""A factorised categorical policy: one independent softmax per decision point, in numpy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["CategoricalPolicy"]


class CategoricalPolicy:
    """Independent categorical distributions over the candidates of each decision.

    The logits live in one padded `(decisions, max_candidates)` array; padding
    entries are masked out of every softmax and receive no gradient.

    Args:
        num_candidates: Number of candidates of each decision point (each >= 1).
    """

    def __init__(self, num_candidates: Sequence[int]) -> None:
        counts = np.asarray(num_candidates, dtype=np.int64)
        if counts.ndim != 1 or counts.size == 0 or np.any(counts < 1):
            raise ValueError(f"num_candidates must be positive counts, got {list(num_candidates)}")
        self._counts = counts
        self._mask = np.arange(counts.max())[None, :] < counts[:, None]
        self.logits = np.zeros(self._mask.shape)
        self._rows = np.arange(counts.size)

    @property
    def num_candidates(self) -> tuple[int, ...]:
        """Number of candidates of each decision."""
        return tuple(int(c) for c in self._counts)

    def log_probabilities(self) -> np.ndarray:
        """Log-softmax of each decision's logits, `(decisions, max_candidates)`; padding is -inf."""
        masked = np.where(self._mask, self.logits, -np.inf)
        shifted = masked - masked.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def probabilities(self) -> list[np.ndarray]:
        """The distribution of each decision, one array per decision."""
        probs = np.exp(self.log_probabilities())
        return [probs[d, :count].copy() for d, count in enumerate(self._counts)]

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """Draws one choice per decision.

        Returns:
            The chosen candidate indices and the log-probability of the whole draw.
        """
        log_probs = self.log_probabilities()
        cumulative = np.cumsum(np.exp(log_probs), axis=1)
        draws = rng.random(self._counts.size) * cumulative[:, -1]
        choices = (cumulative <= draws[:, None]).sum(axis=1)
        choices = np.minimum(choices, self._counts - 1)
        return choices, float(log_probs[self._rows, choices].sum())

    def log_prob(self, choices: np.ndarray) -> np.ndarray:
        """Log-probability of draws `(batch, decisions)` (or one draw), summed over decisions."""
        choices = np.atleast_2d(choices)
        return self.log_probabilities()[self._rows[None, :], choices].sum(axis=1)

    def weighted_score_gradient(self, choices: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """`sum_b weights[b] * d log pi(choices[b]) / d logits`, the policy-gradient core.

        Args:
            choices: Draws, `(batch, decisions)`.
            weights: One weight per draw, `(batch,)`.
        """
        choices = np.atleast_2d(choices)
        probs = np.exp(self.log_probabilities())
        grad = -weights.sum() * probs
        rows = np.broadcast_to(self._rows[None, :], choices.shape)
        np.add.at(grad, (rows, choices), np.broadcast_to(weights[:, None], choices.shape))
        return np.where(self._mask, grad, 0.0)

    def entropy_gradient(self) -> np.ndarray:
        """Gradient of the summed entropies of all decisions with respect to the logits."""
        log_probs = self.log_probabilities()
        probs = np.exp(log_probs)
        safe_log = np.where(self._mask, log_probs, 0.0)
        entropy = -(probs * safe_log).sum(axis=1, keepdims=True)
        return np.where(self._mask, -probs * (safe_log + entropy), 0.0)
