"""Train a segmenter candidate's proxy briefly and report its mean IoU on held-out images.

Resolution: the network's logits are at stride 8 (its exported output), and the
loss and the score are taken there. Each mask is sampled to that grid by
nearest neighbour at the centre of every 8x8 cell (`masks_at_stride`): the
label of the pixel at (8 i + 4, 8 j + 4) is cell (i, j)'s label, ignore label
255 included. Up-sampling the logits to the full mask instead would score an
interpolation that is not part of the network (bilinear up-sampling then argmax
does not even reproduce a mask of whole 8x8 cells exactly), and would cost 64x
the loss's pixels; the task's objects (16-64 px by default) span 2-8 cells.

The loss is the softmax cross-entropy of the `num_classes + 1` logits against
the sampled labels, summed over the batch's counted pixels (label 255 counts
nowhere) and divided by their number. Optimiser: Adam with cosine decay over the
steps (gradients clipped to norm 10), one `fit` call. The score is
`segmentation_metrics.mean_iou` of the argmax predictions against the sampled
validation labels (`score_segmentation`): one confusion matrix over every
counted pixel of the split.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from edgenas.augment.example import IGNORE_LABEL
from edgenas.errors import SpecError
from edgenas.proxy._training import check_rung_steps, fit_with_rungs, runs_eagerly, scaled_images
from edgenas.proxy.errors import ProxyConfigError, ProxyTrainingError
from edgenas.proxy.segmentation_data import SegmentationData, SegmentationDataSpec, generate_segmentation_data
from edgenas.proxy.segmentation_metrics import MeanIoU, mean_iou
from edgenas.proxy.segmentation_reduce import segmentation_proxy_spec
from edgenas.proxy.segmentation_task import SegmentationProxyTask
from edgenas.specs.segmentation_head import SEGMENTATION_OUTPUT_LEVEL
from edgenas.store.rung import Rung

if TYPE_CHECKING:
    import tensorflow as tf

__all__ = [
    "OUTPUT_STRIDE",
    "SegmentationProxyResult",
    "masks_at_stride",
    "score_segmentation",
    "segmentation_data_for",
    "train_and_evaluate_segmentation",
]

OUTPUT_STRIDE = 2**SEGMENTATION_OUTPUT_LEVEL
"""The logits' stride (8): the loss and the score are taken on that grid."""

_LAST_STEPS_FRACTION = 0.1
_EVAL_BATCH = 32


@dataclasses.dataclass(frozen=True)
class SegmentationProxyResult:
    """The outcome of one segmentation proxy training.

    Attributes:
        accuracy: Mean IoU on the held-out images, in [0, 1] (named like the other proxies' results so that
            the search reads them alike; `metric_name` says what it is).
        per_class_iou: IoU of each label, background first (NaN for a label absent from both the held-out
            labels and the predictions).
        pixel_accuracy: Fraction of the counted held-out pixels predicted right.
        train_loss: Mean training loss of the last tenth of the steps.
        initial_loss: Mean training loss of the first tenth of the steps (against `train_loss`: did it learn).
        steps: Training steps run.
        train_s: Wall time of the `fit` call (its one-off set-up included).
        build_s: Wall time to build and compile the proxy segmenter.
        eval_s: Wall time to run and score the held-out images.
        params: Parameters of the proxy segmenter (Keras count).
        num_validation: Held-out images.
        proxy_spec: The reduced segmenter that was trained.
        rungs: The mIoU at each rung the training reached, the last included (empty without rungs).
        stopped_early: Whether the gate stopped the training at its last rung (`accuracy`, the per-class
            IoU, the pixel accuracy and `steps` are then that rung's).
    """

    metric_name: ClassVar[str] = "mIoU"

    accuracy: float
    per_class_iou: tuple[float, ...]
    pixel_accuracy: float
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
            raise ProxyTrainingError(f"mIoU must be in [0, 1], got {self.accuracy}")
        if not math.isfinite(self.train_loss):
            raise ProxyTrainingError(f"train_loss must be finite, got {self.train_loss}")


