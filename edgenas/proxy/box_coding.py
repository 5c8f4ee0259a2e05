"""Box geometry, RetinaNet anchor labelling and the Faster R-CNN box coder (numpy only).

RetinaNet: Lin et al., "Focal Loss for Dense Object Detection", https://arxiv.org/abs/1708.02002.
Box parametrisation: Ren et al., "Faster R-CNN", https://arxiv.org/abs/1506.01497 (eq. 2).

Every box is a row `(ymin, xmin, ymax, xmax)` in pixels (any unit works as long as
anchors and boxes share it). Labelling follows the RetinaNet paper and TF Model
Garden's anchor labeler: each anchor takes the ground-truth box it overlaps most;
an IoU of at least `positive_iou` makes it a positive of that box's class, below
`negative_iou` background, in between ignored; then each ground-truth box's best
anchor is forced positive so that no object goes unlearnt.

    labels = assign_anchors(anchors, gt_boxes, gt_classes)
    labels.class_targets      # (A,) int32: class id, BACKGROUND_CLASS (-1) or IGNORED_CLASS (-2)
    labels.box_targets        # (A, 4) float32 (ty, tx, th, tw), zero where not positive
    decode_boxes(anchors, labels.box_targets)[labels.positive_mask]  # the matched gt boxes
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "BACKGROUND_CLASS",
    "DEFAULT_MAX_LOG_SCALE",
    "IGNORED_CLASS",
    "AnchorLabels",
    "AnchorLabelsBatch",
    "ScaleFactors",
    "assign_anchors",
    "assign_anchors_batch",
    "decode_boxes",
    "encode_boxes",
    "iou_matrix",
]

BACKGROUND_CLASS = -1
"""Class target of an anchor that overlaps no object enough: a negative."""

IGNORED_CLASS = -2
"""Class target of an anchor between the two IoU thresholds: it adds no loss."""

DEFAULT_MAX_LOG_SCALE = math.log(1000.0 / 16.0)
"""Largest `th`/`tw` (after undoing the scale factors) that `decode_boxes` exponentiates.

The same bound as Model Garden's `BBOX_XFORM_CLIP`: a box at most 62.5 times its
anchor's height or width, so an untrained head cannot overflow `exp`.
"""

ScaleFactors = tuple[float, float, float, float]
"""Multipliers of `(ty, tx, th, tw)`."""

_UNIT_SCALES: ScaleFactors = (1.0, 1.0, 1.0, 1.0)


def _as_boxes(name: str, boxes: np.ndarray, *, positive_size: bool = False) -> np.ndarray:
    """Validates an `(n, 4)` array of `(ymin, xmin, ymax, xmax)` rows; returns it as float64."""
    array = np.asarray(boxes)
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"{name} must have shape (n, 4) (ymin, xmin, ymax, xmax), got {array.shape}")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"{name} must be a numeric array, got dtype {array.dtype}")
    array = array.astype(np.float64, copy=False)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite")
    heights = array[:, 2] - array[:, 0]
    widths = array[:, 3] - array[:, 1]
    if positive_size:
        bad = np.flatnonzero((heights <= 0) | (widths <= 0))
        if bad.size:
            raise ValueError(f"{name} must have positive height and width; row {bad[0]} is {array[bad[0]].tolist()}")
    else:
        bad = np.flatnonzero((heights < 0) | (widths < 0))
        if bad.size:
            raise ValueError(
                f"{name} must have ymax >= ymin and xmax >= xmin; row {bad[0]} is {array[bad[0]].tolist()}"
            )
    return array


def _check_scale_factors(scale_factors: Sequence[float]) -> np.ndarray:
    scales = np.asarray(scale_factors, dtype=np.float64)
    if scales.shape != (4,) or not np.isfinite(scales).all() or (scales <= 0).any():
        raise ValueError(f"scale_factors must be 4 positive numbers (y, x, h, w), got {scale_factors!r}")
    return scales


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of validated float64 boxes `(n, 4)` x `(m, 4)`; 0 where the union is empty."""
    inter_h = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    inter_w = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    intersection = np.maximum(inter_h, 0.0) * np.maximum(inter_w, 0.0)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)


