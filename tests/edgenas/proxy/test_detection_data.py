"""The generated detection dataset: spec, determinism, tight boxes, files."""

import dataclasses
import json

import numpy as np
import pytest

from edgenas.proxy.box_coding import iou_matrix
from edgenas.proxy.detection_data import (
    DETECTION_SHAPES,
    DetectionData,
    DetectionDataSpec,
    DetectionSplit,
    _background_images,
    generate_detection_data,
    load_detection_data,
    save_detection_data,
)
from edgenas.proxy.errors import ProxyConfigError, ProxyDatasetError

_SMALL = DetectionDataSpec(
    image_size=64, num_classes=5, max_objects=4, min_box_px=8, max_box_px=24, num_train=48, num_val=16, seed=3
)


@pytest.fixture(scope="module")
def data():
    return generate_detection_data(_SMALL)


def test_spec_defaults_and_json_round_trip():
    spec = DetectionDataSpec()
    assert (spec.image_size, spec.num_classes, spec.max_objects) == (128, 3, 4)
    assert spec.class_names == ("rectangle", "ellipse", "triangle")
    assert DetectionDataSpec.from_json(spec.to_json()) == spec
    many = DetectionDataSpec(num_classes=7)
    assert many.num_colour_families == 2
    assert many.class_names[:6] == tuple(f"{s}_hue0" for s in DETECTION_SHAPES) + ("rectangle_hue1",)
    with pytest.raises(TypeError):
        DetectionDataSpec(128)  # keyword-only


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"image_size": 8}, "image_size"),
        ({"image_size": 64.0}, "image_size"),
        ({"num_classes": 0}, "num_classes"),
        ({"num_classes": 21}, "num_classes"),
        ({"max_objects": 0}, "max_objects"),
        ({"min_box_px": 2}, "min_box_px"),
        ({"min_box_px": 30, "max_box_px": 20}, "min_box_px <= max_box_px"),
        ({"max_box_px": 200}, "max_box_px <= image_size"),
        ({"num_train": 0}, "num_train"),
        ({"num_val": True}, "num_val"),
        ({"seed": -1}, "seed"),
    ],
)
def test_spec_rejects_invalid_values(fields, message):
    with pytest.raises(ProxyConfigError, match=message):
        DetectionDataSpec(**fields)
    assert issubclass(ProxyConfigError, ValueError)


def test_spec_from_json_rejects_unknown_fields():
    with pytest.raises(ProxyConfigError, match="unknown DetectionDataSpec fields"):
        DetectionDataSpec.from_json(json.dumps({"image_size": 64, "colour": "red"}))
    with pytest.raises(ProxyConfigError, match="JSON object"):
        DetectionDataSpec.from_json("[1, 2]")


def test_splits_have_the_promised_layout(data):
    spec = data.spec
    for split, count in ((data.train, spec.num_train), (data.val, spec.num_val)):
        assert split.images.shape == (count, 64, 64, 3) and split.images.dtype == np.uint8
        assert split.num_images == count
        assert len(split.boxes) == len(split.classes) == count
        for boxes, classes in zip(split.boxes, split.classes):
            assert boxes.dtype == np.float32 and classes.dtype == np.int32
            assert 1 <= boxes.shape[0] <= spec.max_objects and classes.shape == (boxes.shape[0],)
            assert (boxes == np.round(boxes)).all()  # pixel edges
            assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] <= 64).all()
            assert (boxes[:, 2:] - boxes[:, :2] <= spec.max_box_px).all()
            assert (boxes[:, 2:] > boxes[:, :2]).all()
            assert ((classes >= 0) & (classes < spec.num_classes)).all()
            # No two boxes overlap with IoU above 0.5 (so NMS at 0.5 cannot merge objects).
            iou = iou_matrix(boxes, boxes)
            np.fill_diagonal(iou, 0.0)
            assert iou.max() <= 0.5
        assert split.num_objects == sum(b.shape[0] for b in split.boxes)
    counts = np.bincount([b.shape[0] for b in data.train.boxes], minlength=5)
    assert (counts[1:] > 0).all()  # every count 1..max_objects occurs
    assert set(np.concatenate(data.train.classes).tolist()) == set(range(5))
    with pytest.raises(ValueError, match="read-only"):
        data.train.images[0, 0, 0, 0] = 1
    with pytest.raises(ValueError, match="read-only"):
        data.train.boxes[0][0, 0] = 1


