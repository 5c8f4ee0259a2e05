"""IoU, RetinaNet anchor labelling and the Faster R-CNN box coder."""

import math

import numpy as np
import pytest

from edgenas.proxy.box_coding import (
    BACKGROUND_CLASS,
    DEFAULT_MAX_LOG_SCALE,
    IGNORED_CLASS,
    assign_anchors,
    assign_anchors_batch,
    decode_boxes,
    encode_boxes,
    iou_matrix,
)


def test_iou_matches_hand_computed_values():
    a = np.array([[0, 0, 2, 2], [0, 0, 4, 4]], dtype=np.float32)
    b = np.array(
        [
            [1, 1, 3, 3],  # overlaps a[0] in a 1x1 square: 1 / (4 + 4 - 1)
            [0, 0, 2, 2],  # identical to a[0]; inside a[1]
            [2, 2, 5, 5],  # touches a[0] at a corner; overlaps a[1] in 2x2
            [10, 10, 11, 11],  # disjoint
            [1, 1, 1, 3],  # zero height
        ]
    )
    expected = np.array(
        [
            [1 / 7, 1.0, 0.0, 0.0, 0.0],
            [4 / 16, 4 / 16, 4 / (16 + 9 - 4), 0.0, 0.0],
        ]
    )
    iou = iou_matrix(a, b)
    assert iou.shape == (2, 5) and iou.dtype == np.float64
    np.testing.assert_allclose(iou, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(iou_matrix(b, a), expected.T, rtol=0, atol=1e-12)
    assert iou_matrix(np.zeros((0, 4)), b).shape == (0, 5)
    # Two empty boxes: no union, IoU 0 rather than nan.
    assert iou_matrix([[1, 1, 1, 1]], [[1, 1, 1, 1]])[0, 0] == 0.0


@pytest.mark.parametrize(
    "boxes",
    [np.zeros((3, 3)), np.zeros(4), [[0, 0, 1, np.nan]], [[2, 0, 1, 1]], [[0, 2, 1, 1]], np.array([["a"] * 4])],
)
def test_iou_rejects_malformed_boxes(boxes):
    with pytest.raises(ValueError, match="boxes_a"):
        iou_matrix(boxes, np.zeros((1, 4)))


def test_encode_matches_hand_computed_deltas():
    anchor = np.array([[0.0, 0.0, 10.0, 10.0]])  # centre (5, 5), size 10 x 10
    box = np.array([[2.0, 4.0, 12.0, 24.0]])  # centre (7, 14), size 10 x 20
    deltas = encode_boxes(anchor, box)
    assert deltas.dtype == np.float32
    np.testing.assert_allclose(deltas, [[0.2, 0.9, 0.0, math.log(2.0)]], rtol=1e-6)
    scaled = encode_boxes(anchor, box, scale_factors=(10.0, 10.0, 5.0, 5.0))
    np.testing.assert_allclose(scaled, [[2.0, 9.0, 0.0, 5 * math.log(2.0)]], rtol=1e-6)


@pytest.mark.parametrize("scale_factors", [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0), (2.0, 3.0, 0.5, 4.0)])
def test_decode_inverts_encode(scale_factors):
    rng = np.random.default_rng(0)
    n = 500
    anchors = _random_boxes(rng, n, min_size=4.0, max_size=64.0)
    boxes = _random_boxes(rng, n, min_size=1.0, max_size=128.0)
    deltas = encode_boxes(anchors, boxes, scale_factors=scale_factors)
    decoded = decode_boxes(anchors, deltas, scale_factors=scale_factors)
    assert decoded.dtype == np.float32 and decoded.shape == (n, 4)
    np.testing.assert_allclose(decoded, boxes, rtol=0, atol=1e-3)
    # And the other way round: deltas -> boxes -> deltas.
    deltas = rng.normal(scale=0.5, size=(n, 4)).astype(np.float32)
    np.testing.assert_allclose(
        encode_boxes(anchors, decode_boxes(anchors, deltas, scale_factors=scale_factors), scale_factors=scale_factors),
        deltas,
        rtol=0,
        atol=1e-4 * max(scale_factors),
    )


def test_decode_clips_huge_log_scales():
    anchor = np.array([[0.0, 0.0, 10.0, 10.0]])
    decoded = decode_boxes(anchor, np.array([[0.0, 0.0, 1e3, 1e3]]))
    side = 10.0 * math.exp(DEFAULT_MAX_LOG_SCALE)  # 625 px
    np.testing.assert_allclose(decoded, [[5 - side / 2, 5 - side / 2, 5 + side / 2, 5 + side / 2]], rtol=1e-6)
    with np.errstate(over="ignore"):
        assert not np.isfinite(decode_boxes(anchor, np.array([[0.0, 0.0, 1e3, 1e3]]), max_log_scale=None)).all()


