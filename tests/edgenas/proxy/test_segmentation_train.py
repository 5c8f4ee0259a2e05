"""The segmentation proxy: tiny real trainings score a valid mIoU; the scoring path is exact on a perfect predictor."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edgenas import spaces
from edgenas.proxy.errors import ProxyConfigError
from edgenas.proxy.segmentation_task import SegmentationProxyTask
from edgenas.proxy.segmentation_train import (
    masks_at_stride,
    score_segmentation,
    segmentation_data_for,
    train_and_evaluate_segmentation,
)
from edgenas.proxy import DetectionProxyTask
from edgenas.specs import spinenet_reference
from edgenas.specs.segmenter import default_chain_segmenter, default_spinenet_segmenter

_TINY = dict(steps=3, num_train=16, num_val=8, batch_size=8, num_classes=2, max_object_px=48)


def test_masks_are_sampled_at_the_centre_of_each_8x8_cell() -> None:
    masks = np.arange(2 * 16 * 24, dtype=np.int64).reshape(2, 16, 24) % 251
    sampled = masks_at_stride(masks)
    assert sampled.shape == (2, 2, 3)
    assert sampled[1, 1, 2] == masks[1, 12, 20]
    with pytest.raises(ValueError, match="multiples of 8"):
        masks_at_stride(masks[:, :12])


def test_a_perfect_predictor_scores_1_and_a_constant_one_scores_what_its_confusion_says() -> None:
    task = SegmentationProxyTask(image_size=64, num_val=16, **{k: v for k, v in _TINY.items() if k != "num_val"})
    data = segmentation_data_for(task)
    labels = masks_at_stride(data.val.masks)
    labels[0, 0, 0] = 255  # an ignored pixel counts nowhere, whatever is predicted there
    num_labels = data.spec.num_labels
    perfect = np.eye(num_labels, dtype=np.float32)[np.where(labels == 255, 0, labels)] * 5.0
    perfect[0, 0, 0] = [0.0, 0.0, 9.0]
    score = score_segmentation(perfect, labels, num_labels=num_labels)
    assert score.mean_iou == 1.0 and score.pixel_accuracy == 1.0
    assert score.num_pixels == labels.size - 1
    background = np.zeros((*labels.shape, num_labels), np.float32)
    background[..., 0] = 1.0  # everything predicted as background: IoU(bg) = share of bg pixels, others 0
    score = score_segmentation(background, labels, num_labels=num_labels)
    counted = labels != 255
    share = float(np.mean(labels[counted] == 0))
    present = len({int(v) for v in np.unique(labels[counted])} | {0})
    assert score.mean_iou == pytest.approx(share / present)
    with pytest.raises(ValueError, match="do not match labels"):
        score_segmentation(background[..., :2], labels, num_labels=num_labels)


@pytest.mark.slow
def test_a_tiny_chain_segmenter_trains_and_scores_a_valid_miou() -> None:
    spec = default_chain_segmenter(spaces.get("mnasnet").sample(1, seed=2)[0])
    result = train_and_evaluate_segmentation(spec, SegmentationProxyTask(image_size=64, **_TINY))
    assert result.metric_name == "mIoU"
    assert 0.0 <= result.accuracy <= 1.0 and 0.0 <= result.pixel_accuracy <= 1.0
    assert len(result.per_class_iou) == 3
    assert result.accuracy == pytest.approx(np.nanmean(result.per_class_iou))
    assert math.isfinite(result.train_loss) and result.steps == 3 and result.num_validation == 8
    assert result.proxy_spec.head.num_filters == 32 and result.params > 0


@pytest.mark.slow
def test_a_tiny_spinenet_segmenter_trains_and_scores_a_valid_miou() -> None:
    spec = default_spinenet_segmenter(spinenet_reference("spinenet_mobile49xs"))
    result = train_and_evaluate_segmentation(spec, SegmentationProxyTask(image_size=128, **_TINY))
    assert 0.0 <= result.accuracy <= 1.0 and math.isfinite(result.train_loss)
    assert result.proxy_spec.backbone.block_repeats == 1


def test_bad_inputs_are_refused_before_anything_trains() -> None:
    spine = default_spinenet_segmenter(spinenet_reference("spinenet_mobile49xs"))
    with pytest.raises(ProxyConfigError, match="segmentation proxy's 64 px images do not fit: .*multiple of 128"):
        train_and_evaluate_segmentation(spine, SegmentationProxyTask(image_size=64, **_TINY))
    with pytest.raises(ProxyConfigError, match="needs a SegmentationProxyTask, got DetectionProxyTask"):
        train_and_evaluate_segmentation(spine, DetectionProxyTask())


@pytest.mark.slow
def test_a_segmenter_training_with_rungs_ends_as_one_without_and_a_gate_stops_it() -> None:
    spec = default_chain_segmenter(spaces.get("mnasnet").sample(1, seed=2)[0])
    task = SegmentationProxyTask(image_size=64, **{**_TINY, "steps": 4})
    plain = train_and_evaluate_segmentation(spec, task)
    ranged = train_and_evaluate_segmentation(spec, task, rung_steps=(1, 2), gate=lambda k, s: True)
    assert (ranged.accuracy, ranged.train_loss, ranged.per_class_iou) == (plain.accuracy, plain.train_loss,
                                                                           plain.per_class_iou)  # fmt: skip
    assert [r.steps for r in ranged.rungs] == [1, 2, 4] and ranged.rungs[-1].score == plain.accuracy
    stopped = train_and_evaluate_segmentation(spec, task, rung_steps=(1, 2), gate=lambda k, s: False)
    assert stopped.stopped_early and stopped.steps == 1 and stopped.rungs == ranged.rungs[:1]
    assert stopped.accuracy == ranged.rungs[0].score == pytest.approx(np.nanmean(stopped.per_class_iou))
