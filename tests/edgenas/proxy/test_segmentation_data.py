"""The generated segmentation dataset: spec, masks against the drawn objects, ignore band, determinism, files."""

import dataclasses
import json

import numpy as np
import pytest

from edgenas.augment import IGNORE_LABEL as AUGMENT_IGNORE_LABEL
from edgenas.proxy.box_coding import iou_matrix
from edgenas.proxy.detection_data import (
    DetectionDataSpec,
    _background_images,
    generate_detection_data,
    save_detection_data,
)
from edgenas.proxy.errors import ProxyConfigError, ProxyDatasetError
from edgenas.proxy.segmentation_data import (
    IGNORE_LABEL,
    SegmentationData,
    SegmentationDataSpec,
    SegmentationSplit,
    generate_segmentation_data,
    load_segmentation_data,
    save_segmentation_data,
)
from edgenas.proxy.segmentation_metrics import mean_iou

_SMALL = SegmentationDataSpec(
    image_size=64, num_classes=5, max_objects=4, min_object_px=8, max_object_px=24, num_train=48, num_val=16, seed=3
)
# The detection dataset with the same scenes: same sizes, counts and seed.
_SAME_SCENES = DetectionDataSpec(
    image_size=64, num_classes=5, max_objects=4, min_box_px=8, max_box_px=24, num_train=48, num_val=16, seed=3
)


@pytest.fixture(scope="module")
def data():
    return generate_segmentation_data(_SMALL)


@pytest.fixture(scope="module")
def detection():
    return generate_detection_data(_SAME_SCENES)


def _splits(data, detection):
    return (("train", data.train, detection.train), ("val", data.val, detection.val))


# --- Spec -------------------------------------------------------------------------------


def test_spec_defaults_names_and_json_round_trip():
    spec = SegmentationDataSpec()
    assert (spec.image_size, spec.num_classes, spec.max_objects, spec.ignore_border_px) == (128, 3, 4, 0)
    assert spec.num_labels == 4
    assert spec.label_names == ("background", "rectangle", "ellipse", "triangle")
    assert SegmentationDataSpec.from_json(spec.to_json()) == spec
    banded = SegmentationDataSpec(num_classes=7, ignore_border_px=2)
    assert SegmentationDataSpec.from_json(banded.to_json()) == banded
    assert banded.num_colour_families == 2 and len(banded.label_names) == banded.num_labels == 8
    assert banded.label_names[1] == "rectangle_hue0" and banded.label_names[6] == "rectangle_hue1"
    assert IGNORE_LABEL == AUGMENT_IGNORE_LABEL == 255
    with pytest.raises(TypeError):
        SegmentationDataSpec(128)  # keyword-only


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"image_size": 8}, r"image_size must be >= 16, got 8"),
        ({"image_size": 64.0}, r"image_size must be an integer, got 64.0"),
        ({"num_classes": 0}, r"num_classes must be in \[1, 20\], got 0"),
        ({"num_classes": 21}, r"num_classes must be in \[1, 20\], got 21"),
        ({"max_objects": 17}, r"max_objects must be in \[1, 16\], got 17"),
        ({"min_object_px": 3}, r"min_object_px must be >= 4, got 3"),
        ({"min_object_px": 30, "max_object_px": 20}, r"need min_object_px <= max_object_px <= image_size, got 30, 20"),
        ({"max_object_px": 200}, r"need min_object_px <= max_object_px <= image_size, got 12, 200 and 128"),
        ({"ignore_border_px": -1}, r"ignore_border_px must be in \[0, 8\], got -1"),
        ({"ignore_border_px": 9}, r"ignore_border_px must be in \[0, 8\], got 9"),
        ({"ignore_border_px": True}, r"ignore_border_px must be an integer, got True"),
        ({"num_train": 0}, r"num_train must be >= 1, got 0"),
        ({"num_val": 2.5}, r"num_val must be an integer, got 2.5"),
        ({"seed": -1}, r"seed must be >= 0, got -1"),
    ],
)
def test_spec_rejects_invalid_values(fields, message):
    with pytest.raises(ProxyConfigError, match=message):
        SegmentationDataSpec(**fields)


