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
import math
import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from edgenas.proxy.box_coding import _read_only, iou_matrix
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

DETECTION_SHAPES: tuple[str, ...] = ("rectangle", "ellipse", "triangle", "diamond", "cross")
"""Shapes, in class order: class `c` is shape `c % len(DETECTION_SHAPES)`."""

MAX_COLOUR_FAMILIES = 4
"""Most hue sectors; so at most `4 * len(DETECTION_SHAPES)` = 20 classes."""

FORMAT_VERSION = 1
"""Version of the `.npz` layout written by `save_detection_data`."""

_MIN_IMAGE_SIZE_PX = 16
_MIN_BOX_PX = 4
_MAX_OBJECTS = 16
_PLACEMENT_TRIES = 30
_MIN_VISIBLE_FRACTION = 0.5  # Of an object's own pixels, after later objects cover some.
_MAX_BOX_IOU = 0.5  # Between any two final boxes of an image.
_CHUNK_IMAGES = 128  # Background rendering, to bound float memory.
# Backgrounds: desaturated base colour, smooth texture, grating, pixel noise ([0, 1] scale).
_BACKGROUND_GREY = (0.2, 0.8)
_BACKGROUND_TINT = 0.08
_TEXTURE_GRID = 5
_TEXTURE_AMPLITUDE = (0.04, 0.12)
_GRATING_AMPLITUDE = (0.0, 0.06)
_GRATING_CYCLES = (2.0, 8.0)
_NOISE_STD = (0.015, 0.05)
# Objects: saturated colours, a linear shading of +-half this strength across the object.
_OBJECT_SATURATION = (0.55, 1.0)
_OBJECT_VALUE = (0.55, 1.0)
_HUE_MARGIN = 0.15  # Fraction of a family's hue sector left unused at each side.
_SHADING_STRENGTH = (0.0, 0.35)
_CROSS_HALF_BAR = (0.3, 0.5)  # Half the bar width of a cross, as a fraction of the box side.
_SPLITS = ("train", "val")


