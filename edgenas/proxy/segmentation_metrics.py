"""Semantic-segmentation scores (numpy only): the confusion matrix, per-class IoU, mean IoU, pixel accuracy.

    confusion = sum(confusion_matrix(masks[i], predictions[i], num_classes=spec.num_labels) for i in batches)
    result = iou_from_confusion(confusion)          # or mean_iou(masks, predictions, num_classes=...)
    result.mean_iou, result.per_class_iou, result.pixel_accuracy

A dataset's score is the score of its summed confusion matrix (every pixel
counts once), not a mean of per-image or per-batch scores.

Conventions:

- `num_classes` counts every label value a prediction may take, background
  included: labels and predictions are `0..num_classes - 1`
  (`SegmentationDataSpec.num_labels` for the generated masks).
- Pixels whose label is `ignore_label` (255, `IGNORE_LABEL`, by default) are not
  counted, whatever is predicted there.
- The IoU of class `c` is `TP / (TP + FP + FN)` over the counted pixels. A class
  absent from both the labels and the predictions of the counted pixels has no
  IoU (NaN in `per_class_iou`) and is left out of the mean: mean IoU is the mean
  over the classes present in the ground truth or in the prediction. A class
  that is only predicted, or only in the ground truth, counts with IoU 0.
- Pixel accuracy is the fraction of counted pixels predicted right.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from edgenas.augment.example import IGNORE_LABEL

__all__ = ["MeanIoU", "confusion_matrix", "iou_from_confusion", "mean_iou"]


@dataclasses.dataclass(frozen=True)
class MeanIoU:
    """The scores of one confusion matrix (see the module docstring for the conventions).

    Attributes:
        mean_iou: Mean of `per_class_iou` over the present classes, in [0, 1].
        per_class_iou: One IoU per class id; NaN for a class absent from both labels and predictions.
        pixel_accuracy: Fraction of the counted pixels predicted right, in [0, 1].
        num_pixels: Counted pixels (those not ignored).
    """

    mean_iou: float
    per_class_iou: tuple[float, ...]
    pixel_accuracy: float
    num_pixels: int

    @property
    def present_classes(self) -> tuple[int, ...]:
        """The class ids that count in the mean (in the labels or the predictions)."""
        return tuple(c for c, iou in enumerate(self.per_class_iou) if not math.isnan(iou))


def _check_num_classes(num_classes: Any) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    return int(num_classes)


def _check_ignore_label(ignore_label: Any, num_classes: int) -> int | None:
    if ignore_label is None:
        return None
    if isinstance(ignore_label, bool) or not isinstance(ignore_label, int | np.integer):
        raise ValueError(f"ignore_label must be an integer or None, got {ignore_label!r}")
    if 0 <= ignore_label < num_classes:
        raise ValueError(f"ignore_label {ignore_label} is a class id (num_classes={num_classes}); pick a value outside")
    return int(ignore_label)


def _as_integer_array(name: str, values: Any) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind not in "iu":
        raise ValueError(f"{name} must be an integer array, got dtype {array.dtype}")
    return array


def confusion_matrix(
    labels: ArrayLike, predictions: ArrayLike, *, num_classes: int, ignore_label: int | None = IGNORE_LABEL
) -> np.ndarray:
    """Counts pixels by (true class, predicted class).

    Args:
        labels: Integer array of ground-truth class ids `0..num_classes - 1`, or
            `ignore_label`; any shape (`(H, W)`, `(N, H, W)`, ...).
        predictions: Integer array of predicted class ids `0..num_classes - 1`,
            the shape of `labels` (every value is checked, ignored pixels' too).
        num_classes: Number of class ids, background included.
        ignore_label: Label of pixels that are not counted; None counts every pixel.

    Returns:
        int64 `(num_classes, num_classes)`: entry `[t, p]` counts the counted pixels
        of class `t` predicted as `p` (rows: ground truth, columns: prediction).

    Raises:
        ValueError: If an argument has the wrong type or shape, `ignore_label` is a
            class id, a prediction is outside `0..num_classes - 1`, or a label is
            outside it and not `ignore_label`.
    """
    num_classes = _check_num_classes(num_classes)
    ignore = _check_ignore_label(ignore_label, num_classes)
    truth = _as_integer_array("labels", labels)
    predicted = _as_integer_array("predictions", predictions)
    if truth.shape != predicted.shape:
        raise ValueError(f"labels and predictions must have the same shape, got {truth.shape} and {predicted.shape}")
    truth, predicted = truth.ravel(), predicted.ravel()
    if predicted.size and (predicted.min() < 0 or predicted.max() >= num_classes):
        bad = predicted[(predicted < 0) | (predicted >= num_classes)][0]
        raise ValueError(f"predictions must lie in 0..{num_classes - 1}, got {bad}")
    info = np.iinfo(truth.dtype)
    if ignore is not None and info.min <= ignore <= info.max:
        counted = truth != ignore
        if not counted.all():
            truth, predicted = truth[counted], predicted[counted]
    if truth.size and (truth.min() < 0 or truth.max() >= num_classes):
        bad = truth[(truth < 0) | (truth >= num_classes)][0]
        also = "" if ignore is None else f" or be the ignore label {ignore}"
        raise ValueError(f"labels must lie in 0..{num_classes - 1}{also}, got {bad}")
    cells = truth.astype(np.intp) * num_classes + predicted.astype(np.intp)
    return np.bincount(cells, minlength=num_classes * num_classes).astype(np.int64).reshape(num_classes, num_classes)


def iou_from_confusion(confusion: ArrayLike) -> MeanIoU:
    """Scores a confusion matrix (one from `confusion_matrix`, or a sum of them).

    Args:
        confusion: Non-negative integer `(C, C)` counts, rows ground truth, columns prediction.

    Returns:
        The `MeanIoU`.

    Raises:
        ValueError: If `confusion` is not a square matrix of non-negative integers, or counts no pixel
            (then no score is defined: every label was ignored, or there were no pixels).
    """
    matrix = np.asarray(confusion)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 1 or matrix.dtype.kind not in "iu":
        raise ValueError(f"confusion must be a square integer matrix, got {matrix.dtype} {matrix.shape}")
    if (matrix < 0).any():
        raise ValueError("confusion must not hold negative counts")
    matrix = matrix.astype(np.int64)
    total = int(matrix.sum())
    if total == 0:
        raise ValueError("the confusion matrix counts no pixel (all ignored?), so mean IoU is undefined")
    hits = np.diag(matrix).astype(np.float64)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - hits
    present = union > 0
    per_class = np.full(matrix.shape[0], np.nan)
    per_class[present] = hits[present] / union[present]
    return MeanIoU(
        mean_iou=float(per_class[present].mean()),
        per_class_iou=tuple(float(v) for v in per_class),
        pixel_accuracy=float(hits.sum() / total),
        num_pixels=total,
    )


def mean_iou(
    labels: ArrayLike, predictions: ArrayLike, *, num_classes: int, ignore_label: int | None = IGNORE_LABEL
) -> MeanIoU:
    """Scores predictions against labels: `iou_from_confusion(confusion_matrix(...))`.

    Args:
        labels: Integer ground-truth class ids (or `ignore_label`), any shape.
        predictions: Integer predicted class ids, the shape of `labels`.
        num_classes: Number of class ids, background included.
        ignore_label: Label of pixels that are not counted; None counts every pixel.

    Returns:
        The `MeanIoU` (see the module docstring for the conventions).

    Raises:
        ValueError: As `confusion_matrix` does, or if no pixel is counted.
    """
    return iou_from_confusion(confusion_matrix(labels, predictions, num_classes=num_classes, ignore_label=ignore_label))
