"""A generated object-detection dataset: coloured shapes on textured, noisy backgrounds.

The detection proxy task (a short RetinaNet training scored by AP50) needs a
dataset that is small, free, reproducible and learnable in minutes, but not by
colour alone. Each image holds 1..`max_objects` objects; each class is a shape
(`DETECTION_SHAPES`: rectangle, ellipse, triangle, diamond, cross). With more
classes than shapes, class `c` is shape `c % 5` in colour family `c // 5`: the
hue circle is cut into as many sectors as there are families and each family's
hues stay inside its sector (with a margin), so shape *and* hue decide the class.
With at most 5 classes the hue is free and only the shape matters.

Objects are axis-aligned with independent random height and width in
`[min_box_px, max_box_px]` (triangles point up, down, left or right), filled
with a saturated colour under a soft linear shading, and drawn without
anti-aliasing, so every box is the tight box of the object's visible pixels:
pixel `(r, c)` covers `[r, r + 1) x [c, c + 1)`, so a box is `(first row, first
column, last row + 1, last column + 1)`. Later objects may cover part of earlier
ones: a placement is redrawn (up to 30 times, then the object is dropped) if it
would leave an earlier object less than half visible or make any two objects'
boxes overlap with IoU > 0.5, so the final boxes never do. Backgrounds are a
desaturated base colour with a smooth random texture, a faint grating and
Gaussian pixel noise; objects carry no noise.

Everything is a pure function of the spec: same spec, byte-identical arrays.
The training and validation splits come from independent seeds, so changing
`num_val` does not change the training images.

    spec = DetectionDataSpec(num_classes=3, num_train=512, num_val=128, seed=0)
    data = generate_detection_data(spec)          # about 1 s for 640 images of 128x128
    data.train.images, data.train.boxes, data.train.classes
    save_detection_data(data, "shapes_det.npz"); load_detection_data("shapes_det.npz")
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

from edgenas.proxy import _dataset_files, _object_scenes
from edgenas.proxy._object_scenes import MAX_COLOUR_FAMILIES, check_int
from edgenas.proxy.box_coding import _read_only
from edgenas.proxy.errors import ProxyConfigError, ProxyDatasetError

__all__ = [
    "DETECTION_SHAPES",
    "FORMAT_VERSION",
    "MAX_COLOUR_FAMILIES",
    "DetectionData",
    "DetectionDataSpec",
    "DetectionSplit",
    "generate_detection_data",
    "load_detection_data",
    "save_detection_data",
]

DETECTION_SHAPES: tuple[str, ...] = _object_scenes.OBJECT_SHAPES
"""Shapes, in class order: class `c` is shape `c % len(DETECTION_SHAPES)`."""

FORMAT_VERSION = 1
"""Version of the `.npz` layout written by `save_detection_data`."""

_SPLITS = _object_scenes.SPLITS


@dataclasses.dataclass(frozen=True, kw_only=True)
class DetectionDataSpec:
    """What `generate_detection_data` makes: sizes, counts and the seed.

    Attributes:
        image_size: Height and width of the square images, in pixels (>= 16).
        num_classes: Number of object classes, 1..20 (see the module docstring).
        max_objects: Most objects per image, 1..16; each image draws 1..max_objects
            (a few fewer when a placement fails 30 times).
        min_box_px: Least height and width of a drawn shape, in pixels (>= 4).
        max_box_px: Largest height and width of a drawn shape, in pixels
            (`min_box_px`..`image_size`). A partly covered object's box can be
            smaller than `min_box_px`, and a triangle's a pixel smaller.
        num_train: Training images (>= 1).
        num_val: Validation images (>= 1).
        seed: Seed of every random choice (>= 0).
    """

    image_size: int = 128
    num_classes: int = 3
    max_objects: int = 4
    min_box_px: int = 12
    max_box_px: int = 48
    num_train: int = 512
    num_val: int = 128
    seed: int = 0

    def __post_init__(self) -> None:
        check_int("image_size", self.image_size, _object_scenes.MIN_IMAGE_SIZE_PX)
        check_int("num_classes", self.num_classes, 1, _object_scenes.MAX_CLASSES)
        check_int("max_objects", self.max_objects, 1, _object_scenes.MAX_OBJECTS)
        check_int("min_box_px", self.min_box_px, _object_scenes.MIN_OBJECT_PX)
        check_int("max_box_px", self.max_box_px, 1)
        if not self.min_box_px <= self.max_box_px <= self.image_size:
            raise ProxyConfigError(
                "need min_box_px <= max_box_px <= image_size, got "
                f"{self.min_box_px}, {self.max_box_px} and {self.image_size}"
            )
        check_int("num_train", self.num_train, 1)
        check_int("num_val", self.num_val, 1)
        check_int("seed", self.seed, 0)

    @property
    def num_colour_families(self) -> int:
        """Hue sectors the classes are spread over (1 when shapes alone tell classes apart)."""
        return _object_scenes.num_colour_families(self.num_classes)

    @property
    def class_names(self) -> tuple[str, ...]:
        """One name per class id: the shape, plus `_hue{f}` when there are several colour families."""
        return _object_scenes.class_names(self.num_classes)

    def to_json(self) -> str:
        """The spec as a JSON object (keys sorted)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DetectionDataSpec:
        """Parses `to_json`'s output.

        Raises:
            ProxyConfigError: If the text is not a JSON object of known fields with valid values.
        """
        return _dataset_files.spec_from_json(cls, text)


