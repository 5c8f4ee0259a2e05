"""NMS, RetinaNet post-processing and COCO-style mean AP (cross-checked against pycocotools)."""

import contextlib
import io

import numpy as np
import pytest

from edgenas.proxy.box_coding import encode_boxes
from edgenas.proxy.detection_metrics import (
    COCO_RECALL_THRESHOLDS,
    Detections,
    MeanAP,
    batched_non_max_suppression,
    mean_average_precision,
    non_max_suppression,
    postprocess,
)


def _dets(boxes, scores, classes):
    return Detections(
        boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
        scores=np.asarray(scores, np.float32),
        classes=np.asarray(classes, np.int32),
    )


# --- NMS ----------------------------------------------------------------------------------


def test_nms_keeps_the_best_of_each_overlapping_group():
    boxes = np.array(
        [
            [0.0, 0.0, 10.0, 10.0],  # 0: best
            [0.0, 0.0, 10.0, 12.0],  # 1: IoU 100/120 with 0: suppressed
            [50.0, 50.0, 60.0, 60.0],  # 2: alone
            [0.0, 5.0, 10.0, 15.0],  # 3: IoU 50/150 with 0, 70/150 with 1 (already gone): kept
        ]
    )
    scores = np.array([0.9, 0.8, 0.7, 0.95])
    keep = non_max_suppression(boxes, scores, iou_threshold=0.5)
    assert keep.dtype == np.int64
    assert keep.tolist() == [3, 0, 2]
    # Box 3 suppresses nothing at 0.3 (IoU 1/3 with box 0 > 0.3): 0 goes, and 1 with it.
    assert non_max_suppression(boxes, scores, iou_threshold=0.3).tolist() == [3, 2]
    assert non_max_suppression(boxes, scores, iou_threshold=0.5, max_detections=2).tolist() == [3, 0]


def test_nms_keeps_a_box_exactly_at_the_threshold_and_breaks_ties_by_index():
    boxes = np.array([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 5.0], [0.0, 0.0, 10.0, 10.0]])  # IoU(0, 1) = 0.5
    assert non_max_suppression(boxes, np.array([0.9, 0.8, 0.7]), iou_threshold=0.5).tolist() == [0, 1]
    assert non_max_suppression(boxes, np.array([0.5, 0.5, 0.5]), iou_threshold=0.5).tolist() == [0, 1]
    assert non_max_suppression(np.zeros((0, 4)), np.zeros(0)).tolist() == []
    with pytest.raises(ValueError, match="scores"):
        non_max_suppression(boxes, np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="iou_threshold"):
        non_max_suppression(boxes, np.zeros(3), iou_threshold=1.5)
    with pytest.raises(ValueError, match="max_detections"):
        non_max_suppression(boxes, np.zeros(3), max_detections=0)


def test_batched_nms_suppresses_only_within_a_class():
    boxes = np.array([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 11.0], [30.0, 30.0, 40.0, 40.0]])
    scores = np.array([0.6, 0.9, 0.8, 0.6])
    classes = np.array([1, 0, 1, 0])
    keep = batched_non_max_suppression(boxes, scores, classes, iou_threshold=0.5)
    assert keep.tolist() == [1, 2, 3]  # box 0 loses to box 2 (same class); 1 and 2 differ in class
    assert batched_non_max_suppression(boxes, scores, classes, max_detections=2).tolist() == [1, 2]
    with pytest.raises(ValueError, match="classes"):
        batched_non_max_suppression(boxes, scores, classes.astype(float))


# --- Post-processing ----------------------------------------------------------------------


def _logit(p):
    return float(np.log(p / (1 - p)))


