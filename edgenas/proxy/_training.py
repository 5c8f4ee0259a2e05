"""What both proxy trainings share: image scaling, per-step losses from Keras's running mean, eager or traced steps."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

__all__ = ["EAGER_MAX_STEPS", "runs_eagerly", "scaled_images", "step_losses_callback"]

EAGER_MAX_STEPS = 8
"""A training of at most this many steps runs eagerly; a longer one traces its training step once.

Tracing costs about 9 s per freshly built model on this machine, whatever its size, and then a step of a
MobileNet-like network at 32x32 costs tens of milliseconds; an eager step costs about 0.5 s. Measured on three
mnasnet networks (32x32, batch 16): 3 steps took 2.6-5.2 s eagerly and 9.2-17.0 s traced; 30 steps took
15-41 s eagerly and about 11 s traced. The same steps compute the same function either way."""


def scaled_images(images: Any) -> Any:
    """uint8 [0, 255] -> float32 [-1, 1] (works on numpy arrays and tensors)."""
    return images / 127.5 - 1.0


def runs_eagerly(steps: int) -> bool:
    """Whether a training of `steps` steps is cheaper run eagerly than traced (`EAGER_MAX_STEPS`)."""
    return steps <= EAGER_MAX_STEPS


def step_losses_callback() -> tuple[keras.callbacks.Callback, list[float]]:
    """A callback that recovers each step's loss from Keras's running mean of the epoch, and the list it fills."""
    import keras  # noqa: PLC0415

    losses: list[float] = []

    class StepLosses(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            mean = float((logs or {}).get("loss", math.nan))
            previous_mean = getattr(self, "_previous_mean", 0.0)
            losses.append((batch + 1) * mean - batch * previous_mean)
            self._previous_mean = mean

    return StepLosses(), losses
