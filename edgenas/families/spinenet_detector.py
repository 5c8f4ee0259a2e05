"""The SpineNet detector family: RetinaNet detectors on SpineNet backbones (`SpineNetSpec`, `SpineNetDetectorSpec`).

A `SpineNetSpec` (a point of the SpineNet spaces) is exported, timed and trained
as the RetinaNet detector with its default head (`default_detection_head`); a
`SpineNetDetectorSpec` (what `edgenas scale` makes) carries its own head. Both
have two outputs, class logits and box deltas over every anchor. Their .tflite
timing models are written without TensorFlow (`has_timing_graph`:
`edgenas.graphs.spinenet.spinenet_graph`); their .onnx ones still come from the
converter (`timing_graph_formats`: the direct ONNX writer knows tf2onnx's layout
of chain classifiers only).

Paper: Du et al., "SpineNet: Learning Scale-Permuted Backbone for Recognition
and Localization", CVPR 2020, https://arxiv.org/abs/1912.05027.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from edgenas.errors import SpecError
from edgenas.families.family import DeploymentDefaults, OutputSignature, TaskForm
from edgenas.families.retinanet import BOX_OUTPUTS, CLASS_OUTPUTS, DETECTION, RetinaNetFamily
from edgenas.specs.costs import NetworkCost
from edgenas.specs.detection_head import DetectionHeadSpec, default_detection_head
from edgenas.specs.detection_head_costs import head_batchnorm_statistics, head_cost, head_largest_activation
from edgenas.specs.spinenet_arch import SpineNetSpec
from edgenas.specs.spinenet_costs import estimate_spinenet_cost
from edgenas.specs.spinenet_detector import SpineNetDetectorSpec
from edgenas.specs.spinenet_family import SpineNetFamily

__all__ = ["CLASS_OUTPUTS", "BOX_OUTPUTS", "DETECTION", "DETECTOR_DEFAULTS", "SpineNetDetectorFamily"]

DETECTOR_DEFAULTS = DeploymentDefaults((256, 256, 3), 91)
"""A SpineNet detector's: 256x256 (SpineNet-Mobile-49XS's input, the smallest published), COCO's 91 class
ids as in TF Model Garden's RetinaNet configs."""

_BN_SAMPLES_AT_COARSEST_LEVEL = 64

SpineNetNetwork = SpineNetSpec | SpineNetDetectorSpec


def backbone_and_head(spec: SpineNetNetwork, *, num_classes: int) -> tuple[SpineNetSpec, DetectionHeadSpec | None]:
    """The backbone and the head a SpineNet network is built with (no head for a backbone with 0 classes)."""
    if isinstance(spec, SpineNetDetectorSpec):
        return spec.backbone, spec.head
    if not num_classes:
        return spec, None
    mobile = spec.family is SpineNetFamily.MOBILE
    return spec, default_detection_head(mobile, endpoints_num_filters=spec.endpoints_num_filters)


