"""The detector features (`DETECTOR_FEATURES`) of a RetinaNet detector on a chain backbone, from its spec alone.

A `ChainDetectorSpec` (FPN decoder) or a `NasFpnDetectorSpec` (NAS-FPN
decoder) is described by the same numbers as a SpineNet detector
(`latency_models.detector_features`), so that one regressor design serves
every detector; the "backbone" is here the chain's stem and stages plus the
decoder, which together make the head's level 3-7 inputs:

- compute and parameters: `chain_backbone_cost` + `decoder_cost` for the
  backbone, the RetinaNet head on levels 3-7 (`head_cost_on_locations`, its
  BatchNorm moving statistics left out, as for SpineNet) for the head;
- `block_activation_k`: the values every backbone layer (the stem and each
  block of every stage) and every decoder node writes. FPN nodes: its three
  1x1 laterals, its three 3x3 convs and the two stride-2 convs of levels 6
  and 7. NAS-FPN nodes: the 1x1 projections of backbone features narrower or
  wider than the decoder, the max-pooled levels 6 and 7, each cell's 1x1
  input projections (only when it merges at another width) and each cell's
  3x3 conv, once per repeat;
- `num_blocks`: the stem, the chain's blocks, the decoder's convolutions and
  (NAS-FPN) its attention gates, each a fixed group of kernel launches (max,
  sigmoid, multiply);
- the cross-scale features, which SpineNet counts on its blocks' inputs, on
  the decoder's merges. FPN: the top-down sums of levels 4 and 3 (two inputs
  each, the one from above up-sampled one level) and the two stride-2 convs
  (levels 6 and 7, one level down each, no merge). NAS-FPN: every input of
  every cell (its two, plus the unconsumed nodes an output cell adds),
  resampled to the cell's level (nearest up-sampling from a coarser level,
  max pooling from a finer one; one level step per factor 2), once per
  repeat, and the pooling that makes levels 6 and 7 (one step down each).
  `merge_input_values_k` is what the inputs deliver to the merges, at the
  merge's level and width; `upsampled_values_k` the part of it up-sampled.

Feature-map sides are those of 'same' padding (`level_side_px`); NAS-FPN
inputs are multiples of 128, where every level divides exactly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from edgenas.specs.arch import ArchSpec
from edgenas.specs.chain_backbone_detector import ChainBackboneDetector
from edgenas.specs.chain_detector_costs import chain_backbone_cost, decoder_cost
from edgenas.specs.chain_levels import BACKBONE_LEVELS, DECODER_LEVELS, FeatureTap, feature_taps, level_side_px
from edgenas.specs.detection_head_costs import head_cost_on_locations
from edgenas.specs.fpn import FpnSpec
from edgenas.specs.nasfpn import LEVELS as NASFPN_LEVELS
from edgenas.specs.nasfpn import NasFpnCombine, NasFpnSpec

from .errors import OutOfDomainError
from .resample_tally import ResampleTally

__all__ = ["DecoderTraffic", "chain_backbone_traffic", "chain_detector_features", "decoder_traffic"]

_STEM_STRIDE = 2


@dataclasses.dataclass(frozen=True)
class DecoderTraffic:
    """What a decoder writes, launches and moves between levels, for one image (module docstring).

    Attributes:
        activation_values: Values its nodes write.
        num_convs: Its convolutions (a separable one counted once).
        num_attention_gates: NAS-FPN attention combines.
        merge_input_values: Values its inputs deliver to merges.
        upsampled_values: The part of them up-sampled.
        resample_level_steps: Levels moved, summed over resampled inputs.
        num_upsampled_inputs: Inputs up-sampled.
        num_downsampled_inputs: Inputs down-sampled (strided convs and max pooling).
    """

    activation_values: int
    num_convs: int
    num_attention_gates: int
    merge_input_values: int
    upsampled_values: int
    resample_level_steps: int
    num_upsampled_inputs: int
    num_downsampled_inputs: int


def chain_backbone_traffic(backbone: ArchSpec, *, height: int, width: int) -> tuple[int, int]:
    """(values written, layers) of a chain's stem and stages: the stem conv and every block of every stage.

    Args:
        backbone: The chain (its 1x1 head is not part of a detector).
        height: Input height.
        width: Input width.
    """
    height, width = -(-height // _STEM_STRIDE), -(-width // _STEM_STRIDE)
    written = height * width * backbone.stem_filters
    for block in backbone.blocks:
        for repeat in range(block.num_repeats):
            stride = block.strides if repeat == 0 else 1
            height, width = -(-height // stride), -(-width // stride)
            written += height * width * block.output_filters
    return written, 1 + backbone.num_layers


def _fpn_traffic(fpn: FpnSpec, *, pixels: dict[int, int]) -> DecoderTraffic:
    filters = fpn.num_filters
    backbone_pixels = sum(pixels[level] for level in BACKBONE_LEVELS)
    extra_levels = DECODER_LEVELS[len(BACKBONE_LEVELS) :]
    sums = BACKBONE_LEVELS[:-1]  # levels 4 and 3 add the level above, up-sampled, to their lateral
    return DecoderTraffic(
        activation_values=filters * (2 * backbone_pixels + sum(pixels[level] for level in extra_levels)),
        num_convs=2 * len(BACKBONE_LEVELS) + len(extra_levels),
        num_attention_gates=0,
        merge_input_values=2 * filters * sum(pixels[level] for level in sums),
        upsampled_values=filters * sum(pixels[level] for level in sums),
        resample_level_steps=len(sums) + len(extra_levels),
        num_upsampled_inputs=len(sums),
        num_downsampled_inputs=len(extra_levels),
    )


def _nasfpn_traffic(spec: NasFpnSpec, *, taps: Sequence[FeatureTap], pixels: dict[int, int]) -> DecoderTraffic:
    filters, merge_filters = spec.num_filters, spec.merge_filters
    tap_filters = {tap.level: tap.filters for tap in taps}
    written = convs = gates = 0
    tally = ResampleTally()
    for level in NASFPN_LEVELS:
        if level not in tap_filters:  # max-pooled from the level below
            written += pixels[level] * filters
            tally.add_move(-1)
        elif tap_filters[level] != filters:  # a 1x1 projection
            written += pixels[level] * filters
            convs += 1
    levels = spec.node_levels
    extras = spec.unconsumed_inputs()
    for _ in range(spec.num_repeats):
        for index, cell in enumerate(spec.cells):
            delivered = pixels[cell.level] * merge_filters
            for node in (*cell.inputs, *extras[index]):
                if merge_filters != filters:  # each input's 1x1 conv to the merge width
                    written += pixels[levels[node]] * merge_filters
                    convs += 1
                tally.add_input(levels_moved=levels[node] - cell.level, delivered_values=delivered)
            gates += cell.combine is NasFpnCombine.ATTENTION
            written += pixels[cell.level] * filters
            convs += 1
    return DecoderTraffic(
        activation_values=written,
        num_convs=convs,
        num_attention_gates=gates,
        merge_input_values=tally.merge_values,
        upsampled_values=tally.upsampled_values,
        resample_level_steps=tally.level_steps,
        num_upsampled_inputs=tally.num_upsampled,
        num_downsampled_inputs=tally.num_downsampled,
    )


def decoder_traffic(
    decoder: FpnSpec | NasFpnSpec, *, taps: Sequence[FeatureTap], height: int, width: int
) -> DecoderTraffic:
    """The `DecoderTraffic` of an FPN or NAS-FPN decoder on a chain backbone's `taps` (module docstring).

    Raises:
        OutOfDomainError: The decoder is of another kind (the message names the kinds this reads).
    """
    pixels = {level: level_side_px(height, level) * level_side_px(width, level) for level in DECODER_LEVELS}
    if isinstance(decoder, FpnSpec):
        return _fpn_traffic(decoder, pixels=pixels)
    if isinstance(decoder, NasFpnSpec):
        return _nasfpn_traffic(decoder, taps=taps, pixels=pixels)
    raise OutOfDomainError(
        f"detector features are defined for FpnSpec and NasFpnSpec decoders, not {type(decoder).__name__}"
    )


def chain_detector_features(
    detector: ChainBackboneDetector, *, input_shape: Sequence[int], num_classes: int
) -> dict[str, float]:
    """The `DETECTOR_FEATURES` of a chain-backbone detector, by name (module docstring).

    Args:
        detector: A `ChainDetectorSpec` or `NasFpnDetectorSpec`.
        input_shape: Height, width, channels.
        num_classes: Classes of the head.

    Raises:
        SpecError: The input shape does not suit the detector (the message names the nearest legal sides).
        OutOfDomainError: Its decoder is of a kind this does not read.
    """
    height, width, channels = detector.check_input_shape(input_shape)
    shape = (height, width, channels)
    taps = feature_taps(detector.backbone)
    backbone = chain_backbone_cost(detector.backbone, input_shape=shape)
    decoder = decoder_cost(detector.decoder, taps=taps, input_shape=shape)
    head = detector.head
    locations = sum(level_side_px(height, level) * level_side_px(width, level) for level in DECODER_LEVELS)
    head_params, head_macs = head_cost_on_locations(
        head, num_levels=len(DECODER_LEVELS), locations=locations, filters_in=detector.decoder.num_filters,
        num_classes=num_classes,
    )  # fmt: skip
    backbone_written, backbone_layers = chain_backbone_traffic(detector.backbone, height=height, width=width)
    traffic = decoder_traffic(detector.decoder, taps=taps, height=height, width=width)
    return {
        "total_macs_m": (backbone.macs + decoder.macs + head_macs) / 1e6,
        "backbone_macs_m": (backbone.macs + decoder.macs) / 1e6,
        "head_macs_m": head_macs / 1e6,
        "backbone_params_k": (backbone.params + decoder.params) / 1e3,
        "head_params_k": head_params / 1e3,
        "input_pixels_k": height * width / 1e3,
        "block_activation_k": (backbone_written + traffic.activation_values) / 1e3,
        "head_activation_k": 2 * head.head_num_convs * head.head_num_filters * locations / 1e3,
        "output_values_k": locations * head.num_anchors * (num_classes + 4) / 1e3,
        "num_blocks": float(backbone_layers + traffic.num_convs + traffic.num_attention_gates),
        "num_head_convs": float(2 * head.head_num_convs),
        "merge_input_values_k": traffic.merge_input_values / 1e3,
        "upsampled_values_k": traffic.upsampled_values / 1e3,
        "resample_level_steps": float(traffic.resample_level_steps),
        "num_upsampled_inputs": float(traffic.num_upsampled_inputs),
        "num_downsampled_inputs": float(traffic.num_downsampled_inputs),
    }
