"""The chain detector family: RetinaNet detectors with an FPN on chain backbones (`ChainDetectorSpec`).

A chain (a point of the mnasnet or efficientnet_v2 space) gives its level 3-5
features to an FPN, whose levels 3-7 feed the RetinaNet head; two outputs, class
logits and box deltas over every anchor, as the SpineNet detectors have. Their
.tflite timing models are written without TensorFlow (`has_timing_graph`:
`edgenas.graphs.chain_detector.chain_detector_graph`); their .onnx ones still
come from the converter (`timing_graph_formats`).

Papers: RetinaNet, https://arxiv.org/abs/1708.02002; FPN, https://arxiv.org/abs/1612.03144.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from edgenas.errors import SpecError
from edgenas.families.family import DeploymentDefaults, OutputSignature
from edgenas.families.retinanet import BOX_OUTPUTS, CLASS_OUTPUTS, RetinaNetFamily
from edgenas.specs.chain_backbone_detector import ChainBackboneDetector
from edgenas.specs.chain_detector import ChainDetectorSpec
from edgenas.specs.chain_detector_costs import estimate_chain_detector_cost
from edgenas.specs.chain_levels import DECODER_LEVELS, level_side_px
from edgenas.specs.costs import NetworkCost

__all__ = ["CHAIN_DETECTOR_DEFAULTS", "ChainDetectorFamily"]

CHAIN_DETECTOR_DEFAULTS = DeploymentDefaults((320, 320, 3), 91)
"""320x320 (TF Model Garden's MobileNet RetinaNet input) and COCO's 91 class ids."""

_BN_SAMPLES_AT_COARSEST_LEVEL = 64


class ChainDetectorFamily(RetinaNetFamily):
    """RetinaNet detectors with an FPN on chain backbones: two named outputs; whole-detector latency predictors."""

    name = "chain_detector"
    spec_types = (ChainDetectorSpec,)
    deployment = CHAIN_DETECTOR_DEFAULTS
    noun = "chain detector"

    def check_input(self, spec: ChainDetectorSpec, *, input_shape: Any, num_classes: int) -> tuple[int, int, int]:
        """A detector needs classes; its input's sides must be multiples of 32 and at least 128."""
        what = type(spec).__name__
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise SpecError(f"a {what} needs num_classes > 0 (detector classes), got {num_classes!r}")
        try:
            return spec.check_input_shape(input_shape)
        except SpecError as error:
            shown = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else input_shape
            raise SpecError(f"cannot export a {what} at input_shape {shown!r}: {error}") from None

    def input_multiple(self, spec: ChainBackboneDetector) -> int:
        """The smallest legal side, 128 (legal sides: multiples of 32 from 128 up with an FPN, of 128 with NAS-FPN)."""
        return spec.MIN_SIDE_PX

    def outputs(
        self, spec: ChainDetectorSpec, *, input_shape: tuple[int, int, int], num_classes: int
    ) -> tuple[OutputSignature, ...]:
        """`class_outputs` `(1, anchors, num_classes)` and `box_outputs` `(1, anchors, 4)`, anchors over levels 3-7."""
        height, width, _ = self.check_input(spec, input_shape=input_shape, num_classes=num_classes)
        locations = sum(level_side_px(height, level) * level_side_px(width, level) for level in DECODER_LEVELS)
        anchors = spec.head.num_anchors * locations
        return (
            OutputSignature(name=CLASS_OUTPUTS, shape=(1, anchors, num_classes)),
            OutputSignature(name=BOX_OUTPUTS, shape=(1, anchors, 4)),
        )

    def cost(self, spec: ChainDetectorSpec, *, input_shape: tuple[int, int, int], num_classes: int) -> NetworkCost:
        """`estimate_chain_detector_cost`: backbone, decoder and head; params are Keras' count."""
        shape = self.check_input(spec, input_shape=input_shape, num_classes=num_classes)
        return estimate_chain_detector_cost(spec, input_shape=shape, num_classes=num_classes)

    def build(
        self, spec: ChainDetectorSpec, *, input_shape: tuple[int, int, int], num_classes: int, **options: Any
    ) -> Any:
        """`edgenas.models.chain_detector.build_chain_detector`."""
        from edgenas.models.chain_detector import build_chain_detector  # noqa: PLC0415  (imports TensorFlow)

        return build_chain_detector(spec, input_shape=input_shape, num_classes=num_classes, **options)

    has_timing_graph = True
    timing_graph_formats = ("tflite",)

    def timing_graph(
        self, spec: ChainDetectorSpec, *, input_shape: tuple[int, int, int], num_classes: int, seed: int
    ) -> Any:
        """The converter's graph of the detector (`edgenas.graphs.chain_detector.chain_detector_graph`); no
        TensorFlow."""
        from edgenas.graphs.chain_detector import chain_detector_graph  # noqa: PLC0415

        return chain_detector_graph(spec, input_shape=input_shape, num_classes=num_classes,
                                    input_name=self.input_name, seed=seed)  # fmt: skip

    def export_calibration_images(
        self, spec: ChainDetectorSpec, *, input_shape: tuple[int, int, int], default: int
    ) -> int:
        """Enough seeded images that level 7's BatchNorm sees 64 samples per channel.

        Level 7 has one location per 128 x 128 pixels (rounded up); from two images a
        BatchNorm there would see a handful of samples and estimate near-zero
        variances (see the SpineNet family's note): 64 images at 128x128, 8 at 320.
        """
        del spec
        level = DECODER_LEVELS[-1]
        cells = level_side_px(input_shape[0], level) * level_side_px(input_shape[1], level)
        return max(default, math.ceil(_BN_SAMPLES_AT_COARSEST_LEVEL / cells))

    def train_proxy(self, spec: ChainDetectorSpec, task: Any) -> Any:
        """`edgenas.proxy.chain_detection_train.train_and_evaluate_chain_detection`."""
        from edgenas.proxy.chain_detection_train import train_and_evaluate_chain_detection  # noqa: PLC0415

        return train_and_evaluate_chain_detection(spec, task)

    def train_proxy_with_rungs(
        self, spec: ChainDetectorSpec, task: Any, *, rung_steps: tuple[int, ...], gate: Callable[[int, float], bool]
    ) -> Any:
        """`train_proxy`, scored at `rung_steps` (AP@0.5) and stopped where `gate` says no."""
        from edgenas.proxy.chain_detection_train import train_and_evaluate_chain_detection  # noqa: PLC0415

        return train_and_evaluate_chain_detection(spec, task, rung_steps=rung_steps, gate=gate)
