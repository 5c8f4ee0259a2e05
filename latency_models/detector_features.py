"""Numbers that decide a detector's latency, computed from its spec alone.

A SpineNet detector (`SpineNetDetectorSpec` at an input shape and class count) is
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

Detectors on chain backbones (`ChainDetectorSpec`, `NasFpnDetectorSpec`) get
the same features, counted on their backbone and decoder
(`latency_models.chain_detector_features`), so one regressor design serves
every kind. `DETECTOR_KINDS` names the kinds by spec type (the names of their
edgenas families); `detector_features` dispatches on it: the spec types are
this predictor's grammar.

`latency_models.detector_predictor` learns a device's latency from these.
"""

from __future__ import annotations

from collections.abc import Sequence

from edgenas.specs.chain_backbone_detector import ChainBackboneDetector
from edgenas.specs.chain_detector import ChainDetectorSpec
from edgenas.specs.detection_head_costs import head_cost
from edgenas.specs.nasfpn_detector import NasFpnDetectorSpec
from edgenas.specs.spinenet_arch import NUM_STEM_BLOCKS, SpineNetSpec
from edgenas.specs.spinenet_costs import estimate_spinenet_cost
from edgenas.specs.spinenet_detector import SpineNetDetectorSpec

from .chain_detector_features import chain_detector_features
from .errors import OutOfDomainError
from .resample_tally import ResampleTally

# `head_cost` lives in `edgenas.specs.detection_head_costs` (the detector families count with it too);
# it stays importable from here, the detector predictor's feature module.
__all__ = ["DETECTOR_FEATURES", "DETECTOR_KINDS", "DetectorSpec", "detector_features", "detector_kind", "head_cost"]

DETECTOR_FEATURES = (
    "total_macs_m", "backbone_macs_m", "head_macs_m", "backbone_params_k", "head_params_k",
    "input_pixels_k", "block_activation_k", "head_activation_k", "output_values_k",
    "num_blocks", "num_head_convs",
    "merge_input_values_k", "upsampled_values_k", "resample_level_steps", "num_upsampled_inputs",
    "num_downsampled_inputs",
)  # fmt: skip
"""Names of the entries of `detector_features`, in order."""

DetectorSpec = SpineNetDetectorSpec | ChainDetectorSpec | NasFpnDetectorSpec
"""The spec types a detector predictor reads."""

DETECTOR_KINDS: dict[type, str] = {
    SpineNetDetectorSpec: "spinenet_detector",
    ChainDetectorSpec: "chain_detector",
    NasFpnDetectorSpec: "nasfpn_detector",
}
"""The kind of each detector spec type: the name of its edgenas family (a predictor's domain lists kinds)."""


def detector_kind(detector: object) -> str:
    """The `DETECTOR_KINDS` name of a detector spec.

    Raises:
        OutOfDomainError: It is not a detector spec type this reads (the message lists the ones it reads).
    """
    kind = DETECTOR_KINDS.get(type(detector))
    if kind is None:
        *others, last = (t.__name__ for t in DETECTOR_KINDS)
        raise OutOfDomainError(
            f"a detector latency predictor reads {', '.join(others)} or {last}, not {type(detector).__name__}"
        )
    return kind


def detector_features(detector: DetectorSpec, *, input_shape: Sequence[int], num_classes: int) -> list[float]:
    """The `DETECTOR_FEATURES` of a detector at an input shape and class count.

    Args:
        detector: A SpineNet detector (backbone and head) or a detector on a chain backbone (backbone,
            FPN or NAS-FPN decoder, head).
        input_shape: Height, width, channels.
        num_classes: Classes of the head.

    Raises:
        SpecError: The input shape does not suit the detector.
        OutOfDomainError: `detector` is not of a `DETECTOR_KINDS` type.
    """
    detector_kind(detector)
    if isinstance(detector, ChainBackboneDetector):
        named = chain_detector_features(detector, input_shape=input_shape, num_classes=num_classes)
        return [named[name] for name in DETECTOR_FEATURES]
    return _spinenet_features(detector, input_shape=input_shape, num_classes=num_classes)


def _spinenet_features(detector: SpineNetDetectorSpec, *, input_shape: Sequence[int], num_classes: int) -> list[float]:
    """`detector_features` of a SpineNet detector (module docstring)."""
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
    tally = ResampleTally()
    for i in sorted(live - set(range(NUM_STEM_BLOCKS))):
        block = spec.blocks[i - NUM_STEM_BLOCKS]
        delivered = (height >> block.level) * (width >> block.level) * spec.channels_at(i)
        for j in block.input_offsets:
            tally.add_input(levels_moved=block_levels[j] - block.level, delivered_values=delivered)
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
        tally.merge_values / 1e3,
        tally.upsampled_values / 1e3,
        float(tally.level_steps),
        float(tally.num_upsampled),
        float(tally.num_downsampled),
    ]
