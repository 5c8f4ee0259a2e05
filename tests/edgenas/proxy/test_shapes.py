"""The generated shapes dataset: deterministic, balanced, resolution-independent scenes."""

import numpy as np
import pytest

from edgenas.proxy import SHAPE_CLASSES, ProxyConfigError, generate_shapes


def test_same_seed_same_images_other_seed_other_images():
    a_images, a_labels = generate_shapes(60, image_size=16, seed=1)
    b_images, b_labels = generate_shapes(60, image_size=16, seed=1)
    np.testing.assert_array_equal(a_images, b_images)
    np.testing.assert_array_equal(a_labels, b_labels)
    c_images, _ = generate_shapes(60, image_size=16, seed=2)
    assert not np.array_equal(a_images, c_images)


def test_shapes_dtypes_and_balanced_classes():
    images, labels = generate_shapes(53, image_size=20, seed=0)
    assert images.shape == (53, 20, 20, 3) and images.dtype == np.uint8
    assert labels.shape == (53,) and labels.dtype == np.int32
    counts = np.bincount(labels, minlength=len(SHAPE_CLASSES))
    assert len(SHAPE_CLASSES) == 10 and counts.max() - counts.min() <= 1
    # Not all one colour: shapes, backgrounds and noise vary.
    assert images.std() > 20


def test_one_seed_gives_the_same_scenes_at_every_resolution():
    small_images, small_labels = generate_shapes(40, image_size=16, seed=3)
    large_images, large_labels = generate_shapes(40, image_size=64, seed=3)
    np.testing.assert_array_equal(small_labels, large_labels)
    # Block-averaging the large images recovers the small ones up to noise and aliasing.
    pooled = large_images.astype(np.float32).reshape(40, 16, 4, 16, 4, 3).mean(axis=(2, 4))
    assert np.abs(pooled - small_images.astype(np.float32)).mean() < 12


def test_each_class_is_drawn_differently():
    images, labels = generate_shapes(400, image_size=32, seed=0)
    # Mean share of pixels that differ from the image's corner (background) colour, per class:
    # filled shapes cover more than outlines and lines.
    differs = np.abs(images.astype(int) - images[:, :1, :1].astype(int)).sum(-1) > 60
    coverage = {name: differs[labels == k].mean() for k, name in enumerate(SHAPE_CLASSES)}
    assert coverage["disk"] > coverage["ring"]
    assert coverage["square"] > coverage["frame"]
    assert coverage["disk"] > coverage["line_horizontal"]


@pytest.mark.parametrize(
    ("num_images", "image_size", "message"),
    [(0, 32, "num_images"), (10, 4, "image_size"), (10, 32.0, "image_size"), (True, 32, "num_images")],
)
def test_bad_arguments_are_rejected(num_images, image_size, message):
    with pytest.raises(ProxyConfigError, match=message):
        generate_shapes(num_images, image_size=image_size)
