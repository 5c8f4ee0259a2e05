"""A generated semantic-segmentation dataset: coloured shapes on textured, noisy backgrounds, labelled per pixel.

The scenes are those of the detection dataset (`detection_data`, whose docstring
tells the rules: 1..`max_objects` shapes per image, class `c` is shape `c % 5`
in colour family `c // 5`, objects drawn without anti-aliasing, later objects
covering at most half of earlier ones); with the same sizes and seed the images
are byte for byte the detection dataset's. Each image comes with a uint8 mask:

- `0` (`BACKGROUND_LABEL`) where the background shows,
- `c + 1` where an object of class `c` shows (so masks hold `0..num_classes`,
  `spec.num_labels` values in all; `spec.label_names` names them),
- `255` (`IGNORE_LABEL`, the same value `edgenas.augment` fills masks with):
  pixels no loss or metric should count.

Where masks hold 255: by default nowhere. Every pixel belongs wholly to one
object or to the background (there is no anti-aliasing to blur an edge), so
every label is exact, and ignoring the pixels along object edges would throw
away exact supervision just where segmentation heads differ most. 255 appears
when augmentation moves the image or cuts part of it out (`edgenas.augment`
fills the mask there), or when a spec asks for a void band like PASCAL VOC's:
with `ignore_border_px = w > 0`, a pixel is 255 when some pixel within `w` rows
and `w` columns of it shows another object or the background (a band `2 w`
pixels wide centred on every boundary between two objects, or between an object
and the background, also between two objects of the same class; the image's own
edge is no boundary).

Everything is a pure function of the spec: same spec, byte-identical arrays.
The training and validation splits come from independent seeds, and a smaller
split is a prefix of a larger one.

    spec = SegmentationDataSpec(num_classes=3, num_train=512, num_val=128, seed=0)
    data = generate_segmentation_data(spec)      # about 1 s for 640 images of 128x128
    data.train.images, data.train.masks          # (N, 128, 128, 3) and (N, 128, 128), uint8
    save_segmentation_data(data, "shapes_seg.npz"); load_segmentation_data("shapes_seg.npz")
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable

import numpy as np

from edgenas.augment.example import IGNORE_LABEL
from edgenas.proxy import _dataset_files, _object_scenes
from edgenas.proxy._object_scenes import check_int
from edgenas.proxy.box_coding import _read_only
from edgenas.proxy.errors import ProxyConfigError, ProxyDatasetError

__all__ = [
    "BACKGROUND_LABEL",
    "FORMAT_VERSION",
    "IGNORE_LABEL",
    "SegmentationData",
    "SegmentationDataSpec",
    "SegmentationSplit",
    "generate_segmentation_data",
    "load_segmentation_data",
    "save_segmentation_data",
]

BACKGROUND_LABEL = 0
"""The mask value of background pixels; object class `c` is mask value `c + 1`."""

FORMAT_VERSION = 1
"""Version of the `.npz` layout written by `save_segmentation_data`."""

_MAX_IGNORE_BORDER_PX = 8  # A wider band would hide the smallest objects (4 px) entirely.
_SPLITS = _object_scenes.SPLITS


@dataclasses.dataclass(frozen=True, kw_only=True)
class SegmentationDataSpec:
    """What `generate_segmentation_data` makes: sizes, counts, the ignore band and the seed.

    Attributes:
        image_size: Height and width of the square images, in pixels (>= 16).
        num_classes: Number of object classes, 1..20, background not counted:
            masks hold `0..num_classes` (see the module docstring).
        max_objects: Most objects per image, 1..16; each image draws 1..max_objects
            (a few fewer when a placement fails 30 times).
        min_object_px: Least height and width of a drawn shape, in pixels (>= 4).
        max_object_px: Largest height and width of a drawn shape, in pixels
            (`min_object_px`..`image_size`).
        ignore_border_px: Half-width of the band of `IGNORE_LABEL` along every
            object boundary, in pixels, 0..8; 0 (the default): no band.
        num_train: Training images (>= 1).
        num_val: Validation images (>= 1).
        seed: Seed of every random choice (>= 0).
    """

    image_size: int = 128
    num_classes: int = 3
    max_objects: int = 4
    min_object_px: int = 12
    max_object_px: int = 48
    ignore_border_px: int = 0
    num_train: int = 512
    num_val: int = 128
    seed: int = 0

    def __post_init__(self) -> None:
        check_int("image_size", self.image_size, _object_scenes.MIN_IMAGE_SIZE_PX)
        check_int("num_classes", self.num_classes, 1, _object_scenes.MAX_CLASSES)
        check_int("max_objects", self.max_objects, 1, _object_scenes.MAX_OBJECTS)
        check_int("min_object_px", self.min_object_px, _object_scenes.MIN_OBJECT_PX)
        check_int("max_object_px", self.max_object_px, 1)
        if not self.min_object_px <= self.max_object_px <= self.image_size:
            raise ProxyConfigError(
                "need min_object_px <= max_object_px <= image_size, got "
                f"{self.min_object_px}, {self.max_object_px} and {self.image_size}"
            )
        check_int("ignore_border_px", self.ignore_border_px, 0, _MAX_IGNORE_BORDER_PX)
        check_int("num_train", self.num_train, 1)
        check_int("num_val", self.num_val, 1)
        check_int("seed", self.seed, 0)

    @property
    def num_labels(self) -> int:
        """Mask values that name a class, background included: `num_classes + 1` (what `mean_iou` calls num_classes)."""
        return self.num_classes + 1

    @property
    def num_colour_families(self) -> int:
        """Hue sectors the classes are spread over (1 when shapes alone tell classes apart)."""
        return _object_scenes.num_colour_families(self.num_classes)

    @property
    def label_names(self) -> tuple[str, ...]:
        """One name per mask value `0..num_classes`: `"background"`, then each object class's name.

        An object class is named by its shape, plus `_hue{f}` when there are several colour families.
        """
        return ("background", *_object_scenes.class_names(self.num_classes))

    def to_json(self) -> str:
        """The spec as a JSON object (keys sorted)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SegmentationDataSpec:
        """Parses `to_json`'s output.

        Raises:
            ProxyConfigError: If the text is not a JSON object of known fields with valid values.
        """
        return _dataset_files.spec_from_json(cls, text)


