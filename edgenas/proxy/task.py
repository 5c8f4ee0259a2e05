"""`ProxyTask`: the typed settings of the short training that scores a candidate's accuracy."""

from __future__ import annotations

import dataclasses
import enum
import math
import os

from edgenas.proxy.errors import ProxyConfigError
from edgenas.proxy.source import SCENES, DatasetSource, FolderSource, GeneratedSource, dataset_source
from edgenas.specs.enums import coerce_enum

__all__ = ["DEFAULT_SHAPES_IMAGES", "SHAPES_TASK", "ProxyOptimizer", "ProxyTask", "StrideRemoval"]

DEFAULT_SHAPES_IMAGES = 5000
"""Images generated for a generated set (shapes or scenes) when `num_images` is left out."""

_MIN_IMAGE_SIZE_PX = 8
_MAX_IMAGE_SIZE_PX = 512
_MIN_IMAGES = 20


class ProxyOptimizer(enum.StrEnum):
    """The optimiser of proxy training; its learning rate follows a cosine decay to 0."""

    ADAM = "adam"
    SGD = "sgd"
    """SGD with Nesterov momentum 0.9."""
    RMSPROP = "rmsprop"


class StrideRemoval(enum.StrEnum):
    """Which stride-2 stages of a candidate its proxy copy runs at stride 1."""

    EARLY = "early"
    """The first ones: every stage sees a larger feature map, as if the image were larger."""
    LATE = "late"
    """The last ones: the early stages keep their size, only the narrow late stages grow."""


