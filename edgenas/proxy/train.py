"""`train_and_evaluate`: train a candidate's proxy copy briefly, report its held-out accuracy."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from edgenas.proxy._training import runs_eagerly, scaled_images, step_losses_callback
from edgenas.proxy.errors import ProxyConfigError, ProxyTrainingError
from edgenas.proxy.loading import load_dataset
from edgenas.proxy.reduce import proxy_spec
from edgenas.proxy.result import ProxyResult
from edgenas.proxy.task import ProxyOptimizer, ProxyTask
from edgenas.specs import ArchSpec
from edgenas.store.rung import Rung

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

__all__ = ["check_rung_steps", "train_and_evaluate"]

_MAX_SHUFFLE_BUFFER = 10_000
_EVAL_BATCH = 500
_LAST_STEPS_FRACTION = 0.1


def _optimizer(task: ProxyTask) -> keras.optimizers.Optimizer:
    import keras  # noqa: PLC0415

    schedule = keras.optimizers.schedules.CosineDecay(task.learning_rate, decay_steps=task.steps)
    if task.optimizer is ProxyOptimizer.ADAM:
        return keras.optimizers.Adam(schedule)
    if task.optimizer is ProxyOptimizer.SGD:
        return keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True)
    if task.optimizer is ProxyOptimizer.RMSPROP:
        return keras.optimizers.RMSprop(schedule)
    raise AssertionError(f"no optimizer for {task.optimizer!r}")


def _training_batches(images: np.ndarray, labels: np.ndarray, task: ProxyTask) -> tf.data.Dataset:
    import tensorflow as tf  # noqa: PLC0415

    def scale(x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return scaled_images(tf.cast(x, tf.float32)), y

    return (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .shuffle(min(len(labels), _MAX_SHUFFLE_BUFFER), seed=task.seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(task.batch_size, drop_remainder=True)
        .map(scale)
        .prefetch(2)
    )


def _accuracy(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy in inference mode (BatchNorm uses its moving statistics)."""
    import tensorflow as tf  # noqa: PLC0415

    batches = tf.data.Dataset.from_tensor_slices(images).batch(_EVAL_BATCH).map(
        lambda x: scaled_images(tf.cast(x, tf.float32))
    )
    logits = model.predict(batches, verbose=0)
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def check_rung_steps(rung_steps: Sequence[int], steps: int) -> tuple[int, ...]:
    """The intermediate rungs of a training of `steps` steps: ascending step counts from 1 to `steps` - 1.

    Raises:
        ProxyConfigError: On anything else.
    """
    counts = tuple(rung_steps)
    if not all(isinstance(c, int) and not isinstance(c, bool) and 1 <= c < steps for c in counts) or list(
        counts
    ) != sorted(set(counts)):
        raise ProxyConfigError(f"rung steps must ascend from 1 to {steps - 1} (the task's steps - 1), got {counts}")
    return counts


