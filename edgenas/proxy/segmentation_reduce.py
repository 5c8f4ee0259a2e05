"""`segmentation_proxy_spec`: the reduced segmenter that the segmentation proxy task trains."""

from __future__ import annotations

import dataclasses
from typing import Any

from edgenas.errors import SpecError
from edgenas.proxy.detection_reduce import reduce_spinenet_spec
from edgenas.proxy.errors import ProxyConfigError
from edgenas.proxy.reduce import reduce_spec
from edgenas.proxy.segmentation_task import SegmentationProxyTask
from edgenas.specs.segmenter import ChainSegmenterSpec, SpineNetSegmenterSpec

__all__ = ["segmentation_proxy_spec"]

_FINEST_FEATURE_PX = 1
"""A chain keeps every stride: its level-5 map of the task's image (>= 64 px) is at least 2 px."""


def segmentation_proxy_spec(spec: Any, task: SegmentationProxyTask) -> ChainSegmenterSpec | SpineNetSegmenterSpec:
    """The segmenter the task trains for `spec`: its backbone narrowed, its decoder at the task's width.

    Everything searched stays. A chain backbone keeps its stages (block types,
    kernels, expansion, SE, repeats, activations and strides) at the task's
    width (`reduce_spec`, no stride removed: the decoder needs levels 3-5); a
    SpineNet keeps its topology (`reduce_spinenet_spec`: width, endpoints and the
    task's `block_repeats`). The decoder keeps its kind (separable or plain) with
    `task.head_num_filters` filters.

    Raises:
        ProxyConfigError: If `spec` is not a segmenter, or the reduction leaves an invalid network.
    """
    if isinstance(spec, ChainSegmenterSpec):
        backbone = reduce_spec(
            spec.backbone,
            image_size_px=task.image_size,
            width_multiplier=task.width_multiplier,
            min_filters=task.min_filters,
            min_feature_map_px=_FINEST_FEATURE_PX,
        )
        if [b.strides for b in backbone.blocks] != [b.strides for b in spec.backbone.blocks]:
            raise ProxyConfigError(f"a {task.image_size}x{task.image_size} proxy image cannot hold {spec.backbone}'s "
                                   "levels")  # fmt: skip
    elif isinstance(spec, SpineNetSegmenterSpec):
        backbone = reduce_spinenet_spec(spec.backbone, width_multiplier=task.width_multiplier,
                                        min_filters=task.min_filters, block_repeats=task.block_repeats)  # fmt: skip
    else:
        raise ProxyConfigError(
            f"the segmentation proxy trains ChainSegmenterSpec or SpineNetSegmenterSpec candidates, got "
            f"{type(spec).__name__}"
        )
    try:
        return dataclasses.replace(
            spec, backbone=backbone, head=dataclasses.replace(spec.head, num_filters=task.head_num_filters)
        )
    except SpecError as error:
        raise ProxyConfigError(f"cannot reduce {spec} to the segmentation proxy: {error}") from None
