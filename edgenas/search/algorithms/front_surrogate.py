"""`FrontSurrogate`: ridge regressions of accuracy and latency on the one-hot choices of a categorical DNA.

Accuracy is fitted through its ranks: each observed accuracy is replaced by the
normal quantile of its rank, and a prediction is mapped back through the
observed (quantile, accuracy) pairs. The fit so depends only on the order of
the accuracies, not on the range or squashing of the proxy's score. Latency is
fitted in log space, where the cost of each choice multiplies rather than adds.
Both are ridge regressions with an unpenalised intercept.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

__all__ = ["FrontSurrogate", "OneHotFeatures"]


class OneHotFeatures:
    """One-hot features of categorical choices, with a trailing 1 for an (unpenalised) intercept.

    Args:
        num_candidates: Candidates of each decision point.
    """

    def __init__(self, num_candidates: Sequence[int]) -> None:
        self._offsets = np.concatenate([[0], np.cumsum(num_candidates)[:-1]]).astype(np.int64)
        self.width = int(np.sum(num_candidates)) + 1

    def __call__(self, choices: np.ndarray | Sequence[Sequence[int]]) -> np.ndarray:
        """The `(n, width)` features of `(n, decisions)` choice indices."""
        rows = np.atleast_2d(np.asarray(choices, dtype=np.int64))
        out = np.zeros((rows.shape[0], self.width))
        out[np.arange(rows.shape[0])[:, None], self._offsets[None, :] + rows] = 1.0
        out[:, -1] = 1.0
        return out


class FrontSurrogate:
    """Predicts (accuracy, latency_ms) of categorical choices from observed ones.

    Args:
        num_candidates: Candidates of each decision point.
        ridge: Penalty on the squared weights of the one-hot features (> 0).
    """

    def __init__(self, num_candidates: Sequence[int], *, ridge: float) -> None:
        self.features = OneHotFeatures(num_candidates)
        self._ridge = float(ridge)
        self._accuracy_weights: np.ndarray | None = None
        self._latency_weights: np.ndarray | None = None
        self._quantiles = np.zeros(0)
        self._accuracies = np.zeros(0)

    def fit(self, choices: np.ndarray, accuracy: np.ndarray, latency_ms: np.ndarray) -> None:
        """Fits both regressions to `(n, decisions)` choices and their observed objectives (n >= 2)."""
        x = self.features(choices)
        quantiles = ndtri((rankdata(accuracy) - 0.5) / len(accuracy))
        order = np.argsort(quantiles, kind="stable")
        self._quantiles, self._accuracies = quantiles[order], np.asarray(accuracy, dtype=float)[order]
        penalty = self._ridge * np.eye(x.shape[1])
        penalty[-1, -1] = 0.0
        gram = x.T @ x + penalty
        self._accuracy_weights = np.linalg.solve(gram, x.T @ quantiles)
        self._latency_weights = np.linalg.solve(gram, x.T @ np.log(latency_ms))

    def predict(self, choices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predicted accuracy (within the observed range) and latency_ms of `(n, decisions)` choices."""
        if self._accuracy_weights is None or self._latency_weights is None:
            raise RuntimeError("FrontSurrogate.predict before fit")
        x = self.features(choices)
        accuracy = np.interp(x @ self._accuracy_weights, self._quantiles, self._accuracies)
        return accuracy, np.exp(x @ self._latency_weights)
