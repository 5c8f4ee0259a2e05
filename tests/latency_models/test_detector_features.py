"""Tests of latency_models/detector_features.py: head counts against the built heads' pinned counts, features."""

from __future__ import annotations

import dataclasses

import pytest

from edgenas.errors import SpecError
from edgenas.specs import estimate_spinenet_cost, spinenet_reference
from edgenas.specs.detection_head import DetectionHeadSpec
from edgenas.specs.spinenet_detector import SpineNetDetectorSpec
from latency_models.detector_features import DETECTOR_FEATURES, detector_features, head_cost

F = {name: i for i, name in enumerate(DETECTOR_FEATURES)}
LEVELS = (3, 4, 5, 6, 7)


def test_head_parameters_equal_the_built_heads() -> None:
    # Trainable parameters of the built heads, pinned in tests/edgenas/models/test_spinenet_detector.py
    # (separable 48-filter head on 48 endpoint filters; plain 256-filter head on 256).
    sep = DetectionHeadSpec(head_num_filters=48, use_separable_conv=True)
    assert head_cost(sep, levels=LEVELS, input_shape=(128, 128, 3), filters_in=48, num_classes=91)[0] == 68_871
    plain = DetectionHeadSpec()
    assert head_cost(plain, levels=LEVELS, input_shape=(640, 640, 3), filters_in=256, num_classes=91)[0] == 6_711_895


def test_head_macs_follow_the_pixels_of_each_level() -> None:
    head = DetectionHeadSpec(head_num_convs=1, head_num_filters=8, num_anchors=1, use_separable_conv=False)
    _, macs = head_cost(head, levels=(3,), input_shape=(128, 128, 3), filters_in=4, num_classes=2)
    pixels = 16 * 16
    # Class tower 4->8, class output 8->2; box tower 4->8, box output 8->4; all 3x3.
    assert macs == pixels * 9 * (4 * 8 + 8 * 2 + 4 * 8 + 8 * 4)


def test_features_of_a_published_detector() -> None:
    backbone = spinenet_reference("spinenet_mobile49")
    detector = SpineNetDetectorSpec(backbone=backbone, head=DetectionHeadSpec(head_num_filters=48, use_separable_conv=True))
    x = detector_features(detector, input_shape=(384, 384, 3), num_classes=91)
    assert len(x) == len(DETECTOR_FEATURES)
    cost = estimate_spinenet_cost(backbone, input_shape=(384, 384, 3))
    assert x[F["backbone_macs_m"]] == pytest.approx(cost.macs / 1e6)
    assert x[F["total_macs_m"]] == pytest.approx(x[F["backbone_macs_m"]] + x[F["head_macs_m"]])
    assert x[F["head_params_k"]] == pytest.approx(68.871)
    anchors = 9 * sum((384 >> level) ** 2 for level in LEVELS)
    assert x[F["output_values_k"]] == pytest.approx(anchors * 95 / 1e3)
    # Twice the block repeats: twice the blocks and their activation, more MACs.
    doubled = dataclasses.replace(detector, backbone=dataclasses.replace(backbone, block_repeats=2))
    y = detector_features(doubled, input_shape=(384, 384, 3), num_classes=91)
    assert y[F["num_blocks"]] == 2 * x[F["num_blocks"]]
    assert y[F["block_activation_k"]] == pytest.approx(2 * x[F["block_activation_k"]])
    assert y[F["backbone_macs_m"]] > x[F["backbone_macs_m"]]


def test_an_input_the_backbone_cannot_take_is_a_spec_error() -> None:
    detector = SpineNetDetectorSpec(backbone=spinenet_reference("spinenet_mobile49xs"),
                                    head=DetectionHeadSpec(head_num_filters=24, use_separable_conv=True))  # fmt: skip
    with pytest.raises(SpecError, match="not a multiple of 128"):
        detector_features(detector, input_shape=(200, 200, 3), num_classes=91)


def test_cross_scale_counts_match_the_built_backbone() -> None:
    """The resampling counts equal the layers the builder makes: one `_up` output per up-sampled input, one
    depthwise stride-2 step (`_down<k>_dw`) per level an input moves down."""
    import re

    from edgenas import build_keras

    backbone = spinenet_reference("spinenet_mobile49xs")
    detector = SpineNetDetectorSpec(backbone=backbone, head=DetectionHeadSpec(head_num_filters=24, use_separable_conv=True))
    x = detector_features(detector, input_shape=(128, 128, 3), num_classes=91)
    names = [layer.name for layer in build_keras(backbone, input_shape=(128, 128, 3), num_classes=0).layers]
    ups = [n for n in names if re.fullmatch(r"block\d+_in\d_up", n)]
    down_steps = [n for n in names if re.fullmatch(r"block\d+_in\d_down\d+_dw", n)]
    down_inputs = {n.rsplit("_down", 1)[0] for n in down_steps}
    assert x[F["num_upsampled_inputs"]] == len(ups) > 0
    assert x[F["num_downsampled_inputs"]] == len(down_inputs) > 0
    def moved_up(name: str) -> int:  # "block<index>_in<k>_up": input k of the block at absolute index <index>
        index, k = map(int, re.fullmatch(r"block(\d+)_in(\d)_up", name).groups())
        block = backbone.blocks[index - 2]  # indices count the two stem blocks first
        return backbone.levels[block.input_offsets[k]] - block.level

    up_levels = sum(moved_up(n) for n in ups)
    assert x[F["resample_level_steps"]] == len(down_steps) + up_levels
    assert 0 < x[F["upsampled_values_k"]] < x[F["merge_input_values_k"]]
