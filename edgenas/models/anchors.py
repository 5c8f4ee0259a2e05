"""RetinaNet anchor boxes per level (numpy only).

Per level l (stride 2**l): anchor base size `anchor_size * stride`, scales
2**(i / num_scales) for i < num_scales, aspect ratios (width / height) 0.5, 1, 2.
Order per level: row, column, then scale (outer) and aspect ratio (inner),
matching the head's flattening of `(batch, H, W, anchors * k)` to
`(batch, H * W * anchors, k)`; levels are concatenated from min to max level.
Model Garden's RetinaNet uses anchor_size 4; its SpineNet-Mobile configs use 3
(pass anchor_size=3.0); the anchor count does not depend on it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["generate_anchors", "num_anchors_total"]


def generate_anchors(
    image_size: tuple[int, int],
    *,
    min_level: int = 3,
    max_level: int = 7,
    num_scales: int = 3,
    aspect_ratios: tuple[float, ...] = (0.5, 1.0, 2.0),
    anchor_size: float = 4.0,
) -> dict[int, np.ndarray]:
    """Anchor boxes `(ymin, xmin, ymax, xmax)` in pixels, one `(H_l * W_l * A, 4)` array per level."""
    height, width = image_size
    if min_level > max_level or num_scales < 1 or not aspect_ratios or anchor_size <= 0:
        raise ValueError("bad anchor settings")
    out = {}
    for level in range(min_level, max_level + 1):
        stride = 2**level
        if height % stride or width % stride:
            raise ValueError(f"image size {height}x{width} is not a multiple of the level-{level} stride {stride}")
        half_sizes = []
        for scale in range(num_scales):
            base = anchor_size * stride * 2 ** (scale / num_scales)
            for ratio in aspect_ratios:
                half_sizes.append((base / np.sqrt(ratio) / 2, base * np.sqrt(ratio) / 2))  # (h/2, w/2)
        half = np.asarray(half_sizes)  # (A, 2)
        ys = (np.arange(height // stride) + 0.5) * stride
        xs = (np.arange(width // stride) + 0.5) * stride
        cy, cx = np.meshgrid(ys, xs, indexing="ij")
        centers = np.stack([cy.ravel(), cx.ravel()], axis=-1)[:, None, :]  # (HW, 1, 2)
        boxes = np.concatenate([centers - half[None], centers + half[None]], axis=-1)  # (HW, A, 4)
        out[level] = boxes.reshape(-1, 4)
    return out


def num_anchors_total(image_size: tuple[int, int], **kwargs: object) -> int:
    """Total anchors over all levels."""
    return sum(len(boxes) for boxes in generate_anchors(image_size, **kwargs).values())  # type: ignore[arg-type]