def iou_matrix(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Intersection over union of every pair of boxes.

    Args:
        boxes_a: `(n, 4)` boxes `(ymin, xmin, ymax, xmax)`.
        boxes_b: `(m, 4)` boxes, same layout and unit.

    Returns:
        float64 `(n, m)`: entry `[i, j]` is the IoU of `boxes_a[i]` and `boxes_b[j]`;
        0 for a pair whose union has no area (two empty boxes).

    Raises:
        ValueError: If an input is not `(k, 4)`, not finite, or has a box with
            `ymax < ymin` or `xmax < xmin`.
    """
    return _iou(_as_boxes("boxes_a", boxes_a), _as_boxes("boxes_b", boxes_b))


def _encode(anchors: np.ndarray, boxes: np.ndarray, scales: np.ndarray) -> np.ndarray:
    anchor_h = anchors[:, 2] - anchors[:, 0]
    anchor_w = anchors[:, 3] - anchors[:, 1]
    anchor_cy = anchors[:, 0] + 0.5 * anchor_h
    anchor_cx = anchors[:, 1] + 0.5 * anchor_w
    box_h = boxes[:, 2] - boxes[:, 0]
    box_w = boxes[:, 3] - boxes[:, 1]
    box_cy = boxes[:, 0] + 0.5 * box_h
    box_cx = boxes[:, 1] + 0.5 * box_w
    deltas = np.stack(
        [
            (box_cy - anchor_cy) / anchor_h,
            (box_cx - anchor_cx) / anchor_w,
            np.log(box_h / anchor_h),
            np.log(box_w / anchor_w),
        ],
        axis=1,
    )
    return (deltas * scales).astype(np.float32)


def encode_boxes(
    anchors: np.ndarray, boxes: np.ndarray, *, scale_factors: ScaleFactors = _UNIT_SCALES
) -> np.ndarray:
    """Encodes boxes relative to anchors with the Faster R-CNN box coder.

    For an anchor with centre `(ya, xa)` and size `(ha, wa)` and a box with centre
    `(y, x)` and size `(h, w)`: `ty = sy (y - ya) / ha`, `tx = sx (x - xa) / wa`,
    `th = sh log(h / ha)`, `tw = sw log(w / wa)`, where `(sy, sx, sh, sw)` are the
    scale factors.

    TF Model Garden's RetinaNet (`official/vision`) builds its coder without scale
    factors, i.e. `(1, 1, 1, 1)`, our default; the TF Object Detection API's
    Faster R-CNN and SSD configs use `(10, 10, 5, 5)`. The model's box head and
    `decode_boxes` must use the same factors as the labels it was trained on.

    Args:
        anchors: `(n, 4)` anchor boxes with positive height and width.
        boxes: `(n, 4)` boxes to encode, one per anchor, with positive height and width.
        scale_factors: `(sy, sx, sh, sw)`, all positive.

    Returns:
        float32 `(n, 4)` deltas `(ty, tx, th, tw)`.

    Raises:
        ValueError: If the shapes differ, a box is empty or inverted, or a scale
            factor is not positive.
    """
    anchors_f = _as_boxes("anchors", anchors, positive_size=True)
    boxes_f = _as_boxes("boxes", boxes, positive_size=True)
    if anchors_f.shape != boxes_f.shape:
        raise ValueError(f"anchors and boxes must have the same shape, got {anchors_f.shape} and {boxes_f.shape}")
    return _encode(anchors_f, boxes_f, _check_scale_factors(scale_factors))


def decode_boxes(
    anchors: np.ndarray,
    deltas: np.ndarray,
    *,
    scale_factors: ScaleFactors = _UNIT_SCALES,
    max_log_scale: float | None = DEFAULT_MAX_LOG_SCALE,
) -> np.ndarray:
    """Decodes `(ty, tx, th, tw)` deltas into boxes: the inverse of `encode_boxes`.

    Args:
        anchors: `(n, 4)` anchor boxes with positive height and width.
        deltas: `(n, 4)` deltas, e.g. a box head's output or `AnchorLabels.box_targets`.
        scale_factors: The factors the deltas were encoded with.
        max_log_scale: `th` and `tw` (after dividing by their scale factors) are
            clipped to at most this before `exp`, so a wild prediction cannot
            overflow; `None` disables the clip. `decode_boxes(a, encode_boxes(a, b))`
            returns `b` (to float32 rounding) whenever `b` is at most
            `exp(max_log_scale)` times its anchor's height and width.

    Returns:
        float32 `(n, 4)` boxes `(ymin, xmin, ymax, xmax)`.

    Raises:
        ValueError: If the shapes differ, an anchor is empty or inverted, a delta
            is not finite, or a scale factor is not positive.
    """
    anchors_f = _as_boxes("anchors", anchors, positive_size=True)
    deltas_f = np.asarray(deltas)
    if deltas_f.shape != anchors_f.shape:
        raise ValueError(f"deltas must have the anchors' shape {anchors_f.shape}, got {deltas_f.shape}")
    deltas_f = deltas_f.astype(np.float64, copy=False)
    if not np.isfinite(deltas_f).all():
        raise ValueError("deltas must be finite")
    deltas_f = deltas_f / _check_scale_factors(scale_factors)
    if max_log_scale is not None:
        deltas_f[:, 2:] = np.minimum(deltas_f[:, 2:], max_log_scale)
    anchor_h = anchors_f[:, 2] - anchors_f[:, 0]
    anchor_w = anchors_f[:, 3] - anchors_f[:, 1]
    centre_y = anchors_f[:, 0] + 0.5 * anchor_h + deltas_f[:, 0] * anchor_h
    centre_x = anchors_f[:, 1] + 0.5 * anchor_w + deltas_f[:, 1] * anchor_w
    half_h = 0.5 * anchor_h * np.exp(deltas_f[:, 2])
    half_w = 0.5 * anchor_w * np.exp(deltas_f[:, 3])
    return np.stack(
        [centre_y - half_h, centre_x - half_w, centre_y + half_h, centre_x + half_w], axis=1
    ).astype(np.float32)


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


@dataclasses.dataclass(frozen=True, eq=False)
class AnchorLabels:
    """Training targets of every anchor of one image.

    Attributes:
        class_targets: int32 `(A,)`: the class id of a positive anchor,
            `BACKGROUND_CLASS` (-1) or `IGNORED_CLASS` (-2).
        box_targets: float32 `(A, 4)`: `(ty, tx, th, tw)` of the matched
            ground-truth box for positive anchors, 0 elsewhere.
        matched_gt: int32 `(A,)`: index of the matched ground-truth box for
            positive anchors, -1 elsewhere.
    """

    class_targets: np.ndarray
    box_targets: np.ndarray
    matched_gt: np.ndarray

    def __post_init__(self) -> None:
        for name in ("class_targets", "box_targets", "matched_gt"):
            object.__setattr__(self, name, _read_only(getattr(self, name)))

    @property
    def positive_mask(self) -> np.ndarray:
        """bool `(A,)`: anchors that learn a class and a box."""
        return self.class_targets >= 0

    @property
    def negative_mask(self) -> np.ndarray:
        """bool `(A,)`: background anchors."""
        return self.class_targets == BACKGROUND_CLASS

    @property
    def ignored_mask(self) -> np.ndarray:
        """bool `(A,)`: anchors that add no loss."""
        return self.class_targets == IGNORED_CLASS

    @property
    def num_positive(self) -> int:
        """Number of positive anchors (RetinaNet normalises its losses by it)."""
        return int(np.count_nonzero(self.class_targets >= 0))


@dataclasses.dataclass(frozen=True, eq=False)
class AnchorLabelsBatch:
    """`AnchorLabels` of several images stacked along a leading axis.

    Attributes:
        class_targets: int32 `(N, A)`.
        box_targets: float32 `(N, A, 4)`.
        matched_gt: int32 `(N, A)`.
    """

    class_targets: np.ndarray
    box_targets: np.ndarray
    matched_gt: np.ndarray

    def __post_init__(self) -> None:
        for name in ("class_targets", "box_targets", "matched_gt"):
            object.__setattr__(self, name, _read_only(getattr(self, name)))

    @property
    def num_images(self) -> int:
        """Number of images `N`."""
        return int(self.class_targets.shape[0])

    def __getitem__(self, index: int) -> AnchorLabels:
        """The labels of image `index`."""
        return AnchorLabels(
            class_targets=self.class_targets[index],
            box_targets=self.box_targets[index],
            matched_gt=self.matched_gt[index],
        )


def _check_thresholds(positive_iou: float, negative_iou: float) -> None:
    if not 0.0 < positive_iou <= 1.0:
        raise ValueError(f"positive_iou must lie in (0, 1], got {positive_iou!r}")
    if not 0.0 <= negative_iou <= positive_iou:
        raise ValueError(f"negative_iou must lie in [0, positive_iou={positive_iou}], got {negative_iou!r}")


def _as_classes(name: str, classes: np.ndarray, count: int) -> np.ndarray:
    array = np.asarray(classes)
    if array.shape != (count,):
        raise ValueError(f"{name} must have shape ({count},) (one per box), got {array.shape}")
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be integers, got dtype {array.dtype}")
    if count and array.min() < 0:
        raise ValueError(f"{name} must be >= 0, got {int(array.min())}")
    return array.astype(np.int32, copy=False)


def _assign(
    anchors: np.ndarray,
    gt_boxes: np.ndarray,
    gt_classes: np.ndarray,
    positive_iou: float,
    negative_iou: float,
    scales: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels validated float64 anchors; returns `(class_targets, box_targets, matched_gt)`."""
    num_anchors = anchors.shape[0]
    class_targets = np.full(num_anchors, BACKGROUND_CLASS, dtype=np.int32)
    box_targets = np.zeros((num_anchors, 4), dtype=np.float32)
    matched_gt = np.full(num_anchors, -1, dtype=np.int32)
    num_gt = gt_boxes.shape[0]
    if num_gt == 0 or num_anchors == 0:
        return class_targets, box_targets, matched_gt
    iou = _iou(anchors, gt_boxes)  # (A, K)
    best_gt = iou.argmax(axis=1)  # ties: the lowest gt index
    best_iou = iou[np.arange(num_anchors), best_gt]
    positive = best_iou >= positive_iou
    class_targets[best_iou >= negative_iou] = IGNORED_CLASS
    matched_gt[positive] = best_gt[positive]
    # Force each gt's best anchor (ties: the lowest anchor index) positive. When several
    # gts share a best anchor, the lowest gt index keeps it (as Model Garden's matcher).
    # A gt that overlaps no anchor at all is left unmatched rather than forced onto an
    # arbitrary anchor.
    best_anchor = iou.argmax(axis=0)
    forced_gt = np.flatnonzero(iou[best_anchor, np.arange(num_gt)] > 0.0)
    forced_anchor, first = np.unique(best_anchor[forced_gt], return_index=True)
    matched_gt[forced_anchor] = forced_gt[first]
    positives = np.flatnonzero(matched_gt >= 0)
    class_targets[positives] = gt_classes[matched_gt[positives]]
    box_targets[positives] = _encode(anchors[positives], gt_boxes[matched_gt[positives]], scales)
    return class_targets, box_targets, matched_gt


def assign_anchors(
    anchors: np.ndarray,
    gt_boxes: np.ndarray,
    gt_classes: np.ndarray,
    *,
    positive_iou: float = 0.5,
    negative_iou: float = 0.4,
    scale_factors: ScaleFactors = _UNIT_SCALES,
) -> AnchorLabels:
    """Labels anchors for RetinaNet training.

    Each anchor takes the ground-truth box of highest IoU (ties: the first box).
    IoU >= `positive_iou`: a positive of that box's class; < `negative_iou`:
    background; in between: ignored. Then every ground-truth box's best anchor
    (ties: the first anchor) becomes a positive of that box, whatever its IoU, so
    no object goes unmatched (Model Garden's `force_match_for_each_col`); when two
    boxes share a best anchor the first box keeps it. A box that overlaps no
    anchor at all stays unmatched.

    The RetinaNet paper uses 0.5 / 0.4 (our defaults); Model Garden's RetinaNet
    config uses 0.5 / 0.5 (no ignored band).

    Args:
        anchors: `(A, 4)` anchors `(ymin, xmin, ymax, xmax)`, positive sizes.
        gt_boxes: `(K, 4)` ground-truth boxes, same unit, positive sizes; `K` may be 0.
        gt_classes: `(K,)` non-negative integer class ids.
        positive_iou: Least IoU of a positive anchor, in (0, 1].
        negative_iou: IoU below which an anchor is background, in [0, positive_iou].
        scale_factors: Box coder factors `(sy, sx, sh, sw)`; see `encode_boxes`.

    Returns:
        The anchors' `AnchorLabels`.

    Raises:
        ValueError: On malformed boxes or classes, or thresholds out of range.
    """
    _check_thresholds(positive_iou, negative_iou)
    anchors_f = _as_boxes("anchors", anchors, positive_size=True)
    gt_f = _as_boxes("gt_boxes", gt_boxes, positive_size=True)
    classes = _as_classes("gt_classes", gt_classes, gt_f.shape[0])
    class_targets, box_targets, matched_gt = _assign(
        anchors_f, gt_f, classes, positive_iou, negative_iou, _check_scale_factors(scale_factors)
    )
    return AnchorLabels(class_targets=class_targets, box_targets=box_targets, matched_gt=matched_gt)


def assign_anchors_batch(
    anchors: np.ndarray,
    gt_boxes: Sequence[np.ndarray],
    gt_classes: Sequence[np.ndarray],
    *,
    positive_iou: float = 0.5,
    negative_iou: float = 0.4,
    scale_factors: ScaleFactors = _UNIT_SCALES,
) -> AnchorLabelsBatch:
    """Labels the same anchors for many images (e.g. a whole `DetectionSplit`).

        labels = assign_anchors_batch(anchors, split.boxes, split.classes)

    Args:
        anchors: `(A, 4)` anchors shared by every image.
        gt_boxes: One `(K_i, 4)` array per image.
        gt_classes: One `(K_i,)` array per image.
        positive_iou: As in `assign_anchors`.
        negative_iou: As in `assign_anchors`.
        scale_factors: As in `assign_anchors`.

    Returns:
        The stacked labels; `result[i]` equals `assign_anchors(anchors, gt_boxes[i], gt_classes[i], ...)`.

    Raises:
        ValueError: If the sequences differ in length, or as `assign_anchors`
            (the message names the image).
    """
    _check_thresholds(positive_iou, negative_iou)
    if len(gt_boxes) != len(gt_classes):
        raise ValueError(f"gt_boxes and gt_classes differ in length: {len(gt_boxes)} and {len(gt_classes)}")
    anchors_f = _as_boxes("anchors", anchors, positive_size=True)
    scales = _check_scale_factors(scale_factors)
    num_images, num_anchors = len(gt_boxes), anchors_f.shape[0]
    class_targets = np.empty((num_images, num_anchors), dtype=np.int32)
    box_targets = np.empty((num_images, num_anchors, 4), dtype=np.float32)
    matched_gt = np.empty((num_images, num_anchors), dtype=np.int32)
    for i, (boxes, classes) in enumerate(zip(gt_boxes, gt_classes, strict=True)):
        gt_f = _as_boxes(f"gt_boxes[{i}]", boxes, positive_size=True)
        classes_i = _as_classes(f"gt_classes[{i}]", classes, gt_f.shape[0])
        class_targets[i], box_targets[i], matched_gt[i] = _assign(
            anchors_f, gt_f, classes_i, positive_iou, negative_iou, scales
        )
    return AnchorLabelsBatch(class_targets=class_targets, box_targets=box_targets, matched_gt=matched_gt)