def test_coder_rejects_bad_input():
    anchor = np.array([[0.0, 0.0, 10.0, 10.0]])
    with pytest.raises(ValueError, match="positive height"):
        encode_boxes(anchor, np.array([[0.0, 0.0, 0.0, 5.0]]))
    with pytest.raises(ValueError, match="same shape"):
        encode_boxes(anchor, np.zeros((2, 4)) + [0, 0, 1, 1])
    with pytest.raises(ValueError, match="scale_factors"):
        encode_boxes(anchor, anchor, scale_factors=(1.0, 1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="finite"):
        decode_boxes(anchor, np.array([[np.inf, 0, 0, 0]]))
    with pytest.raises(ValueError, match="shape"):
        decode_boxes(anchor, np.zeros((1, 3)))


def _random_boxes(rng, n, *, min_size, max_size):
    size = rng.uniform(min_size, max_size, size=(n, 2))
    corner = rng.uniform(0.0, 128.0, size=(n, 2))
    return np.concatenate([corner, corner + size], axis=1)


def test_assignment_thresholds_follow_retinanet():
    gt = np.array([[0.0, 0.0, 10.0, 10.0]])
    anchors = np.array(
        [
            [0.0, 0.0, 10.0, 10.0],  # IoU 1
            [0.0, 0.0, 10.0, 5.0],  # IoU 0.5: positive (>= positive_iou)
            [0.0, 0.0, 10.0, 4.5],  # IoU 0.45: ignored
            [0.0, 0.0, 10.0, 4.0],  # IoU 0.4: ignored (not < negative_iou)
            [0.0, 0.0, 10.0, 3.9],  # IoU 0.39: background
            [20.0, 20.0, 30.0, 30.0],  # IoU 0: background
        ]
    )
    labels = assign_anchors(anchors, gt, np.array([3]))
    assert labels.class_targets.dtype == np.int32 and labels.box_targets.dtype == np.float32
    assert labels.class_targets.tolist() == [3, 3, IGNORED_CLASS, IGNORED_CLASS, BACKGROUND_CLASS, BACKGROUND_CLASS]
    assert labels.matched_gt.tolist() == [0, 0, -1, -1, -1, -1]
    assert labels.num_positive == 2
    assert labels.positive_mask.tolist() == [True, True, False, False, False, False]
    assert labels.negative_mask.tolist() == [False, False, False, False, True, True]
    assert labels.ignored_mask.tolist() == [False, False, True, True, False, False]
    np.testing.assert_array_equal(labels.box_targets[2:], 0.0)
    np.testing.assert_allclose(labels.box_targets[0], 0.0, atol=1e-7)
    np.testing.assert_allclose(decode_boxes(anchors[:2], labels.box_targets[:2]), [gt[0], gt[0]], atol=1e-5)
    # Model Garden's RetinaNet setting: one threshold, no ignored band.
    strict = assign_anchors(anchors, gt, np.array([3]), positive_iou=0.5, negative_iou=0.5)
    assert strict.class_targets.tolist() == [3, 3] + [BACKGROUND_CLASS] * 4
    with pytest.raises(ValueError, match="negative_iou"):
        assign_anchors(anchors, gt, np.array([3]), positive_iou=0.4, negative_iou=0.5)
    with pytest.raises(ValueError, match="positive_iou"):
        assign_anchors(anchors, gt, np.array([3]), positive_iou=0.0, negative_iou=0.0)


def test_each_anchor_takes_its_best_ground_truth():
    gt = np.array([[0.0, 0.0, 10.0, 10.0], [0.0, 4.0, 10.0, 14.0]])
    anchors = np.array([[0.0, 1.0, 10.0, 11.0], [0.0, 3.0, 10.0, 13.0]])  # IoU with gt: (.82, .54), (.54, .82)
    labels = assign_anchors(anchors, gt, np.array([0, 1]))
    assert labels.class_targets.tolist() == [0, 1]
    assert labels.matched_gt.tolist() == [0, 1]
    np.testing.assert_allclose(decode_boxes(anchors, labels.box_targets), gt, atol=1e-5)


def test_every_ground_truth_gets_its_best_anchor():
    anchors = np.array(
        [
            [0.0, 0.0, 8.0, 8.0],
            [0.0, 8.0, 8.0, 16.0],
            [20.0, 20.0, 40.0, 40.0],
        ]
    )
    gt = np.array(
        [
            [0.0, 0.0, 8.0, 8.0],  # matches anchor 0 exactly
            [20.0, 20.0, 26.0, 26.0],  # best IoU 36/400 = 0.09 (anchor 2): forced positive
            [100.0, 100.0, 110.0, 110.0],  # overlaps nothing: stays unmatched
        ]
    )
    labels = assign_anchors(anchors, gt, np.array([1, 2, 0]))
    assert labels.class_targets.tolist() == [1, BACKGROUND_CLASS, 2]
    assert labels.matched_gt.tolist() == [0, -1, 1]
    np.testing.assert_allclose(decode_boxes(anchors[2:], labels.box_targets[2:]), gt[1:2], atol=1e-5)
    # Without the forced match the small box would have no positive anchor.
    assert (iou_matrix(anchors, gt[1:2]) < 0.4).all()


def test_forced_match_overrides_the_anchors_own_best_and_first_gt_wins_ties():
    anchors = np.array([[0.0, 0.0, 10.0, 10.0], [0.0, 1.0, 10.0, 10.0], [50.0, 50.0, 60.0, 60.0]])
    gt = np.array(
        [
            [0.0, 1.0, 10.0, 10.0],  # anchor 1 exactly; IoU 0.9 with anchor 0, anchor 0's own best
            [0.0, -5.0, 10.0, 2.0],  # IoU 20/150 with anchor 0, 10/150 with anchor 1: forced onto anchor 0
            [0.0, -5.0, 10.0, 2.0],  # the same box again: shares the best anchor, the earlier gt keeps it
        ]
    )
    labels = assign_anchors(anchors, gt, np.array([0, 1, 2]))
    assert labels.matched_gt.tolist() == [1, 0, -1]
    assert labels.class_targets.tolist() == [1, 0, BACKGROUND_CLASS]
    np.testing.assert_allclose(decode_boxes(anchors[:2], labels.box_targets[:2]), gt[[1, 0]], atol=1e-5)


def test_no_ground_truth_means_all_background():
    anchors = _random_boxes(np.random.default_rng(1), 7, min_size=2.0, max_size=8.0)
    labels = assign_anchors(anchors, np.zeros((0, 4)), np.zeros(0, np.int64))
    assert (labels.class_targets == BACKGROUND_CLASS).all()
    assert (labels.matched_gt == -1).all()
    assert (labels.box_targets == 0).all() and labels.box_targets.shape == (7, 4)
    with pytest.raises(ValueError, match="read-only"):
        labels.class_targets[0] = 1


def test_assignment_rejects_bad_classes():
    anchors = np.array([[0.0, 0.0, 10.0, 10.0]])
    with pytest.raises(ValueError, match="gt_classes"):
        assign_anchors(anchors, anchors, np.array([0, 1]))
    with pytest.raises(ValueError, match="gt_classes"):
        assign_anchors(anchors, anchors, np.array([0.0]))
    with pytest.raises(ValueError, match="gt_classes"):
        assign_anchors(anchors, anchors, np.array([-1]))


def test_batch_equals_per_image_labels():
    rng = np.random.default_rng(3)
    # A small anchor grid: 8 px and 16 px squares every 8 px over a 64 px image.
    centres = np.arange(4.0, 64.0, 8.0)
    cy, cx = np.meshgrid(centres, centres, indexing="ij")
    anchors = np.concatenate(
        [np.stack([cy.ravel() - s, cx.ravel() - s, cy.ravel() + s, cx.ravel() + s], axis=1) for s in (4.0, 8.0)]
    )
    gt_boxes = [_random_boxes(rng, k, min_size=6.0, max_size=24.0) * 0.5 for k in (0, 1, 3, 5)]
    gt_classes = [rng.integers(0, 4, size=b.shape[0]) for b in gt_boxes]
    batch = assign_anchors_batch(anchors, gt_boxes, gt_classes, scale_factors=(10.0, 10.0, 5.0, 5.0))
    assert batch.num_images == 4
    assert batch.class_targets.shape == (4, anchors.shape[0]) and batch.box_targets.shape == (4, anchors.shape[0], 4)
    for i in range(4):
        single = assign_anchors(anchors, gt_boxes[i], gt_classes[i], scale_factors=(10.0, 10.0, 5.0, 5.0))
        np.testing.assert_array_equal(batch[i].class_targets, single.class_targets)
        np.testing.assert_array_equal(batch[i].box_targets, single.box_targets)
        np.testing.assert_array_equal(batch[i].matched_gt, single.matched_gt)
        # A ground-truth box without a positive anchor lost its best anchor to an earlier box.
        if gt_boxes[i].shape[0]:
            best_anchor = iou_matrix(anchors, gt_boxes[i]).argmax(axis=0)
            for k in set(range(gt_boxes[i].shape[0])) - set(single.matched_gt.tolist()):
                assert 0 <= single.matched_gt[best_anchor[k]] < k
    with pytest.raises(ValueError, match="differ in length"):
        assign_anchors_batch(anchors, gt_boxes, gt_classes[:2])
    with pytest.raises(ValueError, match=r"gt_boxes\[1\]"):
        assign_anchors_batch(anchors, [gt_boxes[0], np.zeros((1, 3))], gt_classes[:2])
