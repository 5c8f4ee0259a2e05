"""`DetectionProxyTask`: the typed settings of the short detection training that scores a SpineNet candidate.

A SpineNet candidate is scored as a RetinaNet detector trained briefly on a
generated detection dataset (`edgenas.proxy.detection_data`: coloured shapes
with tight boxes on a textured background) and evaluated by COCO-style average
precision at IoU 0.5 on held-out images. The trained network is a reduced copy
of the candidate (`edgenas.proxy.detection_reduce`): the same topology (level
order, block functions, inputs, output blocks), narrower, one block per node
and a light head, so that a trial costs one to three minutes on a 2-core CPU.

The defaults were chosen by measurement (2026-11-28, this 2-core CPU shared
with other jobs; SpineNet-Mobile-49XS's topology, 150 steps of batch 16, 512
training and 128 held-out images of 3 classes; Adam with cosine decay):

    peak learning rate   AP@0.5   final loss   fit s
    2e-3                 0.025    2.83         102
    1e-2 (default)       0.211    2.00         102
    1.5e-2               0.185    1.99         149 (two jobs at once)
    2e-2                 0.294    1.73          83
    4e-2                 0.020    2.81         100  (diverged early, then stalled)

2e-2 scored best on that network but sits next to the rate that fails; 1e-2
leaves a margin for other topologies. A random `spinenet_mbconv` point (at
its space's SpineNet-Mobile-49 sizes, so the proxy is 2.7x as large) scored
0.059 at 1.5e-2 against 0.185 for the published topology. One training is a
noisy measurement: compare candidates on the same task and seed.
"""

from __future__ import annotations

import dataclasses
import math

from edgenas.proxy.errors import ProxyConfigError
from edgenas.proxy.task import _integer, _number_in

__all__ = ["DetectionProxyTask"]

_LEVEL_STRIDE_PX = 128
"""The published SpineNets reach level 7: the image side must be a multiple of 2**7."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class DetectionProxyTask:
    """A brief detection training of a reduced SpineNet candidate, scored by AP at IoU 0.5.

    Attributes:
        image_size: Training resolution in pixels (square; a multiple of 128, the level-7 stride).
        num_classes: Object classes of the generated dataset.
        num_train: Generated training images.
        num_val: Generated held-out images the AP is measured on.
        max_objects: Most objects per image.
        min_box_px: Least side of a generated object.
        max_box_px: Largest side of a generated object.
        steps: Training steps, all in one `fit` call.
        batch_size: Images per step.
        learning_rate: Peak learning rate of Adam; cosine decay to 0 over `steps`.
        bn_momentum: BatchNorm momentum of the proxy network.
        width_multiplier: Factor on the candidate's `filter_size_scale` and endpoint filters.
        min_filters: Least endpoint filter count after width scaling.
        head_num_convs: Convolutions of each head subnet (when no head is given to train).
        head_num_filters: Filters of each head convolution (when no head is given to train).
        block_repeats: Blocks per node of the proxy backbone; None keeps the candidate's (scaling
            compares repeats, so it keeps them).
        anchor_size: Anchor base size in units of the level's stride (3: SpineNet-Mobile's RetinaNet configs).
        seed: Seed of the weights and of the batch order.
        dataset_seed: Seed of the generated images (kept apart from `seed`).
    """

    image_size: int = 128
    num_classes: int = 3
    num_train: int = 512
    num_val: int = 128
    max_objects: int = 3
    min_box_px: int = 16
    max_box_px: int = 64
    steps: int = 150
    batch_size: int = 16
    learning_rate: float = 1e-2
    bn_momentum: float = 0.9
    width_multiplier: float = 0.5
    min_filters: int = 8
    head_num_convs: int = 2
    head_num_filters: int = 32
    block_repeats: int | None = 1
    anchor_size: float = 3.0
    seed: int = 0
    dataset_seed: int = 0

    def __post_init__(self) -> None:
        _integer("image_size", self.image_size, minimum=_LEVEL_STRIDE_PX)
        if self.image_size % _LEVEL_STRIDE_PX or self.image_size > 512:
            raise ProxyConfigError(
                f"image_size must be a multiple of {_LEVEL_STRIDE_PX} (the level-7 stride) up to 512, "
                f"got {self.image_size}"
            )
        _integer("num_classes", self.num_classes, minimum=1)
        _integer("num_train", self.num_train, minimum=self.batch_size if isinstance(self.batch_size, int) else 1)
        for name in ("num_val", "max_objects", "min_box_px", "steps", "batch_size", "min_filters",
                     "head_num_filters"):  # fmt: skip
            _integer(name, getattr(self, name), minimum=1)
        _integer("head_num_convs", self.head_num_convs, minimum=0)
        if self.block_repeats is not None:
            _integer("block_repeats", self.block_repeats, minimum=1)
        for name in ("seed", "dataset_seed"):
            _integer(name, getattr(self, name), minimum=0)
        _integer("max_box_px", self.max_box_px, minimum=self.min_box_px)
        if self.max_box_px > self.image_size:
            raise ProxyConfigError(f"max_box_px {self.max_box_px} exceeds image_size {self.image_size}")
        _number_in("learning_rate", self.learning_rate, 0.0, math.inf)
        _number_in("bn_momentum", self.bn_momentum, 0.0, 1.0, closed_low=True)
        _number_in("width_multiplier", self.width_multiplier, 0.0, 4.0)
        _number_in("anchor_size", self.anchor_size, 0.0, 64.0)
