"""write_preview: the PNG's grid, its determinism, captions that are what apply_policy did, and bad input."""

import numpy as np
import pytest
from PIL import Image

from edgenas.augment import AutoAugmentPolicy, OpSetting, PolicyError, PreviewError, RandAugmentPolicy
from edgenas.augment.apply import apply_op
from edgenas.augment.preview import draw_seed, preview_grid, preview_layout, write_preview
from edgenas.augment.trace import OpOutcome, trace_policy

_RA_DETECTION = RandAugmentPolicy("detection", 2, 9)
_RA_SEGMENTATION = RandAugmentPolicy("segmentation", 2, 9)
_SMALL = {"images": 2, "draws": 2}


def _autoaugment(task, first, second):
    return AutoAugmentPolicy(task, ((OpSetting(*first), OpSetting(*second)),) * 5)


@pytest.fixture(scope="module")
def detection_png(tmp_path_factory):
    return write_preview(_RA_DETECTION, tmp_path_factory.mktemp("det") / "preview.png", **_SMALL)


@pytest.fixture(scope="module")
def detection_grid():
    return preview_grid(_RA_DETECTION, **_SMALL)


def _pixels(path):
    with Image.open(path) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"))


def test_the_png_is_a_grid_of_the_originals_and_their_draws(detection_png, detection_grid):
    layout = preview_layout(_RA_DETECTION, **_SMALL)
    assert layout == detection_grid.layout and (layout.rows, layout.columns, layout.cell_px) == (2, 3, 256)
    pixels = _pixels(detection_png)
    assert pixels.shape == (layout.height_px, layout.width_px, 3)
    for row, cells in enumerate(detection_grid.rows):
        assert len(cells) == 3
        for column, cell in enumerate(cells):
            left, top = layout.cell_origin_px(row, column)
            shown = pixels[top : top + layout.cell_px, left : left + layout.cell_px]
            # 128 px images in 256 px cells: each pixel shown as 2 x 2.
            np.testing.assert_array_equal(shown, cell.painted().repeat(2, axis=0).repeat(2, axis=1))


def test_the_preview_is_a_function_of_its_seed(tmp_path, detection_png):
    again = write_preview(_RA_DETECTION, tmp_path / "again.png", **_SMALL)
    assert again.read_bytes() == detection_png.read_bytes()
    other = write_preview(_RA_DETECTION, tmp_path / "other.png", seed=1, **_SMALL)
    assert other.read_bytes() != detection_png.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.png", "other.png"]  # no partial file left


def test_captions_are_the_ops_apply_policy_applied(detection_grid):
    for i, (original, *draws) in enumerate(detection_grid.rows):
        assert original.trace is None and original.caption == (f"image {i}: original, {len(original.boxes)} boxes",)
        for d, cell in enumerate(draws):
            trace = trace_policy(_RA_DETECTION, draw_seed(0, i, d, draws=2))
            assert cell.trace == trace and cell.caption == trace.lines() == (str(trace.ops[0]), f"+ {trace.ops[1]}")
            image, boxes = original.image, original.boxes
            for step in trace.ops:  # the listed ops, replayed one by one, give the image shown
                out = apply_op(step.op, image, magnitude=9, seed=step.seed, boxes=boxes)
                image, boxes = out.image, out.boxes
            np.testing.assert_array_equal(cell.image, image.numpy())
            np.testing.assert_array_equal(cell.boxes, boxes.numpy())


def test_an_op_of_probability_one_is_shown_as_ran():
    policy = _autoaugment("detection", (5, 10, 1.0), (2, 3, 0.0))  # TranslateX by 250 px at 640: 50 px here
    grid = preview_grid(policy, images=1, draws=3)
    original = grid.rows[0][0]
    for cell in grid.rows[0][1:]:
        sign = "-" if cell.trace.ops[0].negative else "+"
        assert cell.caption[1:] == (f"TranslateX(m=10, p=1.0, sign {sign}) ran", "Color(m=3, p=0.0) skipped")
        filled = cell.image[:, :50] if sign == "+" else cell.image[:, -50:]  # content moved right (+) or left
        assert (filled == 128).all()
        assert not np.array_equal(cell.image, original.image)