def _integer(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProxyConfigError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ProxyConfigError(f"{name} must be at least {minimum}, got {value}")


def _number_in(name: str, value: object, low: float, high: float, *, closed_low: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ProxyConfigError(f"{name} must be a finite number, got {value!r}")
    if not (low <= value < high if closed_low else low < value < high):
        bracket = "[" if closed_low else "("
        raise ProxyConfigError(f"{name} must be in {bracket}{low:g}, {high:g}), got {value!r}")


@dataclasses.dataclass(frozen=True)
class ProxyTask:
    """A brief training of a reduced copy of a candidate, scored by held-out accuracy.

    The proxy network (`edgenas.proxy.proxy_spec`) keeps every searched choice of
    the candidate (block types, kernels, expansions, SE, repeats, relative widths)
    and changes two things:

    - Width: every filter count is multiplied by `width_multiplier` (never below
      `min_filters`, nor above the original).
    - Spatial size: the MnasNet space down-samples by 32, which leaves a 1x1 map
      of a 32x32 image (shared/stack.md: stock MobileNetV2 learns nothing there).
      The proxy copy sets stride-2 stages to stride 1, one at a time, until the
      final feature map is at least `min_feature_map_px` on a side (the stem's
      stride 2 is fixed by the builder). By default the *first* ones go
      (`StrideRemoval.EARLY`) and the map keeps 4 px: total stride 8, and
      MobileNetV2's stages run at 16, 16, 16, 8, 8, 4, 4 px (its last four as
      on a 128x128 image). `edgenas.proxy.reduce` records the measurements behind this
      choice: for the same wall time it scored higher and varied less between
      seeds than removing the last down-samplings or training at 64x64.

    The defaults (the scenes set, 300 steps of 64 images at half width, Adam at a
    peak rate of 2e-3) were chosen with `edgenas proxy check`; `benchmarks/proxy_fidelity.md`
    records what it measured. `SHAPES_TASK` is the task before them: it trains in
    100 steps, but most architectures solve the shapes set when trained longer, so
    it cannot rank them; tests that only need something that trains use it.

    Attributes:
        dataset: A generated set by name ("scenes": 10 target outlines among clutter and texture,
            `edgenas.proxy.scenes`, default; "shapes": 10 plain shapes) or an image folder (a path
            string or `os.PathLike`); stored as a typed `DatasetSource`.
        image_size: Training resolution in pixels (square).
        num_images: Images generated for a generated set (default 5000). A folder
            dataset uses all its images; setting this with a folder is an error.
        validation_fraction: Share of each class held out for the accuracy.
        steps: Training steps, all in one `fit` call.
        batch_size: Images per step.
        learning_rate: Peak learning rate; it decays to 0 over `steps` (cosine). 5e-3 made some
            architectures' trainings unrepeatable (one seed 0.29, another 0.83 after 600 steps).
        optimizer: The optimiser (a `ProxyOptimizer` or its name).
        bn_momentum: BatchNorm momentum (0.9: the moving statistics settle within
            a few hundred steps; the builder's usual 0.99 leaves them untrained).
        width_multiplier: Factor on every filter count of the proxy network.
        min_filters: Least filter count of a layer after width scaling.
        min_feature_map_px: Least side of the last feature map of the proxy network.
        stride_removal: Which stride-2 stages become stride 1 until the last feature
            map is `min_feature_map_px` large (a `StrideRemoval` or its name).
        dropout_rate: Dropout before the classifier.
        seed: Seed of the weights and the order of training batches.
        dataset_seed: Seed of the generated images and of the train/validation split
            (kept apart from `seed` so that repeated trainings see the same data).
    """

    dataset: DatasetSource | str | os.PathLike[str] = SCENES
    image_size: int = 32
    num_images: int | None = None
    validation_fraction: float = 0.2
    steps: int = 300
    batch_size: int = 64
    learning_rate: float = 2e-3
    optimizer: ProxyOptimizer = ProxyOptimizer.ADAM
    bn_momentum: float = 0.9
    width_multiplier: float = 0.5
    min_filters: int = 8
    min_feature_map_px: int = 4
    stride_removal: StrideRemoval = StrideRemoval.EARLY
    dropout_rate: float = 0.0
    seed: int = 0
    dataset_seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "dataset", dataset_source(self.dataset))
        _integer("image_size", self.image_size, minimum=_MIN_IMAGE_SIZE_PX)
        if self.image_size > _MAX_IMAGE_SIZE_PX:
            raise ProxyConfigError(f"image_size must be at most {_MAX_IMAGE_SIZE_PX}, got {self.image_size}")
        if self.num_images is not None:
            _integer("num_images", self.num_images, minimum=_MIN_IMAGES)
            if isinstance(self.dataset, FolderSource):
                raise ProxyConfigError(
                    "num_images sets the size of a generated dataset; "
                    f"a folder dataset ({self.dataset}) uses all its images"
                )
        for name in ("steps", "batch_size", "min_filters", "min_feature_map_px"):
            _integer(name, getattr(self, name), minimum=1)
        for name in ("seed", "dataset_seed"):
            _integer(name, getattr(self, name), minimum=0)
        _number_in("validation_fraction", self.validation_fraction, 0.0, 1.0)
        _number_in("learning_rate", self.learning_rate, 0.0, math.inf)
        _number_in("bn_momentum", self.bn_momentum, 0.0, 1.0, closed_low=True)
        _number_in("width_multiplier", self.width_multiplier, 0.0, 4.0)
        _number_in("dropout_rate", self.dropout_rate, 0.0, 1.0, closed_low=True)
        for name, kind in (("optimizer", ProxyOptimizer), ("stride_removal", StrideRemoval)):
            member = coerce_enum(kind, getattr(self, name), field=name, error=ProxyConfigError)
            object.__setattr__(self, name, member)
        # The builder's stem always strides 2: the feature map can be at most half the image.
        if self.image_size // 2 < self.min_feature_map_px:
            raise ProxyConfigError(
                f"min_feature_map_px {self.min_feature_map_px} cannot be reached at image_size "
                f"{self.image_size}: the stem alone halves the image"
            )

    @property
    def images_to_generate(self) -> int:
        """Images of a generated dataset (`num_images`, or its default)."""
        return DEFAULT_SHAPES_IMAGES if self.num_images is None else self.num_images

    @property
    def is_generated(self) -> bool:
        """Whether the task trains on a generated dataset (not a folder)."""
        return isinstance(self.dataset, GeneratedSource)


SHAPES_TASK = ProxyTask(dataset="shapes", steps=100, learning_rate=5e-3)
"""The default before the scenes set: 100 steps of 64 shapes images at half width, peak rate 5e-3 (about 20 s a
training here). Quick to train, but it cannot rank architectures (most solve the set when trained longer)."""
