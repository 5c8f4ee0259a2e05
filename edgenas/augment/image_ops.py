"""The ops that change pixel values only: equalize, solarize, solarize-add, colour, sharpness, cutout.

Each takes a uint8 image [H, W, 3] (raw, before normalisation) and explicit
parameters (`edgenas.augment.magnitudes` maps a level to them), and returns a
uint8 image of the same shape. Whole-image tensor ops, no per-pixel Python.
Boxes and masks are not theirs to touch (a cutout returns its window, so a
segmentation cutout can cut the mask too). Imports TensorFlow.
"""

from __future__ import annotations

import tensorflow as tf

from edgenas.augment.example import IMAGE_FILL_VALUE

__all__ = [
    "SOLARIZE_ADD_THRESHOLD",
    "color",
    "cutout",
    "cutout_window",
    "equalize",
    "sharpness",
    "solarize",
    "solarize_add",
]

SOLARIZE_ADD_THRESHOLD = 128
"""Solarize-add brightens only the pixels below this value (the magnitude sets how much is added)."""

_LEVELS = 256
_CHANNELS = 3
# PIL's SMOOTH filter: the degenerate image sharpness blends away from. Its border pixels keep their values.
_SMOOTH_KERNEL = ((1.0, 1.0, 1.0), (1.0, 5.0, 1.0), (1.0, 1.0, 1.0))
_SMOOTH_SUM = 13.0


def _to_uint8(values: tf.Tensor) -> tf.Tensor:
    return tf.cast(tf.clip_by_value(tf.round(values), 0.0, 255.0), tf.uint8)


def _blend(degenerate: tf.Tensor, image: tf.Tensor, factor: float | tf.Tensor) -> tf.Tensor:
    """degenerate + factor * (image - degenerate), both float32, rounded and clipped to uint8."""
    factor = tf.cast(factor, tf.float32)
    return _to_uint8(degenerate + factor * (image - degenerate))


def solarize(image: tf.Tensor, threshold: float | tf.Tensor) -> tf.Tensor:
    """Inverts (255 - v) every channel value at or above `threshold`.

    Args:
        image: uint8 [H, W, 3].
        threshold: 0 inverts everything, 256 nothing.

    Returns:
        The solarized image, uint8.
    """
    image = tf.convert_to_tensor(image)
    values = tf.cast(image, tf.float32)
    return tf.where(values >= tf.cast(threshold, tf.float32), 255 - image, image)


def solarize_add(
    image: tf.Tensor, addition: float | tf.Tensor, *, threshold: int = SOLARIZE_ADD_THRESHOLD
) -> tf.Tensor:
    """Adds `addition` to every channel value below `threshold`, saturating at 255; the others stay.

    Args:
        image: uint8 [H, W, 3].
        addition: The intensity added (rounded to an integer).
        threshold: Only values below it change.

    Returns:
        The image, uint8.
    """
    image = tf.convert_to_tensor(image)
    values = tf.cast(image, tf.int32)
    added = tf.minimum(values + tf.cast(tf.round(tf.cast(addition, tf.float32)), tf.int32), 255)
    return tf.where(values < threshold, tf.cast(added, tf.uint8), image)