@dataclasses.dataclass(frozen=True, eq=False)
class DetectionSplit:
    """The images of one split and their objects.

    Attributes:
        images: uint8 RGB images `(N, H, W, 3)`, read-only.
        boxes: One float32 `(k_i, 4)` array per image: boxes `(ymin, xmin, ymax, xmax)`
            in pixels, inside the image, with positive height and width; read-only.
        classes: One int32 `(k_i,)` array per image of class ids (>= 0); read-only.
    """

    images: np.ndarray
    boxes: tuple[np.ndarray, ...]
    classes: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        images = self.images
        if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
            raise ProxyDatasetError("images must be a uint8 array (n, height, width, 3)")
        num_images, height, width = images.shape[:3]
        boxes, classes = tuple(self.boxes), tuple(self.classes)
        if len(boxes) != num_images or len(classes) != num_images:
            raise ProxyDatasetError(
                f"need one boxes and one classes array per image: {num_images} images, "
                f"{len(boxes)} boxes arrays, {len(classes)} classes arrays"
            )
        checked_boxes, checked_classes = [], []
        for i, (b, c) in enumerate(zip(boxes, classes, strict=True)):
            b, c = np.asarray(b), np.asarray(c)
            if b.ndim != 2 or b.shape[1] != 4 or not np.issubdtype(b.dtype, np.floating):
                raise ProxyDatasetError(f"boxes[{i}] must be a float array (k, 4), got {b.dtype} {b.shape}")
            if c.shape != (b.shape[0],) or not np.issubdtype(c.dtype, np.integer):
                raise ProxyDatasetError(
                    f"classes[{i}] must be integers of shape ({b.shape[0]},), got {c.dtype} {c.shape}"
                )
            if b.size:
                ok = np.isfinite(b).all() and (b[:, :2] >= 0).all() and (b[:, 2] <= height).all()
                ok = ok and (b[:, 3] <= width).all() and (b[:, 2] > b[:, 0]).all() and (b[:, 3] > b[:, 1]).all()
                if not ok:
                    raise ProxyDatasetError(
                        f"boxes[{i}] must be non-empty (ymin, xmin, ymax, xmax) boxes inside the "
                        f"{height}x{width} image, got {b.tolist()}"
                    )
                if c.min() < 0:
                    raise ProxyDatasetError(f"classes[{i}] must be >= 0, got {int(c.min())}")
            checked_boxes.append(_read_only(b.astype(np.float32, copy=False)))
            checked_classes.append(_read_only(c.astype(np.int32, copy=False)))
        object.__setattr__(self, "images", _read_only(images))
        object.__setattr__(self, "boxes", tuple(checked_boxes))
        object.__setattr__(self, "classes", tuple(checked_classes))

    @property
    def num_images(self) -> int:
        """Number of images `N`."""
        return int(self.images.shape[0])

    @property
    def num_objects(self) -> int:
        """Number of objects over all images."""
        return sum(int(c.shape[0]) for c in self.classes)


