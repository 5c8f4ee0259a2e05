"""`train_and_evaluate`: train a candidate briefly on the proxy task, report held-out accuracy."""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from edgenas.proxy.dataset import load_dataset
from edgenas.proxy.errors import ProxyTrainingError
from edgenas.proxy.task import ProxyTask
from edgenas.specs import ArchSpec

__all__ = ["ProxyResult", "proxy_spec", "train_and_evaluate"]

_MIN_FILTERS = 8


@dataclasses.dataclass(frozen=True)
class ProxyResult:
    """The outcome of one proxy training.

    Attributes:
        accuracy: Top-1 accuracy on the held-out images, inference mode, in [0, 1].
        train_loss: Mean training loss over the last step.
        steps: Training steps run.
        build_s: Seconds to build and compile the proxy model.
        train_s: Seconds of the `fit` call (includes its one-off set-up).
        params: Parameters of the proxy network.
    """

    accuracy: float
    train_loss: float
    steps: int
    build_s: float
    train_s: float
    params: int


def _scaled(filters: int, width: float) -> int:
    return max(_MIN_FILTERS, int(round(filters * width)))


def proxy_spec(spec: ArchSpec, task: ProxyTask) -> ArchSpec:
    """The proxy copy of a candidate: filters scaled by `width`, early stride-2 stages at stride 1."""
    blocks, kept = [], 0
    for block in spec.blocks:
        strides = block.strides
        if strides == 2 and kept < task.keep_resolution_stages:
            strides, kept = 1, kept + 1
        blocks.append(
            dataclasses.replace(block, strides=strides, output_filters=_scaled(block.output_filters, task.width))
        )
    return dataclasses.replace(
        spec,
        blocks=tuple(blocks),
        stem_filters=_scaled(spec.stem_filters, task.width),
        head_filters=_scaled(spec.head_filters, task.width),
    )


def train_and_evaluate(spec: ArchSpec, task: ProxyTask) -> ProxyResult:
    """Trains the proxy copy of `spec` with one `fit` call and measures held-out accuracy.

    Raises:
        ProxyDatasetError: If the dataset cannot be used.
        ProxyTrainingError: If the loss is not finite.
    """
    import keras  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    from edgenas.models import build_keras  # noqa: PLC0415

    data = load_dataset(task)
    start = time.perf_counter()
    keras.utils.set_random_seed(task.seed)
    model = build_keras(
        proxy_spec(spec, task),
        input_shape=(task.image_size, task.image_size, 3),
        num_classes=data.num_classes,
        bn_momentum=task.bn_momentum,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(task.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    build_s = time.perf_counter() - start
    batches = (
        tf.data.Dataset.from_tensor_slices((data.train_images, data.train_labels))
        .shuffle(len(data.train_labels), seed=task.seed)
        .repeat()
        .batch(task.batch_size, drop_remainder=True)
    )
    start = time.perf_counter()
    history = model.fit(batches, steps_per_epoch=task.steps, epochs=1, verbose=0)
    train_s = time.perf_counter() - start
    loss = float(history.history["loss"][-1])
    if not math.isfinite(loss):
        raise ProxyTrainingError(f"proxy training diverged: loss {loss}")
    logits = model.predict(data.validation_images, batch_size=256, verbose=0)
    accuracy = float(np.mean(np.argmax(logits, axis=1) == data.validation_labels))
    return ProxyResult(
        accuracy=accuracy,
        train_loss=loss,
        steps=task.steps,
        build_s=build_s,
        train_s=train_s,
        params=int(model.count_params()),
    )
