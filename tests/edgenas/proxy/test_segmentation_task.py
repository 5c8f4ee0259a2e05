"""Tests of edgenas/proxy/segmentation_task.py and segmentation_reduce.py (no TensorFlow)."""

from __future__ import annotations

import pytest

from edgenas import spaces
from edgenas.proxy.errors import ProxyConfigError
from edgenas.proxy.segmentation_reduce import segmentation_proxy_spec
from edgenas.proxy.segmentation_task import SegmentationProxyTask
from edgenas.specs import spinenet_reference
from edgenas.specs.segmentation_head import SegmentationHeadSpec
from edgenas.specs.segmenter import ChainSegmenterSpec, default_chain_segmenter, default_spinenet_segmenter


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"image_size": 100}, "image_size must be a multiple of 32 .* from 64 to 512, got 100"),
        ({"image_size": 32}, "image_size must be at least 64"),
        ({"image_size": 544}, "from 64 to 512, got 544"),
        ({"steps": 0}, "steps must be at least 1"),
        ({"num_train": 8}, "num_train must be at least 16"),
        ({"num_classes": 0}, r"num_classes must be in \[1, 20\], got 0"),
        ({"max_object_px": 200}, "need min_object_px <= max_object_px <= image_size, got 16, 200 and 128"),
        ({"ignore_border_px": 9}, r"ignore_border_px must be in \[0, 8\]"),
        ({"width_multiplier": 0}, r"width_multiplier must be in \(0, 4\)"),
        ({"learning_rate": float("nan")}, "learning_rate must be a finite number"),
        ({"bn_momentum": 1.0}, r"bn_momentum must be in \[0, 1\)"),
        ({"block_repeats": 0}, "block_repeats must be at least 1"),
        ({"seed": True}, "seed must be an integer"),
    ],
)
def test_bad_segmentation_task_settings_are_refused_with_the_field(change: dict, problem: str) -> None:
    with pytest.raises(ProxyConfigError, match=problem):
        SegmentationProxyTask(**change)


def test_the_task_is_frozen_and_names_its_dataset() -> None:
    task = SegmentationProxyTask(image_size=64, num_classes=2, num_train=32, num_val=8, max_object_px=32)
    data = task.data_spec()
    assert (data.image_size, data.num_classes, data.num_train, data.num_val, data.max_object_px) == (64, 2, 32, 8, 32)
    with pytest.raises(AttributeError):
        task.steps = 3  # type: ignore[misc]


def test_the_proxy_keeps_the_topology_and_narrows_the_sizes() -> None:
    task = SegmentationProxyTask(width_multiplier=0.5, min_filters=8, head_num_filters=16)
    chain = default_chain_segmenter(spaces.get("mnasnet").reference("mobilenet_v2"))
    small = segmentation_proxy_spec(chain, task)
    assert isinstance(small, ChainSegmenterSpec)
    assert [b.strides for b in small.backbone.blocks] == [b.strides for b in chain.backbone.blocks]
    assert [b.output_filters for b in small.backbone.blocks] == [8, 12, 16, 32, 48, 80, 160]
    assert small.head == SegmentationHeadSpec(num_filters=16, use_separable_conv=True)
    spine = default_spinenet_segmenter(spinenet_reference("spinenet_mobile49xs"))
    reduced = segmentation_proxy_spec(spine, task)
    assert reduced.backbone.blocks == spine.backbone.blocks
    assert (reduced.backbone.endpoints_num_filters, reduced.backbone.block_repeats) == (12, 1)
    assert reduced.head == SegmentationHeadSpec(num_filters=16, use_separable_conv=True)


def test_only_segmenters_reduce_to_the_segmentation_proxy() -> None:
    with pytest.raises(ProxyConfigError, match="trains ChainSegmenterSpec or SpineNetSegmenterSpec candidates, got "
                                               "ArchSpec"):  # fmt: skip
        segmentation_proxy_spec(spaces.get("mnasnet").reference("mobilenet_v2"), SegmentationProxyTask())
