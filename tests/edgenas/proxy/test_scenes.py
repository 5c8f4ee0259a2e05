"""The generated scenes dataset: deterministic, balanced, ten classes of distinct outlines among clutter."""

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
    assert len(SCENE_CLASSES) == 10 and counts.max() - counts.min() <= 1


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
    assert same_outline == set()


def test_every_nuisance_grows_with_an_images_difficulty():
    params = _draw_params(np.random.default_rng(0), 6000)
    difficulty = params["difficulty"]
    assert 0.0 <= difficulty.min() and difficulty.max() < 1.0
    assert np.median(difficulty) < 0.05 and (difficulty > 0.5).mean() > 0.08  # most images easy, a hard tail
    easy, hard = difficulty < 0.2, difficulty > 0.8
    assert params["strokes"][easy].mean() < 1.0 < 4.0 < params["strokes"][hard].mean()
    assert params["strokes"].min() == 0 and params["strokes"].max() == 5
    assert params["occluded"][easy].mean() < 0.12 < 0.4 < params["occluded"][hard].mean()
    textured = params["pattern"] > 0
    assert textured[easy].mean() < 0.2 < 0.8 < textured[hard].mean()
    assert set(np.unique(params["pattern"][textured])) == {1, 2, 3}  # stripes, checkerboard, dots
    assert params["half"][easy].min() > 0.25 and params["half"][hard].max() < 0.32  # easy targets are large
    assert params["noise_std"][easy].max() < params["noise_std"][hard].min()
    wave = np.abs(params["wave_amplitude"]).max(axis=(1, 2))
    assert wave[easy].max() <= 0.2 * 0.12 < wave[hard].max()


def test_hard_images_are_busier_than_easy_ones():
    images, _ = generate_scenes(400, image_size=32, seed=0)
    params_seed = np.random.SeedSequence(0).spawn(2)[0]  # generate()'s parameter stream for seed 0
    difficulty = _draw_params(np.random.default_rng(params_seed), 400)["difficulty"]
    busy = np.abs(np.diff(images.astype(np.float32), axis=2)).mean(axis=(1, 2, 3))  # neighbouring-pixel change
    assert busy[difficulty > 0.8].mean() > 1.5 * busy[difficulty < 0.2].mean()


@pytest.mark.parametrize(
    ("num_images", "image_size", "message"),
    [(0, 32, "num_images"), (10, 4, "image_size"), (10, 32.0, "image_size"), (True, 32, "num_images")],
)
def test_bad_arguments_are_rejected(num_images, image_size, message):
    with pytest.raises(ProxyConfigError, match=message):
        generate_scenes(num_images, image_size=image_size)
