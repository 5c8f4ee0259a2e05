"""`ProxyTask`: the typed settings of the short training that scores a candidate's accuracy."""

from __future__ import annotations

import dataclasses
import math

from edgenas.proxy.errors import ProxyConfigError

__all__ = ["ProxyTask"]

SHAPES = "shapes"


@dataclasses.dataclass(frozen=True)
class ProxyTask:
    """A brief training run on a small classification set, reported as held-out accuracy.

    Spatial size: the MnasNet space down-samples by 32, which leaves nothing of a
    32x32 image (shared/stack.md: stock MobileNetV2 learns nothing there). The proxy
    network is therefore a copy of the candidate whose first `keep_resolution_stages`
    stride-2 stages stride 1 (total stride 32 -> 8 with the default 2: a 4x4 map at
    32x32), with every filter count scaled by `width`. Block types, kernels,
    expansions, SE and repeats, the searched choices, stay as they are.

    Attributes:
        dataset: "shapes" (generated, 10 classes, no download) or a folder path
            with one sub-folder of images per class.
        image_size: Training resolution (square).
        num_images: Images generated for "shapes" (a folder uses all its images).
        validation_fraction: Share held out for the accuracy.
        steps: Training steps (one `fit` call).
        batch_size: Images per step.
        learning_rate: Adam's learning rate.
        width: Filter multiplier of the proxy network.
        keep_resolution_stages: Stride-2 stages (after the stem) made stride 1.
        bn_momentum: BatchNorm momentum (0.9 suits a few hundred steps).
        seed: Seed of data, split, weights and shuffling.
    """

    dataset: str = SHAPES
    image_size: int = 32
    num_images: int = 3000
    validation_fraction: float = 0.2
    steps: int = 150
    batch_size: int = 64
    learning_rate: float = 2e-3
    width: float = 0.5
    keep_resolution_stages: int = 2
    bn_momentum: float = 0.9
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("image_size", "num_images", "steps", "batch_size", "seed", "keep_resolution_stages"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ProxyConfigError(f"{name} must be an integer, got {value!r}")
        if self.image_size < 8:
            raise ProxyConfigError(f"image_size must be at least 8, got {self.image_size}")
        if self.num_images < 20:
            raise ProxyConfigError(f"num_images must be at least 20, got {self.num_images}")
        if self.steps < 1 or self.batch_size < 1:
            raise ProxyConfigError(f"steps and batch_size must be positive, got {self.steps}, {self.batch_size}")
        if self.keep_resolution_stages < 0:
            raise ProxyConfigError(f"keep_resolution_stages must be >= 0, got {self.keep_resolution_stages}")
        for name, low, high in (("validation_fraction", 0.0, 1.0), ("width", 0.0, 4.0), ("bn_momentum", 0.0, 1.0)):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not low < value < high or not math.isfinite(value):
                raise ProxyConfigError(f"{name} must be in ({low:g}, {high:g}), got {value!r}")
        if not (isinstance(self.learning_rate, (int, float)) and 0 < self.learning_rate < 1):
            raise ProxyConfigError(f"learning_rate must be in (0, 1), got {self.learning_rate!r}")
        if not isinstance(self.dataset, str) or not self.dataset:
            raise ProxyConfigError(f"dataset must be 'shapes' or a folder path, got {self.dataset!r}")
