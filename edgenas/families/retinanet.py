"""What every RetinaNet detector family shares: output names, metric, proxy task type, the head's export weights.

`RetinaNetFamily` is the base of the detector families (SpineNet, chain
backbones with an FPN or a NAS-FPN): two outputs, `class_outputs` and
`box_outputs` over every anchor, AP@0.5 on the detection proxy task, and a
whole-network latency predictor. Importing it does not import TensorFlow;
`redraw_head_kernels` imports Keras on use.
"""

from __future__ import annotations

from typing import Any, ClassVar

from edgenas.errors import ExportError
from edgenas.families.family import AccuracyMetric, Family, PredictorKind, Task

__all__ = ["BOX_OUTPUTS", "CLASS_OUTPUTS", "DETECTION", "RetinaNetFamily", "redraw_head_kernels"]

DETECTION = AccuracyMetric(name="AP@0.5", short="AP@0.5", axis_label="AP@0.5 (detection proxy)")
"""COCO-style AP at IoU 0.5 of a detector on the detection proxy task."""

CLASS_OUTPUTS = "class_outputs"
BOX_OUTPUTS = "box_outputs"

_HEAD_REDRAW_STREAM = 1  # the head's weights draw from their own seeded stream


def redraw_head_kernels(model: Any, *, seed: int, prefixes: tuple[str, ...], what: str) -> None:
    """Redraws every kernel of the RetinaNet head's convolutions from N(0, 1 / fan_in), seeded.

    With their RetinaNet initialisation (normal, stddev 0.01) each tower conv's
    output variance is far below BatchNorm's epsilon, the signal shrinks ~30x per
    conv, and the exported files would output constants (the class prior bias and
    ~1e-9 box deltas), which makes int8 ranges and runtime comparisons
    meaningless. Biases (the class prior) are kept. A depthwise kernel's fan-in
    is its window; a pointwise or full convolution's is window x input channels.

    Args:
        model: The built detector.
        seed: Seed of the redraw.
        prefixes: Name prefixes of the head's layers (its two outputs' names, each followed by "_").
        what: The detector, for the message ("SpineNet detector").

    Raises:
        ExportError: If the model has no head convolution.
    """
    import keras  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    rng = np.random.default_rng([seed, _HEAD_REDRAW_STREAM])
    redrawn = 0
    for layer in model.layers:
        if not layer.name.startswith(prefixes):
            continue
        if isinstance(layer, keras.layers.SeparableConv2D):
            kernels = [(layer.depthwise_kernel, 2), (layer.pointwise_kernel, 3)]
        elif isinstance(layer, keras.layers.Conv2D):
            kernels = [(layer.kernel, 3)]
        else:
            continue
        for variable, fan_in_axes in kernels:
            shape = tuple(variable.shape)
            fan_in = int(np.prod(shape[:fan_in_axes]))
            variable.assign(rng.normal(0.0, 1.0 / np.sqrt(fan_in), size=shape).astype(np.float32))
            redrawn += 1
    if not redrawn:
        raise ExportError(f"found no detection-head convolution to initialise in the {what}")


class RetinaNetFamily(Family):
    """A family of RetinaNet detectors (subclasses set `name`, `spec_types`, `deployment`, and the spec methods).

    Class attributes:
        noun: What its networks are called in messages ("SpineNet detector").
    """

    task = Task.DETECTION
    metric = DETECTION
    predictor_kind = PredictorKind.WHOLE_NETWORK
    noun: ClassVar[str] = "detector"

    def initialise_for_export(self, model: Any, *, seed: int) -> None:
        """Redraws the RetinaNet head's kernels so the exported outputs are not constants (`redraw_head_kernels`).

        Raises:
            ExportError: If the model has no head convolution.
        """
        redraw_head_kernels(model, seed=seed, prefixes=(f"{CLASS_OUTPUTS}_", f"{BOX_OUTPUTS}_"), what=self.noun)

    @property
    def proxy_task_type(self) -> type:
        """`edgenas.proxy.DetectionProxyTask`."""
        from edgenas.proxy.detection_task import DetectionProxyTask  # noqa: PLC0415

        return DetectionProxyTask
