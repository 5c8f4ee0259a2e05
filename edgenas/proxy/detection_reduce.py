"""`detection_proxy_spec`: the reduced SpineNet detector that the detection proxy task trains."""

from __future__ import annotations

import dataclasses
import math

from edgenas.errors import SpecError
from edgenas.proxy.detection_task import DetectionProxyTask
from edgenas.proxy.errors import ProxyConfigError
from edgenas.specs.detection_head import DetectionHeadSpec
from edgenas.specs.spinenet_arch import SpineNetSpec

__all__ = ["detection_proxy_head", "detection_proxy_spec", "reduce_spinenet_spec"]


def detection_proxy_spec(spec: SpineNetSpec, task: DetectionProxyTask) -> SpineNetSpec:
    """The candidate's topology at proxy size (`reduce_spinenet_spec` with the task's sizes).

    Raises:
        ProxyConfigError: If `spec` is not a `SpineNetSpec`, or the width leaves a layer with no filters.
    """
    if not isinstance(spec, SpineNetSpec):
        raise ProxyConfigError(f"the detection proxy task trains SpineNet specs, got {type(spec).__name__}")
    return reduce_spinenet_spec(
        spec, width_multiplier=task.width_multiplier, min_filters=task.min_filters, block_repeats=task.block_repeats
    )


def reduce_spinenet_spec(
    spec: SpineNetSpec, *, width_multiplier: float, min_filters: int, block_repeats: int | None
) -> SpineNetSpec:
    """A SpineNet's topology at proxy size (what the detection and segmentation proxies train).

    Everything searched stays: the level order, block functions, inputs and
    output blocks. The sizing changes: `filter_size_scale` and the endpoint
    filters are multiplied by `width_multiplier` (endpoints never below
    `min_filters`, never above the original) and every node holds
    `block_repeats` blocks (None: as many as the candidate's).

    Raises:
        ProxyConfigError: If `spec` is not a `SpineNetSpec`, or the width leaves a layer with no filters.
    """
    if not isinstance(spec, SpineNetSpec):
        raise ProxyConfigError(f"only SpineNet specs reduce to a SpineNet proxy, got {type(spec).__name__}")
    endpoints = min(
        spec.endpoints_num_filters,
        max(min_filters, int(math.floor(spec.endpoints_num_filters * width_multiplier + 0.5))),
    )
    try:
        return dataclasses.replace(
            spec,
            filter_size_scale=min(spec.filter_size_scale, spec.filter_size_scale * width_multiplier),
            endpoints_num_filters=endpoints,
            block_repeats=spec.block_repeats if block_repeats is None else block_repeats,
        )
    except SpecError as error:
        raise ProxyConfigError(f"width_multiplier {width_multiplier:g} cannot reduce {spec}: {error}") from None


def detection_proxy_head(
    spec: SpineNetSpec, task: DetectionProxyTask, *, head: DetectionHeadSpec | None = None
) -> DetectionHeadSpec:
    """The proxy detector's head.

    Without `head`: the task's convs and filters, the family's conv type, 9
    anchors. With `head` (a scaled detector's): its convs and conv type, its
    filters times `task.width_multiplier` (at least `task.min_filters`).
    """
    if head is not None:
        filters = max(task.min_filters, int(math.floor(head.head_num_filters * task.width_multiplier + 0.5)))
        return dataclasses.replace(head, head_num_filters=min(filters, head.head_num_filters))
    return DetectionHeadSpec(
        head_num_convs=task.head_num_convs,
        head_num_filters=task.head_num_filters,
        use_separable_conv=spec.mbconv is not None,
    )
