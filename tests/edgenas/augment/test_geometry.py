"""Geometric ops move boxes and masks with the image: every op, several magnitudes, both signs.

A filled rectangle of class 3 is drawn into an image and its mask; after the op
the returned box must match the bounding box of the warped mask's class-3
pixels, found independently with numpy (for a rectangle the corner box is exact
up to the pixel grid, so 1 px is the tolerance).
"""

import numpy as np
import pytest
import tensorflow as tf

from edgenas.augment import AugmentOp, PolicyError
from edgenas.augment.geometry import affine_matrix, apply_geometric, warp_image
from edgenas.augment.magnitudes import op_parameters

_H, _W = 96, 128
# The object's pixel rows and columns (ends exclusive): off the centre, so a turn the wrong way would show.
_ROWS, _COLS = (25, 55), (20, 70)
_CLASS = 3
_BACKGROUND, _OBJECT = 30, 100  # no blend of the two is the fill grey 128
_TOLERANCE_PX = 1.0  # measured worst: 0.7 px (Rotate at 10); the wrong turning direction is off by 1.4-19 px
_O = AugmentOp
_WHOLE_IMAGE = [_O.TRANSLATE_X, _O.TRANSLATE_Y, _O.SHEAR_X, _O.SHEAR_Y, _O.ROTATE]


def _scene(mask_dtype=np.int32):
    image = np.full((_H, _W, 3), _BACKGROUND, np.uint8)
    image[slice(*_ROWS), slice(*_COLS)] = _OBJECT
    mask = np.zeros((_H, _W), mask_dtype)
    mask[slice(*_ROWS), slice(*_COLS)] = _CLASS
    box = np.array([[_ROWS[0] / _H, _COLS[0] / _W, _ROWS[1] / _H, _COLS[1] / _W]], np.float32)
    return image, box, mask


def _pixel_box(region):
    rows, cols = np.nonzero(region)
    return np.array([rows.min(), cols.min(), rows.max() + 1, cols.max() + 1], np.float64)


def _border(region):
    """Pixels of `region` or its complement that touch the other (8-neighbourhood)."""
    padded = np.pad(region, 1, mode="edge")
    shifted = [padded[1 + dy : 1 + dy + _H, 1 + dx : 1 + dx + _W] for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    return np.any(shifted, axis=0) & ~np.all(shifted, axis=0)


@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("magnitude", [3, 6, 10])
@pytest.mark.parametrize("op", _WHOLE_IMAGE)
def test_the_box_follows_the_object_in_the_mask(op, magnitude, sign):
    image, box, mask = _scene()
    value = sign * op_parameters(op, magnitude, image_size_px=max(_H, _W)).value  # translate 10: 50 px
    result = apply_geometric(op, image, value=value, boxes=box, mask=mask)
    warped_mask = result.mask.numpy()
    assert result.image.shape == image.shape and result.image.dtype == tf.uint8
    assert warped_mask.shape == mask.shape and warped_mask.dtype == mask.dtype
    assert result.box_indices.numpy().tolist() == [0]
    returned = result.boxes.numpy()[0] * [_H, _W, _H, _W]
    np.testing.assert_allclose(returned, _pixel_box(warped_mask == _CLASS), atol=_TOLERANCE_PX)
    # The mask keeps its labels (nearest sampling) and gets 255 exactly where the image got grey fill,
    # but for the one-pixel seam that bilinear sampling blends.
    assert set(np.unique(warped_mask)) <= {0, _CLASS, 255}
    filled = warped_mask == 255
    grey = (result.image.numpy() == 128).all(axis=-1)
    assert filled.any() or op is _O.SHEAR_X and magnitude < 10  # a small shear keeps the corners inside
    assert not ((filled != grey) & ~_border(filled)).any()
    # The object keeps its colour where the mask says it is (away from its edges).
    inside = (warped_mask == _CLASS) & ~_border(warped_mask == _CLASS)
    assert (result.image.numpy()[inside] == _OBJECT).all()


@pytest.mark.parametrize("op", [_O.TRANSLATE_X, _O.TRANSLATE_Y])
def test_translation_by_whole_pixels_moves_everything_exactly(op):
    image, box, mask = _scene(np.uint8)
    result = apply_geometric(op, image, value=-25.0, boxes=box, mask=mask)
    axis = 1 if op is _O.TRANSLATE_X else 0
    expected_mask = np.roll(mask, -25, axis=axis)
    expected_image = np.roll(image, -25, axis=axis)
    if axis == 1:
        expected_mask[:, -25:], expected_image[:, -25:] = 255, 128
    else:
        expected_mask[-25:], expected_image[-25:] = 255, 128
    np.testing.assert_array_equal(result.mask.numpy(), expected_mask)
    np.testing.assert_array_equal(result.image.numpy(), expected_image)


def test_boxes_pushed_out_are_dropped_and_boxes_partly_out_are_clipped():
    image, box, mask = _scene()
    boxes = np.concatenate([box, [[0.0, 100 / _W, 0.25, 120 / _W]]]).astype(np.float32)
    result = apply_geometric(_O.TRANSLATE_X, image, value=80.0, boxes=boxes, mask=mask)
    assert result.box_indices.numpy().tolist() == [0]  # the second box moved to x 180..200 px: gone
    np.testing.assert_allclose(result.boxes.numpy()[0] * [_H, _W, _H, _W], [25, 100, 55, 128], atol=1e-4)
    gone = apply_geometric(_O.TRANSLATE_Y, image, value=-70.0, boxes=boxes, mask=mask)
    assert gone.boxes.shape == (0, 4) and gone.box_indices.numpy().tolist() == []
    assert not (gone.mask.numpy() == _CLASS).any()
    labels = tf.gather(tf.constant([7, 9]), result.box_indices)
    assert labels.numpy().tolist() == [7]


def test_rotation_turns_counter_clockwise_on_screen_about_the_centre():
    matrix = affine_matrix(_O.ROTATE, 90.0, height=_H, width=_W).numpy()
    # A point right of the centre goes above it (y points down).
    point = matrix @ [_W / 2 + 10, _H / 2, 1]
    np.testing.assert_allclose(point, [_W / 2, _H / 2 - 10, 1], atol=1e-4)
    square = np.zeros((_H, _H, 3), np.uint8)
    square[10:20, 60:90] = 255  # a bar in the top right
    turned = warp_image(square, affine_matrix(_O.ROTATE, 90.0, height=_H, width=_H)).numpy()
    np.testing.assert_array_equal(turned, np.rot90(square, k=1).copy() * (turned != 128) + 128 * (turned == 128))


def test_only_whole_image_geometric_ops_are_taken():
    image, _, _ = _scene()
    with pytest.raises(PolicyError, match="Solarize is not a whole-image geometric op; those are: TranslateX, "):
        apply_geometric(_O.SOLARIZE, image, value=1.0)
    with pytest.raises(PolicyError, match="RotateOnlyBBoxes is not a whole-image geometric op"):
        apply_geometric(_O.ROTATE_ONLY_BBOXES, image, value=1.0)
    with pytest.raises(PolicyError, match="Equalize is not a geometric op; geometric: TranslateX, "):
        affine_matrix(_O.EQUALIZE, 1.0, height=_H, width=_W)
