"""Tests of edgenas/proxy/detection_train.py: the RetinaNet losses against numpy, and a short real training."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edgenas.proxy import DetectionProxyTask, train_and_evaluate_detection
from edgenas.proxy.detection_train import (
    BOX_LOSS_WEIGHT,
    FOCAL_ALPHA,
    FOCAL_GAMMA,
    HUBER_DELTA,
    _losses,
    detection_anchors,
    detection_data_for,
)
from edgenas.specs import spinenet_reference


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def test_the_focal_and_box_losses_match_their_definitions() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 5, 3)).astype(np.float32)
    # image 0: anchor 0 is class 2, anchor 1 ignored, the rest background; image 1: anchors 3, 4 are class 0.
    targets = np.array([[2, -2, -1, -1, -1], [-1, -1, -1, 0, 0]], dtype=np.int32)
    focal, box = _losses()
    got = np.asarray(focal(targets, logits))
    expected = np.zeros(2)
    for i in range(2):
        for a in range(5):
            if targets[i, a] == -2:
                continue
            for c in range(3):
                y = 1.0 if targets[i, a] == c else 0.0
                p = _sigmoid(logits[i, a, c])
                p_t = p if y else 1 - p
                alpha = FOCAL_ALPHA if y else 1 - FOCAL_ALPHA
                expected[i] += -alpha * (1 - p_t) ** FOCAL_GAMMA * math.log(p_t)
    expected *= 2 / 3  # batch of 2, 3 positives in the batch: the mean over images is the sum / positives
    np.testing.assert_allclose(got, expected, rtol=1e-5)

    deltas = rng.normal(scale=0.2, size=(2, 5, 4)).astype(np.float32)
    predicted = rng.normal(scale=0.2, size=(2, 5, 4)).astype(np.float32)
    positive = (targets >= 0).astype(np.float32)
    got = np.asarray(box(np.concatenate([deltas, positive[..., None]], axis=-1), predicted))
    error = np.abs(deltas - predicted)
    huber = np.where(error <= HUBER_DELTA, 0.5 * error**2, HUBER_DELTA * (error - 0.5 * HUBER_DELTA)).sum(-1)
    np.testing.assert_allclose(got, BOX_LOSS_WEIGHT * (huber * positive).sum(1) * 2 / 3, rtol=1e-5)
    # No positive anyone: no division by zero, the box loss is 0.
    assert np.all(np.asarray(box(np.zeros((2, 5, 5), np.float32), predicted)) == 0)


def test_anchors_follow_the_head_order_and_label_every_object() -> None:
    task = DetectionProxyTask(num_train=32, num_val=8)
    spec = spinenet_reference("spinenet_mobile49xs")
    anchors = detection_anchors(spec, task)
    assert anchors.shape == (9 * (16 * 16 + 8 * 8 + 4 * 4 + 2 * 2 + 1), 4)
    assert np.all(anchors[: 9 * 256, 2] - anchors[: 9 * 256, 0] < 64)  # level 3 first: its anchors are the smallest
    data = detection_data_for(task)
    assert detection_data_for(task) is data  # generated once per process
    assert data.train.num_images == 32 and data.val.num_images == 8


@pytest.mark.slow
@pytest.mark.long
def test_a_short_training_learns_and_reports_ap() -> None:
    task = DetectionProxyTask(steps=30, num_train=64, num_val=16, batch_size=8)
    spec = spinenet_reference("spinenet_mobile49xs")
    result = train_and_evaluate_detection(spec, task)
    assert result.train_loss < 0.9 * result.initial_loss  # it learns (3.6 -> 3.0 when written)
    assert 0.0 <= result.accuracy <= 1.0 and len(result.per_class_ap) == task.num_classes
    assert result.proxy_spec.blocks == spec.blocks and result.steps == 30 and result.num_validation == 16
    assert result.params > 0 and result.train_s > 0


@pytest.mark.slow
def test_a_detector_training_with_rungs_ends_as_one_without_and_a_gate_stops_it() -> None:
    task = DetectionProxyTask(steps=4, num_train=16, num_val=8, batch_size=8)
    spec = spinenet_reference("spinenet_mobile49xs")
    plain = train_and_evaluate_detection(spec, task)
    ranged = train_and_evaluate_detection(spec, task, rung_steps=(2,), gate=lambda k, s: True)
    assert (ranged.accuracy, ranged.train_loss, ranged.per_class_ap) == (plain.accuracy, plain.train_loss,
                                                                         plain.per_class_ap)  # fmt: skip
    assert [r.steps for r in ranged.rungs] == [2, 4] and ranged.rungs[-1].score == plain.accuracy
    stopped = train_and_evaluate_detection(spec, task, rung_steps=(2,), gate=lambda k, s: False)
    assert stopped.stopped_early and stopped.steps == 2 and stopped.rungs == ranged.rungs[:1]
    assert stopped.accuracy == ranged.rungs[0].score and len(stopped.per_class_ap) == task.num_classes
