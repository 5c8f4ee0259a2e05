"""The generated scenes dataset: deterministic, balanced, sixteen distinct targets among clutter."""

import itertools

import numpy as np
import pytest

from edgenas.proxy import SCENE_CLASSES, ProxyConfigError, generate_scenes
from edgenas.proxy.scenes import _ANGLES_DEG, _distance, _draw_params


def test_same_seed_same_images_other_seed_other_images():
    a_images, a_labels = generate_scenes(40, image_size=16, seed=1)
    b_images, b_labels = generate_scenes(40, image_size=16, seed=1)
    np.testing.assert_array_equal(a_images, b_images)
    np.testing.assert_array_equal(a_labels, b_labels)
    assert not np.array_equal(a_images, generate_scenes(40, image_size=16, seed=2)[0])


def test_dtypes_and_balanced_classes():
    images, labels = generate_scenes(83, image_size=20, seed=0)
    assert images.shape == (83, 20, 20, 3) and images.dtype == np.uint8
    assert labels.shape == (83,) and labels.dtype == np.int32
    counts = np.bincount(labels, minlength=len(SCENE_CLASSES))
    assert len(SCENE_CLASSES) == 16 and counts.max() - counts.min() <= 1


def test_one_seed_gives_the_same_scenes_at_every_resolution():
    small_images, small_labels = generate_scenes(30, image_size=16, seed=3)
    large_images, large_labels = generate_scenes(30, image_size=64, seed=3)
    np.testing.assert_array_equal(small_labels, large_labels)
    pooled = large_images.astype(np.float32).reshape(30, 16, 4, 16, 4, 3).mean(axis=(2, 4))
    other = generate_scenes(30, image_size=16, seed=4)[0].astype(np.float32)
    # Closer to its own small image than another seed's, by far (textures alias differently at 16 px).
    assert np.abs(pooled - small_images).mean() < 0.5 * np.abs(pooled - other).mean()


def _silhouette(label: int) -> np.ndarray:
    axis = np.linspace(-1.2, 1.2, 97)
    y, x = np.meshgrid(axis, axis, indexing="ij")
    return _distance(label, x, y, np.full_like(x, 0.22)) < 0


def test_every_pair_of_classes_differs_in_outline_or_in_angle():
    masks = [_silhouette(label) for label in range(len(SCENE_CLASSES))]
    assert all(m.mean() > 0.05 for m in masks)  # every target covers some of its frame
    same_outline = set()
    for a, b in itertools.combinations(range(len(SCENE_CLASSES)), 2):
        iou = (masks[a] & masks[b]).sum() / (masks[a] | masks[b]).sum()
        if iou > 0.9:  # the same outline: only the rotation range may tell them apart, and must
            same_outline.add((SCENE_CLASSES[a], SCENE_CLASSES[b]))
            ranges = [(low, high) for low, high in _ANGLES_DEG[a] for _ in _ANGLES_DEG[b]]
            others = list(_ANGLES_DEG[b])
            assert all(high < o_low or o_high < low for low, high in ranges for o_low, o_high in others)
    assert same_outline == {("square", "diamond"), ("plus", "cross")}


def test_clutter_and_occlusion_are_drawn():
    params = _draw_params(np.random.default_rng(0), 3000)
    assert params["strokes"].min() >= 2 and params["strokes"].max() <= 5
    assert 0.28 < params["occluded"].mean() < 0.39
    assert len(np.unique(params["pattern"])) == 4  # solid, stripes, checkerboard, dots
    images, _ = generate_scenes(50, image_size=32, seed=0)
    # Far from flat backgrounds: waves, strokes and textures vary every image.
    assert np.median(images.reshape(50, -1, 3).std(axis=1).mean(axis=1)) > 15


@pytest.mark.parametrize(
    ("num_images", "image_size", "message"),
    [(0, 32, "num_images"), (10, 4, "image_size"), (10, 32.0, "image_size"), (True, 32, "num_images")],
)
def test_bad_arguments_are_rejected(num_images, image_size, message):
    with pytest.raises(ProxyConfigError, match=message):
        generate_scenes(num_images, image_size=image_size)
