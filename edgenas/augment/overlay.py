"""Labels painted onto an image for a preview: box outlines and semi-transparent masks, in numpy.

    draw_boxes(image, boxes, classes)      # one outline per box, in its class's colour
    overlay_mask(image, mask)              # class c + 1 tinted in class c's colour, 255 striped, 0 untouched

Class `c` has the same colour in both (`label_colour(c)`), so a detection and a
segmentation preview of the same scenes read alike. Objects have colours of
their own, so a box's outline (on the box's own border pixels) and a mask
region's edge (its pixels next to another label) are drawn in the class's full
colour with a dark line just outside, which keeps them visible on an object of
the same hue. Ignored pixels (255) get light and dark diagonal stripes: neither
a class colour nor the grey an augmentation fills the image with. Pure numpy;
no TensorFlow, no matplotlib.
"""

from __future__ import annotations

import numpy as np

from edgenas.augment.errors import AugmentInputError
from edgenas.augment.example import IGNORE_LABEL

__all__ = ["EDGE_COLOUR", "IGNORE_STRIPES", "LABEL_COLOURS", "MASK_ALPHA", "draw_boxes", "label_colour", "overlay_mask"]

LABEL_COLOURS: tuple[tuple[int, int, int], ...] = (
    (0, 114, 255),
    (255, 140, 0),
    (0, 200, 70),
    (230, 20, 60),
    (160, 80, 255),
    (0, 210, 220),
    (255, 60, 200),
    (170, 120, 40),
    (120, 230, 0),
    (255, 230, 0),
)
"""RGB colours of classes 0, 1, ... (repeating after 10): saturated, told apart at a glance."""

IGNORE_STRIPES: tuple[tuple[int, int, int], tuple[int, int, int]] = ((255, 255, 255), (32, 32, 32))
"""The two colours of the diagonal stripes painted over ignored mask pixels."""

EDGE_COLOUR: tuple[int, int, int] = (0, 0, 0)
"""The line drawn just outside a box's outline and a mask region's edge."""

MASK_ALPHA = 0.4
"""How much of a class colour covers the pixels of that class (the image shows through the rest)."""

_STRIPE_PERIOD_PX = 4


def label_colour(class_id: int) -> tuple[int, int, int]:
    """The RGB colour of class `class_id` (>= 0) in boxes and masks."""
    return LABEL_COLOURS[class_id % len(LABEL_COLOURS)]


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise AugmentInputError(f"image must be uint8 [H, W, 3], got {image.dtype} {image.shape}")
    return image


def draw_boxes(image: np.ndarray, boxes: np.ndarray, classes: np.ndarray, *, thickness_px: int = 1) -> np.ndarray:
    """A copy of `image` with each box's outline drawn inside its pixels, in its class's colour.

    Args:
        image: uint8 [H, W, 3].
        boxes: float [K, 4] normalised (ymin, xmin, ymax, xmax); parts outside the image are clipped.
        classes: int [K], each box's class.
        thickness_px: Width of the outline, in image pixels (>= 1).

    Returns:
        uint8 [H, W, 3]; pixels off every outline are the input's.

    Raises:
        AugmentInputError: Arrays of the wrong dtype or shape, or a thickness below 1.
    """
    out = _check_image(image).copy()
    boxes, classes = np.asarray(boxes, np.float64), np.asarray(classes)
    if boxes.ndim != 2 or boxes.shape[1] != 4 or classes.shape != (boxes.shape[0],):
        raise AugmentInputError(f"need boxes [K, 4] and classes [K], got {boxes.shape} and {classes.shape}")
    if isinstance(thickness_px, bool) or not isinstance(thickness_px, int) or thickness_px < 1:
        raise AugmentInputError(f"thickness_px must be a positive integer, got {thickness_px!r}")
    height, width = out.shape[:2]
    for (ymin, xmin, ymax, xmax), class_id in zip(boxes, classes, strict=True):
        # Pixel (r, c) covers [r, r + 1) x [c, c + 1): a box covers rows floor(ymin * H) .. ceil(ymax * H) - 1.
        top, left = max(int(np.floor(ymin * height)), 0), max(int(np.floor(xmin * width)), 0)
        bottom, right = min(int(np.ceil(ymax * height)), height), min(int(np.ceil(xmax * width)), width)
        if bottom <= top or right <= left:
            continue
        _outline(out, top - thickness_px, left - thickness_px, bottom + thickness_px, right + thickness_px,
                 thickness_px, EDGE_COLOUR)  # fmt: skip
        _outline(out, top, left, bottom, right, thickness_px, label_colour(int(class_id)))
    return out


