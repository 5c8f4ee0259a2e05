"""The deployment input and class count a spec is exported and timed at when the user gives none."""

from __future__ import annotations

import dataclasses
from typing import Any

from edgenas.specs.spinenet_arch import SpineNetSpec

__all__ = ["CLASSIFIER_DEFAULTS", "DETECTOR_DEFAULTS", "DeploymentDefaults", "deployment_defaults"]


@dataclasses.dataclass(frozen=True)
class DeploymentDefaults:
    """An input shape and class count.

    Attributes:
        input_shape: Height, width, channels of one image.
        num_classes: Classifier outputs, or detector classes.
    """

    input_shape: tuple[int, int, int]
    num_classes: int


CLASSIFIER_DEFAULTS = DeploymentDefaults((224, 224, 3), 1000)
"""ImageNet's: 224x224 images, 1,000 classes."""

DETECTOR_DEFAULTS = DeploymentDefaults((256, 256, 3), 91)
"""A SpineNet detector's: 256x256 (SpineNet-Mobile-49XS's input, the smallest published), COCO's 91 class
ids as in TF Model Garden's RetinaNet configs."""


def deployment_defaults(spec: Any) -> DeploymentDefaults:
    """`DETECTOR_DEFAULTS` for a SpineNet backbone or detector, else `CLASSIFIER_DEFAULTS`."""
    backbone = getattr(spec, "backbone", spec)
    return DETECTOR_DEFAULTS if isinstance(backbone, SpineNetSpec) else CLASSIFIER_DEFAULTS
