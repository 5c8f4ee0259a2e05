"""`train_and_evaluate_chain_detection`: the detection proxy of a detector on a chain backbone.

The trained network keeps what the search chose, the backbone's stages (block
types, kernels, expansion, SE, repeats, activations and strides), at the task's
width (`edgenas.proxy.reduce_spec` with the task's `width_multiplier` and
`min_filters`, no stride removed: the detector needs levels 3 to 7); the decoder
and head keep their kind (plain FPN or NAS-FPN, separable or not) at the task's
`head_num_filters`, and the head has the task's `head_num_convs`. Unlike the
SpineNet proxy, `block_repeats` does not apply: a chain's repeats are searched
choices, so every stage keeps its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from edgenas.errors import SpecError
from edgenas.proxy.detection_task import DetectionProxyTask
from edgenas.proxy.detection_train import DetectionProxyResult, level_anchors, train_and_evaluate_detector
from edgenas.proxy.errors import ProxyConfigError
from edgenas.proxy.reduce import reduce_spec

if TYPE_CHECKING:
    import keras

__all__ = ["chain_detection_proxy_spec", "train_and_evaluate_chain_detection"]

_LEVELS = range(3, 8)
"""A chain-backbone detector's output levels."""

_FINEST_FEATURE_PX = 1
"""Stride removal keeps nothing: the level-5 map of the task's image (>= 128 px) is at least 4 px."""


def chain_detection_proxy_spec(spec: Any, task: DetectionProxyTask) -> Any:
    """The detector the task trains for `spec`: its backbone narrowed, its decoder and head at the task's size.

    Args:
        spec: A detector on a chain backbone: a spec with `backbone` (an `ArchSpec`),
            `decoder` (with `num_filters`) and `head` (a `DetectionHeadSpec`) fields.
        task: The detection proxy task.

    Raises:
        ProxyConfigError: If the spec has no chain backbone, or the reduction leaves an invalid network.
    """
    for field in ("backbone", "decoder", "head"):
        if not hasattr(spec, field):
            raise ProxyConfigError(
                f"the chain detection proxy trains detectors on chain backbones, got a {type(spec).__name__}"
            )
    backbone = reduce_spec(
        spec.backbone,
        image_size_px=task.image_size,
        width_multiplier=task.width_multiplier,
        min_filters=task.min_filters,
        min_feature_map_px=_FINEST_FEATURE_PX,
    )
    if [b.strides for b in backbone.blocks] != [b.strides for b in spec.backbone.blocks]:
        raise ProxyConfigError(
            f"a {task.image_size}x{task.image_size} proxy image cannot hold {spec.backbone}'s levels"
        )
    try:
        return dataclasses.replace(
            spec,
            backbone=backbone,
            decoder=dataclasses.replace(spec.decoder, num_filters=task.head_num_filters),
            head=dataclasses.replace(
                spec.head, head_num_convs=task.head_num_convs, head_num_filters=task.head_num_filters
            ),
        )
    except SpecError as error:
        raise ProxyConfigError(f"cannot reduce {spec} to the detection proxy: {error}") from None


def train_and_evaluate_chain_detection(
    spec: Any,
    task: DetectionProxyTask | None = None,
    *,
    rung_steps: Sequence[int] = (),
    gate: Callable[[int, float], bool] | None = None,
) -> DetectionProxyResult:
    """Trains the proxy of a chain-backbone detector briefly and scores AP@0.5 (see the module docstring).

    Args:
        spec: The candidate detector (a `ChainDetectorSpec`, or a NAS-FPN detector on a chain backbone).
        task: The detection proxy task (default: `DetectionProxyTask()`).
        rung_steps: Steps after which it is also scored (successive halving; see `train_and_evaluate_detector`).
        gate: Whether the training goes on after a rung (default: always).

    Raises:
        ProxyConfigError: If `task` is not a `DetectionProxyTask` or `spec` cannot be reduced to it.
        ProxyTrainingError: If the loss became NaN or infinite.
    """
    from edgenas.families import family_of  # noqa: PLC0415

    task = DetectionProxyTask() if task is None else task
    if not isinstance(task, DetectionProxyTask):
        raise ProxyConfigError(f"a detector candidate needs a DetectionProxyTask, got {type(task).__name__}")
    reduced = chain_detection_proxy_spec(spec, task)
    family = family_of(reduced)
    shape = (task.image_size, task.image_size, 3)
    try:
        family.check_input(reduced, input_shape=shape, num_classes=task.num_classes)
    except SpecError as error:
        raise ProxyConfigError(f"the detection proxy's {task.image_size} px images do not fit: {error}") from None

    def build() -> keras.Model:
        return family.build(reduced, input_shape=shape, num_classes=task.num_classes, bn_momentum=task.bn_momentum)

    (classes, _boxes) = family.outputs(reduced, input_shape=shape, num_classes=task.num_classes)
    anchors = len(level_anchors(_LEVELS, task))
    if classes.shape[1] != anchors:  # the proxy's anchors are 9 per location on levels 3-7
        raise ProxyConfigError(
            f"the detection proxy labels {anchors} anchors (9 per location, levels 3-7); "
            f"{family.name} detector {reduced} outputs {classes.shape[1]}"
        )
    return train_and_evaluate_detector(build, levels=_LEVELS, task=task, proxy_spec=reduced, rung_steps=rung_steps,
                                       gate=gate)  # fmt: skip