def equalize(image: tf.Tensor) -> tf.Tensor:
    """Equalizes each channel's histogram, as PIL's `ImageOps.equalize` does.

    Per channel, with h the 256-bin histogram and h_last the count of the brightest
    value present: step = (pixels - h_last) // 255; value v maps to
    (step // 2 + pixels below v) // step, at most 255. A channel with step 0 (one
    value, or almost all pixels at the brightest) is left as it is.

    Args:
        image: uint8 [H, W, 3].

    Returns:
        The equalized image, uint8.
    """
    image = tf.convert_to_tensor(image)
    ids = tf.cast(image, tf.int32) + tf.range(_CHANNELS, dtype=tf.int32) * _LEVELS  # channel c's bins at c * 256
    size = _CHANNELS * _LEVELS
    counts = tf.math.bincount(tf.reshape(ids, [-1]), minlength=size, maxlength=size)
    histogram = tf.reshape(counts, [_CHANNELS, _LEVELS])
    levels = tf.range(_LEVELS, dtype=tf.int32)
    brightest = tf.maximum(tf.reduce_max(tf.where(histogram > 0, levels, -1), axis=1), 0)
    brightest_count = tf.gather(histogram, brightest, batch_dims=1)
    step = (tf.reduce_sum(histogram, axis=1) - brightest_count) // (_LEVELS - 1)  # [3]
    below = tf.cumsum(histogram, axis=1, exclusive=True)
    table = tf.minimum((step[:, None] // 2 + below) // tf.maximum(step[:, None], 1), _LEVELS - 1)
    table = tf.where(step[:, None] > 0, table, levels)
    return tf.cast(tf.gather(tf.reshape(table, [-1]), ids), tf.uint8)


def color(image: tf.Tensor, factor: float | tf.Tensor) -> tf.Tensor:
    """Moves the image away from (factor > 1) or towards (factor < 1) its grey version; 1 leaves it.

    Args:
        image: uint8 [H, W, 3].
        factor: 0 gives the grey image (ITU-R 601 luma in every channel).

    Returns:
        The image, uint8.
    """
    values = tf.cast(image, tf.float32)
    grey = tf.image.rgb_to_grayscale(values)
    return _blend(tf.broadcast_to(grey, tf.shape(values)), values, factor)


def sharpness(image: tf.Tensor, factor: float | tf.Tensor) -> tf.Tensor:
    """Sharpens (factor > 1) or blurs (factor < 1) the image; 1 leaves it.

    The degenerate image is the image smoothed by the 3x3 kernel [[1, 1, 1], [1, 5, 1],
    [1, 1, 1]] / 13, rounded, with the one-pixel border kept from the image.

    Args:
        image: uint8 [H, W, 3].
        factor: 0 gives the smoothed image.

    Returns:
        The image, uint8.
    """
    values = tf.cast(image, tf.float32)
    kernel = tf.constant(_SMOOTH_KERNEL, tf.float32) / _SMOOTH_SUM
    kernel = tf.tile(kernel[:, :, None, None], [1, 1, _CHANNELS, 1])
    smooth = tf.round(tf.nn.depthwise_conv2d(values[None], kernel, strides=[1, 1, 1, 1], padding="SAME")[0])
    shape = tf.shape(values)
    rows = tf.range(shape[0])
    cols = tf.range(shape[1])
    interior = ((rows > 0) & (rows < shape[0] - 1))[:, None] & ((cols > 0) & (cols < shape[1] - 1))[None, :]
    return _blend(tf.where(interior[:, :, None], smooth, values), values, factor)


def cutout_window(
    height: int | tf.Tensor, width: int | tf.Tensor, *, center_yx: tf.Tensor, half_size_px: int | tf.Tensor
) -> tf.Tensor:
    """The square a cutout removes: rows and columns [center - half_size, center + half_size), clipped.

    Args:
        height: The image's height.
        width: The image's width.
        center_yx: int32 [2], the square's centre pixel (row, column).
        half_size_px: Half the square's side; 0 gives an empty window.

    Returns:
        bool [height, width], True inside the square.
    """
    half = tf.cast(half_size_px, tf.int32)
    center_yx = tf.cast(center_yx, tf.int32)
    rows = tf.range(height, dtype=tf.int32)
    cols = tf.range(width, dtype=tf.int32)
    in_rows = (rows >= center_yx[0] - half) & (rows < center_yx[0] + half)
    in_cols = (cols >= center_yx[1] - half) & (cols < center_yx[1] + half)
    return in_rows[:, None] & in_cols[None, :]


def cutout(image: tf.Tensor, window: tf.Tensor) -> tf.Tensor:
    """Fills `window` (bool [H, W], see `cutout_window`) with `IMAGE_FILL_VALUE` grey.

    Args:
        image: uint8 [H, W, 3].
        window: Where to cut.

    Returns:
        The image, uint8.
    """
    image = tf.convert_to_tensor(image)
    return tf.where(window[:, :, None], tf.constant(IMAGE_FILL_VALUE, tf.uint8), image)
