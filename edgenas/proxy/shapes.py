"""A generated 10-class shapes dataset: learnable in a few hundred steps, not trivially.

Every image is one anti-aliased shape on a coloured background with a faint
gradient and Gaussian pixel noise. Shape size, position, stroke thickness,
colours and noise level are random; squares, frames, triangles and half disks
are tilted by up to 15 degrees, pluses turned freely. Three classes differ only
in orientation (lines near horizontal, near vertical, near diagonal), and
filled/outlined pairs (disk/ring, square/frame) differ only in their interior,
so a network must see shape, stroke and orientation, not colour.

Difficulty: MobileNetV2's default proxy copy reaches about 0.65 held-out
accuracy in 250 steps (chance 0.10), with room above it for better networks;
with free rotation of every shape and less colour contrast it stayed near 0.46
with a spread of 0.19 between training seeds, too noisy to rank candidates.

The images are a pure function of `(num_images, image_size, seed)`: the shape
parameters are drawn before any pixel noise and are relative to the image
width, so one seed gives the same scenes at every resolution.
"""

from __future__ import annotations

import math

import numpy as np

from edgenas.proxy._drawing import box, class_angles, contrasting, generate, per_image, shape_coverage, shape_frame

__all__ = ["SHAPE_CLASSES", "generate_shapes"]

SHAPE_CLASSES: tuple[str, ...] = (
    "disk",
    "ring",
    "square",
    "frame",
    "triangle",
    "plus",
    "line_horizontal",
    "line_vertical",
    "line_diagonal",
    "half_disk",
)
"""Class names, in label order."""

_CHUNK_IMAGES = 512
_HALF_SIZE = (0.28, 0.45)  # Shape half-extent, as a fraction of the image width.
_HALF_STROKE = (0.06, 0.09)  # Half the stroke of rings, frames, pluses and lines.
_NOISE_STD = (0.01, 0.06)  # Per-image pixel noise, on a [0, 1] intensity scale.
_GRADIENT = 0.1  # Largest brightness change of the background across the image.
_MIN_CONTRAST = 0.8  # Least RGB distance between shape and background colours (< sqrt(3) / 2).
_SQUARE_HALF = 0.8  # Squares are a little smaller than their circumscribed disk.
_TILT_DEG = ((-15.0, 15.0),)
_ANGLES_DEG: dict[int, tuple[tuple[float, float], ...]] = {
    0: ((0.0, 360.0),),  # disk
    1: ((0.0, 360.0),),  # ring
    2: _TILT_DEG,  # square
    3: _TILT_DEG,  # frame
    4: _TILT_DEG,  # triangle
    5: ((0.0, 360.0),),  # plus
    6: ((-20.0, 20.0),),  # line_horizontal
    7: ((70.0, 110.0),),  # line_vertical
    8: ((25.0, 65.0), (115.0, 155.0)),  # line_diagonal
    9: _TILT_DEG,  # half_disk
}
"""Rotation ranges of each class; one range is picked at random, then an angle in it."""


def generate_shapes(
    num_images: int, *, image_size: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Generates the shapes dataset.

    Args:
        num_images: Number of images; the classes are balanced (counts differ by
            at most one) and shuffled.
        image_size: Height and width of each square image, in pixels (at least 8).
        seed: Seed of every random choice.

    Returns:
        `(images, labels)`: uint8 RGB images of shape
        `(num_images, image_size, image_size, 3)` and int32 labels indexing
        `SHAPE_CLASSES`.

    Raises:
        ProxyConfigError: If `num_images` is below 1 or `image_size` below 8.
    """
    return generate(num_images, image_size, seed, draw=_draw_params, render=_render, chunk_images=_CHUNK_IMAGES)


def _draw_params(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    num_classes = len(SHAPE_CLASSES)
    label = rng.permutation(np.arange(n) % num_classes)
    half = rng.uniform(*_HALF_SIZE, size=n)
    # Keep the shape's centre far enough from the border that most of it shows.
    margin = 0.8 * half
    centre_x = margin + rng.uniform(size=n) * (1.0 - 2.0 * margin)
    centre_y = margin + rng.uniform(size=n) * (1.0 - 2.0 * margin)
    angle = class_angles(rng, label, _ANGLES_DEG)
    stroke = rng.uniform(*_HALF_STROKE, size=n)
    background = rng.uniform(size=(n, 3))
    foreground = contrasting(rng, background, _MIN_CONTRAST)
    gradient_angle = rng.uniform(0.0, 2.0 * math.pi, size=n)
    gradient = rng.uniform(-_GRADIENT, _GRADIENT, size=n)
    noise_std = rng.uniform(*_NOISE_STD, size=n)
    return {
        "label": label,
        "half": half,
        "centre_x": centre_x,
        "centre_y": centre_y,
        "angle": angle,
        "stroke": stroke,
        "background": background,
        "foreground": foreground,
        "gradient_angle": gradient_angle,
        "gradient": gradient,
        "noise_std": noise_std,
    }


def _distance(label: int, x: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Approximate signed distance to shape `label` in its own frame (extent 1; < 0 inside)."""
    r = np.hypot(x, y)
    if label == 0:  # disk
        return r - 1.0
    if label == 1:  # ring
        return np.abs(r - (1.0 - t)) - t
    if label == 2:  # square
        return box(x, y, _SQUARE_HALF, _SQUARE_HALF)
    if label == 3:  # frame
        return np.abs(box(x, y, _SQUARE_HALF - t, _SQUARE_HALF - t)) - t
    if label == 4:  # equilateral triangle, circumradius 1
        sides = [
            math.cos(phi) * x + math.sin(phi) * y
            for phi in (math.pi / 2, math.pi / 2 + 2 * math.pi / 3, math.pi / 2 + 4 * math.pi / 3)
        ]
        return np.maximum(np.maximum(sides[0], sides[1]), sides[2]) - 0.5
    if label == 5:  # plus
        return np.minimum(box(x, y, 1.0, t), box(x, y, t, 1.0))
    if label in (6, 7, 8):  # line segments; the class fixes the orientation range
        return box(x, y, 1.0, t)
    if label == 9:  # half disk
        return np.maximum(r - 1.0, -y)
    raise AssertionError(f"no shape for label {label}")


def _render(params: dict[str, np.ndarray], size: int, noise_rng: np.random.Generator) -> np.ndarray:
    # float32 throughout: half the memory traffic of float64, the same 8-bit images.
    params = {k: v if k == "label" else v.astype(np.float32) for k, v in params.items()}
    centres = (np.arange(size, dtype=np.float32) + 0.5) / size
    grid_y, grid_x = np.meshgrid(centres, centres, indexing="ij")
    frame = shape_frame(params, grid_x, grid_y)
    stroke = per_image(params["stroke"]) / frame[2]
    coverage = shape_coverage(_distance, params["label"], len(SHAPE_CLASSES), frame, stroke, size)[..., None]
    ramp = per_image(np.cos(params["gradient_angle"])) * (grid_x[None] - 0.5) + per_image(
        np.sin(params["gradient_angle"])
    ) * (grid_y[None] - 0.5)
    background = params["background"][:, None, None, :] + (per_image(params["gradient"]) * ramp)[..., None]
    image = coverage * params["foreground"][:, None, None, :] + (1.0 - coverage) * background
    image += noise_rng.standard_normal(image.shape, dtype=np.float32) * params["noise_std"][:, None, None, None]
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
