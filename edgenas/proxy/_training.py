"""What both proxy trainings share: image scaling and per-step losses from Keras's running mean."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

__all__ = ["scaled_images", "step_losses_callback"]


def scaled_images(images: Any) -> Any:
    """uint8 [0, 255] -> float32 [-1, 1] (works on numpy arrays and tensors)."""
    return images / 127.5 - 1.0


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
