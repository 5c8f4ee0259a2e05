"""Pixel-value ops against numpy re-implementations and PIL (an independent reference)."""

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from edgenas.augment.image_ops import (
    color,
    cutout,
    cutout_window,
    equalize,
    sharpness,
    solarize,
    solarize_add,
)

_RNG = np.random.default_rng(0)


def _images():
    uniform = _RNG.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    low_contrast = _RNG.integers(50, 81, (33, 47, 3), dtype=np.uint8)
    skewed = np.clip(_RNG.normal(60, 20, (36, 30, 3)), 0, 255).astype(np.uint8)
    one_flat_channel = low_contrast.copy()
    one_flat_channel[..., 1] = 7
    almost_flat = np.full((20, 20, 3), 200, np.uint8)
    almost_flat[0, 0] = 10
    return [uniform, low_contrast, skewed, one_flat_channel, almost_flat]


_IMAGES = _images()


@pytest.mark.parametrize("threshold", [0, 1, 77, 128, 255, 256])
def test_solarize_inverts_values_at_or_above_the_threshold(threshold):
    image = _IMAGES[0]
    expected = np.where(image >= threshold, 255 - image, image)
    ours = solarize(image, threshold).numpy()
    np.testing.assert_array_equal(ours, expected)
    np.testing.assert_array_equal(ours, np.asarray(ImageOps.solarize(Image.fromarray(image), threshold)))


@pytest.mark.parametrize("addition", [0, 33, 110])
def test_solarize_add_brightens_only_values_below_128_and_saturates(addition):
    image = _IMAGES[0]
    expected = np.where(image < 128, np.minimum(image.astype(int) + addition, 255), image).astype(np.uint8)
    np.testing.assert_array_equal(solarize_add(image, float(addition)).numpy(), expected)


@pytest.mark.parametrize("index", range(len(_IMAGES)))
def test_equalize_matches_pil_and_a_numpy_histogram_equalisation(index):
    image = _IMAGES[index]
    ours = equalize(image).numpy()
    np.testing.assert_array_equal(ours, np.asarray(ImageOps.equalize(Image.fromarray(image))))
    expected = np.empty_like(image)
    for channel in range(3):
        values = image[..., channel]
        histogram = np.bincount(values.ravel(), minlength=256)
        step = (values.size - histogram[values.max()]) // 255
        if step == 0:
            expected[..., channel] = values
            continue
        below = np.concatenate([[0], np.cumsum(histogram)[:-1]])
        expected[..., channel] = np.minimum((step // 2 + below) // step, 255)[values]
    np.testing.assert_array_equal(ours, expected)
    if index == 1:  # low contrast: equalising spreads it over the whole range
        assert ours.min() < 20 and ours.max() > 235


def test_color_blends_with_the_grey_image():
    image = _IMAGES[0]
    np.testing.assert_array_equal(color(image, 1.0).numpy(), image)
    grey = color(image, 0.0).numpy()
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 1] == grey[..., 2]).all()
    luma = image.astype(np.float64) @ np.array([0.2989, 0.587, 0.114])
    assert np.abs(grey[..., 0] - luma).max() <= 1.0
    for factor in (0.3, 1.9):  # PIL rounds its grey image first: one level apart at most
        pil = np.asarray(ImageEnhance.Color(Image.fromarray(image)).enhance(factor)).astype(int)
        assert np.abs(color(image, factor).numpy().astype(int) - pil).max() <= 1


def test_sharpness_degenerates_to_pils_smooth_filter():
    for image in _IMAGES:
        np.testing.assert_array_equal(sharpness(image, 1.0).numpy(), image)
        smooth = np.asarray(Image.fromarray(image).filter(ImageFilter.SMOOTH))
        np.testing.assert_array_equal(sharpness(image, 0.0).numpy(), smooth)
        pil = np.asarray(ImageEnhance.Sharpness(Image.fromarray(image)).enhance(1.9)).astype(int)
        assert np.abs(sharpness(image, 1.9).numpy().astype(int) - pil).max() <= 1


def test_cutout_fills_a_clipped_square_with_grey():
    window = cutout_window(30, 40, center_yx=np.array([10, 12]), half_size_px=5).numpy()
    expected = np.zeros((30, 40), bool)
    expected[5:15, 7:17] = True
    np.testing.assert_array_equal(window, expected)
    corner = cutout_window(30, 40, center_yx=np.array([0, 39]), half_size_px=4).numpy()
    assert corner.sum() == 4 * 5 and corner[:4, 35:].all()
    assert not cutout_window(30, 40, center_yx=np.array([3, 3]), half_size_px=0).numpy().any()
    image = _IMAGES[0][:30, :40]
    cut = cutout(image, window).numpy()
    assert (cut[expected] == 128).all()
    np.testing.assert_array_equal(cut[~expected], image[~expected])
