"""`train_and_evaluate`: train a candidate's proxy copy briefly, report its held-out accuracy."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from edgenas.proxy._training import check_rung_steps, fit_with_rungs, runs_eagerly, scaled_images
from edgenas.proxy.errors import ProxyTrainingError
from edgenas.proxy.loading import load_dataset
from edgenas.proxy.reduce import proxy_spec
from edgenas.proxy.result import ProxyResult
from edgenas.proxy.task import ProxyOptimizer, ProxyTask
from edgenas.specs import ArchSpec

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

__all__ = ["train_and_evaluate"]

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

    def score() -> float:
        return _accuracy(model, data.validation_images, data.validation_labels)

    batches = _training_batches(data.train_images, data.train_labels, task)
    fitted = fit_with_rungs(model, batches, steps=task.steps, score=score, rung_steps=rung_steps, gate=gate)
    step_losses = fitted.step_losses
    last = step_losses[-max(1, round(_LAST_STEPS_FRACTION * fitted.steps)) :]
    train_loss = float(np.mean(last)) if last else math.nan
    if len(step_losses) < fitted.steps or not math.isfinite(train_loss):
        raise ProxyTrainingError(
            f"proxy training of {reduced} diverged: loss {train_loss} after {len(step_losses)} of {task.steps} steps"
        )

    start = time.perf_counter()
    accuracy = fitted.rungs[-1].score if fitted.stopped_early else score()
    eval_s = time.perf_counter() - start + fitted.rung_eval_s
    return ProxyResult(
        accuracy=accuracy,
        train_loss=train_loss,
        steps=fitted.steps,
        train_s=fitted.train_s,
        build_s=build_s,
        eval_s=eval_s,
        params=int(model.count_params()),
        num_validation=data.num_validation,
        proxy_spec=reduced,
        rungs=fitted.all_rungs(accuracy),
        stopped_early=fitted.stopped_early,
    )
