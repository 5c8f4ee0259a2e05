"""`SegmentationProxyTask`: the typed settings of the short segmentation training that scores a segmenter candidate.

A segmenter candidate (a chain or a SpineNet backbone with the level 3-5
decoder) is scored by training a reduced copy briefly on the generated
segmentation dataset (`edgenas.proxy.segmentation_data`: coloured shapes on a
textured background, one label per pixel) and measuring the mean IoU of its
per-pixel predictions on held-out images (`edgenas.proxy.segmentation_metrics`).
The reduced copy keeps the candidate's topology at a proxy width
(`edgenas.proxy.segmentation_reduce`); see `edgenas.proxy.segmentation_train`
for the loss and the resolution the score is taken at.

The default learning rate was chosen by one measurement per setting (2026-11,
this 2-core CPU shared with another job; the default task otherwise: 150 steps
of batch 16 at 128 px, 512 training and 128 held-out images of 3 classes):

    peak learning rate   mIoU, mobilenet_v2 chain   mIoU, SpineNet-Mobile-49XS
    2e-3                 0.427
    5e-3 (default)       0.520                      0.314
    1e-2                 0.489                      0.349
    2e-2                 0.428

(fit ~40-85 s each; pixel accuracy 0.87-0.93, the background being most
pixels). One training is a noisy measurement: compare candidates on the same
task and seed.
"""

from __future__ import annotations

import dataclasses
import math

from edgenas.proxy.errors import ProxyConfigError
from edgenas.proxy.segmentation_data import SegmentationDataSpec
from edgenas.proxy.task import _integer, _number_in

__all__ = ["SegmentationProxyTask"]

_SIDE_MULTIPLE_PX = 32
"""Image sides are multiples of level 5's stride (a SpineNet candidate needs its coarsest level's: 128)."""

_MIN_IMAGE_PX, _MAX_IMAGE_PX = 64, 512


@dataclasses.dataclass(frozen=True, kw_only=True)
class SegmentationProxyTask:
    """A brief segmentation training of a reduced candidate, scored by mean IoU (mIoU).

    Attributes:
        image_size: Training resolution in pixels (square; a multiple of 32 from 64 to 512; a SpineNet
            candidate needs a multiple of its coarsest level's stride, 128).
        num_classes: Object classes of the generated dataset (the network predicts them and the background).
        num_train: Generated training images.
        num_val: Generated held-out images the mIoU is measured on.
        max_objects: Most objects per image.
        min_object_px: Least side of a generated object.
        max_object_px: Largest side of a generated object.
        ignore_border_px: Half-width of the ignored band (label 255) along object boundaries; 0: none.
        steps: Training steps, all in one `fit` call.
        batch_size: Images per step.
        learning_rate: Peak learning rate of Adam; cosine decay to 0 over `steps`.
        bn_momentum: BatchNorm momentum of the proxy network.
        width_multiplier: Factor on the candidate's backbone filters.
        min_filters: Least filter count after width scaling.
        head_num_filters: Filters of the proxy's decoder (its separable or plain kind is the candidate's).
        block_repeats: Blocks per node of a SpineNet proxy backbone; None keeps the candidate's (a chain's
            repeats are searched choices and are always kept).
        seed: Seed of the weights and of the batch order.
        dataset_seed: Seed of the generated images (kept apart from `seed`).

    Raises:
        ProxyConfigError: On a value out of range, naming the field.
    """

    image_size: int = 128
    num_classes: int = 3
    num_train: int = 512
    num_val: int = 128
    max_objects: int = 4
    min_object_px: int = 16
    max_object_px: int = 64
    ignore_border_px: int = 0
    steps: int = 150
    batch_size: int = 16
    learning_rate: float = 5e-3
    bn_momentum: float = 0.9
    width_multiplier: float = 0.5
    min_filters: int = 8
    head_num_filters: int = 32
    block_repeats: int | None = 1
    seed: int = 0
    dataset_seed: int = 0

    def __post_init__(self) -> None:
        _integer("image_size", self.image_size, minimum=_MIN_IMAGE_PX)
        if self.image_size % _SIDE_MULTIPLE_PX or self.image_size > _MAX_IMAGE_PX:
            raise ProxyConfigError(
                f"image_size must be a multiple of {_SIDE_MULTIPLE_PX} (the level-5 stride) from {_MIN_IMAGE_PX} "
                f"to {_MAX_IMAGE_PX}, got {self.image_size}"
            )
        for name in ("steps", "batch_size", "min_filters", "head_num_filters"):
            _integer(name, getattr(self, name), minimum=1)
        _integer("num_train", self.num_train, minimum=self.batch_size)
        if self.block_repeats is not None:
            _integer("block_repeats", self.block_repeats, minimum=1)
        for name in ("seed", "dataset_seed"):
            _integer(name, getattr(self, name), minimum=0)
        _number_in("learning_rate", self.learning_rate, 0.0, math.inf)
        _number_in("bn_momentum", self.bn_momentum, 0.0, 1.0, closed_low=True)
        _number_in("width_multiplier", self.width_multiplier, 0.0, 4.0)
        self.data_spec()  # the dataset's own rules: classes, objects, sizes, the ignore band

    def data_spec(self) -> SegmentationDataSpec:
        """The generated dataset the task trains and scores on.

        Raises:
            ProxyConfigError: If the dataset refuses the task's sizes or counts.
        """
        return SegmentationDataSpec(
            image_size=self.image_size,
            num_classes=self.num_classes,
            max_objects=self.max_objects,
            min_object_px=self.min_object_px,
            max_object_px=self.max_object_px,
            ignore_border_px=self.ignore_border_px,
            num_train=self.num_train,
            num_val=self.num_val,
            seed=self.dataset_seed,
        )