@dataclasses.dataclass(frozen=True, eq=False)
class DetectionData:
    """A generated (or loaded) detection dataset: its spec and two splits.

    Attributes:
        spec: The spec the data was generated from.
        train: `spec.num_train` training images.
        val: `spec.num_val` validation images.

    Raises:
        ProxyDatasetError: If a split does not match the spec (image count or
            size, a class id >= `spec.num_classes`).
    """

    spec: DetectionDataSpec
    train: DetectionSplit
    val: DetectionSplit

    def __post_init__(self) -> None:
        size = self.spec.image_size
        for name, split, count in (("train", self.train, self.spec.num_train), ("val", self.val, self.spec.num_val)):
            if split.images.shape[:3] != (count, size, size):
                raise ProxyDatasetError(
                    f"{name} images have shape {split.images.shape[:3]}, the spec says ({count}, {size}, {size})"
                )
            top = max((int(c.max()) for c in split.classes if c.size), default=-1)
            if top >= self.spec.num_classes:
                raise ProxyDatasetError(f"{name} has class id {top}, the spec has {self.spec.num_classes} classes")


# --- Generation -----------------------------------------------------------------------


def _layout(spec: DetectionDataSpec) -> _object_scenes.SceneLayout:
    return _object_scenes.SceneLayout(
        image_size=spec.image_size,
        num_classes=spec.num_classes,
        max_objects=spec.max_objects,
        min_object_px=spec.min_box_px,
        max_object_px=spec.max_box_px,
        seed=spec.seed,
    )


def _split_size(spec: DetectionDataSpec, split: str) -> int:
    return spec.num_train if split == "train" else spec.num_val


def _background_images(spec: DetectionDataSpec, split: str) -> np.ndarray:
    """The split's backgrounds, uint8 `(n, size, size, 3)`: the images before objects are drawn."""
    return _object_scenes.background_images(_layout(spec), split, _split_size(spec, split))


def _generate_split(spec: DetectionDataSpec, split: str) -> DetectionSplit:
    images = _background_images(spec, split)
    scenes = list(_object_scenes.draw_scenes(_layout(spec), split, images))
    return DetectionSplit(
        images=images,
        boxes=tuple(scene.boxes.astype(np.float32) for scene in scenes),
        classes=tuple(scene.labels for scene in scenes),
    )


def generate_detection_data(spec: DetectionDataSpec) -> DetectionData:
    """Generates the dataset a spec describes (see the module docstring).

    Args:
        spec: Sizes, counts and seed.

    Returns:
        The `DetectionData`; the same spec always gives byte-identical arrays.

    Raises:
        ProxyConfigError: If `spec` is not a `DetectionDataSpec`.
    """
    if not isinstance(spec, DetectionDataSpec):
        raise ProxyConfigError(f"spec must be a DetectionDataSpec, got {type(spec).__name__}")
    return DetectionData(spec=spec, train=_generate_split(spec, "train"), val=_generate_split(spec, "val"))


# --- Files ------------------------------------------------------------------------------


def _split_arrays(name: str, split: DetectionSplit) -> dict[str, np.ndarray]:
    counts = [b.shape[0] for b in split.boxes]
    return {
        f"{name}_images": split.images,
        f"{name}_boxes": np.concatenate([np.zeros((0, 4), np.float32), *split.boxes]),
        f"{name}_classes": np.concatenate([np.zeros(0, np.int32), *split.classes]),
        f"{name}_offsets": np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64),
    }