def test_postprocess_decodes_scores_and_suppresses_per_class():
    anchors = np.array(
        [
            [0.0, 0.0, 16.0, 16.0],
            [0.0, 2.0, 16.0, 18.0],  # IoU 224/288 with anchor 0
            [40.0, 40.0, 56.0, 56.0],
            [100.0, 100.0, 116.0, 116.0],
        ]
    )
    logits = np.full((4, 3), -10.0)
    logits[0, 1] = _logit(0.9)
    logits[1, 1] = _logit(0.8)  # suppressed by anchor 0 in class 1
    logits[1, 2] = _logit(0.7)  # same box, other class: kept
    logits[2, 0] = _logit(0.6)
    logits[3, 0] = _logit(0.04)  # below the score threshold
    target = np.array([[44.0, 38.0, 60.0, 62.0]])
    deltas = np.zeros((4, 4))
    deltas[2] = encode_boxes(anchors[2:3], target)[0]
    result = postprocess(logits, deltas, anchors)
    assert result.classes.tolist() == [1, 2, 0]
    np.testing.assert_allclose(result.scores, [0.9, 0.7, 0.6], rtol=1e-6)
    np.testing.assert_allclose(result.boxes, np.concatenate([anchors[:2], target]), atol=1e-4)
    assert result.boxes.dtype == np.float32 and result.scores.dtype == np.float32 and result.classes.dtype == np.int32
    # Clipping to a 58 px image; caps on candidates and on detections.
    clipped = postprocess(logits, deltas, anchors, image_size_px=58)
    np.testing.assert_allclose(clipped.boxes[2], [44.0, 38.0, 58.0, 58.0], atol=1e-4)
    assert postprocess(logits, deltas, anchors, max_detections=2).classes.tolist() == [1, 2]
    top1 = postprocess(logits, deltas, anchors, pre_nms_top_k=1, iou_threshold=1.0)
    assert top1.classes.tolist() == [1, 2, 0]  # one candidate per class
    everything = postprocess(logits, deltas, anchors, iou_threshold=1.0, score_threshold=0.0)
    assert everything.num_detections == 12
    assert postprocess(np.full((4, 3), -10.0), deltas, anchors).num_detections == 0


def test_postprocess_rejects_mismatched_shapes():
    anchors = np.array([[0.0, 0.0, 16.0, 16.0]])
    with pytest.raises(ValueError, match="class_logits"):
        postprocess(np.zeros((2, 3)), np.zeros((1, 4)), anchors)
    with pytest.raises(ValueError, match="box_deltas"):
        postprocess(np.zeros((1, 3)), np.zeros((2, 4)), anchors)
    with pytest.raises(ValueError, match="score_threshold"):
        postprocess(np.zeros((1, 3)), np.zeros((1, 4)), anchors, score_threshold=1.0)


def test_detections_validate_and_are_read_only():
    d = _dets([[0, 0, 1, 1]], [0.5], [2])
    assert d.num_detections == 1 and Detections.empty().num_detections == 0
    with pytest.raises(ValueError, match="read-only"):
        d.scores[0] = 1.0
    with pytest.raises(ValueError, match="scores"):
        Detections(boxes=np.zeros((1, 4)), scores=np.zeros(2), classes=np.zeros(1, int))
    with pytest.raises(ValueError, match="classes"):
        Detections(boxes=np.zeros((1, 4)), scores=np.zeros(1), classes=np.zeros(1))
    with pytest.raises(ValueError, match="classes"):
        Detections(boxes=np.zeros((1, 4)), scores=np.zeros(1), classes=np.array([-1]))


# --- Mean AP: hand-computed ---------------------------------------------------------------

_A = [0.0, 0.0, 10.0, 10.0]
_B = [20.0, 20.0, 30.0, 30.0]
_C = [50.0, 0.0, 60.0, 10.0]
_FAR = [100.0, 100.0, 110.0, 110.0]


def _map(predictions, gt, *, num_classes=2, **kwargs):
    gt_boxes = [np.asarray(b, np.float32).reshape(-1, 4) for b, _ in gt]
    gt_classes = [np.asarray(c, np.int32) for _, c in gt]
    return mean_average_precision(predictions, gt_boxes, gt_classes, num_classes=num_classes, **kwargs)


def test_perfect_predictions_score_one():
    gt = [([_A, _B], [0, 1]), ([_C], [0])]
    predictions = [_dets([_B, _A], [0.9, 0.8], [1, 0]), _dets([_C], [0.3], [0])]
    result = _map(predictions, gt)
    assert isinstance(result, MeanAP)
    assert result.mean_ap == 1.0 and float(result) == 1.0
    assert result.per_class == (1.0, 1.0)
    assert result.num_gt == (2, 1)
    assert result.iou_threshold == 0.5


def test_a_false_positive_ranked_first():
    # Class 0: FP (0.9), TP (0.8), TP (0.7) -> precision 0, 1/2, 2/3 at recall 0, 1/2, 1;
    # interpolated precision is 2/3 at every recall level.
    gt = [([_A, _B], [0, 0])]
    result = _map([_dets([_FAR, _A, _B], [0.9, 0.8, 0.7], [0, 0, 0])], gt, num_classes=1)
    assert result.mean_ap == pytest.approx(2 / 3, abs=1e-12)
    # Ranked last instead, the false positive costs nothing.
    result = _map([_dets([_FAR, _A, _B], [0.1, 0.8, 0.7], [0, 0, 0])], gt, num_classes=1)
    assert result.mean_ap == 1.0


