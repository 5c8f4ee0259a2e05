"""The segmenter families: a backbone's levels 3-5 fused by a light decoder into per-pixel logits at stride 8.

`ChainSegmenterFamily` owns `ChainSegmenterSpec` (chain backbones: the mnasnet
and efficientnet_v2 spaces with `task="segmentation"`), `SpineNetSegmenterFamily`
owns `SpineNetSegmenterSpec` (the SpineNet spaces with `task="segmentation"`).
Both have one output, `segmentation_logits` `(1, height / 8, width / 8,
num_classes + 1)`, train on the segmentation proxy task
(`edgenas.proxy.segmentation_train`) and report its mean IoU ("mIoU").

No learned latency predictor serves them yet (`PredictorKind.NONE`): a
segmentation search measures its latencies. They declare no direct writer (`has_timing_graph` is false, no
`timing_graph_formats`): every .tflite and .onnx file, timing models included,
comes from the converter through Keras.

Importing this module does not import TensorFlow; `build` and `train_proxy` do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

from edgenas.errors import SpecError
from edgenas.families.family import (
    AccuracyMetric,
    DeploymentDefaults,
    Family,
    OutputSignature,
    PredictorKind,
    Task,
    TaskForm,
)
from edgenas.specs.costs import NetworkCost
from edgenas.specs.segmenter import (
    CHAIN_SEGMENTER_SIDE_MULTIPLE_PX,
    ChainSegmenterSpec,
    SpineNetSegmenterSpec,
    default_chain_segmenter,
    default_spinenet_segmenter,
)

__all__ = [
    "SEGMENTATION",
    "SEGMENTATION_LOGITS",
    "SEGMENTER_DEFAULTS",
    "ChainSegmenterFamily",
    "SegmenterFamily",
    "SpineNetSegmenterFamily",
    "chain_segmentation_form",
    "spinenet_segmentation_form",
]

SEGMENTATION_LOGITS = "segmentation_logits"
"""The one output of a segmenter: `(1, height / 8, width / 8, num_classes + 1)` logits, background first."""

SEGMENTATION = AccuracyMetric(name="mIoU", short="mIoU", axis_label="mIoU (segmentation proxy)")
"""Mean intersection over union of a segmenter's per-pixel predictions on the segmentation proxy task."""

SEGMENTER_DEFAULTS = DeploymentDefaults((256, 256, 3), 20)
"""256x256 (the smallest SpineNet-Mobile input; a multiple of 32 and of 128) and PASCAL VOC's 20 object
classes (21 logits with the background)."""

_OUTPUT_STRIDE = 8
_BN_SAMPLES_AT_COARSEST_LEVEL = 64