def test_same_seed_gives_identical_bytes_and_splits_are_independent(data):
    again = generate_detection_data(_SMALL)
    for a, b in ((data.train, again.train), (data.val, again.val)):
        assert a.images.tobytes() == b.images.tobytes()
        assert all(x.tobytes() == y.tobytes() for x, y in zip(a.boxes, b.boxes))
        assert all(x.tobytes() == y.tobytes() for x, y in zip(a.classes, b.classes))
    other = generate_detection_data(dataclasses.replace(_SMALL, seed=4))
    assert not np.array_equal(other.train.images, data.train.images)
    # The splits have seeds of their own, and a smaller split is a prefix of a larger one.
    fewer = generate_detection_data(dataclasses.replace(_SMALL, num_train=10, num_val=5))
    np.testing.assert_array_equal(fewer.train.images, data.train.images[:10])
    np.testing.assert_array_equal(fewer.val.images, data.val.images[:5])
    assert all(np.array_equal(x, y) for x, y in zip(fewer.train.boxes, data.train.boxes[:10]))
    assert not np.array_equal(data.train.images[:5], data.val.images[:5])


def _isolated_objects(split):
    """`(image, object)` pairs whose box, grown by 2 px, meets no other box."""
    for i, boxes in enumerate(split.boxes):
        for k, box in enumerate(boxes):
            grown = box + np.array([-2, -2, 2, 2])
            others = np.delete(boxes, k, axis=0)
            if not (iou_matrix(grown[None], others) > 0).any():
                yield i, k


def test_boxes_are_tight_around_the_drawn_pixels(data):
    for split_name, split in (("train", data.train), ("val", data.val)):
        background = _background_images(data.spec, split_name)
        changed = (split.images != background).any(axis=-1)  # (n, H, W): pixels an object covers
        checked = 0
        for i, k in _isolated_objects(split):
            ymin, xmin, ymax, xmax = split.boxes[i][k].astype(int)
            window = changed[i, max(ymin - 2, 0) : ymax + 2, max(xmin - 2, 0) : xmax + 2]
            rows, cols = np.nonzero(window)
            top, left = max(ymin - 2, 0), max(xmin - 2, 0)
            assert (rows.min() + top, cols.min() + left, rows.max() + top + 1, cols.max() + left + 1) == (
                ymin,
                xmin,
                ymax,
                xmax,
            )
            checked += 1
        assert checked >= split.num_images // 2
        # Outside every box, the image is exactly its background.
        inside = np.zeros_like(changed)
        for i, boxes in enumerate(split.boxes):
            for ymin, xmin, ymax, xmax in boxes.astype(int):
                inside[i, ymin:ymax, xmin:xmax] = True
        assert not changed[~inside].any()


def test_each_class_is_its_shape(data):
    """Filled fraction of an isolated object's box: 1 for rectangles, about pi/4 for ellipses, 1/2 for triangles."""
    background = _background_images(data.spec, "train")
    changed = (data.train.images != background).any(axis=-1)
    fill: dict[int, list[float]] = {c: [] for c in range(5)}
    for i, k in _isolated_objects(data.train):
        ymin, xmin, ymax, xmax = data.train.boxes[i][k].astype(int)
        fill[int(data.train.classes[i][k])].append(changed[i, ymin:ymax, xmin:xmax].mean())
    assert all(len(v) >= 3 for v in fill.values())
    assert min(fill[0]) == 1.0  # rectangle
    assert 0.70 < np.mean(fill[1]) < 0.86  # ellipse: pi / 4 = 0.785
    assert 0.45 < np.mean(fill[2]) < 0.62  # triangle: 1/2
    assert 0.45 < np.mean(fill[3]) < 0.62  # diamond: 1/2
    assert 0.55 < np.mean(fill[4]) < 0.85  # cross: bars of 30-50 % of each side