def _outline(out: np.ndarray, top: int, left: int, bottom: int, right: int, thickness: int, colour: tuple) -> None:
    """Paints the border `thickness` pixels wide of rows top..bottom - 1, columns left..right - 1 (clipped)."""
    height, width = out.shape[:2]
    rows = slice(max(top, 0), min(bottom, height))
    cols = slice(max(left, 0), min(right, width))
    for band_rows, band_cols in (
        (slice(max(top, 0), max(min(top + thickness, bottom, height), 0)), cols),
        (slice(max(bottom - thickness, top, 0), min(bottom, height)), cols),
        (rows, slice(max(left, 0), max(min(left + thickness, right, width), 0))),
        (rows, slice(max(right - thickness, left, 0), min(right, width))),
    ):
        out[band_rows, band_cols] = colour


def _edges(mask: np.ndarray) -> np.ndarray:
    """Pixels with a 4-neighbour of another label."""
    edge = np.zeros(mask.shape, bool)
    vertical = mask[1:] != mask[:-1]
    horizontal = mask[:, 1:] != mask[:, :-1]
    edge[1:] |= vertical
    edge[:-1] |= vertical
    edge[:, 1:] |= horizontal
    edge[:, :-1] |= horizontal
    return edge


def overlay_mask(image: np.ndarray, mask: np.ndarray, *, alpha: float = MASK_ALPHA) -> np.ndarray:
    """A copy of `image` with the mask's classes tinted and its ignored pixels striped.

    Args:
        image: uint8 [H, W, 3].
        mask: integer [H, W]: 0 background (left as is but for the dark line beside a region), `c + 1` class
            `c` (tinted, its edge in full colour), 255 ignored (striped).
        alpha: The weight of a class colour over the image, in [0, 1].

    Returns:
        uint8 [H, W, 3].

    Raises:
        AugmentInputError: Arrays of the wrong dtype or shape, or an alpha outside [0, 1].
    """
    image = _check_image(image)
    mask = np.asarray(mask)
    if not np.issubdtype(mask.dtype, np.integer) or mask.shape != image.shape[:2]:
        raise AugmentInputError(f"mask must be integer {image.shape[:2]}, got {mask.dtype} {mask.shape}")
    if not 0.0 <= alpha <= 1.0:
        raise AugmentInputError(f"alpha must be in [0, 1], got {alpha!r}")
    out = image.astype(np.float64)
    edges = _edges(mask)
    labelled = (mask != 0) & (mask != IGNORE_LABEL)
    out[edges & ~labelled & (mask == 0)] = EDGE_COLOUR
    for value in np.unique(mask[labelled]):
        where = mask == value
        colour = np.array(label_colour(int(value) - 1), np.float64)
        out[where] = (1.0 - alpha) * out[where] + alpha * colour
        out[where & edges] = colour
    rows, cols = np.indices(mask.shape)
    light = (rows + cols) % _STRIPE_PERIOD_PX < _STRIPE_PERIOD_PX // 2
    ignored = mask == IGNORE_LABEL
    out[ignored & light] = IGNORE_STRIPES[0]
    out[ignored & ~light] = IGNORE_STRIPES[1]
    return np.round(out).astype(np.uint8)
