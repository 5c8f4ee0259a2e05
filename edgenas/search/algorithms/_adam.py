"""Adam, the optimiser of NAS controllers (https://arxiv.org/abs/1412.6980), for one numpy array."""

from __future__ import annotations

import numpy as np

__all__ = ["Adam"]


class Adam:
    """Adam ascent steps on one parameter array.

    Args:
        shape: Shape of the parameter (and gradient) array.
        learning_rate: Step size (> 0).
        beta1: Decay of the first-moment estimate.
        beta2: Decay of the second-moment estimate.
        epsilon: Added to the denominator for stability.
    """

    def __init__(
        self,
        shape: tuple[int, ...],
        *,
        learning_rate: float,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
    ) -> None:
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {learning_rate}")
        self._lr = learning_rate
        self._beta1, self._beta2, self._eps = beta1, beta2, epsilon
        self._m = np.zeros(shape)
        self._v = np.zeros(shape)
        self._t = 0

    def ascent_step(self, gradient: np.ndarray) -> np.ndarray:
        """The update to add to the parameters to increase the objective."""
        self._t += 1
        self._m = self._beta1 * self._m + (1 - self._beta1) * gradient
        self._v = self._beta2 * self._v + (1 - self._beta2) * gradient**2
        m_hat = self._m / (1 - self._beta1**self._t)
        v_hat = self._v / (1 - self._beta2**self._t)
        return self._lr * m_hat / (np.sqrt(v_hat) + self._eps)
