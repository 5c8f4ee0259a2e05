"""Confusion matrix and mean IoU: a hand-made case, perfect predictions, and scikit-learn on random masks."""

import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, jaccard_score
from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

from edgenas.proxy.segmentation_metrics import MeanIoU, confusion_matrix, iou_from_confusion, mean_iou


def test_hand_made_case():
    labels = np.array([[0, 0, 1, 1], [2, 2, 255, 255], [1, 0, 2, 255]], dtype=np.uint8)
    predictions = np.array([[0, 1, 1, 1], [2, 0, 3, 1], [1, 0, 2, 2]], dtype=np.int64)
    matrix = confusion_matrix(labels, predictions, num_classes=5)
    # Rows: ground truth; columns: prediction. Ignored pixels (255) count nowhere.
    expected = np.zeros((5, 5), dtype=np.int64)
    expected[0] = [2, 1, 0, 0, 0]
    expected[1] = [0, 3, 0, 0, 0]
    expected[2] = [1, 0, 2, 0, 0]
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.dtype == np.int64
    result = mean_iou(labels, predictions, num_classes=5)
    # Class 0: TP 2, FN 1, FP 1 -> 2/4. Class 1: TP 3, FP 1 -> 3/4. Class 2: TP 2, FN 1 -> 2/3.
    # Classes 3 and 4: only predicted at ignored pixels, so absent -> NaN, not in the mean.
    assert result.per_class_iou[:3] == pytest.approx((0.5, 0.75, 2 / 3))
    assert math.isnan(result.per_class_iou[3]) and math.isnan(result.per_class_iou[4])
    assert result.present_classes == (0, 1, 2)
    assert result.mean_iou == pytest.approx((0.5 + 0.75 + 2 / 3) / 3)
    assert result.pixel_accuracy == pytest.approx(7 / 9)
    assert result.num_pixels == 9
    # A class predicted at a counted pixel but never labelled counts, with IoU 0.
    wrong = predictions.copy()
    wrong[0, 0] = 4
    assert mean_iou(labels, wrong, num_classes=5).per_class_iou[4] == 0.0
    assert mean_iou(labels, wrong, num_classes=5).present_classes == (0, 1, 2, 4)


def test_perfect_prediction_scores_one():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, size=(3, 16, 16)).astype(np.uint8)  # class 4 never occurs
    labels[0, :2] = 255
    predictions = np.where(labels == 255, rng.integers(0, 5, size=labels.shape), labels)
    result = mean_iou(labels, predictions, num_classes=5)
    assert result.mean_iou == 1.0 and result.pixel_accuracy == 1.0
    assert result.per_class_iou[:4] == (1.0, 1.0, 1.0, 1.0) and math.isnan(result.per_class_iou[4])
    assert result.num_pixels == 3 * 16 * 16 - 2 * 16


def _random_case(seed: int, num_classes: int):
    """Labels with ignored pixels, one class absent everywhere, one only predicted, one only labelled."""
    rng = np.random.default_rng(seed)
    shape = (4, 24, 20)
    labels = rng.integers(0, num_classes - 2, size=shape)  # the last two classes are never labelled
    labels[rng.uniform(size=shape) < 0.15] = 255
    labels[rng.uniform(size=shape) < 0.02] = 1  # class 1: labelled, never predicted (see below)
    noise = rng.integers(0, num_classes - 1, size=shape)  # the last class is never predicted
    predictions = np.where(rng.uniform(size=shape) < 0.6, labels, noise)
    predictions = np.where(labels == 255, noise, predictions)
    predictions = np.where(predictions == 1, 0, predictions)
    return labels.astype(np.uint8), predictions.astype(np.int32)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("num_classes", [4, 7])
def test_agrees_with_scikit_learn(seed, num_classes):
    labels, predictions = _random_case(seed, num_classes)
    counted = labels != 255
    y_true, y_pred = labels[counted].astype(int), predictions[counted].astype(int)
    everything = list(range(num_classes))
    matrix = confusion_matrix(labels, predictions, num_classes=num_classes)
    np.testing.assert_array_equal(matrix, sklearn_confusion_matrix(y_true, y_pred, labels=everything))
    result = mean_iou(labels, predictions, num_classes=num_classes)
    present = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    assert num_classes - 1 not in present and 1 in present  # the case holds what it should
    assert result.present_classes == tuple(present)
    per_class = jaccard_score(y_true, y_pred, labels=present, average=None)
    np.testing.assert_allclose([result.per_class_iou[c] for c in present], per_class, rtol=1e-12)
    assert result.per_class_iou[1] == 0.0  # labelled, never predicted
    assert math.isnan(result.per_class_iou[num_classes - 1])
    assert result.mean_iou == pytest.approx(jaccard_score(y_true, y_pred, labels=present, average="macro"), rel=1e-12)
    assert result.pixel_accuracy == pytest.approx(accuracy_score(y_true, y_pred), rel=1e-12)
    assert result.num_pixels == int(counted.sum())