class SegmenterFamily(Family):
    """What both segmenter families share (subclasses set `name`, `spec_types`, `noun` and `coarsest_level`).

    Class attributes:
        noun: What its networks are called in messages ("chain segmenter").
    """

    task = Task.SEGMENTATION
    metric = SEGMENTATION
    deployment = SEGMENTER_DEFAULTS
    predictor_kind = PredictorKind.NONE  # no latency_models predictor reads segmenter specs yet
    noun: ClassVar[str] = "segmenter"

    has_timing_graph = False
    timing_graph_formats = ()

    def coarsest_level(self, spec: Any) -> int:
        """The level of the network's coarsest BatchNorm (for `export_calibration_images`)."""
        raise NotImplementedError(f"{type(self).__name__} must say its networks' coarsest level")

    def check_input(self, spec: Any, *, input_shape: Any, num_classes: int) -> tuple[int, int, int]:
        """A segmenter needs object classes; its input must suit its backbone (`spec.check_input_shape`)."""
        what = type(spec).__name__
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise SpecError(f"a {what} needs num_classes > 0 (object classes; the logits add the background), "
                            f"got {num_classes!r}")  # fmt: skip
        try:
            return spec.check_input_shape(input_shape)
        except SpecError as error:
            shown = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else input_shape
            raise SpecError(f"cannot export a {what} at input_shape {shown!r}: {error}") from None

    def outputs(
        self, spec: Any, *, input_shape: tuple[int, int, int], num_classes: int
    ) -> tuple[OutputSignature, ...]:
        """`segmentation_logits` `(1, height / 8, width / 8, num_classes + 1)`."""
        height, width, _ = self.check_input(spec, input_shape=input_shape, num_classes=num_classes)
        shape = (1, height // _OUTPUT_STRIDE, width // _OUTPUT_STRIDE, num_classes + 1)
        return (OutputSignature(name=SEGMENTATION_LOGITS, shape=shape),)

    def cost(self, spec: Any, *, input_shape: tuple[int, int, int], num_classes: int) -> NetworkCost:
        """`estimate_segmenter_cost`: the backbone levels 3-5 need and the decoder; params are Keras' count."""
        from edgenas.specs.segmenter_costs import estimate_segmenter_cost  # noqa: PLC0415

        shape = self.check_input(spec, input_shape=input_shape, num_classes=num_classes)
        return estimate_segmenter_cost(spec, input_shape=shape, num_classes=num_classes)

    def build(self, spec: Any, *, input_shape: tuple[int, int, int], num_classes: int, **options: Any) -> Any:
        """`edgenas.models.segmenter.build_segmenter`."""
        from edgenas.models.segmenter import build_segmenter  # noqa: PLC0415  (imports TensorFlow)

        return build_segmenter(spec, input_shape=input_shape, num_classes=num_classes, **options)

    def export_calibration_images(self, spec: Any, *, input_shape: tuple[int, int, int], default: int) -> int:
        """Enough seeded images that the coarsest level's BatchNorms see 64 samples per channel.

        As for the detectors (`SpineNetDetectorFamily.export_calibration_images`): from two
        images a BatchNorm on a map of a few pixels estimates near-zero variances.
        """
        level = self.coarsest_level(spec)
        cells = max(1, (input_shape[0] >> level) * (input_shape[1] >> level))
        return max(default, math.ceil(_BN_SAMPLES_AT_COARSEST_LEVEL / cells))

    @property
    def proxy_task_type(self) -> type:
        """`edgenas.proxy.segmentation_task.SegmentationProxyTask`."""
        from edgenas.proxy.segmentation_task import SegmentationProxyTask  # noqa: PLC0415

        return SegmentationProxyTask

    def train_proxy(self, spec: Any, task: Any) -> Any:
        """`edgenas.proxy.segmentation_train.train_and_evaluate_segmentation` (`.accuracy` is the mIoU)."""
        from edgenas.proxy.segmentation_train import train_and_evaluate_segmentation  # noqa: PLC0415

        return train_and_evaluate_segmentation(spec, task)

    def train_proxy_with_rungs(
        self, spec: Any, task: Any, *, rung_steps: tuple[int, ...], gate: Callable[[int, float], bool]
    ) -> Any:
        """`train_proxy`, scored at `rung_steps` (mIoU) and stopped where `gate` says no."""
        from edgenas.proxy.segmentation_train import train_and_evaluate_segmentation  # noqa: PLC0415

        return train_and_evaluate_segmentation(spec, task, rung_steps=rung_steps, gate=gate)


class ChainSegmenterFamily(SegmenterFamily):
    """Segmenters on chain backbones (`ChainSegmenterSpec`)."""

    name = "chain_segmenter"
    spec_types = (ChainSegmenterSpec,)
    noun = "chain segmenter"

    def input_multiple(self, spec: Any) -> int:
        """32: legal sides are multiples of level 5's stride."""
        del spec
        return CHAIN_SEGMENTER_SIDE_MULTIPLE_PX

    def coarsest_level(self, spec: Any) -> int:
        """5: a chain backbone's last stages."""
        del spec
        return 5


class SpineNetSegmenterFamily(SegmenterFamily):
    """Segmenters on SpineNet backbones (`SpineNetSegmenterSpec`)."""

    name = "spinenet_segmenter"
    spec_types = (SpineNetSegmenterSpec,)
    noun = "SpineNet segmenter"

    def input_multiple(self, spec: Any) -> int:
        """The backbone's coarsest level's stride, `2 ** max_block_level`: legal sides are its multiples."""
        return 2**spec.backbone.max_block_level

    def coarsest_level(self, spec: Any) -> int:
        """The backbone's coarsest block level."""
        return spec.backbone.max_block_level


def chain_segmentation_form() -> TaskForm:
    """Segmentation of a chain: the chain as the backbone of `default_chain_segmenter`."""
    def unwrap(spec: Any) -> Any:
        if not isinstance(spec, ChainSegmenterSpec) or spec != default_chain_segmenter(spec.backbone):
            raise SpecError(f"not the default segmenter of a chain backbone: {spec}")
        return spec.backbone

    return TaskForm(task=Task.SEGMENTATION, spec_type=ChainSegmenterSpec, wrap=default_chain_segmenter,
                    unwrap=unwrap, description="+ FPN-style decoder of levels 3-5 (separable, 128 filters), "
                    "logits at stride 8")  # fmt: skip


def spinenet_segmentation_form() -> TaskForm:
    """Segmentation of a SpineNet: the backbone of `default_spinenet_segmenter`."""
    def unwrap(spec: Any) -> Any:
        if not isinstance(spec, SpineNetSegmenterSpec) or spec != default_spinenet_segmenter(spec.backbone):
            raise SpecError(f"not the default segmenter of a SpineNet backbone: {spec}")
        return spec.backbone

    return TaskForm(task=Task.SEGMENTATION, spec_type=SpineNetSegmenterSpec, wrap=default_spinenet_segmenter,
                    unwrap=unwrap, description="+ FPN-style decoder of levels 3-5 (as wide as the endpoints), "
                    "logits at stride 8")  # fmt: skip
