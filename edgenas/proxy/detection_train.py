"""Train a candidate's proxy detector briefly and report its AP at IoU 0.5.

`train_and_evaluate_detector` is what every detector family shares;
`train_and_evaluate_detection` is the SpineNet family's proxy on it.

The losses are RetinaNet's, with TF Model Garden's RetinaNet settings: a
sigmoid focal loss (alpha 0.25, gamma 1.5) over every anchor that is not
ignored, and a Huber loss (delta 0.1) on the box deltas of positive anchors,
weighted 50; both are normalised by the number of positive anchors in the
batch. Anchors are labelled once per dataset (`edgenas.proxy.box_coding`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from edgenas.proxy._training import check_rung_steps, fit_with_rungs, runs_eagerly, scaled_images
from edgenas.proxy.box_coding import assign_anchors_batch
from edgenas.proxy.detection_data import DetectionData, DetectionDataSpec, generate_detection_data
from edgenas.proxy.detection_metrics import mean_average_precision, postprocess
from edgenas.proxy.detection_reduce import detection_proxy_head, detection_proxy_spec
from edgenas.proxy.detection_task import DetectionProxyTask
from edgenas.proxy.errors import ProxyConfigError, ProxyTrainingError
from edgenas.specs.detection_head import DetectionHeadSpec
from edgenas.specs.spinenet_arch import SpineNetSpec
from edgenas.store.rung import Rung

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

__all__ = [
    "DetectionProxyResult",
    "detection_anchors",
    "detection_data_for",
    "level_anchors",
    "train_and_evaluate_detection",
    "train_and_evaluate_detector",
]

FOCAL_ALPHA = 0.25
FOCAL_GAMMA = 1.5
HUBER_DELTA = 0.1
BOX_LOSS_WEIGHT = 50.0
_LAST_STEPS_FRACTION = 0.1
_EVAL_BATCH = 32


@dataclasses.dataclass(frozen=True)
class DetectionProxyResult:
    """The outcome of one detection proxy training.

    Attributes:
        accuracy: COCO-style average precision at IoU 0.5 on the held-out images, in [0, 1]
            (named like the classification proxy's result so that the search reads both alike).
        per_class_ap: AP at IoU 0.5 of each class (None for a class with no held-out object).
        train_loss: Mean training loss (focal + weighted box loss) of the last tenth of the steps.
        initial_loss: Mean training loss of the first tenth of the steps (against `train_loss`: did it learn).
        steps: Training steps run.
        train_s: Wall time of the `fit` call (its one-off set-up included).
        build_s: Wall time to build and compile the proxy detector.
        eval_s: Wall time to run and score the held-out images.
        params: Parameters of the proxy detector (Keras count).
        num_validation: Held-out images.
        proxy_spec: The reduced network that was trained (a SpineNet backbone, a chain detector, ...).
        rungs: The AP@0.5 at each rung the training reached, the last included (empty without rungs).
        stopped_early: Whether the gate stopped the training at its last rung (`accuracy`, `per_class_ap`
            and `steps` are then that rung's).
    """

    accuracy: float
    per_class_ap: tuple[float | None, ...]
    train_loss: float
    initial_loss: float
    steps: int
    train_s: float
    build_s: float
    eval_s: float
    params: int
    num_validation: int
    proxy_spec: Any
    rungs: tuple[Rung, ...] = ()
    stopped_early: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.accuracy <= 1.0:
            raise ProxyTrainingError(f"AP must be in [0, 1], got {self.accuracy}")
        if not math.isfinite(self.train_loss):
            raise ProxyTrainingError(f"train_loss must be finite, got {self.train_loss}")


@functools.lru_cache(maxsize=2)
def _generated(spec: DetectionDataSpec) -> DetectionData:
    return generate_detection_data(spec)


def detection_data_for(task: DetectionProxyTask) -> DetectionData:
    """The task's generated dataset (cached per process: a worker trains several candidates on it)."""
    return _generated(
        DetectionDataSpec(
            image_size=task.image_size,
            num_classes=task.num_classes,
            max_objects=task.max_objects,
            min_box_px=task.min_box_px,
            max_box_px=task.max_box_px,
            num_train=task.num_train,
            num_val=task.num_val,
            seed=task.dataset_seed,
        )
    )


def detection_anchors(spec: SpineNetSpec, task: DetectionProxyTask) -> np.ndarray:
    """All anchors `(A, 4)` of a SpineNet proxy detector, in the head's output order (levels low to high)."""
    return level_anchors(range(spec.min_level, spec.max_level + 1), task)


def level_anchors(levels: Sequence[int], task: DetectionProxyTask) -> np.ndarray:
    """All anchors `(A, 4)` over consecutive `levels` at the task's image size, levels low to high."""
    from edgenas.models.anchors import generate_anchors  # noqa: PLC0415  (numpy only)

    per_level = generate_anchors(
        (task.image_size, task.image_size), min_level=min(levels), max_level=max(levels), anchor_size=task.anchor_size
    )
    return np.concatenate([per_level[level] for level in sorted(per_level)]).astype(np.float32)


def _losses() -> tuple[Any, Any]:
    import tensorflow as tf  # noqa: PLC0415

    def positives(valid: tf.Tensor) -> tf.Tensor:
        return tf.maximum(tf.reduce_sum(tf.cast(valid, tf.float32)), 1.0)

    def focal(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        """Per image: the focal loss summed over anchors and classes, normalised by the batch's positives."""
        targets = tf.reshape(tf.cast(y_true, tf.int32), tf.shape(y_pred)[:2])  # (B, A): class, -1 bg, -2 ignored
        num_classes = tf.shape(y_pred)[-1]
        onehot = tf.one_hot(tf.maximum(targets, 0), num_classes) * tf.cast(targets >= 0, tf.float32)[..., None]
        probs = tf.sigmoid(y_pred)
        ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=onehot, logits=y_pred)
        p_t = onehot * probs + (1 - onehot) * (1 - probs)
        alpha_t = onehot * FOCAL_ALPHA + (1 - onehot) * (1 - FOCAL_ALPHA)
        loss = alpha_t * tf.pow(1 - p_t, FOCAL_GAMMA) * ce
        loss *= tf.cast(targets >= -1, tf.float32)[..., None]  # ignored anchors count nowhere
        batch = tf.cast(tf.shape(y_pred)[0], tf.float32)
        return tf.reduce_sum(loss, axis=[1, 2]) * batch / positives(targets >= 0)

    def box(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        """Per image: the Huber loss of positive anchors' deltas, normalised by the batch's positives."""
        deltas, positive = y_true[..., :4], y_true[..., 4]
        error = tf.abs(deltas - y_pred)
        huber = tf.where(error <= HUBER_DELTA, 0.5 * error**2, HUBER_DELTA * (error - 0.5 * HUBER_DELTA))
        batch = tf.cast(tf.shape(y_pred)[0], tf.float32)
        per_image = tf.reduce_sum(tf.reduce_sum(huber, axis=-1) * positive, axis=1)
        return BOX_LOSS_WEIGHT * per_image * batch / positives(positive > 0)

    return focal, box


def _training_batches(
    images: np.ndarray, class_targets: np.ndarray, box_targets: np.ndarray, task: DetectionProxyTask
) -> tf.data.Dataset:
    import tensorflow as tf  # noqa: PLC0415

    from edgenas.models.spinenet_head import BOX_OUTPUT, CLASS_OUTPUT  # noqa: PLC0415

    def scale(x: tf.Tensor, y: dict[str, tf.Tensor]) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        return scaled_images(tf.cast(x, tf.float32)), y

    return (
        tf.data.Dataset.from_tensor_slices((images, {CLASS_OUTPUT: class_targets, BOX_OUTPUT: box_targets}))
        .shuffle(len(images), seed=task.seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(task.batch_size, drop_remainder=True)
        .map(scale)
        .prefetch(2)
    )


def train_and_evaluate_detection(
    spec: SpineNetSpec,
    task: DetectionProxyTask | None = None,
    *,
    head: DetectionHeadSpec | None = None,
    rung_steps: Sequence[int] = (),
    gate: Callable[[int, float], bool] | None = None,
) -> DetectionProxyResult:
    """Trains the proxy detector of a SpineNet `spec` on the generated detection data and scores AP@0.5.

    A pure function of `(spec, task)`; it keeps TensorFlow's memory in the calling
    process, so a search runs it in recycled worker processes.

    Args:
        spec: The candidate backbone.
        task: The detection proxy task (default: `DetectionProxyTask()`).
        head: The candidate's own head (a scaled detector's), reduced like the backbone; None: the task's head.
        rung_steps: Steps after which it is also scored (successive halving; see `train_and_evaluate_detector`).
        gate: Whether the training goes on after a rung (default: always).

    Returns:
        AP@0.5 (as `accuracy`), per-class AP, the final loss, timings and the proxy backbone.

    Raises:
        ProxyConfigError: If `spec` is not a SpineNet spec or cannot be reduced to the task.
        ProxyTrainingError: If the loss became NaN or infinite.
    """
    task = DetectionProxyTask() if task is None else task
    if not isinstance(task, DetectionProxyTask):
        raise ProxyConfigError(f"a SpineNet candidate needs a DetectionProxyTask, got {type(task).__name__}")
    reduced = detection_proxy_spec(spec, task)
    reduced.check_input_shape((task.image_size, task.image_size, 3))

    def build() -> keras.Model:
        from edgenas.models.spinenet import build_spinenet  # noqa: PLC0415

        return build_spinenet(
            reduced,
            input_shape=(task.image_size, task.image_size, 3),
            num_classes=task.num_classes,
            bn_momentum=task.bn_momentum,
            detection_head=detection_proxy_head(reduced, task, head=head),
        )

    return train_and_evaluate_detector(build, levels=range(reduced.min_level, reduced.max_level + 1), task=task,
                                       proxy_spec=reduced, rung_steps=rung_steps, gate=gate)  # fmt: skip


def train_and_evaluate_detector(
    build: Callable[[], keras.Model],
    *,
    levels: Sequence[int],
    task: DetectionProxyTask,
    proxy_spec: Any,
    rung_steps: Sequence[int] = (),
    gate: Callable[[int, float], bool] | None = None,
) -> DetectionProxyResult:
    """Trains a proxy detector on the task's generated data and scores AP@0.5 on its held-out images.

    What every detector family shares: the anchors of `levels` at the task's
    image size, RetinaNet's losses, one `fit` call, the evaluation. The family
    reduces its candidate and says how to build the reduced detector.

    Args:
        build: Builds the reduced detector (called once, after the task's seed is set): an
            image input of the task's size, outputs named `class_outputs` and `box_outputs`
            over the anchors of `levels`, low level first.
        levels: The detector's output levels.
        task: The detection proxy task.
        proxy_spec: The reduced network's spec, reported in the result.
        rung_steps: Steps after which AP@0.5 is also scored on the held-out images (successive halving):
            ascending, below `task.steps`. A training through every rung ends as one without them.
        gate: After each rung, whether the training goes on (default: always); where it says no, the
            training stops and the result is that rung's evaluation (`stopped_early`).

    Raises:
        ProxyConfigError: If `rung_steps` do not ascend below the task's steps.
        ProxyTrainingError: If the loss became NaN or infinite.
    """
    import keras  # noqa: PLC0415

    from edgenas.models.spinenet_head import BOX_OUTPUT, CLASS_OUTPUT  # noqa: PLC0415

    rung_steps = check_rung_steps(rung_steps, task.steps)
    data = detection_data_for(task)
    anchors = level_anchors(levels, task)
    labels = assign_anchors_batch(anchors, data.train.boxes, data.train.classes)
    positive = (labels.class_targets >= 0).astype(np.float32)[..., None]
    box_targets = np.concatenate([labels.box_targets, positive], axis=-1)

    start = time.perf_counter()
    keras.utils.set_random_seed(task.seed)
    model = build()
    focal, box = _losses()
    schedule = keras.optimizers.schedules.CosineDecay(task.learning_rate, decay_steps=task.steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule, clipnorm=10.0),
                  loss={CLASS_OUTPUT: focal, BOX_OUTPUT: box}, run_eagerly=runs_eagerly(task.steps))  # fmt: skip
    build_s = time.perf_counter() - start

    evaluated: list[Any] = []  # the latest evaluation's scores (a stopped training's are its last rung's)

    def score() -> float:
        outputs = model.predict(scaled_images(data.val.images.astype(np.float32)), batch_size=_EVAL_BATCH, verbose=0)
        detections = [
            postprocess(logits, deltas, anchors, image_size_px=task.image_size)
            for logits, deltas in zip(outputs[CLASS_OUTPUT], outputs[BOX_OUTPUT], strict=True)
        ]
        evaluated[:] = [mean_average_precision(detections, data.val.boxes, data.val.classes,
                                               num_classes=task.num_classes)]  # fmt: skip
        return float(evaluated[0].mean_ap)

    batches = _training_batches(data.train.images, labels.class_targets, box_targets, task)
    fitted = fit_with_rungs(model, batches, steps=task.steps, score=score, rung_steps=rung_steps, gate=gate)
    step_losses = fitted.step_losses
    tenth = max(1, round(_LAST_STEPS_FRACTION * fitted.steps))
    train_loss = float(np.mean(step_losses[-tenth:])) if step_losses else math.nan
    if len(step_losses) < fitted.steps or not math.isfinite(train_loss):
        raise ProxyTrainingError(
            f"detection proxy training of {proxy_spec} diverged: loss {train_loss} after "
            f"{len(step_losses)} of {task.steps} steps"
        )

    start = time.perf_counter()
    accuracy = fitted.rungs[-1].score if fitted.stopped_early else score()
    scores = evaluated[0]
    eval_s = time.perf_counter() - start + fitted.rung_eval_s
    return DetectionProxyResult(
        accuracy=accuracy,
        per_class_ap=tuple(None if ap is None else float(ap) for ap in scores.per_class),
        train_loss=train_loss,
        initial_loss=float(np.mean(step_losses[:tenth])),
        steps=fitted.steps,
        train_s=fitted.train_s,
        build_s=build_s,
        eval_s=eval_s,
        params=int(model.count_params()),
        num_validation=data.val.num_images,
        proxy_spec=proxy_spec,
        rungs=fitted.all_rungs(accuracy),
        stopped_early=fitted.stopped_early,
    )