@dataclasses.dataclass(frozen=True, eq=False)
class SegmentationSplit:
    """The images of one split and their masks.

    Attributes:
        images: uint8 RGB images `(N, H, W, 3)`, read-only.
        masks: uint8 label maps `(N, H, W)`, read-only: `BACKGROUND_LABEL`, an object
            class plus one, or `IGNORE_LABEL` (`SegmentationData` checks the values
            against its spec).

    Raises:
        ProxyDatasetError: If the arrays have other types or shapes.
    """

    images: np.ndarray
    masks: np.ndarray

    def __post_init__(self) -> None:
        images, masks = self.images, self.masks
        if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
            raise ProxyDatasetError(f"images must be a uint8 array (n, height, width, 3), got {_describe(images)}")
        if not isinstance(masks, np.ndarray) or masks.dtype != np.uint8 or masks.shape != images.shape[:3]:
            raise ProxyDatasetError(
                f"masks must be a uint8 array {images.shape[:3]} (one per image), got {_describe(masks)}"
            )
        object.__setattr__(self, "images", _read_only(images))
        object.__setattr__(self, "masks", _read_only(masks))

    @property
    def num_images(self) -> int:
        """Number of images `N`."""
        return int(self.images.shape[0])


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} {value.shape}"
    return type(value).__name__


@dataclasses.dataclass(frozen=True, eq=False)
class SegmentationData:
    """A generated (or loaded) segmentation dataset: its spec and two splits.

    Attributes:
        spec: The spec the data was generated from.
        train: `spec.num_train` training images.
        val: `spec.num_val` validation images.

    Raises:
        ProxyDatasetError: If a split does not match the spec (image count or
            size, a mask value that is neither `0..spec.num_classes` nor `IGNORE_LABEL`).
    """

    spec: SegmentationDataSpec
    train: SegmentationSplit
    val: SegmentationSplit

    def __post_init__(self) -> None:
        size = self.spec.image_size
        for name, split, count in (("train", self.train, self.spec.num_train), ("val", self.val, self.spec.num_val)):
            if not isinstance(split, SegmentationSplit):
                raise ProxyDatasetError(f"{name} must be a SegmentationSplit, got {type(split).__name__}")
            if split.images.shape[:3] != (count, size, size):
                raise ProxyDatasetError(
                    f"{name} images have shape {split.images.shape[:3]}, the spec says ({count}, {size}, {size})"
                )
            counts = np.bincount(split.masks.ravel(), minlength=256)
            counts[: self.spec.num_labels] = 0
            counts[IGNORE_LABEL] = 0
            if counts.any():
                raise ProxyDatasetError(
                    f"{name} masks hold value {int(np.flatnonzero(counts)[0])}; the spec's are "
                    f"0..{self.spec.num_classes} and {IGNORE_LABEL} (ignore)"
                )


# --- Generation -----------------------------------------------------------------------


def _layout(spec: SegmentationDataSpec) -> _object_scenes.SceneLayout:
    return _object_scenes.SceneLayout(
        image_size=spec.image_size,
        num_classes=spec.num_classes,
        max_objects=spec.max_objects,
        min_object_px=spec.min_object_px,
        max_object_px=spec.max_object_px,
        seed=spec.seed,
    )