def test_colour_families_separate_classes_of_the_same_shape():
    spec = DetectionDataSpec(
        image_size=48, num_classes=10, min_box_px=8, max_box_px=16, num_train=40, num_val=1, seed=1
    )
    data = generate_detection_data(spec)
    background = _background_images(spec, "train")
    hues: dict[int, list[float]] = {0: [], 1: []}
    for i, k in _isolated_objects(data.train):
        family = int(data.train.classes[i][k]) // len(DETECTION_SHAPES)
        ymin, xmin, ymax, xmax = data.train.boxes[i][k].astype(int)
        region = data.train.images[i, ymin:ymax, xmin:xmax].astype(float)
        mask = (region != background[i, ymin:ymax, xmin:xmax]).any(axis=-1)
        r, g, b = region[mask].mean(axis=0)
        hues[family].append(float(np.arctan2(np.sqrt(3) * (g - b), 2 * r - g - b) / (2 * np.pi)) % 1.0)
    # Family 0 has hues in [0.075, 0.425), family 1 in [0.575, 0.925) (shading can nudge them a little).
    assert len(hues[0]) >= 5 and len(hues[1]) >= 5
    assert all(0.03 < h < 0.47 for h in hues[0])
    assert all(0.53 < h < 0.97 for h in hues[1])


def test_save_load_round_trip(tmp_path, data):
    path = tmp_path / "det"  # no suffix: written exactly there
    save_detection_data(data, path)
    assert path.exists() and not (tmp_path / "det.npz").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["det"]  # no temporary left behind
    loaded = load_detection_data(path)
    assert isinstance(loaded, DetectionData)
    assert loaded.spec == data.spec
    for a, b in ((data.train, loaded.train), (data.val, loaded.val)):
        np.testing.assert_array_equal(a.images, b.images)
        assert len(a.boxes) == len(b.boxes)
        for x, y, cx, cy in zip(a.boxes, b.boxes, a.classes, b.classes):
            np.testing.assert_array_equal(x, y)
            np.testing.assert_array_equal(cx, cy)
            assert y.dtype == np.float32 and cy.dtype == np.int32


def _arrays(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("val_offsets"), r"missing arrays \['val_offsets'\]"),
        (lambda a: a.update(extra=np.zeros(1)), r"unexpected arrays \['extra'\]"),
        (lambda a: a.update(format_version=np.array(2)), "format version 2"),
        (lambda a: a.update(spec_json=np.array("{}x")), "invalid spec"),
        (lambda a: a.update(spec_json=np.array('{"image_size": 8}')), "invalid spec"),
        (lambda a: a.update(train_offsets=a["train_offsets"][:-1]), "train_offsets"),
        (lambda a: a.update(train_offsets=a["train_offsets"] + 1), "train_offsets"),
        (lambda a: a.update(val_offsets=a["val_offsets"][::-1].copy()), "val_offsets"),
        (lambda a: a.update(train_classes=a["train_classes"][:-1]), "train_boxes"),
        (lambda a: a.update(train_images=a["train_images"][:-1]), "train_offsets"),
        (lambda a: a.update(train_images=a["train_images"].astype(np.float32)), "uint8"),
        (lambda a: a.update(train_classes=a["train_classes"] + 10), "class id"),
        (lambda a: a.update(train_boxes=a["train_boxes"] + 100), "inside"),
    ],
)
def test_load_rejects_malformed_files(tmp_path, data, change, message):
    good = tmp_path / "good.npz"
    save_detection_data(data, good)
    arrays = _arrays(good)
    change(arrays)
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(ProxyDatasetError, match=message):
        load_detection_data(bad)


def test_load_rejects_files_that_are_not_datasets(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("not an archive")
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    for path in (text, single, empty):
        with pytest.raises(ProxyDatasetError, match="not a detection dataset"):
            load_detection_data(path)
    assert issubclass(ProxyDatasetError, ValueError)
    with pytest.raises(FileNotFoundError):
        load_detection_data(tmp_path / "missing.npz")


def test_data_must_match_its_spec(data):
    with pytest.raises(ProxyDatasetError, match="the spec says"):
        DetectionData(spec=dataclasses.replace(data.spec, num_train=3), train=data.train, val=data.val)
    with pytest.raises(ProxyDatasetError, match="one boxes and one classes array per image"):
        DetectionSplit(images=data.val.images, boxes=data.val.boxes[:-1], classes=data.val.classes)