def test_missed_objects_cap_recall():
    # One of two objects found: precision 1 up to recall 0.5, i.e. 51 of 101 recall levels.
    gt = [([_A, _B], [0, 0])]
    assert _map([_dets([_A], [0.9], [0])], gt, num_classes=1).mean_ap == pytest.approx(51 / 101, abs=1e-12)
    # Nothing found at all: AP 0 (not excluded: the class has ground truth).
    result = _map([Detections.empty()], [([_A], [0])], num_classes=2)
    assert result.per_class == (0.0, None)
    assert result.mean_ap == 0.0


def test_duplicates_wrong_classes_and_poor_overlap_are_false_positives():
    gt = [([_A], [0])]
    shifted = [0.0, 4.0, 10.0, 14.0]  # IoU 60/140 < 0.5 with _A
    # A duplicate after the match: precision 1 then 1/2 at recall 1 -> interpolated 1 -> AP 1.
    assert _map([_dets([_A, _A], [0.9, 0.8], [0, 0])], gt, num_classes=1).mean_ap == 1.0
    # A duplicate before the match is impossible; a poorly placed box ranked first is a FP.
    assert _map([_dets([shifted, _A], [0.9, 0.8], [0, 0])], gt, num_classes=1).mean_ap == pytest.approx(0.5)
    # At a looser threshold the shifted box matches.
    assert _map([_dets([shifted], [0.9], [0])], gt, num_classes=1, iou_threshold=0.4).mean_ap == 1.0
    # The right box with the wrong class scores nothing for class 0 (and class 1 has no ground truth).
    result = _map([_dets([_A], [0.9], [1])], gt, num_classes=2)
    assert result.per_class == (0.0, None) and result.mean_ap == 0.0


def test_classes_without_ground_truth_are_left_out():
    gt = [([_A], [0]), ([_B], [2])]
    predictions = [_dets([_A, _C], [0.9, 0.8], [0, 1]), _dets([_FAR], [0.9], [2])]
    result = _map(predictions, gt, num_classes=3)
    assert result.per_class == (1.0, None, 0.0)
    assert result.mean_ap == 0.5


def test_max_detections_counts_per_image_and_class():
    # The true positive is the 3rd best detection of its image and class.
    gt = [([_A], [0])]
    predictions = [_dets([_FAR, _C, _A], [0.9, 0.8, 0.7], [0, 0, 0])]
    assert _map(predictions, gt, num_classes=1, max_detections=2).mean_ap == 0.0
    assert _map(predictions, gt, num_classes=1, max_detections=3).mean_ap == pytest.approx(1 / 3)


def test_mean_ap_rejects_bad_input():
    gt = [([_A], [0])]
    with pytest.raises(ValueError, match="one entry per image"):
        _map([Detections.empty(), Detections.empty()], gt)
    with pytest.raises(ValueError, match="outside"):
        _map([_dets([_A], [0.9], [5])], gt)
    with pytest.raises(ValueError, match="outside"):
        _map([Detections.empty()], [([_A], [2])])
    with pytest.raises(ValueError, match="no objects"):
        _map([Detections.empty()], [(np.zeros((0, 4)), np.zeros(0, np.int32))])
    with pytest.raises(ValueError, match="Detections"):
        _map([{"boxes": []}], gt)


# --- Mean AP: against pycocotools ---------------------------------------------------------