class SpineNetDetectorFamily(RetinaNetFamily):
    """SpineNet RetinaNet detectors: two named outputs; whole-detector latency predictors."""

    name = "spinenet_detector"
    spec_types = (SpineNetSpec, SpineNetDetectorSpec)
    deployment = DETECTOR_DEFAULTS
    noun = "SpineNet detector"

    def check_input(self, spec: SpineNetNetwork, *, input_shape: Any, num_classes: int) -> tuple[int, int, int]:
        """A detector needs classes; its input's sides must be multiples of the coarsest level's stride."""
        if isinstance(spec, SpineNetSpec):
            what = "SpineNetSpec (exported as its default-head RetinaNet detector)"
        else:
            what = "SpineNetDetectorSpec"
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise SpecError(f"a {what} needs num_classes > 0 (detector classes), got {num_classes!r}")
        try:
            return spec.check_input_shape(input_shape)
        except SpecError as error:
            raise SpecError(f"cannot export a {what} at input_shape {tuple(input_shape)!r}: {error}") from None

    def input_multiple(self, spec: SpineNetNetwork) -> int:
        """The coarsest level's stride, `2 ** max_block_level`: legal sides are its multiples."""
        backbone, _ = backbone_and_head(spec, num_classes=1)
        return 2**backbone.max_block_level

    def outputs(
        self, spec: SpineNetNetwork, *, input_shape: tuple[int, int, int], num_classes: int
    ) -> tuple[OutputSignature, ...]:
        """`class_outputs` `(1, anchors, num_classes)` and `box_outputs` `(1, anchors, 4)`, anchors over levels."""
        height, width, _ = self.check_input(spec, input_shape=input_shape, num_classes=num_classes)
        backbone, head = backbone_and_head(spec, num_classes=num_classes)
        assert head is not None  # num_classes > 0 was checked
        levels = range(backbone.min_level, backbone.max_level + 1)
        anchors = head.num_anchors * sum((height >> level) * (width >> level) for level in levels)
        return (
            OutputSignature(name=CLASS_OUTPUTS, shape=(1, anchors, num_classes)),
            OutputSignature(name=BOX_OUTPUTS, shape=(1, anchors, 4)),
        )

    def cost(self, spec: SpineNetNetwork, *, input_shape: tuple[int, int, int], num_classes: int) -> NetworkCost:
        """The backbone's cost plus its head's (none for a backbone with 0 classes); params are Keras' count.

        The head's weights and MACs are counted from its settings
        (`edgenas.specs.detection_head_costs.head_cost`, also the detector predictor's
        feature, which leaves out BatchNorm's moving statistics); its BatchNorms'
        moving mean and variance (one BatchNorm per tower conv, level and subnet)
        are added here, as the backbone's estimate counts its own.
        """
        backbone, head = backbone_and_head(spec, num_classes=num_classes)
        shape = backbone.check_input_shape(input_shape)
        cost = estimate_spinenet_cost(backbone, input_shape=shape)
        if head is None:
            return cost
        levels = range(backbone.min_level, backbone.max_level + 1)
        params, macs = head_cost(head, levels=levels, input_shape=shape, filters_in=backbone.endpoints_num_filters,
                                 num_classes=num_classes)  # fmt: skip
        moving_statistics = head_batchnorm_statistics(head, num_levels=len(levels))
        height, width, _ = shape
        locations = sum((height >> level) * (width >> level) for level in levels)
        finest = (height >> backbone.min_level) * (width >> backbone.min_level)
        largest = head_largest_activation(head, finest_pixels=finest, locations=locations, num_classes=num_classes)
        return NetworkCost(
            params=cost.params + params + moving_statistics,
            macs=cost.macs + macs,
            largest_activation=max(cost.largest_activation, largest),
        )

    def task_forms(self) -> tuple[TaskForm, ...]:
        """Segmentation: a SpineNet backbone with the level 3-5 decoder (`default_spinenet_segmenter`)."""
        from edgenas.families.segmenter import spinenet_segmentation_form  # noqa: PLC0415

        return (spinenet_segmentation_form(),)

    def build(
        self, spec: SpineNetNetwork, *, input_shape: tuple[int, int, int], num_classes: int, **options: Any
    ) -> Any:
        """`build_spinenet` (a backbone, or its default-head detector) or `build_spinenet_detector`."""
        from edgenas.models.spinenet import build_spinenet, build_spinenet_detector  # noqa: PLC0415

        builder = build_spinenet_detector if isinstance(spec, SpineNetDetectorSpec) else build_spinenet
        return builder(spec, input_shape=input_shape, num_classes=num_classes, **options)

    has_timing_graph = True
    timing_graph_formats = ("tflite",)

    def timing_graph(
        self, spec: SpineNetNetwork, *, input_shape: tuple[int, int, int], num_classes: int, seed: int
    ) -> Any:
        """The converter's graph of the detector (`edgenas.graphs.spinenet.spinenet_graph`); no TensorFlow."""
        from edgenas.graphs.spinenet import spinenet_graph  # noqa: PLC0415

        backbone, head = backbone_and_head(spec, num_classes=num_classes)
        assert head is not None  # num_classes > 0 was checked
        return spinenet_graph(backbone, head=head, input_shape=input_shape, num_classes=num_classes,
                              input_name=self.input_name, seed=seed)  # fmt: skip

    def export_calibration_images(
        self, spec: SpineNetNetwork, *, input_shape: tuple[int, int, int], default: int
    ) -> int:
        """Enough seeded images that the coarsest level's BatchNorm sees 64 samples per channel.

        A SpineNet's coarsest level has one location per 2**7 x 2**7 pixels (a single
        one at 128x128); from two images a BatchNorm there would see 2 samples,
        estimate variances near 0 for some channels and blow up every other input
        (the detector's outputs on a fresh image reached 1e10). 64 samples at the
        coarsest level (held-out outputs within ~1.5x of the calibration ones'
        spread) cost the same pixels at any input size: 64 images at 128x128, 16 at 256, 8 at 384.
        """
        backbone, _ = backbone_and_head(spec, num_classes=1)
        level = backbone.max_block_level
        cells = max(1, (input_shape[0] >> level) * (input_shape[1] >> level))
        return max(default, math.ceil(_BN_SAMPLES_AT_COARSEST_LEVEL / cells))

    def train_proxy(self, spec: SpineNetNetwork, task: Any) -> Any:
        """`edgenas.proxy.train_and_evaluate_detection`, with a detector spec's own head."""
        from edgenas.proxy.detection_train import train_and_evaluate_detection  # noqa: PLC0415

        backbone, head = (spec.backbone, spec.head) if isinstance(spec, SpineNetDetectorSpec) else (spec, None)
        return train_and_evaluate_detection(backbone, task, head=head)

    def train_proxy_with_rungs(
        self, spec: SpineNetNetwork, task: Any, *, rung_steps: tuple[int, ...], gate: Callable[[int, float], bool]
    ) -> Any:
        """`train_proxy`, scored at `rung_steps` (AP@0.5) and stopped where `gate` says no."""
        from edgenas.proxy.detection_train import train_and_evaluate_detection  # noqa: PLC0415

        backbone, head = (spec.backbone, spec.head) if isinstance(spec, SpineNetDetectorSpec) else (spec, None)
        return train_and_evaluate_detection(backbone, task, head=head, rung_steps=rung_steps, gate=gate)