@functools.lru_cache(maxsize=2)
def _generated(spec: SegmentationDataSpec) -> SegmentationData:
    return generate_segmentation_data(spec)


def segmentation_data_for(task: SegmentationProxyTask) -> SegmentationData:
    """The task's generated dataset (cached per process: a worker trains several candidates on it)."""
    return _generated(task.data_spec())


def masks_at_stride(masks: np.ndarray, stride: int = OUTPUT_STRIDE) -> np.ndarray:
    """Label maps `(N, H, W)` sampled at the centre of every `stride` x `stride` cell: `(N, H / s, W / s)`.

    Raises:
        ValueError: If the masks are not `(N, H, W)` with sides that are multiples of `stride`.
    """
    masks = np.asarray(masks)
    if masks.ndim != 3 or masks.shape[1] % stride or masks.shape[2] % stride:
        raise ValueError(f"masks must be (n, height, width) with sides that are multiples of {stride}, "
                         f"got shape {masks.shape}")  # fmt: skip
    return np.ascontiguousarray(masks[:, stride // 2 :: stride, stride // 2 :: stride])


def score_segmentation(logits: np.ndarray, labels: np.ndarray, *, num_labels: int) -> MeanIoU:
    """The mean IoU of argmax predictions: `logits` `(N, h, w, num_labels)` against `labels` `(N, h, w)`.

    Labels of `IGNORE_LABEL` (255) are not counted.

    Raises:
        ValueError: If the shapes disagree, or no pixel is counted.
    """
    logits = np.asarray(logits)
    if logits.ndim != 4 or logits.shape[-1] != num_labels or logits.shape[:3] != np.shape(labels):
        raise ValueError(f"logits {logits.shape} do not match labels {np.shape(labels)} with {num_labels} labels")
    return mean_iou(labels, np.argmax(logits, axis=-1), num_classes=num_labels, ignore_label=IGNORE_LABEL)


def _loss() -> Any:
    import tensorflow as tf  # noqa: PLC0415

    def masked_cross_entropy(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        """Per image: cross-entropy summed over its counted pixels, divided by the batch's counted pixels."""
        labels = tf.reshape(tf.cast(y_true, tf.int32), tf.shape(y_pred)[:3])
        counted = tf.cast(labels != IGNORE_LABEL, tf.float32)
        safe = tf.where(labels == IGNORE_LABEL, 0, labels)
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=safe, logits=y_pred) * counted
        batch = tf.cast(tf.shape(y_pred)[0], tf.float32)
        return tf.reduce_sum(ce, axis=[1, 2]) * batch / tf.maximum(tf.reduce_sum(counted), 1.0)

    return masked_cross_entropy


def _training_batches(images: np.ndarray, labels: np.ndarray, task: SegmentationProxyTask) -> tf.data.Dataset:
    import tensorflow as tf  # noqa: PLC0415

    from edgenas.families.segmenter import SEGMENTATION_LOGITS  # noqa: PLC0415

    def scale(x: tf.Tensor, y: dict[str, tf.Tensor]) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        return scaled_images(tf.cast(x, tf.float32)), y

    return (
        tf.data.Dataset.from_tensor_slices((images, {SEGMENTATION_LOGITS: labels}))
        .shuffle(len(images), seed=task.seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(task.batch_size, drop_remainder=True)
        .map(scale)
        .prefetch(2)
    )


def train_and_evaluate_segmentation(
    spec: Any,
    task: SegmentationProxyTask | None = None,
    *,
    rung_steps: Sequence[int] = (),
    gate: Callable[[int, float], bool] | None = None,
) -> SegmentationProxyResult:
    """Trains the proxy of a segmenter `spec` on the generated segmentation data and scores its mIoU.

    A pure function of `(spec, task)`; it keeps TensorFlow's memory in the calling
    process, so a search runs it in recycled worker processes.

    Args:
        spec: The candidate (a `ChainSegmenterSpec` or a `SpineNetSegmenterSpec`).
        task: The segmentation proxy task (default: `SegmentationProxyTask()`).
        rung_steps: Steps after which the mIoU is also scored on the held-out images (successive halving):
            ascending, below `task.steps`. A training through every rung ends as one without them.
        gate: After each rung, whether the training goes on (default: always); where it says no, the
            training stops and the result is that rung's evaluation (`stopped_early`).

    Returns:
        The mIoU (as `accuracy`), per-label IoU, pixel accuracy, the losses, timings and the proxy spec.

    Raises:
        ProxyConfigError: If `task` is not a `SegmentationProxyTask`, `spec` cannot be reduced to it, or the
            task's images do not fit the reduced network.
        ProxyTrainingError: If the loss became NaN or infinite.
    """
    import keras  # noqa: PLC0415

    from edgenas.families.segmenter import SEGMENTATION_LOGITS  # noqa: PLC0415
    from edgenas.models.segmenter import build_segmenter  # noqa: PLC0415

    task = SegmentationProxyTask() if task is None else task
    if not isinstance(task, SegmentationProxyTask):
        raise ProxyConfigError(f"a segmenter candidate needs a SegmentationProxyTask, got {type(task).__name__}")
    rung_steps = check_rung_steps(rung_steps, task.steps)
    reduced = segmentation_proxy_spec(spec, task)
    shape = (task.image_size, task.image_size, 3)
    try:
        reduced.check_input_shape(shape)
    except SpecError as error:
        raise ProxyConfigError(f"the segmentation proxy's {task.image_size} px images do not fit: {error}") from None
    data = segmentation_data_for(task)
    train_labels = masks_at_stride(data.train.masks)
    val_labels = masks_at_stride(data.val.masks)

    start = time.perf_counter()
    keras.utils.set_random_seed(task.seed)
    model = build_segmenter(reduced, input_shape=shape, num_classes=task.num_classes, bn_momentum=task.bn_momentum)
    schedule = keras.optimizers.schedules.CosineDecay(task.learning_rate, decay_steps=task.steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule, clipnorm=10.0), loss={SEGMENTATION_LOGITS: _loss()},
                  run_eagerly=runs_eagerly(task.steps))  # fmt: skip
    build_s = time.perf_counter() - start

    evaluated: list[Any] = []  # the latest evaluation's scores (a stopped training's are its last rung's)

    def score() -> float:
        outputs = model.predict(scaled_images(data.val.images.astype(np.float32)), batch_size=_EVAL_BATCH, verbose=0)
        evaluated[:] = [score_segmentation(outputs[SEGMENTATION_LOGITS], val_labels, num_labels=data.spec.num_labels)]
        return float(evaluated[0].mean_iou)

    batches = _training_batches(data.train.images, train_labels, task)
    fitted = fit_with_rungs(model, batches, steps=task.steps, score=score, rung_steps=rung_steps, gate=gate)
    step_losses = fitted.step_losses
    tenth = max(1, round(_LAST_STEPS_FRACTION * fitted.steps))
    train_loss = float(np.mean(step_losses[-tenth:])) if step_losses else math.nan
    if len(step_losses) < fitted.steps or not math.isfinite(train_loss):
        raise ProxyTrainingError(
            f"segmentation proxy training of {reduced} diverged: loss {train_loss} after "
            f"{len(step_losses)} of {task.steps} steps"
        )

    start = time.perf_counter()
    accuracy = fitted.rungs[-1].score if fitted.stopped_early else score()
    scores = evaluated[0]
    eval_s = time.perf_counter() - start + fitted.rung_eval_s
    return SegmentationProxyResult(
        accuracy=accuracy,
        per_class_iou=tuple(float(v) for v in scores.per_class_iou),
        pixel_accuracy=float(scores.pixel_accuracy),
        train_loss=train_loss,
        initial_loss=float(np.mean(step_losses[:tenth])),
        steps=fitted.steps,
        train_s=fitted.train_s,
        build_s=build_s,
        eval_s=eval_s,
        params=int(model.count_params()),
        num_validation=data.val.num_images,
        proxy_spec=reduced,
        rungs=fitted.all_rungs(accuracy),
        stopped_early=fitted.stopped_early,
    )