def test_a_dataset_scores_its_summed_confusion_matrix():
    labels, predictions = _random_case(5, 6)
    total = sum(confusion_matrix(labels[i], predictions[i], num_classes=6) for i in range(labels.shape[0]))
    whole = mean_iou(labels, predictions, num_classes=6)
    summed = iou_from_confusion(total)
    np.testing.assert_equal(summed.per_class_iou, whole.per_class_iou)  # NaN where absent, in both
    assert (summed.mean_iou, summed.pixel_accuracy, summed.num_pixels) == (
        whole.mean_iou,
        whole.pixel_accuracy,
        whole.num_pixels,
    )
    per_image = [mean_iou(labels[i], predictions[i], num_classes=6).mean_iou for i in range(labels.shape[0])]
    assert not math.isclose(np.mean(per_image), whole.mean_iou)


def test_ignore_label_choices():
    labels = np.array([0, 1, -1, 2, 255])
    predictions = np.array([0, 1, 1, 0, 2])
    # Ignoring -1 leaves 255 an invalid label; ignoring nothing makes -1 one.
    with pytest.raises(ValueError, match=r"labels must lie in 0..2 or be the ignore label -1, got 255"):
        confusion_matrix(labels, predictions, num_classes=3, ignore_label=-1)
    counted = confusion_matrix(labels[:4], predictions[:4], num_classes=3, ignore_label=-1)
    assert counted.sum() == 3 and counted[2, 0] == 1
    with pytest.raises(ValueError, match=r"labels must lie in 0..2, got -1"):
        confusion_matrix(labels[:4], predictions[:4], num_classes=3, ignore_label=None)
    assert confusion_matrix(labels[:2], predictions[:2], num_classes=3, ignore_label=None).sum() == 2
    # An ignore label outside the dtype's range simply matches nothing.
    small = np.array([0, 1, 2], dtype=np.int8)
    assert confusion_matrix(small, small, num_classes=3).trace() == 3


@pytest.mark.parametrize(
    ("labels", "predictions", "kwargs", "message"),
    [
        ([[0, 1]], [0, 1], {}, r"same shape, got \(1, 2\) and \(2,\)"),
        ([0.0, 1.0], [0, 1], {}, "labels must be an integer array, got dtype float64"),
        ([0, 1], [True, False], {}, "predictions must be an integer array, got dtype bool"),
        ([0, 1], [0, 3], {}, r"predictions must lie in 0..2, got 3"),
        ([0, 1], [-1, 1], {}, r"predictions must lie in 0..2, got -1"),
        ([255, 1], [7, 1], {}, r"predictions must lie in 0..2, got 7"),  # checked under ignored labels too
        ([0, 5], [0, 1], {}, r"labels must lie in 0..2 or be the ignore label 255, got 5"),
        ([0, 255], [0, 1], {"ignore_label": None}, r"labels must lie in 0..2, got 255"),
        ([0, 1], [0, 1], {"ignore_label": 2}, r"ignore_label 2 is a class id \(num_classes=3\)"),
        ([0, 1], [0, 1], {"ignore_label": 2.5}, "ignore_label must be an integer or None, got 2.5"),
        ([0, 1], [0, 1], {"num_classes": 0}, "num_classes must be a positive integer, got 0"),
        ([0, 1], [0, 1], {"num_classes": True}, "num_classes must be a positive integer, got True"),
    ],
)
def test_confusion_matrix_rejects_bad_input(labels, predictions, kwargs, message):
    arguments = {"num_classes": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        confusion_matrix(np.array(labels), np.array(predictions), **arguments)


def test_scores_need_a_counted_pixel_and_a_valid_matrix():
    with pytest.raises(ValueError, match="counts no pixel"):
        mean_iou(np.full((2, 2), 255, np.uint8), np.zeros((2, 2), np.uint8), num_classes=2)
    with pytest.raises(ValueError, match="counts no pixel"):
        mean_iou(np.zeros((0, 4), np.uint8), np.zeros((0, 4), np.uint8), num_classes=2)
    with pytest.raises(ValueError, match=r"square integer matrix, got int64 \(2, 3\)"):
        iou_from_confusion(np.zeros((2, 3), np.int64))
    with pytest.raises(ValueError, match=r"square integer matrix, got float64 \(2, 2\)"):
        iou_from_confusion(np.eye(2))
    with pytest.raises(ValueError, match="negative counts"):
        iou_from_confusion(np.array([[1, -1], [0, 1]]))
    result = iou_from_confusion(np.array([[3, 1], [0, 0]]))
    assert result == MeanIoU(mean_iou=(0.75 + 0.0) / 2, per_class_iou=(0.75, 0.0), pixel_accuracy=0.75, num_pixels=4)
