"""Geometric ops: translate, shear and rotate the image, and move its boxes and mask with it.

An op is a forward affine map of continuous pixel coordinates (x right, y down;
pixel (row i, column j) covers [j, j + 1) x [i, i + 1), so the image spans
[0, W] x [0, H]):

- TranslateX / TranslateY: x' = x + v / y' = y + v (v in pixels; positive moves the content right / down).
- ShearX: x' = x + v (y - H / 2); ShearY: y' = y + v (x - W / 2). About the image centre (our choice: the
  papers' implementations shear about the top-left corner, which also shifts the content by up to v H).
- Rotate: by v degrees about the image centre, positive counter-clockwise on screen.

The image is resampled bilinearly and filled with `IMAGE_FILL_VALUE` grey where
no input pixel maps; the mask nearest-neighbour, filled with `IGNORE_LABEL`
(so along the image's fill border the two can differ by the one pixel that
bilinear sampling blends). Warps run as one `ImageProjectiveTransformV3` each.
Imports TensorFlow.
"""

from __future__ import annotations

import math

import tensorflow as tf

from edgenas.augment.box_ops import transform_boxes
from edgenas.augment.errors import PolicyError
from edgenas.augment.example import IGNORE_LABEL, IMAGE_FILL_VALUE, Augmented
from edgenas.augment.ops import AugmentOp

__all__ = ["GEOMETRIC_OPS", "affine_matrix", "apply_geometric", "warp_image", "warp_mask"]

_O = AugmentOp
GEOMETRIC_OPS: dict[AugmentOp, AugmentOp] = {
    _O.TRANSLATE_X: _O.TRANSLATE_X,
    _O.TRANSLATE_Y: _O.TRANSLATE_Y,
    _O.SHEAR_X: _O.SHEAR_X,
    _O.SHEAR_Y: _O.SHEAR_Y,
    _O.ROTATE: _O.ROTATE,
    _O.TRANSLATE_X_ONLY_BBOXES: _O.TRANSLATE_X,
    _O.TRANSLATE_Y_ONLY_BBOXES: _O.TRANSLATE_Y,
    _O.SHEAR_X_ONLY_BBOXES: _O.SHEAR_X,
    _O.SHEAR_Y_ONLY_BBOXES: _O.SHEAR_Y,
    _O.ROTATE_ONLY_BBOXES: _O.ROTATE,
}
"""Each op that warps pixels, and the whole-image op whose map it uses (box-only ops warp each box's crop)."""


def _matrix(rows: list[list[float | tf.Tensor]]) -> tf.Tensor:
    return tf.stack([tf.stack([tf.cast(v, tf.float32) for v in row]) for row in rows])


