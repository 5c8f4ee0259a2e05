"""Coloured shapes on textured, noisy backgrounds, and who owns each pixel (private; numpy only).

The generator that the detection dataset (`detection_data`) and the segmentation
dataset (`segmentation_data`) share: backgrounds, shapes, colours, placement and
drawing. A scene is drawn into its background image in place and described by
its owner map (the object visible at each pixel), its class labels and the
tight boxes of what stays visible of each object. The rules (sizes, colour
families, the placement constraints) are told in `detection_data`'s docstring.

Everything is a pure function of the layout and the split's name: the training
and validation splits come from independent seeds, and image `i` of a split does
not depend on how many images the split has.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from edgenas.proxy.box_coding import iou_matrix
from edgenas.proxy.errors import ProxyConfigError

OBJECT_SHAPES: tuple[str, ...] = ("rectangle", "ellipse", "triangle", "diamond", "cross")
"""Shapes, in class order: class `c` is shape `c % len(OBJECT_SHAPES)`."""

MAX_COLOUR_FAMILIES = 4
"""Most hue sectors; so at most `4 * len(OBJECT_SHAPES)` = 20 classes."""

MAX_CLASSES = MAX_COLOUR_FAMILIES * len(OBJECT_SHAPES)
MIN_IMAGE_SIZE_PX = 16
MIN_OBJECT_PX = 4
MAX_OBJECTS = 16
SPLITS = ("train", "val")

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


def check_int(name: str, value: Any, minimum: int, maximum: int | None = None) -> None:
    """Raises `ProxyConfigError` unless `value` is an int (not a bool) in `[minimum, maximum]`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProxyConfigError(f"{name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ProxyConfigError(f"{name} must be {bound}, got {value}")


def num_colour_families(num_classes: int) -> int:
    """Hue sectors `num_classes` classes are spread over (1 when shapes alone tell classes apart)."""
    return -(-num_classes // len(OBJECT_SHAPES))


def class_names(num_classes: int) -> tuple[str, ...]:
    """One name per class id: the shape, plus `_hue{f}` when there are several colour families."""
    shapes = len(OBJECT_SHAPES)
    if num_colour_families(num_classes) == 1:
        return OBJECT_SHAPES[:num_classes]
    return tuple(f"{OBJECT_SHAPES[c % shapes]}_hue{c // shapes}" for c in range(num_classes))


@dataclasses.dataclass(frozen=True, kw_only=True)
class SceneLayout:
    """What the scenes of one dataset hold; the dataset specs check the values (under their own names).

    Attributes:
        image_size: Height and width of the square images, in pixels.
        num_classes: Number of object classes.
        max_objects: Most objects per image.
        min_object_px: Least height and width of a drawn shape, in pixels.
        max_object_px: Largest height and width of a drawn shape, in pixels.
        seed: Seed of every random choice.
    """

    image_size: int
    num_classes: int
    max_objects: int
    min_object_px: int
    max_object_px: int
    seed: int


@dataclasses.dataclass(frozen=True, eq=False)
class Scene:
    """The objects drawn into one image.

    Attributes:
        owner: int16 `(size, size)`: the index of the object visible at each pixel, -1 for background.
        labels: int32 `(k,)`: each object's class id.
        boxes: float64 `(k, 4)`: each object's visible pixels' tight box `(ymin, xmin, ymax, xmax)`, in pixel edges.
    """

    owner: np.ndarray
    labels: np.ndarray
    boxes: np.ndarray

    def class_map(self) -> np.ndarray:
        """uint8 `(size, size)`: 0 where the background shows, `label + 1` where an object does."""
        lookup = np.concatenate([[0], self.labels + 1]).astype(np.uint8)
        return lookup[self.owner.astype(np.intp) + 1]


def split_seeds(seed: int, split: str) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """`(background, objects)` seeds of a split; independent of the other split's size."""
    children = np.random.SeedSequence(seed).spawn(len(SPLITS))
    background, objects = children[SPLITS.index(split)].spawn(2)
    return background, objects


def background_images(layout: SceneLayout, split: str, count: int) -> np.ndarray:
    """The split's backgrounds, uint8 `(count, size, size, 3)`: the images before objects are drawn.

    Image `i` does not depend on `count` (parameters are drawn image by image, and
    the pixel noise from a stream of its own), so a smaller split is a prefix.
    """
    params_seed, noise_seed = split_seeds(layout.seed, split)[0].spawn(2)
    params_rng, noise_rng = np.random.default_rng(params_seed), np.random.default_rng(noise_seed)
    n, size = count, layout.image_size
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


def draw_scenes(layout: SceneLayout, split: str, images: np.ndarray) -> Iterator[Scene]:
    """Places and draws each image's objects into `images` (in place, one image per step), yielding its `Scene`.

    Args:
        layout: What the scenes hold.
        split: `"train"` or `"val"`: picks the seed of the placements.
        images: The split's backgrounds from `background_images(layout, split, n)`, writable.
    """
    rng = np.random.default_rng(split_seeds(layout.seed, split)[1])
    for image in images:
        owner, placed, boxes = _place_objects(layout, rng)
        _draw(image, owner, placed)
        yield Scene(owner=owner, labels=np.array([p.label for p in placed], dtype=np.int32), boxes=np.stack(boxes))


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
    name = OBJECT_SHAPES[shape]
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


def _place_objects(layout: SceneLayout, rng: np.random.Generator) -> tuple[np.ndarray, list[_Placed], list[np.ndarray]]:
    """Places one image's objects; returns `(owner map, objects, visible boxes)`.

    `owner[r, c]` is the index of the object visible at pixel `(r, c)`, or -1.
    """
    size = layout.image_size
    owner = np.full((size, size), -1, dtype=np.int16)
    placed: list[_Placed] = []
    boxes: list[np.ndarray] = []
    families = num_colour_families(layout.num_classes)
    for _ in range(int(rng.integers(1, layout.max_objects + 1))):
        label = int(rng.integers(layout.num_classes))
        shape, family = label % len(OBJECT_SHAPES), label // len(OBJECT_SHAPES)
        k = len(placed)
        for _attempt in range(_PLACEMENT_TRIES):
            height, width = (int(h) for h in rng.integers(layout.min_object_px, layout.max_object_px + 1, size=2))
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
