"""What every proxy training shares: image scaling, per-step losses, eager or traced steps, one `fit` with rungs."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from edgenas.proxy.errors import ProxyConfigError
from edgenas.store.rung import Rung

if TYPE_CHECKING:
    import keras

__all__ = [
    "EAGER_MAX_STEPS",
    "Fitted",
    "check_rung_steps",
    "fit_with_rungs",
    "runs_eagerly",
    "scaled_images",
    "step_losses_callback",
]

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


def check_rung_steps(rung_steps: Sequence[int], steps: int) -> tuple[int, ...]:
    """The intermediate rungs of a training of `steps` steps: ascending step counts from 1 to `steps` - 1.

    Raises:
        ProxyConfigError: On anything else.
    """
    counts = tuple(rung_steps)
    valid = all(isinstance(c, int) and not isinstance(c, bool) and 1 <= c < steps for c in counts)
    if not valid or list(counts) != sorted(set(counts)):
        raise ProxyConfigError(f"rung steps must ascend from 1 to {steps - 1} (the task's steps - 1), got {counts}")
    return counts


@dataclasses.dataclass(frozen=True)
class Fitted:
    """What `fit_with_rungs` ran.

    Attributes:
        step_losses: Each step's training loss.
        rungs: The score at each intermediate rung reached.
        stopped_early: Whether the gate stopped the training at its last rung.
        steps: Steps the training ran to (the last rung's when stopped; else the task's).
        train_s: Wall time of the `fit` call without the rung evaluations.
        rung_eval_s: Wall time of the rung evaluations.
    """

    step_losses: tuple[float, ...]
    rungs: tuple[Rung, ...]
    stopped_early: bool
    steps: int
    train_s: float
    rung_eval_s: float

    def all_rungs(self, final_score: float | None) -> tuple[Rung, ...]:
        """Its rungs, with the end of the training's score appended unless it stopped early."""
        if self.stopped_early or final_score is None or not self.rungs:
            return self.rungs
        return (*self.rungs, Rung(steps=self.steps, score=final_score))


def fit_with_rungs(
    model: keras.Model,
    batches: Any,
    *,
    steps: int,
    score: Callable[[], float],
    rung_steps: Sequence[int] = (),
    gate: Callable[[int, float], bool] | None = None,
) -> Fitted:
    """Trains `model` for `steps` steps in one `fit` call, scored by `score()` after each of `rung_steps` steps.

    After each rung, `gate(rung index, score)` says whether the training goes on; where it says no, `fit` stops
    at that step. Scoring in inference mode changes neither the weights nor what the model trains on, so a
    training that goes through every rung ends as one without them. A NaN loss ends the training too
    (`TerminateOnNaN`); the caller sees it as fewer step losses than `steps`.
    """
    import keras  # noqa: PLC0415

    rung_steps = check_rung_steps(rung_steps, steps)
    recorder, step_losses = step_losses_callback()
    rungs: list[Rung] = []
    rung_eval_s = 0.0

    class Rungs(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            nonlocal rung_eval_s
            del logs
            if batch + 1 not in rung_steps:
                return
            began = time.perf_counter()
            rungs.append(Rung(steps=batch + 1, score=float(score())))
            rung_eval_s += time.perf_counter() - began
            if gate is not None and not gate(len(rungs) - 1, rungs[-1].score):
                self.model.stop_training = True

    start = time.perf_counter()
    model.fit(batches, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0,
              callbacks=[recorder, Rungs(), keras.callbacks.TerminateOnNaN()])  # fmt: skip
    train_s = time.perf_counter() - start - rung_eval_s
    stopped = bool(rungs) and rungs[-1].steps == len(step_losses) < steps
    return Fitted(step_losses=tuple(step_losses), rungs=tuple(rungs), stopped_early=stopped,
                  steps=rungs[-1].steps if stopped else steps, train_s=train_s, rung_eval_s=rung_eval_s)  # fmt: skip