def test_spec_from_json_and_generate_reject_foreign_input():
    with pytest.raises(ProxyConfigError, match=r"unknown SegmentationDataSpec fields \['min_box_px'\]"):
        SegmentationDataSpec.from_json(json.dumps({"image_size": 64, "min_box_px": 8}))
    with pytest.raises(ProxyConfigError, match="a SegmentationDataSpec must be a JSON object, got list"):
        SegmentationDataSpec.from_json("[1, 2]")
    with pytest.raises(ProxyConfigError, match="spec must be a SegmentationDataSpec, got DetectionDataSpec"):
        generate_segmentation_data(_SAME_SCENES)


# --- Arrays -----------------------------------------------------------------------------


def test_splits_have_the_promised_layout(data):
    for split, count in ((data.train, _SMALL.num_train), (data.val, _SMALL.num_val)):
        assert split.num_images == count
        assert split.images.shape == (count, 64, 64, 3) and split.images.dtype == np.uint8
        assert split.masks.shape == (count, 64, 64) and split.masks.dtype == np.uint8
        # No ignore label without a band; every image has background and at least one object.
        assert split.masks.max() <= _SMALL.num_classes
        assert ((split.masks == 0).any(axis=(1, 2)) & (split.masks > 0).any(axis=(1, 2))).all()
    assert set(np.unique(data.train.masks).tolist()) == set(range(_SMALL.num_labels))
    with pytest.raises(ValueError, match="read-only"):
        data.train.masks[0, 0, 0] = 1
    with pytest.raises(ValueError, match="read-only"):
        data.train.images[0, 0, 0, 0] = 1


def test_images_are_the_detection_datasets_and_masks_mark_exactly_the_drawn_pixels(data, detection):
    checked_objects = 0
    for name, split, boxes_split in _splits(data, detection):
        np.testing.assert_array_equal(split.images, boxes_split.images)
        background = _background_images(_SAME_SCENES, name)
        changed = (split.images != background).any(axis=-1)
        labelled = split.masks > 0
        # Background-labelled pixels are exactly the background; object pixels are painted over it (a painted
        # pixel can equal the background by chance in all three channels, but hardly ever).
        assert not changed[~labelled].any()
        assert np.count_nonzero(labelled & ~changed) <= 1e-4 * labelled.size
        for i, (boxes, classes) in enumerate(zip(boxes_split.boxes, boxes_split.classes)):
            mask = split.masks[i]
            # Each image's labels are its objects' classes plus one (every object stays at least half visible).
            assert set(np.unique(mask[mask > 0]).tolist()) == set((classes + 1).tolist())
            inside = np.zeros(mask.shape, dtype=bool)
            for ymin, xmin, ymax, xmax in boxes.astype(int):
                inside[ymin:ymax, xmin:xmax] = True
            assert not (mask[~inside] > 0).any()
            for k, box in enumerate(boxes):
                ymin, xmin, ymax, xmax = box.astype(int)
                grown = np.array([ymin - 2, xmin - 2, ymax + 2, xmax + 2])
                if (iou_matrix(grown[None].astype(np.float32), np.delete(boxes, k, axis=0)) > 0).any():
                    continue  # Another object is near: its pixels would share the window.
                top, left = max(ymin - 2, 0), max(xmin - 2, 0)
                window = mask[top : ymax + 2, left : xmax + 2]
                assert set(np.unique(window).tolist()) <= {0, int(classes[k]) + 1}
                rows, cols = np.nonzero(window)
                tight = (rows.min() + top, cols.min() + left, rows.max() + top + 1, cols.max() + left + 1)
                assert tight == (ymin, xmin, ymax, xmax)
                # The object's mask pixels are the pixels it changed in its window.
                np.testing.assert_array_equal(window > 0, changed[i, top : ymax + 2, left : xmax + 2])
                checked_objects += 1
    assert checked_objects >= data.train.num_images


