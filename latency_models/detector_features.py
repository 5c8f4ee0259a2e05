"""Numbers that decide a SpineNet detector's latency, computed from its spec alone.

A detector (`SpineNetDetectorSpec` at an input shape and class count) is
described by the compute and memory traffic of its two parts, each counted
analytically, nothing built:

- the backbone: its MACs and parameters (`estimate_spinenet_cost`), the
  activation it writes (every live block's output map, times its repeats),
  how many blocks run (each costs a fixed overhead of kernel launches), and its
  cross-scale connections: how many inputs come from a finer or a coarser
  level, how many levels they move, and the size of what they deliver to the
  merges (all of it, and the up-sampled part, which is pure memory traffic);
- the RetinaNet head: its MACs and parameters on every output level, and the
  size of its two outputs (anchors x (classes + 4)).

`latency_models.detector_predictor` learns a device's latency from these.
"""

from __future__ import annotations

from collections.abc import Sequence

from edgenas.specs.detection_head import DetectionHeadSpec
from edgenas.specs.spinenet_arch import NUM_STEM_BLOCKS, SpineNetSpec
from edgenas.specs.spinenet_costs import estimate_spinenet_cost
from edgenas.specs.spinenet_detector import SpineNetDetectorSpec

__all__ = ["DETECTOR_FEATURES", "detector_features", "head_cost"]

DETECTOR_FEATURES = (
    "total_macs_m", "backbone_macs_m", "head_macs_m", "backbone_params_k", "head_params_k",
    "input_pixels_k", "block_activation_k", "head_activation_k", "output_values_k",
    "num_blocks", "num_head_convs",
    "merge_input_values_k", "upsampled_values_k", "resample_level_steps", "num_upsampled_inputs",
    "num_downsampled_inputs",
)  # fmt: skip
"""Names of the entries of `detector_features`, in order."""


def head_cost(
    head: DetectionHeadSpec, *, levels: Sequence[int], input_shape: Sequence[int], filters_in: int, num_classes: int
) -> tuple[int, int]:
    """Parameters and MACs of the RetinaNet head (shared towers, BatchNorm per conv and level, two outputs).

    Args:
        head: The head.
        levels: Output levels it runs on (min_level..max_level).
        input_shape: The detector's input (height, width, channels).
        filters_in: Channels of the backbone's outputs.
        num_classes: Classes of the class subnet.

    Returns:
        (parameters, MACs) for one image.
    """
    height, width = int(input_shape[0]), int(input_shape[1])
    f, anchors = head.head_num_filters, head.num_anchors
    params = macs = 0
    for outputs in (anchors * num_classes, anchors * 4):  # the class subnet, then the box subnet
        cin = filters_in
        for _ in range(head.head_num_convs):
            per_pixel = 9 * cin + cin * f if head.use_separable_conv else 9 * cin * f
            params += per_pixel + f + 2 * f * len(levels)  # kernel(s), bias, BatchNorm scale and offset per level
            macs += per_pixel * sum((height >> level) * (width >> level) for level in levels)
            cin = f
        per_pixel = 9 * cin + cin * outputs if head.use_separable_conv else 9 * cin * outputs
        params += per_pixel + outputs
        macs += per_pixel * sum((height >> level) * (width >> level) for level in levels)
    return params, macs


def detector_features(
    detector: SpineNetDetectorSpec, *, input_shape: Sequence[int], num_classes: int
) -> list[float]:
    """The `DETECTOR_FEATURES` of a detector at an input shape and class count.

    Args:
        detector: Backbone and head.
        input_shape: Height, width, channels.
        num_classes: Classes of the head.

    Raises:
        SpecError: The input shape does not suit the backbone.
    """
    spec: SpineNetSpec = detector.backbone
    height, width, _ = spec.check_input_shape(input_shape)
    backbone = estimate_spinenet_cost(spec, input_shape=input_shape)
    levels = tuple(range(spec.min_level, spec.max_level + 1))
    head_params, head_macs = head_cost(
        detector.head, levels=levels, input_shape=input_shape, filters_in=spec.endpoints_num_filters,
        num_classes=num_classes,
    )  # fmt: skip
    live = spec.live_block_indices()
    block_levels = spec.levels
    block_activation = sum(
        (height >> block_levels[i]) * (width >> block_levels[i]) * spec.channels_at(i) * spec.block_repeats
        for i in live
    )
    merge = upsampled = steps = ups = downs = 0
    for i in sorted(live - set(range(NUM_STEM_BLOCKS))):
        block = spec.blocks[i - NUM_STEM_BLOCKS]
        delivered = (height >> block.level) * (width >> block.level) * spec.channels_at(i)
        for j in block.input_offsets:
            moved = block_levels[j] - block.level
            merge += delivered
            steps += abs(moved)
            if moved > 0:
                upsampled += delivered
                ups += 1
            elif moved < 0:
                downs += 1
    pixels = sum((height >> level) * (width >> level) for level in levels)
    head = detector.head
    head_activation = 2 * head.head_num_convs * head.head_num_filters * pixels
    outputs = pixels * head.num_anchors * (num_classes + 4)
    total_macs = backbone.macs + head_macs
    return [
        total_macs / 1e6,
        backbone.macs / 1e6,
        head_macs / 1e6,
        backbone.params / 1e3,
        head_params / 1e3,
        height * width / 1e3,
        block_activation / 1e3,
        head_activation / 1e3,
        outputs / 1e3,
        float(len(live) * spec.block_repeats),
        float(2 * head.head_num_convs),
        merge / 1e3,
        upsampled / 1e3,
        float(steps),
        float(ups),
        float(downs),
    ]