def _rung_callback(
    rung_steps: tuple[int, ...], score: Callable[[], float], gate: Callable[[int, float], bool] | None
) -> tuple[keras.callbacks.Callback, list[Rung]]:
    """A callback that scores the model after each of `rung_steps` steps and stops it where `gate` says no."""
    import keras  # noqa: PLC0415

    rungs: list[Rung] = []

    class Rungs(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            del logs
            if batch + 1 not in rung_steps:
                return
            rungs.append(Rung(steps=batch + 1, score=score()))
            if gate is not None and not gate(len(rungs) - 1, rungs[-1].score):
                self.model.stop_training = True

    return Rungs(), rungs


def train_and_evaluate(
    spec: ArchSpec,
    task: ProxyTask | None = None,
    *,
    rung_steps: Sequence[int] = (),
    gate: Callable[[int, float], bool] | None = None,
) -> ProxyResult:
    """Trains the proxy copy of `spec` on the task's dataset and scores held-out images.

    The dataset is loaded (and checked) first, so a bad folder fails before any
    training. The proxy network (`proxy_spec(spec, task)`) is built with fresh
    weights seeded by `task.seed`, trained for `task.steps` steps in one `fit`
    call, and scored in inference mode (BatchNorm moving statistics) on the
    validation images. A pure function of `(spec, task)`; it runs in the calling
    process, which keeps ~160 MB per call (TensorFlow), so a search calls it in
    recycled worker processes.

    With `rung_steps`, the model is also scored after each of those steps
    (successive halving, `edgenas.search.Halving`), in inference mode, which
    changes neither its weights nor what it trains on: a training that goes
    through every rung ends exactly as one without them. After each rung,
    `gate(rung index, score)` says whether it goes on; where it says no the
    training stops and its accuracy is that rung's score.

    Args:
        spec: The candidate.
        task: The proxy task (default: `ProxyTask()`).
        rung_steps: Intermediate rungs: ascending step counts below `task.steps`.
        gate: Whether the training goes on after a rung (default: always).

    Returns:
        The accuracy, the final training loss, the timings and the proxy network.

    Raises:
        ProxyDatasetError: If the dataset cannot be used.
        ProxyConfigError: If `spec` is not an `ArchSpec` or cannot be reduced to the task.
        ProxyTrainingError: If the training loss became NaN or infinite.
    """
    import keras  # noqa: PLC0415

    from edgenas.models import build_keras  # noqa: PLC0415

    task = ProxyTask() if task is None else task
    rung_steps = check_rung_steps(rung_steps, task.steps)
    data = load_dataset(task)
    reduced = proxy_spec(spec, task)

    start = time.perf_counter()
    keras.utils.set_random_seed(task.seed)
    model = build_keras(
        reduced,
        input_shape=(data.image_size_px, data.image_size_px, 3),
        num_classes=data.num_classes,
        bn_momentum=task.bn_momentum,
        dropout_rate=task.dropout_rate,
    )
    model.compile(
        optimizer=_optimizer(task),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        run_eagerly=runs_eagerly(task.steps),
    )
    build_s = time.perf_counter() - start

    recorder, step_losses = step_losses_callback()
    rung_eval_s = [0.0]

    def rung_score() -> float:
        began = time.perf_counter()
        score = _accuracy(model, data.validation_images, data.validation_labels)
        rung_eval_s[0] += time.perf_counter() - began
        return score

    scorer, rungs = _rung_callback(rung_steps, rung_score, gate)
    start = time.perf_counter()
    model.fit(
        _training_batches(data.train_images, data.train_labels, task),
        steps_per_epoch=task.steps,
        epochs=1,
        shuffle=False,  # the tf.data pipeline shuffles, seeded
        verbose=0,
        callbacks=[recorder, scorer, keras.callbacks.TerminateOnNaN()],
    )
    train_s = time.perf_counter() - start - rung_eval_s[0]
    stopped = bool(rungs) and rungs[-1].steps == len(step_losses) < task.steps
    steps = rungs[-1].steps if stopped else task.steps
    last = step_losses[-max(1, round(_LAST_STEPS_FRACTION * steps)) :]
    train_loss = float(np.mean(last)) if last else math.nan
    if len(step_losses) < steps or not math.isfinite(train_loss):
        raise ProxyTrainingError(
            f"proxy training of {reduced} diverged: loss {train_loss} after {len(step_losses)} of {task.steps} steps"
        )

    start = time.perf_counter()
    if stopped:
        accuracy = rungs[-1].score
    else:
        accuracy = _accuracy(model, data.validation_images, data.validation_labels)
        rungs.append(Rung(steps=task.steps, score=accuracy))
    eval_s = time.perf_counter() - start + rung_eval_s[0]
    return ProxyResult(
        accuracy=accuracy,
        train_loss=train_loss,
        steps=steps,
        train_s=train_s,
        build_s=build_s,
        eval_s=eval_s,
        params=int(model.count_params()),
        num_validation=data.num_validation,
        proxy_spec=reduced,
        rungs=tuple(rungs) if rung_steps else (),
        stopped_early=stopped,
    )
