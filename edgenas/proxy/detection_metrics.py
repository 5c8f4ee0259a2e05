"""Detector post-processing (sigmoid scores, per-class NMS) and COCO-style mean AP (numpy only).

`mean_average_precision` reproduces the COCO detection metric at one IoU
threshold (https://cocodataset.org/#detection-eval; pycocotools' `COCOeval` with
`iouType="bbox"`, area range "all"): at the default threshold 0.5 it equals
`COCOeval.stats[1]` (AP50, maxDets 100), which the tests check against pycocotools.

    detections = [postprocess(logits[i], deltas[i], anchors, image_size_px=128) for i in range(n)]
    result = mean_average_precision(detections, split.boxes, split.classes, num_classes=3)
    result.mean_ap, result.per_class

Boxes are `(ymin, xmin, ymax, xmax)` rows in pixels, as in `box_coding`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from edgenas.proxy.box_coding import DEFAULT_MAX_LOG_SCALE, ScaleFactors, _as_boxes, _iou, decode_boxes

__all__ = [
    "COCO_RECALL_THRESHOLDS",
    "Detections",
    "MeanAP",
    "batched_non_max_suppression",
    "mean_average_precision",
    "non_max_suppression",
    "postprocess",
]

COCO_RECALL_THRESHOLDS: np.ndarray = np.linspace(0.0, 1.0, 101)
"""The 101 recall levels at which COCO samples interpolated precision (0, 0.01, ..., 1)."""
COCO_RECALL_THRESHOLDS.flags.writeable = False

# COCOeval caps an IoU threshold just below 1 so that a perfect box can match at "1.0".
_MAX_IOU_THRESHOLD = 1.0 - 1e-10


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _check_iou_threshold(iou_threshold: float) -> None:
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must lie in [0, 1], got {iou_threshold!r}")


def _check_positive_int(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


@dataclasses.dataclass(frozen=True, eq=False)
class Detections:
    """The detections of one image, in descending score order when made by `postprocess`.

    Attributes:
        boxes: float32 `(k, 4)` boxes `(ymin, xmin, ymax, xmax)` in pixels.
        scores: float32 `(k,)` confidences in [0, 1].
        classes: int32 `(k,)` class ids (>= 0).
    """

    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray

    def __post_init__(self) -> None:
        boxes = _as_boxes("Detections.boxes", self.boxes).astype(np.float32)
        count = boxes.shape[0]
        scores = np.asarray(self.scores)
        if scores.shape != (count,) or not np.issubdtype(scores.dtype, np.floating):
            raise ValueError(
                f"Detections.scores must be a float array of shape ({count},), got {scores.dtype} {scores.shape}"
            )
        if not np.isfinite(scores).all():
            raise ValueError("Detections.scores must be finite")
        classes = np.asarray(self.classes)
        if classes.shape != (count,) or not np.issubdtype(classes.dtype, np.integer):
            raise ValueError(
                f"Detections.classes must be an integer array of shape ({count},), got {classes.dtype} {classes.shape}"
            )
        if count and classes.min() < 0:
            raise ValueError(f"Detections.classes must be >= 0, got {int(classes.min())}")
        object.__setattr__(self, "boxes", _read_only(boxes))
        object.__setattr__(self, "scores", _read_only(scores.astype(np.float32)))
        object.__setattr__(self, "classes", _read_only(classes.astype(np.int32)))

    @classmethod
    def empty(cls) -> Detections:
        """No detections."""
        return cls(
            boxes=np.zeros((0, 4), np.float32), scores=np.zeros(0, np.float32), classes=np.zeros(0, np.int32)
        )

    @property
    def num_detections(self) -> int:
        """Number of detections `k`."""
        return int(self.scores.shape[0])


def _nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, max_detections: int) -> np.ndarray:
    """Greedy NMS on validated float64 boxes; returns kept indices, best first."""
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size and len(keep) < max_detections:
        best = order[0]
        keep.append(int(best))
        rest = order[1:]
        if not rest.size:
            break
        overlap = _iou(boxes[best : best + 1], boxes[rest])[0]
        order = rest[overlap <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def _check_scores(scores: np.ndarray, count: int) -> np.ndarray:
    array = np.asarray(scores)
    if array.shape != (count,):
        raise ValueError(f"scores must have shape ({count},) (one per box), got {array.shape}")
    array = array.astype(np.float64, copy=False)
    if not np.isfinite(array).all():
        raise ValueError("scores must be finite")
    return array


def non_max_suppression(
    boxes: np.ndarray, scores: np.ndarray, *, iou_threshold: float = 0.5, max_detections: int = 100
) -> np.ndarray:
    """Greedy non-maximum suppression.

    Repeatedly keeps the highest-scoring remaining box (ties: the lower index) and
    drops every remaining box whose IoU with it exceeds `iou_threshold` (an IoU
    exactly at the threshold survives, as in `tf.image.non_max_suppression`).

    Args:
        boxes: `(n, 4)` boxes `(ymin, xmin, ymax, xmax)`.
        scores: `(n,)` scores.
        iou_threshold: Largest IoU a kept box may have with a better kept box, in [0, 1].
        max_detections: Most boxes to keep (>= 1).

    Returns:
        int64 indices into `boxes` of the kept boxes, in descending score order.

    Raises:
        ValueError: On malformed boxes or scores, or an argument out of range.
    """
    _check_iou_threshold(iou_threshold)
    _check_positive_int("max_detections", max_detections)
    boxes_f = _as_boxes("boxes", boxes)
    return _nms(boxes_f, _check_scores(scores, boxes_f.shape[0]), iou_threshold, max_detections)


def _batched_nms(
    boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, iou_threshold: float, max_detections: int
) -> np.ndarray:
    kept = [
        members[_nms(boxes[members], scores[members], iou_threshold, max_detections)]
        for members in (np.flatnonzero(classes == c) for c in np.unique(classes))
    ]
    if not kept:
        return np.zeros(0, dtype=np.int64)
    indices = np.concatenate(kept)
    # Best score first; ties by index, so the result does not depend on class order.
    indices = indices[np.lexsort((indices, -scores[indices]))]
    return indices[:max_detections].astype(np.int64)


def batched_non_max_suppression(
    boxes: np.ndarray,
    scores: np.ndarray,
    classes: np.ndarray,
    *,
    iou_threshold: float = 0.5,
    max_detections: int = 100,
) -> np.ndarray:
    """Non-maximum suppression within each class; boxes of different classes never suppress each other.

    Args:
        boxes: `(n, 4)` boxes `(ymin, xmin, ymax, xmax)`.
        scores: `(n,)` scores.
        classes: `(n,)` integer class ids.
        iou_threshold: As in `non_max_suppression`.
        max_detections: Most boxes kept in total, over all classes.

    Returns:
        int64 indices of the kept boxes, in descending score order (ties: lower index first).

    Raises:
        ValueError: On malformed inputs or an argument out of range.
    """
    _check_iou_threshold(iou_threshold)
    _check_positive_int("max_detections", max_detections)
    boxes_f = _as_boxes("boxes", boxes)
    scores_f = _check_scores(scores, boxes_f.shape[0])
    classes_a = np.asarray(classes)
    if classes_a.shape != scores_f.shape or not np.issubdtype(classes_a.dtype, np.integer):
        raise ValueError(f"classes must be integers of shape {scores_f.shape}, got {classes_a.dtype} {classes_a.shape}")
    return _batched_nms(boxes_f, scores_f, classes_a, iou_threshold, max_detections)


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    """Logistic function without overflow for large negative logits."""
    e = np.exp(-np.abs(logits))
    return np.where(logits >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def postprocess(
    class_logits: np.ndarray,
    box_deltas: np.ndarray,
    anchors: np.ndarray,
    *,
    score_threshold: float = 0.05,
    pre_nms_top_k: int = 1000,
    iou_threshold: float = 0.5,
    max_detections: int = 100,
    scale_factors: ScaleFactors = (1.0, 1.0, 1.0, 1.0),
    image_size_px: int | None = None,
) -> Detections:
    """Turns one image's RetinaNet head outputs into detections.

    Scores are `sigmoid(class_logits)` (one independent binary classifier per
    class, as RetinaNet trains with focal loss). Per class: keep scores above
    `score_threshold`, the `pre_nms_top_k` best of those, decode their boxes and
    run NMS; then keep the `max_detections` best over all classes.

    Args:
        class_logits: `(A, C)` class logits, one row per anchor.
        box_deltas: `(A, 4)` predicted `(ty, tx, th, tw)`.
        anchors: `(A, 4)` anchors `(ymin, xmin, ymax, xmax)` in pixels.
        score_threshold: Scores must exceed this to be kept, in [0, 1).
        pre_nms_top_k: Most candidates per class entering NMS (>= 1).
        iou_threshold: NMS threshold, in [0, 1].
        max_detections: Most detections returned (>= 1).
        scale_factors: Box coder factors the head was trained with; see `box_coding.encode_boxes`.
        image_size_px: If given, boxes are clipped to the square image `[0, image_size_px]`
            before NMS.

    Returns:
        The image's `Detections`, best score first (ties: by class, then anchor).

    Raises:
        ValueError: On mismatched shapes, non-finite inputs or arguments out of range.
    """
    if not 0.0 <= score_threshold < 1.0:
        raise ValueError(f"score_threshold must lie in [0, 1), got {score_threshold!r}")
    _check_positive_int("pre_nms_top_k", pre_nms_top_k)
    _check_positive_int("max_detections", max_detections)
    _check_iou_threshold(iou_threshold)
    if image_size_px is not None:
        _check_positive_int("image_size_px", image_size_px)
    anchors_f = _as_boxes("anchors", anchors, positive_size=True)
    logits = np.asarray(class_logits)
    if logits.ndim != 2 or logits.shape[0] != anchors_f.shape[0]:
        raise ValueError(f"class_logits must have shape ({anchors_f.shape[0]}, num_classes), got {logits.shape}")
    logits = logits.astype(np.float64, copy=False)
    if not np.isfinite(logits).all():
        raise ValueError("class_logits must be finite")
    deltas = np.asarray(box_deltas)
    if deltas.shape != anchors_f.shape:
        raise ValueError(f"box_deltas must have shape {anchors_f.shape}, got {deltas.shape}")
    scores = _sigmoid(logits)
    candidates = scores > score_threshold  # (A, C)
    anchor_ids, class_ids = np.nonzero(candidates)  # row-major: by anchor, then class
    if not anchor_ids.size:
        return Detections.empty()
    candidate_scores = scores[anchor_ids, class_ids]
    # Per class, the top-k candidates (ties: lower anchor index).
    order = np.lexsort((anchor_ids, -candidate_scores, class_ids))
    anchor_ids, class_ids, candidate_scores = anchor_ids[order], class_ids[order], candidate_scores[order]
    class_start = np.searchsorted(class_ids, class_ids, side="left")
    rank_in_class = np.arange(class_ids.size) - class_start
    top = rank_in_class < pre_nms_top_k
    anchor_ids, class_ids, candidate_scores = anchor_ids[top], class_ids[top], candidate_scores[top]
    needed, inverse = np.unique(anchor_ids, return_inverse=True)
    decoded = decode_boxes(
        anchors_f[needed], deltas[needed], scale_factors=scale_factors, max_log_scale=DEFAULT_MAX_LOG_SCALE
    )
    if image_size_px is not None:
        decoded = np.clip(decoded, 0.0, float(image_size_px))
    boxes = decoded[inverse].astype(np.float64)
    keep = _batched_nms(boxes, candidate_scores, class_ids, iou_threshold, max_detections)
    return Detections(boxes=boxes[keep], scores=candidate_scores[keep], classes=class_ids[keep])


@dataclasses.dataclass(frozen=True)
class MeanAP:
    """COCO-style average precision at one IoU threshold.

    Attributes:
        mean_ap: Mean of `per_class` over the classes that have ground truth
            (AP50 when `iou_threshold` is 0.5). `float(result)` gives it too.
        per_class: One AP per class id; `None` for a class with no ground-truth
            object (excluded from the mean, as in COCOeval).
        num_gt: Ground-truth objects per class.
        iou_threshold: Least IoU of a true positive.
    """

    mean_ap: float
    per_class: tuple[float | None, ...]
    num_gt: tuple[int, ...]
    iou_threshold: float

    def __float__(self) -> float:
        return self.mean_ap


def _match_image_class(
    det_boxes: np.ndarray, gt_boxes: np.ndarray, iou_threshold: float
) -> np.ndarray:
    """COCOeval's greedy matching for one image and class; detections come best first.

    Each detection takes the still-unmatched ground truth of highest IoU at or above
    the threshold (ties: the later ground truth, as COCOeval's scan does).
    """
    is_tp = np.zeros(det_boxes.shape[0], dtype=bool)
    if not det_boxes.shape[0] or not gt_boxes.shape[0]:
        return is_tp
    iou = _iou(det_boxes, gt_boxes)
    reachable = (iou >= iou_threshold).any(axis=1)
    taken = np.zeros(gt_boxes.shape[0], dtype=bool)
    last = gt_boxes.shape[0] - 1
    for d in np.flatnonzero(reachable):
        row = np.where(taken, -1.0, iou[d])
        best = last - int(np.argmax(row[::-1]))
        if row[best] >= iou_threshold:
            taken[best] = True
            is_tp[d] = True
    return is_tp


def _average_precision(scores: np.ndarray, is_tp: np.ndarray, num_gt: int) -> float:
    """101-point interpolated AP of one class; detections in COCOeval's order before sorting."""
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(is_tp[order], dtype=np.float64)
    fp = np.cumsum(~is_tp[order], dtype=np.float64)
    if not tp.size:
        return 0.0
    recall = tp / num_gt
    precision = tp / (tp + fp)
    # Interpolate: precision at recall r is the best precision at any recall >= r.
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    at = np.searchsorted(recall, COCO_RECALL_THRESHOLDS, side="left")
    sampled = np.zeros(COCO_RECALL_THRESHOLDS.size)
    reached = at < recall.size
    sampled[reached] = precision[at[reached]]
    return float(sampled.mean())


def mean_average_precision(
    predictions: Sequence[Detections],
    gt_boxes: Sequence[np.ndarray],
    gt_classes: Sequence[np.ndarray],
    *,
    num_classes: int,
    iou_threshold: float = 0.5,
    max_detections: int = 100,
) -> MeanAP:
    """COCO-style mean average precision at one IoU threshold.

    Follows pycocotools' `COCOeval` (bbox, area range "all", no crowd boxes): per
    image and class, the `max_detections` best detections (stable sort by score)
    are matched greedily in score order, each to the unmatched ground truth of
    highest IoU >= `iou_threshold`; per class, all images' detections are ranked
    by score (ties: image order, then rank in the image), precision is made
    monotone and sampled at 101 recall levels, and AP is their mean. Classes with
    no ground truth are left out of the mean, whatever their detections.
    (pycocotools adds 2.2e-16 to the precision denominator; we do not, which
    changes results by < 1e-15 and makes a perfect result exactly 1.0.)

    Args:
        predictions: One `Detections` per image.
        gt_boxes: One `(K_i, 4)` array of ground-truth boxes per image (`DetectionSplit.boxes`).
        gt_classes: One `(K_i,)` integer array per image (`DetectionSplit.classes`).
        num_classes: Number of classes; every class id must lie in `[0, num_classes)`.
        iou_threshold: Least IoU of a true positive, in [0, 1].
        max_detections: Detections per image *and class* that count (COCO's `maxDets`).

    Returns:
        A `MeanAP`.

    Raises:
        ValueError: If the sequences differ in length, a class id is out of range,
            an input is malformed, or no image has any ground-truth object (the
            mean is then undefined; pycocotools would report -1).
    """
    _check_iou_threshold(iou_threshold)
    _check_positive_int("num_classes", num_classes)
    _check_positive_int("max_detections", max_detections)
    if not len(predictions) == len(gt_boxes) == len(gt_classes):
        raise ValueError(
            "predictions, gt_boxes and gt_classes must have one entry per image, got "
            f"{len(predictions)}, {len(gt_boxes)} and {len(gt_classes)}"
        )
    threshold = min(iou_threshold, _MAX_IOU_THRESHOLD)
    scores_per_class: list[list[np.ndarray]] = [[] for _ in range(num_classes)]
    tp_per_class: list[list[np.ndarray]] = [[] for _ in range(num_classes)]
    num_gt = np.zeros(num_classes, dtype=np.int64)
    for i, (detections, boxes, classes) in enumerate(zip(predictions, gt_boxes, gt_classes, strict=True)):
        if not isinstance(detections, Detections):
            raise ValueError(f"predictions[{i}] must be Detections, got {type(detections).__name__}")
        boxes_f = _as_boxes(f"gt_boxes[{i}]", boxes)
        classes_a = np.asarray(classes)
        if classes_a.shape != (boxes_f.shape[0],) or not np.issubdtype(classes_a.dtype, np.integer):
            raise ValueError(
                f"gt_classes[{i}] must be integers of shape ({boxes_f.shape[0]},), "
                f"got {classes_a.dtype} {classes_a.shape}"
            )
        for name, ids in (("gt_classes", classes_a), ("predictions", detections.classes)):
            if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
                raise ValueError(
                    f"{name}[{i}] has class ids {int(ids.min())}..{int(ids.max())}, outside [0, {num_classes})"
                )
        det_boxes = detections.boxes.astype(np.float64)
        for c in np.union1d(classes_a, detections.classes):
            gt_c = boxes_f[classes_a == c]
            num_gt[c] += gt_c.shape[0]
            members = np.flatnonzero(detections.classes == c)
            if not members.size:
                continue
            scores = detections.scores[members]
            ranked = members[np.argsort(-scores, kind="stable")[:max_detections]]
            scores_per_class[c].append(detections.scores[ranked])
            tp_per_class[c].append(_match_image_class(det_boxes[ranked], gt_c, threshold))
    if not num_gt.any():
        raise ValueError("the ground truth has no objects, so mean average precision is undefined")
    per_class: list[float | None] = []
    for c in range(num_classes):
        if num_gt[c] == 0:
            per_class.append(None)
            continue
        scores = np.concatenate(scores_per_class[c]) if scores_per_class[c] else np.zeros(0, np.float32)
        is_tp = np.concatenate(tp_per_class[c]) if tp_per_class[c] else np.zeros(0, bool)
        per_class.append(_average_precision(scores, is_tp, int(num_gt[c])))
    present = [ap for ap in per_class if ap is not None]
    return MeanAP(
        mean_ap=float(np.mean(present)),
        per_class=tuple(per_class),
        num_gt=tuple(int(n) for n in num_gt),
        iou_threshold=float(iou_threshold),
    )
