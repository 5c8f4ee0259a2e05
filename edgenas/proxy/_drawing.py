"""What the generated image sets share (private): argument checks, seeding, chunked rendering, colours, angles."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from edgenas.proxy.errors import ProxyConfigError

MIN_IMAGE_SIZE_PX = 8
_CONTRAST_TRIES = 64

Params = dict[str, np.ndarray]


def generate(
    num_images: int,
    image_size: int,
    seed: int,
    *,
    draw: Callable[[np.random.Generator, int], Params],
    render: Callable[[Params, int, np.random.Generator], np.ndarray],
    chunk_images: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Checks the arguments, draws every image's parameters, then renders them chunk by chunk.

    Every parameter is drawn before any pixel noise, from its own seed, so the same
    `seed` gives the same scenes at every `image_size`.

    Raises:
        ProxyConfigError: If `num_images` is below 1 or `image_size` below 8.
    """
    if isinstance(num_images, bool) or not isinstance(num_images, int) or num_images < 1:
        raise ProxyConfigError(f"num_images must be a positive integer, got {num_images!r}")
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < MIN_IMAGE_SIZE_PX:
        raise ProxyConfigError(f"image_size must be an integer >= {MIN_IMAGE_SIZE_PX}, got {image_size!r}")
    params_seed, noise_seed = np.random.SeedSequence(seed).spawn(2)
    params = draw(np.random.default_rng(params_seed), num_images)
    noise_rng = np.random.default_rng(noise_seed)
    images = np.empty((num_images, image_size, image_size, 3), dtype=np.uint8)
    for start in range(0, num_images, chunk_images):
        rows = slice(start, min(start + chunk_images, num_images))
        images[rows] = render({k: v[rows] for k, v in params.items()}, image_size, noise_rng)
    return images, params["label"].astype(np.int32)


def contrasting(rng: np.random.Generator, background: np.ndarray, min_contrast: float) -> np.ndarray:
    """A colour per row at least `min_contrast` (RGB distance) from that row's `background`."""
    colour = rng.uniform(size=background.shape)
    bad = np.linalg.norm(colour - background, axis=1) < min_contrast
    for _ in range(_CONTRAST_TRIES):
        if not bad.any():
            break
        colour[bad] = rng.uniform(size=(int(bad.sum()), 3))
        bad = np.linalg.norm(colour - background, axis=1) < min_contrast
    # Rarely left over (a mid-grey background): the farthest corner of the RGB cube.
    colour[bad] = np.round(1.0 - background[bad])
    return colour


def class_angles(
    rng: np.random.Generator, label: np.ndarray, ranges_deg: Mapping[int, Sequence[tuple[float, float]]]
) -> np.ndarray:
    """Per image, a rotation in radians: one of its class's ranges at random, then an angle in it."""
    angle = np.empty(label.shape[0])
    for cls, ranges in ranges_deg.items():
        rows = np.flatnonzero(label == cls)
        which = rng.integers(len(ranges), size=rows.size)
        lows = np.array([r[0] for r in ranges])[which]
        highs = np.array([r[1] for r in ranges])[which]
        angle[rows] = np.deg2rad(rng.uniform(lows, highs))
    return angle


def box(x: np.ndarray, y: np.ndarray, half_x: float | np.ndarray, half_y: float | np.ndarray) -> np.ndarray:
    """Signed distance (approximate outside the corners) to an axis-aligned box centred at 0."""
    return np.maximum(np.abs(x) - half_x, np.abs(y) - half_y)


def per_image(values: np.ndarray) -> np.ndarray:
    """Shapes per-image scalars `(n,)` to broadcast against `(n, height, width)` pixel grids."""
    return values[:, None, None]


def shape_frame(params: Params, grid_x: np.ndarray, grid_y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every image's pixel grid in its shape's own frame: moved to `centre_x`/`centre_y`, turned by `angle`
    and scaled by `half` to extent 1. Returns `(x, y, half)`, `half` shaped to broadcast."""
    dx = grid_x[None] - per_image(params["centre_x"])
    dy = grid_y[None] - per_image(params["centre_y"])
    cos, sin = np.cos(params["angle"]), np.sin(params["angle"])
    half = per_image(params["half"])
    x = (per_image(cos) * dx + per_image(sin) * dy) / half
    y = (-per_image(sin) * dx + per_image(cos) * dy) / half
    return x, y, half


def shape_coverage(
    distance: Callable[[int, np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    labels: np.ndarray,
    classes: int,
    frame: tuple[np.ndarray, np.ndarray, np.ndarray],
    stroke: np.ndarray,
    size: int,
) -> np.ndarray:
    """Per pixel, how much of it each image's shape covers (0..1, `(n, h, w)`), from its class's signed
    `distance(label, x, y, stroke)`; the coverage falls from 1 to 0 over one pixel across the edge."""
    x, y, half = frame
    signed = np.empty_like(x)
    for label in range(classes):
        rows = np.flatnonzero(labels == label)
        if rows.size:
            signed[rows] = distance(label, x[rows], y[rows], stroke[rows])
    return np.clip(0.5 - signed * half * size, 0.0, 1.0)