def test_ops_of_probability_zero_are_shown_as_skipped_and_change_nothing():
    policy = _autoaugment("segmentation", (9, 10, 0.0), (12, 10, 0.0))  # Rotate, CutoutSegmentation
    grid = preview_grid(policy, images=2, draws=2)
    for original, *draws in grid.rows:
        for cell in draws:
            assert [step.outcome for step in cell.trace.ops] == [OpOutcome.SKIPPED] * 2
            assert cell.caption[1:] == ("Rotate(m=10, p=0.0) skipped", "CutoutSegmentation(m=10, p=0.0) skipped")
            np.testing.assert_array_equal(cell.image, original.image)
            np.testing.assert_array_equal(cell.mask, original.mask)


def test_detection_outlines_boxes_and_segmentation_tints_masks(tmp_path, detection_grid, detection_png):
    segmentation = preview_grid(_RA_SEGMENTATION, **_SMALL)
    for det, seg in zip(detection_grid.rows, segmentation.rows, strict=True):
        np.testing.assert_array_equal(det[0].image, seg[0].image)  # the same scenes
        assert det[0].mask is None and det[0].boxes is not None and seg[0].boxes is None and seg[0].mask is not None
        assert not np.array_equal(det[0].painted(), seg[0].painted())
        objects = seg[0].mask > 0
        assert (seg[0].painted()[objects] != seg[0].image[objects]).any(axis=-1).all()  # every object pixel tinted
    png = write_preview(_RA_SEGMENTATION, tmp_path / "seg.png", **_SMALL)
    assert _pixels(png).shape == _pixels(detection_png).shape
    assert png.read_bytes() != detection_png.read_bytes()


def test_ignored_pixels_after_a_cutout_are_striped():
    policy = _autoaugment("segmentation", (12, 10, 1.0), (0, 0, 0.0))  # CutoutSegmentation at m=10: 40 px wide
    cell = preview_grid(policy, images=1, draws=1).rows[0][1]
    ignored = cell.mask == 255
    assert ignored.any()
    assert {tuple(c) for c in cell.painted()[ignored]} == {(255, 255, 255), (32, 32, 32)}


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"images": 0}, PreviewError, "images must be an integer in 1..64, got 0"),
        ({"images": 65}, PreviewError, "images must be an integer in 1..64, got 65"),
        ({"draws": 0}, PreviewError, "draws must be an integer in 1..64, got 0"),
        ({"draws": 100}, PreviewError, "draws must be an integer in 1..64, got 100"),
        ({"draws": True}, PreviewError, "draws must be an integer"),
        ({"seed": -1}, PreviewError, "seed must be an integer in 0..9223372036854775807, got -1"),
        ({"seed": 2**63}, PreviewError, "seed must be an integer in 0..9223372036854775807, got 9223372036854775808"),
        ({"image_size_px": 8}, PreviewError, "image_size_px must be an integer in 16..1024, got 8"),
        ({"policy": "randaugment_detection"}, PolicyError, "must be a RandAugmentPolicy or an AutoAugmentPolicy"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_written(tmp_path, kwargs, error, message):
    policy = kwargs.pop("policy", _RA_DETECTION)
    with pytest.raises(error, match=message):
        write_preview(policy, tmp_path / "sub" / "preview.png", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_bad_out_paths_are_refused_before_anything_is_written(tmp_path):
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "file").write_text("x")
    cases = [
        (tmp_path / "folder.png", "is a folder; give the PNG's path"),
        (tmp_path / "preview.jpg", "must end in .png"),
        (tmp_path / "file" / "sub" / "preview.png", "is a file, not a folder"),
    ]
    for path, message in cases:
        with pytest.raises(PreviewError, match=message):
            write_preview(_RA_DETECTION, path, images=1, draws=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder.png"]
    assert list((tmp_path / "folder.png").iterdir()) == []


def test_the_out_folder_is_created(tmp_path):
    path = write_preview(_RA_SEGMENTATION, tmp_path / "a" / "b" / "p.png", images=1, draws=1, image_size_px=16)
    layout = preview_layout(_RA_SEGMENTATION, images=1, draws=1, image_size_px=16)
    assert path == tmp_path / "a" / "b" / "p.png" and _pixels(path).shape == (layout.height_px, layout.width_px, 3)