_KEYS = frozenset(
    ["format_version", "spec_json"]
    + [f"{s}_{part}" for s in _SPLITS for part in ("images", "boxes", "classes", "offsets")]
)


def save_detection_data(data: DetectionData, path: str | os.PathLike[str]) -> None:
    """Writes a dataset to one uncompressed `.npz` file (atomically: a temporary file, then a rename).

    Layout (version `FORMAT_VERSION`): `format_version` (int), `spec_json` (str),
    and per split `s` in `train`, `val`: `s_images` uint8 `(N, H, W, 3)`,
    `s_boxes` float32 `(K, 4)` and `s_classes` int32 `(K,)` (all images' objects
    concatenated), and `s_offsets` int64 `(N + 1,)`: image `i`'s objects are rows
    `offsets[i]:offsets[i + 1]`.

    Args:
        data: The dataset.
        path: Destination file; written exactly there (no suffix is added).
    """
    arrays = {"format_version": np.array(FORMAT_VERSION, dtype=np.int64), "spec_json": np.array(data.spec.to_json())}
    arrays.update(_split_arrays("train", data.train))
    arrays.update(_split_arrays("val", data.val))
    _dataset_files.write_npz(path, arrays, prefix=".detection_data.")


def _load_split(name: str, arrays: dict[str, np.ndarray]) -> DetectionSplit:
    images, boxes = arrays[f"{name}_images"], arrays[f"{name}_boxes"]
    classes, offsets = arrays[f"{name}_classes"], arrays[f"{name}_offsets"]
    if images.ndim != 4:
        raise ProxyDatasetError(f"{name}_images must be (n, height, width, 3), got shape {images.shape}")
    num_images = images.shape[0]
    if boxes.ndim != 2 or boxes.shape[1] != 4 or classes.shape != (boxes.shape[0],):
        raise ProxyDatasetError(
            f"{name}_boxes must be (k, 4) and {name}_classes (k,), got {boxes.shape} and {classes.shape}"
        )
    if (
        offsets.shape != (num_images + 1,)
        or not np.issubdtype(offsets.dtype, np.integer)
        or offsets[0] != 0
        or offsets[-1] != boxes.shape[0]
        or (np.diff(offsets) < 0).any()
    ):
        raise ProxyDatasetError(
            f"{name}_offsets must rise from 0 to {boxes.shape[0]} (the object count) in "
            f"{num_images + 1} steps, got {offsets.tolist()[:8]}{'...' if offsets.size > 8 else ''} "
            f"(length {offsets.size})"
        )
    cuts = offsets[1:-1]
    return DetectionSplit(images=images, boxes=tuple(np.split(boxes, cuts)), classes=tuple(np.split(classes, cuts)))


def load_detection_data(path: str | os.PathLike[str]) -> DetectionData:
    """Reads a file written by `save_detection_data`.

    Args:
        path: The `.npz` file.

    Returns:
        The `DetectionData`, validated against its spec.

    Raises:
        FileNotFoundError: If there is no such file.
        ProxyDatasetError: If the file is not a detection dataset of this format
            version: not an `.npz` archive, missing or unexpected arrays, another
            version, an invalid spec, inconsistent offsets, boxes or classes, or
            arrays that disagree with the spec.
    """
    path = os.fspath(path)
    arrays = _dataset_files.read_npz(path, _KEYS, what="detection dataset")
    spec = _dataset_files.read_header(path, arrays, version=FORMAT_VERSION, parse=DetectionDataSpec.from_json)
    try:
        return DetectionData(spec=spec, train=_load_split("train", arrays), val=_load_split("val", arrays))
    except ProxyDatasetError as error:
        raise ProxyDatasetError(f"{path}: {error}") from error