def _band_by_class(masks: np.ndarray, width_px: int) -> np.ndarray:
    """Pixels with a pixel of another mask value within `width_px` rows and columns (edge pixels repeated)."""
    _, height, width = masks.shape
    band = np.zeros(masks.shape, dtype=bool)
    for dy in range(-width_px, width_px + 1):
        rows = np.clip(np.arange(height) + dy, 0, height - 1)
        for dx in range(-width_px, width_px + 1):
            cols = np.clip(np.arange(width) + dx, 0, width - 1)
            band |= masks[:, rows][:, :, cols] != masks
    return band


@pytest.mark.parametrize("width_px", [1, 2])
def test_ignore_band_covers_every_boundary_and_nothing_else(data, detection, width_px):
    banded = generate_segmentation_data(dataclasses.replace(_SMALL, ignore_border_px=width_px))
    exact_images = 0
    for (_, split, boxes_split), other in zip(_splits(data, detection), (banded.train, banded.val)):
        np.testing.assert_array_equal(other.images, split.images)
        ignored = other.masks == IGNORE_LABEL
        np.testing.assert_array_equal(other.masks[~ignored], split.masks[~ignored])
        expected = _band_by_class(np.asarray(split.masks), width_px)
        # Every class boundary is banded; a band elsewhere only separates two objects of one class (inside
        # objects: a background pixel whose neighbourhood is all background is no boundary).
        assert not (expected & ~ignored).any()
        assert (np.asarray(split.masks)[ignored & ~expected] > 0).all()
        for i, (boxes, classes) in enumerate(zip(boxes_split.boxes, boxes_split.classes)):
            grown = boxes + np.array([-width_px, -width_px, width_px, width_px], dtype=np.float32)
            touching = iou_matrix(grown, grown) > 0
            np.fill_diagonal(touching, False)
            if not (touching & (classes[:, None] == classes[None, :])).any():
                np.testing.assert_array_equal(ignored[i], expected[i])
                exact_images += 1
    assert exact_images >= 0.7 * (_SMALL.num_train + _SMALL.num_val)
    assert mean_iou(banded.val.masks, np.asarray(data.val.masks), num_classes=_SMALL.num_labels).mean_iou == 1.0


def test_same_spec_gives_identical_bytes_and_splits_are_independent(data):
    again = generate_segmentation_data(_SMALL)
    for a, b in ((data.train, again.train), (data.val, again.val)):
        assert a.images.tobytes() == b.images.tobytes()
        assert a.masks.tobytes() == b.masks.tobytes()
    other = generate_segmentation_data(dataclasses.replace(_SMALL, seed=4))
    assert not np.array_equal(other.train.masks, data.train.masks)
    fewer = generate_segmentation_data(dataclasses.replace(_SMALL, num_train=10, num_val=5))
    np.testing.assert_array_equal(fewer.train.masks, data.train.masks[:10])
    np.testing.assert_array_equal(fewer.val.images, data.val.images[:5])
    assert not np.array_equal(data.train.masks[:5], data.val.masks[:5])


# --- Files ------------------------------------------------------------------------------


def test_save_load_round_trip(tmp_path):
    banded = generate_segmentation_data(dataclasses.replace(_SMALL, ignore_border_px=1, num_train=6, num_val=3))
    path = tmp_path / "seg"  # no suffix: written exactly there
    save_segmentation_data(banded, path)
    assert [p.name for p in tmp_path.iterdir()] == ["seg"]  # no temporary left behind
    loaded = load_segmentation_data(path)
    assert isinstance(loaded, SegmentationData) and loaded.spec == banded.spec
    for a, b in ((banded.train, loaded.train), (banded.val, loaded.val)):
        assert a.images.tobytes() == b.images.tobytes() and a.masks.tobytes() == b.masks.tobytes()
        assert b.masks.dtype == np.uint8 and not b.masks.flags.writeable
    assert (loaded.train.masks == IGNORE_LABEL).any()


