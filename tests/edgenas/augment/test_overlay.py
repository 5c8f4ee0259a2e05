"""Box outlines and mask overlays: only the pixels they claim change, in the class's colour."""

import numpy as np
import pytest

from edgenas.augment import AugmentInputError
from edgenas.augment.overlay import EDGE_COLOUR, IGNORE_STRIPES, MASK_ALPHA, draw_boxes, label_colour, overlay_mask

_IMAGE = np.full((20, 30, 3), 100, np.uint8)


def _changed(a, b):
    return (a != b).any(axis=-1)


def test_a_box_is_its_outline_in_its_colour_with_a_dark_ring_outside():
    out = draw_boxes(_IMAGE, np.array([[0.25, 0.2, 0.75, 0.5]]), np.array([2]))  # rows 5..14, columns 6..14
    ring = np.zeros((20, 30), bool)
    ring[5:15, 6:15] = True
    ring[6:14, 7:14] = False
    dark = np.zeros((20, 30), bool)
    dark[4:16, 5:16] = True
    dark[5:15, 6:15] = False
    assert (out[ring] == label_colour(2)).all() and (out[dark] == EDGE_COLOUR).all()
    np.testing.assert_array_equal(_changed(out, _IMAGE), ring | dark)


def test_boxes_are_clipped_and_empty_ones_skipped():
    boxes = np.array([[-0.5, -0.5, 0.5, 0.5], [0.5, 0.3, 0.5, 0.6]], np.float32)
    out = draw_boxes(_IMAGE, boxes, np.array([0, 1]), thickness_px=2)
    assert (out[0, :15] == label_colour(0)).all() and (out[:10, 0] == label_colour(0)).all()
    np.testing.assert_array_equal(out, draw_boxes(_IMAGE, boxes[:1], np.array([0]), thickness_px=2))  # no empty box


def test_a_mask_tints_its_classes_stripes_ignored_pixels_and_leaves_the_background():
    mask = np.zeros((20, 30), np.uint8)
    mask[4:10, 4:12] = 1
    mask[12:18, 15:25] = 3
    mask[:, 27:] = 255
    out = overlay_mask(_IMAGE, mask)
    interior = np.zeros_like(mask, bool)
    interior[5:9, 5:11] = True
    tinted = np.round((1 - MASK_ALPHA) * 100 + MASK_ALPHA * np.array(label_colour(0)))
    assert (out[interior] == tinted).all()
    assert (out[4, 4:12] == label_colour(0)).all() and (out[12, 15:25] == label_colour(2)).all()  # edges
    assert (out[3, 4:12] == EDGE_COLOUR).all()  # the background pixel beside the region
    colours = {tuple(c) for c in out[mask == 255]}
    assert colours == set(IGNORE_STRIPES)
    far = np.zeros_like(mask, bool)
    far[:, 13] = True  # a background column away from every region
    far[11:19] = False
    np.testing.assert_array_equal(out[far], _IMAGE[far])


def test_a_class_has_one_colour_in_boxes_and_masks():
    mask = np.zeros((20, 30), np.uint8)
    mask[5:15, 6:15] = 3  # class 2
    boxes = draw_boxes(_IMAGE, np.array([[0.25, 0.2, 0.75, 0.5]]), np.array([2]))
    assert tuple(overlay_mask(_IMAGE, mask)[5, 6]) == tuple(boxes[5, 6]) == label_colour(2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: draw_boxes(_IMAGE[..., 0], np.zeros((0, 4)), np.zeros(0)), "image must be uint8"),
        (lambda: draw_boxes(_IMAGE, np.zeros((2, 4)), np.zeros(3)), "need boxes"),
        (lambda: draw_boxes(_IMAGE, np.zeros((0, 4)), np.zeros(0), thickness_px=0), "thickness_px"),
        (lambda: overlay_mask(_IMAGE, np.zeros((20, 29), np.uint8)), "mask must be integer"),
        (lambda: overlay_mask(_IMAGE, np.zeros((20, 30), np.uint8), alpha=1.5), "alpha"),
    ],
)
def test_bad_arrays_are_refused(call, message):
    with pytest.raises(AugmentInputError, match=message):
        call()