def _translation(dx: float | tf.Tensor, dy: float | tf.Tensor) -> tf.Tensor:
    return _matrix([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def affine_matrix(
    op: AugmentOp, value: float | tf.Tensor, *, height: int | tf.Tensor, width: int | tf.Tensor
) -> tf.Tensor:
    """The forward map of a geometric op, in continuous pixel coordinates of an image of the given size.

    Args:
        op: One of `GEOMETRIC_OPS` (a box-only op gives its whole-image op's map).
        value: The signed parameter: pixels (translate), a shear coefficient, or degrees (rotate).
        height: The image's height in pixels.
        width: The image's width in pixels.

    Returns:
        float32 [3, 3]: (x, y, 1) before -> (x', y', 1) after.

    Raises:
        PolicyError: `op` is not geometric.
    """
    if op not in GEOMETRIC_OPS:
        raise PolicyError(f"{op} is not a geometric op; geometric: {', '.join(GEOMETRIC_OPS)}")
    base = GEOMETRIC_OPS[op]
    value = tf.cast(value, tf.float32)
    if base is AugmentOp.TRANSLATE_X:
        return _translation(value, 0.0)
    if base is AugmentOp.TRANSLATE_Y:
        return _translation(0.0, value)
    cx = tf.cast(width, tf.float32) / 2
    cy = tf.cast(height, tf.float32) / 2
    if base is AugmentOp.SHEAR_X:
        about_origin = _matrix([[1.0, value, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    elif base is AugmentOp.SHEAR_Y:
        about_origin = _matrix([[1.0, 0.0, 0.0], [value, 1.0, 0.0], [0.0, 0.0, 1.0]])
    else:  # Counter-clockwise on screen, where y points down.
        radians = value * (math.pi / 180.0)
        cos, sin = tf.cos(radians), tf.sin(radians)
        about_origin = _matrix([[cos, sin, 0.0], [-sin, cos, 0.0], [0.0, 0.0, 1.0]])
    return _translation(cx, cy) @ about_origin @ _translation(-cx, -cy)


def _warp(images: tf.Tensor, matrix: tf.Tensor, *, interpolation: str, fill_value: float) -> tf.Tensor:
    """Resamples [1, H, W, C] `images` under the forward continuous map `matrix`."""
    # The kernel maps each output pixel index to the input point it reads, in pixel-index coordinates (pixel
    # centres at integers): index = continuous - 0.5. So it needs the inverse of T(-0.5) @ matrix @ T(0.5).
    index_map = _translation(-0.5, -0.5) @ tf.cast(matrix, tf.float32) @ _translation(0.5, 0.5)
    inverse = tf.linalg.inv(index_map)
    transform = tf.reshape(inverse / inverse[2, 2], [9])[:8]
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transform[None, :],
        output_shape=tf.shape(images)[1:3],
        fill_value=tf.constant(fill_value, tf.float32),
        interpolation=interpolation,
        fill_mode="CONSTANT",
    )


def warp_image(image: tf.Tensor, matrix: tf.Tensor) -> tf.Tensor:
    """The uint8 [H, W, 3] image under the forward map `matrix`: bilinear, `IMAGE_FILL_VALUE` where uncovered."""
    values = tf.cast(image, tf.float32)[None]
    warped = _warp(values, matrix, interpolation="BILINEAR", fill_value=float(IMAGE_FILL_VALUE))[0]
    return tf.cast(tf.clip_by_value(tf.round(warped), 0.0, 255.0), tf.uint8)


def warp_mask(mask: tf.Tensor, matrix: tf.Tensor) -> tf.Tensor:
    """The [H, W] mask (int32 or uint8) under the forward map `matrix`: nearest, `IGNORE_LABEL` where uncovered."""
    mask = tf.convert_to_tensor(mask)
    return _warp(mask[None, :, :, None], matrix, interpolation="NEAREST", fill_value=float(IGNORE_LABEL))[0, :, :, 0]


def apply_geometric(
    op: AugmentOp,
    image: tf.Tensor,
    *,
    value: float | tf.Tensor,
    boxes: tf.Tensor | None = None,
    mask: tf.Tensor | None = None,
    box_indices: tf.Tensor | None = None,
) -> Augmented:
    """Translates, shears or rotates the image, and its boxes and mask with it.

    Args:
        op: TranslateX, TranslateY, ShearX, ShearY or Rotate.
        image: uint8 [H, W, 3].
        value: The signed parameter (pixels, shear coefficient or degrees), as `affine_matrix` takes it.
        boxes: float32 [K, 4] normalised (ymin, xmin, ymax, xmax), or None.
        mask: [H, W] int32 or uint8, or None.
        box_indices: int32 [K], what each box's index is to report (default 0..K-1); the kept ones are returned.

    Returns:
        The warped example; boxes moved out of the image are dropped.

    Raises:
        PolicyError: `op` is not a whole-image geometric op.
    """
    if op not in GEOMETRIC_OPS or GEOMETRIC_OPS[op] is not op:
        whole = [o for o, base in GEOMETRIC_OPS.items() if o is base]
        raise PolicyError(f"{op} is not a whole-image geometric op; those are: {', '.join(whole)}")
    image = tf.convert_to_tensor(image)
    shape = tf.shape(image)
    matrix = affine_matrix(op, value, height=shape[0], width=shape[1])
    result = Augmented(image=warp_image(image, matrix))
    if mask is not None:
        result = result._replace(mask=warp_mask(mask, matrix))
    if boxes is not None:
        moved, kept = transform_boxes(boxes, matrix, height=shape[0], width=shape[1])
        indices = kept if box_indices is None else tf.gather(box_indices, kept)
        result = result._replace(boxes=moved, box_indices=indices)
    return result
