"""`proxy_spec`: the reduced copy of a candidate that the proxy task trains.

Why the first down-samplings go (`StrideRemoval.EARLY`, 4 px final map, the
default). Measured 2026-11 on the 2-core CPU of shared/stack.md (shared with
other jobs, load 1.3-2.2), MobileNetV2 reference, 32x32 shapes (5,000 images,
1,000 held out), width 0.5, batch 64, Adam 5e-3 with cosine decay, BN momentum
0.9, one process per run; `fit` seconds include the ~15 s one-off set-up:

    spatial handling                     total stride  steps  accuracy (seeds 0, 1)  fit s
    last stride-2 stage at stride 1      16 (2x2)      250    0.57, 0.46             29
    first stride-2 stage at stride 1     16 (2x2)      150    0.59, 0.60             31-36
    first two at stride 1 (default)      8 (4x4)       100    0.72-0.80 (4 runs)     33-36 *
    64x64 input, strides unchanged       32 (2x2)      120    0.45, 0.48             27-28
    32x32 input, strides unchanged       32 (1x1)      -      learns nothing (stack.md)

    * 55 s in two more runs that met a load spike.

The shapes need resolution in the early stages more than steps: with two
early down-samplings removed a step costs ~3x as much, yet 100 steps beat 250
cheap ones clearly, and the spread between seeds is smaller, which is what
ranking candidates needs. Three random MnasNet points scored 0.48/0.41,
0.47/0.53 and 0.55/0.52 against MobileNetV2's 0.72/0.80 with these settings.
"""

from __future__ import annotations

import dataclasses
import math

from edgenas.proxy.errors import ProxyConfigError
from edgenas.proxy.task import ProxyTask, StrideRemoval
from edgenas.specs import ArchSpec

__all__ = ["proxy_spec", "reduce_spec"]

_STEM_STRIDE = 2  # The builder's stem always strides 2.


def _scaled_filters(filters: int, *, width_multiplier: float, min_filters: int) -> int:
    scaled = int(math.floor(filters * width_multiplier + 0.5))
    return max(scaled, min(filters, min_filters))


def _feature_map_px(image_size_px: int, strides: list[int]) -> int:
    """The image size over the total stride, rounded down (the builder needs it >= 1)."""
    return image_size_px // (_STEM_STRIDE * math.prod(strides))


def reduce_spec(
    spec: ArchSpec,
    *,
    image_size_px: int,
    width_multiplier: float,
    min_filters: int,
    min_feature_map_px: int,
    stride_removal: StrideRemoval = StrideRemoval.EARLY,
) -> ArchSpec:
    """Scales a spec's filters and removes down-samplings until the feature map is large enough.

    Block types, kernels, expansion and SE ratios, repeats and the activation are
    kept; stem, block and head filters are multiplied by `width_multiplier`
    (rounded, at least `min_filters` unless the original had fewer). Then
    stride-2 stages become stride 1, the first ones first (`EARLY`) or the last
    ones first (`LATE`), until the final feature map of an `image_size_px` input
    is at least `min_feature_map_px` px (image size over total stride, rounded down).

    Args:
        spec: The candidate.
        image_size_px: The proxy training resolution.
        width_multiplier: Factor on every filter count.
        min_filters: Least filter count after scaling.
        min_feature_map_px: Least side of the final feature map.
        stride_removal: Which stride-2 stages go first.

    Returns:
        The reduced spec (equal to `spec` when nothing needs changing).

    Raises:
        ProxyConfigError: If `spec` is not an `ArchSpec`, or even with every stage
            at stride 1 the feature map stays below `min_feature_map_px`.
    """
    if not isinstance(spec, ArchSpec):
        raise ProxyConfigError(f"the proxy task trains ArchSpec candidates, got {type(spec).__name__}")
    strides = [block.strides for block in spec.blocks]
    order = range(len(strides)) if stride_removal is StrideRemoval.EARLY else reversed(range(len(strides)))
    for index in order:
        if _feature_map_px(image_size_px, strides) >= min_feature_map_px:
            break
        strides[index] = 1
    if _feature_map_px(image_size_px, strides) < min_feature_map_px:
        raise ProxyConfigError(
            f"a {image_size_px}x{image_size_px} input cannot keep a {min_feature_map_px} px feature map"
        )

    def scale(filters: int) -> int:
        return _scaled_filters(filters, width_multiplier=width_multiplier, min_filters=min_filters)

    blocks = tuple(
        dataclasses.replace(block, strides=stride, output_filters=scale(block.output_filters))
        for block, stride in zip(spec.blocks, strides, strict=True)
    )
    return dataclasses.replace(
        spec, blocks=blocks, stem_filters=scale(spec.stem_filters), head_filters=scale(spec.head_filters)
    )


def proxy_spec(spec: ArchSpec, task: ProxyTask) -> ArchSpec:
    """The network a task trains for `spec` (see `reduce_spec` and `ProxyTask`)."""
    return reduce_spec(
        spec,
        image_size_px=task.image_size,
        width_multiplier=task.width_multiplier,
        min_filters=task.min_filters,
        min_feature_map_px=task.min_feature_map_px,
        stride_removal=task.stride_removal,
    )