def _check_int(name: str, value: Any, minimum: int, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProxyConfigError(f"{name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ProxyConfigError(f"{name} must be {bound}, got {value}")


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
        _check_int("image_size", self.image_size, _MIN_IMAGE_SIZE_PX)
        _check_int("num_classes", self.num_classes, 1, MAX_COLOUR_FAMILIES * len(DETECTION_SHAPES))
        _check_int("max_objects", self.max_objects, 1, _MAX_OBJECTS)
        _check_int("min_box_px", self.min_box_px, _MIN_BOX_PX)
        _check_int("max_box_px", self.max_box_px, 1)
        if not self.min_box_px <= self.max_box_px <= self.image_size:
            raise ProxyConfigError(
                "need min_box_px <= max_box_px <= image_size, got "
                f"{self.min_box_px}, {self.max_box_px} and {self.image_size}"
            )
        _check_int("num_train", self.num_train, 1)
        _check_int("num_val", self.num_val, 1)
        _check_int("seed", self.seed, 0)

    @property
    def num_colour_families(self) -> int:
        """Hue sectors the classes are spread over (1 when shapes alone tell classes apart)."""
        return -(-self.num_classes // len(DETECTION_SHAPES))

    @property
    def class_names(self) -> tuple[str, ...]:
        """One name per class id: the shape, plus `_hue{f}` when there are several colour families."""
        shapes = len(DETECTION_SHAPES)
        if self.num_colour_families == 1:
            return DETECTION_SHAPES[: self.num_classes]
        return tuple(f"{DETECTION_SHAPES[c % shapes]}_hue{c // shapes}" for c in range(self.num_classes))

    def to_json(self) -> str:
        """The spec as a JSON object (keys sorted)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DetectionDataSpec:
        """Parses `to_json`'s output.

        Raises:
            ProxyConfigError: If the text is not a JSON object of known fields with valid values.
        """
        try:
            fields = json.loads(text)
        except json.JSONDecodeError as error:
            raise ProxyConfigError(f"a DetectionDataSpec must be a JSON object: {error}") from error
        if not isinstance(fields, dict):
            raise ProxyConfigError(f"a DetectionDataSpec must be a JSON object, got {type(fields).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise ProxyConfigError(f"unknown DetectionDataSpec fields {unknown}; known: {sorted(known)}")
        return cls(**fields)


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


def _split_seeds(spec: DetectionDataSpec, split: str) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """`(background, objects)` seeds of a split; independent of the other split's size."""
    children = np.random.SeedSequence(spec.seed).spawn(len(_SPLITS))
    background, objects = children[_SPLITS.index(split)].spawn(2)
    return background, objects


def _split_size(spec: DetectionDataSpec, split: str) -> int:
    return spec.num_train if split == "train" else spec.num_val


def _background_images(spec: DetectionDataSpec, split: str) -> np.ndarray:
    """The split's backgrounds, uint8 `(n, size, size, 3)`: the images before objects are drawn.

    Image `i` does not depend on the split's size (parameters are drawn image by
    image, and the pixel noise from a stream of its own), so a smaller split is a prefix.
    """
    params_seed, noise_seed = _split_seeds(spec, split)[0].spawn(2)
    params_rng, noise_rng = np.random.default_rng(params_seed), np.random.default_rng(noise_seed)
    n, size = _split_size(spec, split), spec.image_size
    params = np.array([_background_params(params_rng) for _ in range(n)], dtype=np.float32)
    centres = (np.arange(size, dtype=np.float32) + 0.5) / size  # in [0, 1]
    # Bilinear upsampling of a coarse random grid: hat-function weights (size, grid).
    knots = np.arange(_TEXTURE_GRID, dtype=np.float32)
    upsample = np.clip(1.0 - np.abs(centres[:, None] * (_TEXTURE_GRID - 1) - knots[None, :]), 0.0, None)
    out = np.empty((n, size, size, 3), dtype=np.uint8)
    for start in range(0, n, _CHUNK_IMAGES):
        p = params[start : start + _CHUNK_IMAGES]
        m = p.shape[0]
        column = {name: p[:, i, None, None] for i, name in enumerate(_BACKGROUND_PARAMS)}  # (m, 1, 1) each
        coarse = p[:, len(_BACKGROUND_PARAMS) :].reshape(m, _TEXTURE_GRID, _TEXTURE_GRID)
        texture = (upsample @ coarse @ upsample.T) * column["texture_amplitude"]
        along = np.cos(column["grating_angle"]) * centres[None, None, :] + np.sin(column["grating_angle"]) * centres[
            None, :, None
        ]
        texture += column["grating_amplitude"] * np.sin(
            2.0 * math.pi * column["grating_cycles"] * along + column["grating_phase"]
        )
        base = np.stack([column["grey"] + column[f"tint_{c}"] for c in "rgb"], axis=-1)  # (m, 1, 1, 3)
        image = base + texture[..., None]
        image += noise_rng.standard_normal((m, size, size, 3), dtype=np.float32) * column["noise_std"][..., None]
        out[start : start + m] = np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
    return out


_BACKGROUND_PARAMS = (
    "grey",
    "tint_r",
    "tint_g",
    "tint_b",
    "texture_amplitude",
    "grating_amplitude",
    "grating_cycles",
    "grating_angle",
    "grating_phase",
    "noise_std",
)


def _background_params(rng: np.random.Generator) -> list[float]:
    """One image's background parameters (`_BACKGROUND_PARAMS`, then the coarse texture grid)."""
    return [
        rng.uniform(*_BACKGROUND_GREY),
        *rng.uniform(-_BACKGROUND_TINT, _BACKGROUND_TINT, size=3),
        rng.uniform(*_TEXTURE_AMPLITUDE),
        rng.uniform(*_GRATING_AMPLITUDE),
        rng.uniform(*_GRATING_CYCLES),
        rng.uniform(0.0, math.pi),
        rng.uniform(0.0, 2.0 * math.pi),
        rng.uniform(*_NOISE_STD),
        *rng.uniform(-1.0, 1.0, size=_TEXTURE_GRID * _TEXTURE_GRID),
    ]


def _shape_mask(shape: int, height: int, width: int, orientation: int, half_bar: float) -> np.ndarray:
    """bool `(height, width)`: the shape sampled at pixel centres of its box."""
    v = ((np.arange(height) + 0.5) / height * 2.0 - 1.0)[:, None]  # [-1, 1] down the box
    u = ((np.arange(width) + 0.5) / width * 2.0 - 1.0)[None, :]  # [-1, 1] across the box
    name = DETECTION_SHAPES[shape]
    if name == "rectangle":
        return np.ones((height, width), dtype=bool)
    if name == "ellipse":
        return u * u + v * v <= 1.0
    if name == "triangle":  # isosceles, apex at the middle of one side
        along, across = [(v, u), (-v, u), (u, v), (-u, v)][orientation]
        return np.abs(across) <= (along + 1.0) / 2.0
    if name == "diamond":
        return np.abs(u) + np.abs(v) <= 1.0
    if name == "cross":
        return (np.abs(u) <= half_bar) | (np.abs(v) <= half_bar)
    raise AssertionError(f"no mask for shape {name}")


def _tight_box(mask: np.ndarray) -> np.ndarray:
    """`(ymin, xmin, ymax, xmax)` of a non-empty bool mask, in pixel edges."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return np.array([rows[0], cols[0], rows[-1] + 1, cols[-1] + 1], dtype=np.float64)


def _hsv_to_rgb(hue: float, saturation: float, value: float) -> np.ndarray:
    """One colour, hue in [0, 1) turns; returns RGB in [0, 1]."""
    k = (np.array([5.0, 3.0, 1.0]) + hue * 6.0) % 6.0
    return value - value * saturation * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)


@dataclasses.dataclass(frozen=True, eq=False)
class _Placed:
    """An accepted object: class, full pixel count and drawing parameters."""

    label: int
    pixels: int
    centre_y: float
    centre_x: float
    extent: float
    colour: np.ndarray
    shade_y: float
    shade_x: float


def _place_objects(
    spec: DetectionDataSpec, rng: np.random.Generator
) -> tuple[np.ndarray, list[_Placed], list[np.ndarray]]:
    """Places one image's objects; returns `(owner map, objects, visible boxes)`.

    `owner[r, c]` is the index of the object visible at pixel `(r, c)`, or -1.
    """
    size = spec.image_size
    owner = np.full((size, size), -1, dtype=np.int16)
    placed: list[_Placed] = []
    boxes: list[np.ndarray] = []
    families = spec.num_colour_families
    for _ in range(int(rng.integers(1, spec.max_objects + 1))):
        label = int(rng.integers(spec.num_classes))
        shape, family = label % len(DETECTION_SHAPES), label // len(DETECTION_SHAPES)
        k = len(placed)
        for _attempt in range(_PLACEMENT_TRIES):
            height, width = (int(h) for h in rng.integers(spec.min_box_px, spec.max_box_px + 1, size=2))
            top = int(rng.integers(0, size - height + 1))
            left = int(rng.integers(0, size - width + 1))
            orientation = int(rng.integers(4))
            half_bar = float(rng.uniform(*_CROSS_HALF_BAR))
            mask = _shape_mask(shape, height, width, orientation, half_bar)
            window = (slice(top, top + height), slice(left, left + width))
            trial = owner.copy()
            trial[window][mask] = k
            covered = np.unique(owner[window][mask])
            new_boxes = list(boxes)
            ok = True
            for j in covered[covered >= 0]:
                visible = trial == j
                if np.count_nonzero(visible) < _MIN_VISIBLE_FRACTION * placed[j].pixels:
                    ok = False
                    break
                new_boxes[j] = _tight_box(visible)
            if not ok:
                continue
            new_boxes.append(_tight_box(mask) + np.array([top, left, top, left], dtype=np.float64))
            if k:
                iou = iou_matrix(np.stack(new_boxes), np.stack(new_boxes))
                np.fill_diagonal(iou, 0.0)
                if iou.max() > _MAX_BOX_IOU:
                    continue
            break
        else:
            continue  # No room for this object: the image gets one fewer.
        if families == 1:
            hue = float(rng.uniform())
        else:
            sector = 1.0 / families
            hue = float(rng.uniform((family + _HUE_MARGIN) * sector, (family + 1 - _HUE_MARGIN) * sector))
        colour = _hsv_to_rgb(hue, float(rng.uniform(*_OBJECT_SATURATION)), float(rng.uniform(*_OBJECT_VALUE)))
        strength = float(rng.uniform(*_SHADING_STRENGTH))
        direction = float(rng.uniform(0.0, 2.0 * math.pi))
        owner = trial
        boxes = new_boxes
        placed.append(
            _Placed(
                label=label,
                pixels=int(np.count_nonzero(mask)),
                centre_y=top + height / 2.0,
                centre_x=left + width / 2.0,
                extent=float(max(height, width)),
                colour=colour,
                shade_y=strength * math.sin(direction),
                shade_x=strength * math.cos(direction),
            )
        )
    return owner, placed, boxes


def _draw(image: np.ndarray, owner: np.ndarray, placed: list[_Placed]) -> None:
    """Paints the visible object pixels of `owner` into `image` (uint8, in place)."""
    rows, cols = np.nonzero(owner >= 0)
    ids = owner[rows, cols]
    centre_y = np.array([p.centre_y for p in placed])[ids]
    centre_x = np.array([p.centre_x for p in placed])[ids]
    extent = np.array([p.extent for p in placed])[ids]
    shade_y = np.array([p.shade_y for p in placed])[ids]
    shade_x = np.array([p.shade_x for p in placed])[ids]
    colours = np.stack([p.colour for p in placed])[ids]
    shade = 1.0 + (shade_y * (rows + 0.5 - centre_y) + shade_x * (cols + 0.5 - centre_x)) / extent
    image[rows, cols] = np.round(np.clip(colours * shade[:, None], 0.0, 1.0) * 255.0).astype(np.uint8)


def _generate_split(spec: DetectionDataSpec, split: str) -> DetectionSplit:
    images = _background_images(spec, split)
    rng = np.random.default_rng(_split_seeds(spec, split)[1])
    all_boxes, all_classes = [], []
    for i in range(images.shape[0]):
        owner, placed, boxes = _place_objects(spec, rng)
        _draw(images[i], owner, placed)
        all_boxes.append(np.stack(boxes).astype(np.float32))
        all_classes.append(np.array([p.label for p in placed], dtype=np.int32))
    return DetectionSplit(images=images, boxes=tuple(all_boxes), classes=tuple(all_classes))


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
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".detection_data.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


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
    try:
        loaded = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ProxyDatasetError(f"{path} is not a detection dataset (.npz) file: {error}") from error
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise ProxyDatasetError(f"{path} holds a single array (.npy), not a detection dataset (.npz)")
    with loaded:
        keys = set(loaded.files)
        missing, unexpected = sorted(_KEYS - keys), sorted(keys - _KEYS)
        if missing or unexpected:
            raise ProxyDatasetError(
                f"{path} is not a detection dataset file: missing arrays {missing}, unexpected arrays {unexpected}"
            )
        try:
            arrays = {key: loaded[key] for key in _KEYS}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise ProxyDatasetError(f"{path}: unreadable array in the archive: {error}") from error
    version = arrays["format_version"]
    if version.shape != () or not np.issubdtype(version.dtype, np.integer) or int(version) != FORMAT_VERSION:
        raise ProxyDatasetError(
            f"{path} has format version {version.tolist()!r}; this edgenas reads version {FORMAT_VERSION}"
        )
    spec_json = arrays["spec_json"]
    if spec_json.shape != () or spec_json.dtype.kind != "U":
        raise ProxyDatasetError(f"{path}: spec_json must be a single string, got {spec_json.dtype} {spec_json.shape}")
    try:
        spec = DetectionDataSpec.from_json(str(spec_json))
    except ProxyConfigError as error:
        raise ProxyDatasetError(f"{path}: invalid spec: {error}") from error
    try:
        return DetectionData(spec=spec, train=_load_split("train", arrays), val=_load_split("val", arrays))
    except ProxyDatasetError as error:
        raise ProxyDatasetError(f"{path}: {error}") from error