def _arrays(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("val_masks"), r"not a segmentation dataset file: missing arrays \['val_masks'\], unexpected"),
        (lambda a: a.update(extra=np.zeros(1)), r"unexpected arrays \['extra'\]"),
        (lambda a: a.update(format_version=np.array(2)), "has format version 2; this edgenas reads version 1"),
        (lambda a: a.update(spec_json=np.array("{}x")), "invalid spec: a SegmentationDataSpec must be a JSON object"),
        (lambda a: a.update(spec_json=np.array('{"min_box_px": 8}')), "invalid spec: unknown SegmentationDataSpec"),
        (lambda a: a.update(spec_json=np.array(["{}"])), "spec_json must be a single string"),
        (lambda a: a.update(train_masks=a["train_masks"].astype(np.int32)), r"train_masks must be a uint8 array"),
        (lambda a: a.update(val_masks=a["val_masks"][:, :-1]), r"val_masks must be a uint8 array \(16, 64, 64\)"),
        (lambda a: a.update(train_images=a["train_images"][..., :2]), r"train_images must be a uint8 array"),
        (
            lambda a: a.update(train_images=a["train_images"][:-1], train_masks=a["train_masks"][:-1]),
            r"train images have shape \(47, 64, 64\), the spec says \(48, 64, 64\)",
        ),
        (
            lambda a: a.update(val_masks=np.where(a["val_masks"] == 5, 6, a["val_masks"]).astype(np.uint8)),
            r"val masks hold value 6; the spec's are 0..5 and 255 \(ignore\)",
        ),
    ],
)
def test_load_rejects_malformed_files(tmp_path, data, change, message):
    good = tmp_path / "good.npz"
    save_segmentation_data(data, good)
    arrays = _arrays(good)
    change(arrays)
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(ProxyDatasetError, match=message):
        load_segmentation_data(bad)


def test_load_rejects_files_that_are_not_segmentation_datasets(tmp_path, detection):
    boxes = tmp_path / "det.npz"
    save_detection_data(detection, boxes)
    with pytest.raises(ProxyDatasetError, match=r"missing arrays \['train_masks', 'val_masks'\]"):
        load_segmentation_data(boxes)
    text = tmp_path / "notes.npz"
    text.write_text("not an archive")
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    for path in (text, single, empty):
        with pytest.raises(ProxyDatasetError, match="not a segmentation dataset"):
            load_segmentation_data(path)
    with pytest.raises(FileNotFoundError):
        load_segmentation_data(tmp_path / "missing.npz")


def test_data_and_splits_check_their_arrays(data):
    with pytest.raises(ProxyDatasetError, match=r"the spec says \(3, 64, 64\)"):
        SegmentationData(spec=dataclasses.replace(data.spec, num_train=3), train=data.train, val=data.val)
    with pytest.raises(ProxyDatasetError, match="masks hold value 5"):
        SegmentationData(spec=dataclasses.replace(data.spec, num_classes=4), train=data.train, val=data.val)
    with pytest.raises(ProxyDatasetError, match="val must be a SegmentationSplit, got tuple"):
        SegmentationData(spec=data.spec, train=data.train, val=(data.val.images, data.val.masks))
    with pytest.raises(ProxyDatasetError, match=r"masks must be a uint8 array \(16, 64, 64\) .*, got int64"):
        SegmentationSplit(images=data.val.images, masks=data.val.masks.astype(np.int64))
    with pytest.raises(ProxyDatasetError, match=r"images must be a uint8 array \(n, height, width, 3\), got list"):
        SegmentationSplit(images=[[0]], masks=data.val.masks)
    with pytest.raises(ProxyDatasetError, match="must be a SegmentationData"):
        save_segmentation_data(data.train, "unused.npz")
