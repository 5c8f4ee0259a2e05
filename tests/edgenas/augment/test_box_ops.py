"""Boxes under an affine map (corner box, clipped, dropped when out) and ops run only inside boxes."""

import numpy as np
import tensorflow as tf

from edgenas.augment.box_ops import apply_inside_boxes, box_windows_px, transform_boxes

_H, _W = 40, 80


def _shift(dx, dy):
    return tf.constant([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def test_boxes_move_are_clipped_and_dropped_with_their_indices():
    boxes = np.array([[0.25, 0.125, 0.5, 0.25], [0.0, 0.75, 0.5, 1.0], [0.5, 0.5, 0.75, 0.625]], np.float32)
    same, kept = transform_boxes(boxes, tf.eye(3), height=_H, width=_W)
    np.testing.assert_allclose(same.numpy(), boxes, atol=1e-6)
    assert kept.numpy().tolist() == [0, 1, 2]
    # 20 px right: box 1 (x 60..80 px) leaves the image entirely, box 2 (x 40..50) moves to 60..70.
    moved, kept = transform_boxes(boxes, _shift(20.0, 0.0), height=_H, width=_W)
    assert kept.numpy().tolist() == [0, 2] and kept.dtype == tf.int32
    np.testing.assert_allclose(moved.numpy() * [_H, _W, _H, _W], [[10, 30, 20, 40], [20, 60, 30, 70]], atol=1e-4)
    # 30 px up: box 1 (y 0..20) leaves, box 0 (y 10..20) is clipped to y 0 and leaves too, box 2 is clipped.
    moved, kept = transform_boxes(boxes, _shift(0.0, -25.0), height=_H, width=_W)
    assert kept.numpy().tolist() == [2]
    np.testing.assert_allclose(moved.numpy() * [_H, _W, _H, _W], [[0, 40, 5, 50]], atol=1e-4)


def test_a_rotated_box_becomes_the_box_of_its_corners():
    half = float(np.sqrt(0.5))
    rotate_45 = tf.constant([[half, half, 0.0], [-half, half, 0.0], [0.0, 0.0, 1.0]])  # about the origin
    shift_then = _shift(40.0, 20.0) @ rotate_45 @ _shift(-40.0, -20.0)  # about the image centre (40, 20)
    boxes = np.array([[15 / _H, 35 / _W, 25 / _H, 45 / _W]], np.float32)  # a 10 px square on the centre
    moved, _ = transform_boxes(boxes, shift_then, height=_H, width=_W)
    reach = 5 * np.sqrt(2)
    expected = [(20 - reach) / _H, (40 - reach) / _W, (20 + reach) / _H, (40 + reach) / _W]
    np.testing.assert_allclose(moved.numpy()[0], expected, atol=1e-5)


def test_box_windows_cover_every_pixel_a_box_touches():
    boxes = np.array([[0.1, 0.1, 0.5, 0.5], [0.0, 0.0, 1.0, 1.0], [0.5, 0.5, 0.5, 0.7]], np.float32)
    windows = box_windows_px(boxes, height=_H, width=_W).numpy()
    assert windows.tolist() == [[4, 8, 20, 40], [0, 0, 40, 80], [20, 40, 20, 56]]
    odd = box_windows_px(np.array([[0.11, 0.11, 0.49, 0.49]], np.float32), height=_H, width=_W).numpy()
    assert odd.tolist() == [[4, 8, 20, 40]]


def test_ops_inside_boxes_change_only_the_chosen_boxes_pixels():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (_H, _W, 3), dtype=np.uint8)
    boxes = np.array([[0.1, 0.1, 0.5, 0.3], [0.5, 0.5, 0.9, 0.9]], np.float32)
    seed = tf.constant([3, 4], tf.int64)

    def invert(crop, _):
        return 255 - crop

    same = apply_inside_boxes(image, boxes, invert, probability=0.0, seed=seed).numpy()
    np.testing.assert_array_equal(same, image)
    changed = apply_inside_boxes(image, boxes, invert, probability=1.0, seed=seed).numpy()
    expected = image.copy()
    expected[4:20, 8:24] = 255 - image[4:20, 8:24]
    expected[20:36, 40:72] = 255 - image[20:36, 40:72]
    np.testing.assert_array_equal(changed, expected)
    # Overlapping boxes are visited in turn: inverting twice restores the overlap.
    overlapping = np.array([[0.0, 0.0, 0.5, 0.5], [0.25, 0.25, 0.75, 0.75]], np.float32)
    twice = apply_inside_boxes(image, overlapping, invert, probability=1.0, seed=seed).numpy()
    np.testing.assert_array_equal(twice[10:20, 20:40], image[10:20, 20:40])
    np.testing.assert_array_equal(twice[0:10, 0:20], 255 - image[0:10, 0:20])
