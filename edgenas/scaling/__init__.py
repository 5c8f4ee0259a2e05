"""Scaling search: sizing a found SpineNet topology (input, widths, depth, head) over a grid.

`get_scaling_space("spinenet_mobile_scaling").detectors(spec)` gives every
sized detector of a topology; `ScalingPoint.apply(spec)` sizes one;
`scale(...)` (and `edgenas scale`) finds the best sizing within a latency budget.
"""

from edgenas.scaling.scale_search import ScaledOutcome, ScaleResult, scale
from edgenas.scaling.scaling_point import IMAGE_CHANNELS, POINT_FIELDS, ScaledDetector, ScalingPoint
from edgenas.scaling.scaling_space import (
    SPINENET_MOBILE_SCALING,
    SPINENET_SCALING,
    ScalingSpace,
    get_scaling_space,
    register_scaling_space,
    scaling_space_names,
    unregister_scaling_space,
)

__all__ = [
    "IMAGE_CHANNELS",
    "POINT_FIELDS",
    "SPINENET_MOBILE_SCALING",
    "SPINENET_SCALING",
    "ScaleResult",
    "ScaledDetector",
    "ScaledOutcome",
    "ScalingPoint",
    "ScalingSpace",
    "get_scaling_space",
    "register_scaling_space",
    "scale",
    "scaling_space_names",
    "unregister_scaling_space",
]
