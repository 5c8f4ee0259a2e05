"""Boxes under a geometric op, and ops applied only inside each box.

Boxes are float32 [K, 4], normalised (ymin, xmin, ymax, xmax) in [0, 1]. In
pixels a box spans [ymin * H, ymax * H) x [xmin * W, xmax * W): continuous
coordinates in which pixel (row i, column j) covers [i, i + 1) x [j, j + 1).

- `transform_boxes`: a box maps to the axis-aligned box of its four transformed
  corners, clipped to the image; boxes left with no area (moved out of the image)
  are dropped, and the indices of those kept are returned so labels can follow.
- `apply_inside_boxes`: an op runs on the pixels of each box (its own crop),
  each box independently with a given probability; boxes do not move. Boxes are
  visited in order, so where they overlap a later box sees the earlier one's
  result. A loop over boxes in TensorFlow (K is small); each step is a
  whole-crop tensor op. Imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

__all__ = ["apply_inside_boxes", "box_windows_px", "transform_boxes"]


def transform_boxes(
    boxes: tf.Tensor, matrix: tf.Tensor, *, height: int | tf.Tensor, width: int | tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    """Moves boxes with the image under the forward affine map `matrix`.

    Args:
        boxes: float32 [K, 4] normalised (ymin, xmin, ymax, xmax).
        matrix: float32 [3, 3], (x, y, 1) before -> after, in continuous pixel coordinates of the image.
        height: The image's height in pixels.
        width: The image's width in pixels.

    Returns:
        The kept boxes, float32 [K', 4], and their indices in `boxes`, int32 [K'].
    """
    boxes = tf.convert_to_tensor(boxes, tf.float32)
    matrix = tf.cast(matrix, tf.float32)
    h = tf.cast(height, tf.float32)
    w = tf.cast(width, tf.float32)
    ymin, xmin, ymax, xmax = tf.unstack(boxes * tf.stack([h, w, h, w]), num=4, axis=1)
    xs = tf.stack([xmin, xmax, xmin, xmax], axis=1)  # [K, 4] corners
    ys = tf.stack([ymin, ymin, ymax, ymax], axis=1)
    new_xs = matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2]
    new_ys = matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2]
    moved = tf.stack(
        [
            tf.clip_by_value(tf.reduce_min(new_ys, axis=1), 0.0, h) / h,
            tf.clip_by_value(tf.reduce_min(new_xs, axis=1), 0.0, w) / w,
            tf.clip_by_value(tf.reduce_max(new_ys, axis=1), 0.0, h) / h,
            tf.clip_by_value(tf.reduce_max(new_xs, axis=1), 0.0, w) / w,
        ],
        axis=1,
    )
    kept = tf.cast(tf.reshape(tf.where((moved[:, 2] > moved[:, 0]) & (moved[:, 3] > moved[:, 1])), [-1]), tf.int32)
    return tf.gather(moved, kept), kept


def box_windows_px(boxes: tf.Tensor, *, height: int | tf.Tensor, width: int | tf.Tensor) -> tf.Tensor:
    """The pixels each box covers, as int32 [K, 4] (row0, col0, row1, col1), ends exclusive, within the image.

    A pixel belongs to a box if the box overlaps it at all (floor of the start, ceiling of the end).

    Args:
        boxes: float32 [K, 4] normalised (ymin, xmin, ymax, xmax).
        height: The image's height in pixels.
        width: The image's width in pixels.

    Returns:
        The windows; an empty one (row1 <= row0 or col1 <= col0) for a box with no area.
    """
    boxes = tf.convert_to_tensor(boxes, tf.float32)
    size = tf.cast(tf.stack([height, width, height, width]), tf.float32)
    pixels = boxes * size
    # A box edge a rounding error past a pixel boundary must not take in a whole extra row.
    starts = tf.math.floor(pixels[:, :2] + 1e-4)
    ends = tf.math.ceil(pixels[:, 2:] - 1e-4)
    windows = tf.cast(tf.clip_by_value(tf.concat([starts, ends], axis=1), 0.0, size), tf.int32)
    return windows


def apply_inside_boxes(
    image: tf.Tensor,
    boxes: tf.Tensor,
    op: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
    *,
    probability: float | tf.Tensor,
    seed: tf.Tensor,
) -> tf.Tensor:
    """Runs `op` on the crop of each box, each box with probability `probability`; pixels outside boxes stay.

    Args:
        image: uint8 [H, W, 3].
        boxes: float32 [K, 4] normalised (ymin, xmin, ymax, xmax); they are not changed.
        op: (crop uint8 [h, w, 3], seed int [2]) -> crop of the same shape.
        probability: The chance that a given box is changed.
        seed: The stateless seed, int [2]: it draws which boxes change and each box's own seed.

    Returns:
        The image, uint8 [H, W, 3].
    """
    image = tf.convert_to_tensor(image)
    shape = tf.shape(image)
    windows = box_windows_px(boxes, height=shape[0], width=shape[1])
    count = tf.shape(windows)[0]
    chosen = tf.random.stateless_uniform([count], seed=tf.random.experimental.stateless_fold_in(seed, 0))
    chosen = chosen < tf.cast(probability, tf.float32)
    box_seeds = tf.random.experimental.stateless_fold_in(seed, 1)
    rows = tf.range(shape[0])
    cols = tf.range(shape[1])

    def change(k: tf.Tensor, current: tf.Tensor) -> tf.Tensor:
        row0, col0, row1, col1 = tf.unstack(windows[k], num=4)
        crop = op(current[row0:row1, col0:col1], tf.random.experimental.stateless_fold_in(box_seeds, k))
        pasted = tf.pad(crop, [[row0, shape[0] - row1], [col0, shape[1] - col1], [0, 0]])
        inside = ((rows >= row0) & (rows < row1))[:, None] & ((cols >= col0) & (cols < col1))[None, :]
        return tf.where(inside[:, :, None], pasted, current)

    def body(k: tf.Tensor, current: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        window = windows[k]
        runs = chosen[k] & (window[2] > window[0]) & (window[3] > window[1])
        return k + 1, tf.cond(runs, lambda: change(k, current), lambda: current)

    _, image = tf.while_loop(lambda k, _: k < count, body, [tf.constant(0), image])
    return image