def _window_extreme(
    values: np.ndarray, radius: int, combine: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """`combine` (np.maximum or np.minimum) of `values` over each pixel's `(2 radius + 1)` square, edges repeated."""
    out = values
    for axis in (0, 1):
        padding = [(radius, radius) if a == axis else (0, 0) for a in range(values.ndim)]
        padded = np.pad(out, padding, mode="edge")
        length = values.shape[axis]
        out = padded.take(np.arange(length), axis=axis)
        for shift in range(1, 2 * radius + 1):
            out = combine(out, padded.take(np.arange(shift, shift + length), axis=axis))
    return out


def _border_band(owner: np.ndarray, width_px: int) -> np.ndarray:
    """bool: pixels with a pixel of another owner within `width_px` rows and columns."""
    return _window_extreme(owner, width_px, np.maximum) != _window_extreme(owner, width_px, np.minimum)


def _generate_split(spec: SegmentationDataSpec, split: str) -> SegmentationSplit:
    layout = _layout(spec)
    images = _object_scenes.background_images(layout, split, spec.num_train if split == "train" else spec.num_val)
    masks = np.empty(images.shape[:3], dtype=np.uint8)
    for i, scene in enumerate(_object_scenes.draw_scenes(layout, split, images)):
        masks[i] = scene.class_map()
        if spec.ignore_border_px:
            masks[i][_border_band(scene.owner, spec.ignore_border_px)] = IGNORE_LABEL
    return SegmentationSplit(images=images, masks=masks)


def generate_segmentation_data(spec: SegmentationDataSpec) -> SegmentationData:
    """Generates the dataset a spec describes (see the module docstring).

    Args:
        spec: Sizes, counts, ignore band and seed.

    Returns:
        The `SegmentationData`; the same spec always gives byte-identical arrays.

    Raises:
        ProxyConfigError: If `spec` is not a `SegmentationDataSpec`.
    """
    if not isinstance(spec, SegmentationDataSpec):
        raise ProxyConfigError(f"spec must be a SegmentationDataSpec, got {type(spec).__name__}")
    return SegmentationData(spec=spec, train=_generate_split(spec, "train"), val=_generate_split(spec, "val"))


# --- Files ------------------------------------------------------------------------------

_KEYS = frozenset(["format_version", "spec_json"] + [f"{s}_{part}" for s in _SPLITS for part in ("images", "masks")])


def save_segmentation_data(data: SegmentationData, path: str | os.PathLike[str]) -> None:
    """Writes a dataset to one uncompressed `.npz` file (atomically: a temporary file, then a rename).

    Layout (version `FORMAT_VERSION`): `format_version` (int), `spec_json` (str),
    and per split `s` in `train`, `val`: `s_images` uint8 `(N, H, W, 3)` and
    `s_masks` uint8 `(N, H, W)`.

    Args:
        data: The dataset.
        path: Destination file; written exactly there (no suffix is added).

    Raises:
        ProxyDatasetError: If `data` is not a `SegmentationData`.
    """
    if not isinstance(data, SegmentationData):
        raise ProxyDatasetError(f"data must be a SegmentationData, got {type(data).__name__}")
    arrays = {"format_version": np.array(FORMAT_VERSION, dtype=np.int64), "spec_json": np.array(data.spec.to_json())}
    for name, split in (("train", data.train), ("val", data.val)):
        arrays[f"{name}_images"] = split.images
        arrays[f"{name}_masks"] = split.masks
    _dataset_files.write_npz(path, arrays, prefix=".segmentation_data.")


def _load_split(name: str, arrays: dict[str, np.ndarray]) -> SegmentationSplit:
    try:
        return SegmentationSplit(images=arrays[f"{name}_images"], masks=arrays[f"{name}_masks"])
    except ProxyDatasetError as error:
        raise ProxyDatasetError(f"{name}_{error}") from error


def load_segmentation_data(path: str | os.PathLike[str]) -> SegmentationData:
    """Reads a file written by `save_segmentation_data`.

    Args:
        path: The `.npz` file.

    Returns:
        The `SegmentationData`, validated against its spec.

    Raises:
        FileNotFoundError: If there is no such file.
        ProxyDatasetError: If the file is not a segmentation dataset of this
            format version: not an `.npz` archive, missing or unexpected arrays
            (a detection dataset's, say), another version, an invalid spec,
            arrays of other types or shapes, or arrays that disagree with the spec.
    """
    path = os.fspath(path)
    arrays = _dataset_files.read_npz(path, _KEYS, what="segmentation dataset")
    spec = _dataset_files.read_header(path, arrays, version=FORMAT_VERSION, parse=SegmentationDataSpec.from_json)
    try:
        return SegmentationData(spec=spec, train=_load_split("train", arrays), val=_load_split("val", arrays))
    except ProxyDatasetError as error:
        raise ProxyDatasetError(f"{path}: {error}") from error