def _coco_ap50(predictions, gt_boxes, gt_classes, num_classes):
    """AP@0.5 (`stats[1]`) from pycocotools, built in memory; boxes go in as xywh."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    def xywh(box):
        ymin, xmin, ymax, xmax = (float(v) for v in box)
        return [xmin, ymin, xmax - xmin, ymax - ymin]

    annotations = []
    for i, (boxes, classes) in enumerate(zip(gt_boxes, gt_classes)):
        for box, c in zip(boxes, classes):
            bbox = xywh(box)
            annotations.append(
                {
                    "id": len(annotations) + 1,  # COCOeval treats id 0 as "unmatched"
                    "image_id": i + 1,
                    "category_id": int(c) + 1,
                    "bbox": bbox,
                    "area": bbox[2] * bbox[3],
                    "iscrowd": 0,
                }
            )
    results = [
        {"image_id": i + 1, "category_id": int(c) + 1, "bbox": xywh(box), "score": float(s)}
        for i, d in enumerate(predictions)
        for box, s, c in zip(d.boxes, d.scores, d.classes)
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = {
            "images": [{"id": i + 1} for i in range(len(gt_boxes))],
            "annotations": annotations,
            "categories": [{"id": c + 1} for c in range(num_classes)],
        }
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(results)
        evaluator = COCOeval(coco_gt, coco_dt, iouType="bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator.stats[1]


def _random_case(seed, *, num_images, num_classes, quantised_scores):
    rng = np.random.default_rng(seed)
    gt_boxes, gt_classes, predictions = [], [], []
    for _ in range(num_images):
        k = int(rng.integers(0, 6))
        corner = rng.uniform(0, 100, size=(k, 2))
        size = rng.uniform(5, 30, size=(k, 2))
        boxes = np.concatenate([corner, corner + size], axis=1).astype(np.float32)
        # Class 0 is the most common; the last class never has ground truth.
        classes = np.minimum(rng.geometric(0.5, size=k) - 1, num_classes - 2).astype(np.int32)
        gt_boxes.append(boxes)
        gt_classes.append(classes)
        # Noisy copies of some objects (some good, some poor, some duplicated, some with a
        # wrong class) plus random false positives.
        copies = rng.integers(0, 3, size=k)
        source = np.repeat(np.arange(k), copies)
        jitter = rng.normal(scale=rng.choice([1.0, 4.0], size=(source.size, 1)), size=(source.size, 4))
        det_boxes = boxes[source] + jitter
        wrong_class = rng.uniform(size=source.size) < 0.15
        det_classes = np.where(wrong_class, rng.integers(0, num_classes, size=source.size), classes[source])
        m = int(rng.integers(0, 4))
        corner = rng.uniform(0, 100, size=(m, 2))
        fp_boxes = np.concatenate([corner, corner + rng.uniform(5, 30, size=(m, 2))], axis=1)
        det_boxes = np.concatenate([det_boxes.reshape(-1, 4), fp_boxes])
        det_boxes[:, 2:] = np.maximum(det_boxes[:, 2:], det_boxes[:, :2] + 0.5)
        det_classes = np.concatenate([det_classes, rng.integers(0, num_classes, size=m)])
        scores = rng.uniform(size=det_boxes.shape[0])
        if quantised_scores:
            scores = np.round(scores * 4) / 4  # many ties, within and across images
        predictions.append(_dets(det_boxes, scores, det_classes))
    return predictions, gt_boxes, gt_classes


@pytest.mark.parametrize(
    ("seed", "quantised_scores"), [(0, False), (1, False), (2, False), (3, True), (4, True)]
)
def test_mean_ap_matches_pycocotools(seed, quantised_scores):
    num_classes = 4
    predictions, gt_boxes, gt_classes = _random_case(
        seed, num_images=12, num_classes=num_classes, quantised_scores=quantised_scores
    )
    ours = mean_average_precision(predictions, gt_boxes, gt_classes, num_classes=num_classes)
    assert ours.per_class[-1] is None  # excluded, as COCOeval's -1
    assert 0.05 < ours.mean_ap < 0.95  # a case with both hits and misses
    assert ours.mean_ap == pytest.approx(_coco_ap50(predictions, gt_boxes, gt_classes, num_classes), abs=1e-6)


def test_mean_ap_matches_pycocotools_beyond_100_detections_per_class():
    rng = np.random.default_rng(7)
    gt_boxes = [np.array([_A, _B], np.float32)]
    gt_classes = [np.array([0, 0], np.int32)]
    corner = rng.uniform(0, 80, size=(150, 2))
    boxes = np.concatenate([corner, corner + 12.0], axis=1)
    boxes[120] = _A  # past COCO's 100 detections: ignored
    boxes[40] = _B
    predictions = [_dets(boxes, np.linspace(1.0, 0.01, 150), np.zeros(150, np.int32))]
    ours = mean_average_precision(predictions, gt_boxes, gt_classes, num_classes=1)
    assert ours.mean_ap == pytest.approx(_coco_ap50(predictions, gt_boxes, gt_classes, 1), abs=1e-6)


def test_recall_thresholds_are_cocos():
    assert COCO_RECALL_THRESHOLDS.shape == (101,)
    assert COCO_RECALL_THRESHOLDS[50] == 0.5 and COCO_RECALL_THRESHOLDS[-1] == 1.0
