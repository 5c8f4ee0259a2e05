"""Tests of edgenas/proxy/detection_task.py and detection_reduce.py (no TensorFlow)."""

from __future__ import annotations

import pytest

import edgenas
from edgenas.proxy import DetectionProxyTask, ProxyConfigError, detection_proxy_head, detection_proxy_spec
from edgenas.specs import spinenet_reference


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"image_size": 200}, "multiple of 128"),
        ({"image_size": 640}, "multiple of 128"),
        ({"steps": 0}, "steps must be at least 1"),
        ({"max_box_px": 8}, "max_box_px must be at least 16"),
        ({"max_box_px": 200}, "max_box_px 200 exceeds image_size 128"),
        ({"width_multiplier": 0}, r"width_multiplier must be in \(0, 4\)"),
        ({"learning_rate": float("nan")}, "learning_rate must be a finite number"),
        ({"num_train": 8}, "num_train must be at least 16"),
        ({"seed": True}, "seed must be an integer"),
    ],
)
def test_bad_detection_task_settings_are_refused_with_the_field(change: dict, problem: str) -> None:
    with pytest.raises(ProxyConfigError, match=problem):
        DetectionProxyTask(**change)


def test_the_proxy_keeps_the_topology_and_shrinks_the_sizes() -> None:
    task = DetectionProxyTask(width_multiplier=0.5, min_filters=8)
    big = spinenet_reference("spinenet96")  # ResNet-style, 2 blocks per node
    reduced = detection_proxy_spec(big, task)
    assert reduced.blocks == big.blocks and reduced.resample_alpha == big.resample_alpha
    assert (reduced.filter_size_scale, reduced.endpoints_num_filters, reduced.block_repeats) == (0.5, 128, 1)
    mobile = spinenet_reference("spinenet_mobile49xs")  # 24 endpoint filters: halved to 12
    small = detection_proxy_spec(mobile, task)
    assert small.blocks == mobile.blocks and small.mbconv == mobile.mbconv
    assert (small.filter_size_scale, small.endpoints_num_filters) == (0.3, 12)
    assert detection_proxy_spec(mobile, DetectionProxyTask(min_filters=16)).endpoints_num_filters == 16
    # never wider than the candidate itself
    assert detection_proxy_spec(mobile, DetectionProxyTask(width_multiplier=2.0)).filter_size_scale == 0.6
    head = detection_proxy_head(small, task)
    assert (head.head_num_convs, head.head_num_filters, head.use_separable_conv) == (2, 32, True)
    assert detection_proxy_head(reduced, task).use_separable_conv is False


def test_only_spinenet_specs_reduce_to_a_detector() -> None:
    arch = edgenas.spaces.get("mnasnet").sample(1, seed=0)[0]
    with pytest.raises(ProxyConfigError, match="trains SpineNet specs, got ArchSpec"):
        detection_proxy_spec(arch, DetectionProxyTask())
