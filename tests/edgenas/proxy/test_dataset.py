"""The train/validation split and the per-process dataset cache."""

import numpy as np
import pytest

from edgenas.proxy import (
    SCENE_CLASSES,
    SHAPE_CLASSES,
    LabelledImages,
    ProxyDataset,
    ProxyDatasetError,
    ProxyTask,
    load_dataset,
    split_dataset,
)


def _images(labels):
    labels = np.asarray(labels, dtype=np.int32)
    # Image i is filled with the value i, so images can be traced through the split.
    images = np.broadcast_to(np.arange(len(labels), dtype=np.uint8)[:, None, None, None], (len(labels), 4, 4, 3))
    return LabelledImages(images=np.ascontiguousarray(images), labels=labels, class_names=("a", "b", "c"))


def _ids(images):
    return sorted(int(v) for v in images[:, 0, 0, 0])


def test_split_is_stratified_disjoint_and_deterministic():
    data = _images([0] * 10 + [1] * 20 + [2] * 5)
    split = split_dataset(data, validation_fraction=0.2, seed=7)
    assert np.bincount(split.validation_labels).tolist() == [2, 4, 1]
    assert np.bincount(split.train_labels).tolist() == [8, 16, 4]
    assert sorted(_ids(split.train_images) + _ids(split.validation_images)) == list(range(35))
    # Labels travel with their images.
    np.testing.assert_array_equal(data.labels[split.train_images[:, 0, 0, 0]], split.train_labels)
    again = split_dataset(data, validation_fraction=0.2, seed=7)
    np.testing.assert_array_equal(again.validation_images, split.validation_images)
    other = split_dataset(data, validation_fraction=0.2, seed=8)
    assert _ids(other.validation_images) != _ids(split.validation_images)


def test_small_classes_keep_a_training_image():
    split = split_dataset(_images([0, 1, 1, 2, 2, 2]), validation_fraction=0.9, seed=0)
    assert np.bincount(split.train_labels, minlength=3).tolist() == [1, 1, 1]
    assert np.bincount(split.validation_labels, minlength=3).tolist() == [0, 1, 2]
    with pytest.raises(ProxyDatasetError, match="too few images"):
        split_dataset(_images([0, 1, 2]), validation_fraction=0.5)


def test_arrays_are_read_only_and_checked():
    split = split_dataset(_images([0, 0, 1, 1, 2, 2]), validation_fraction=0.5)
    with pytest.raises(ValueError, match="read-only"):
        split.train_images[0] = 0
    assert split.num_classes == 3 and split.image_size_px == 4
    assert split.num_train == 3 and split.num_validation == 3
    with pytest.raises(ProxyDatasetError, match="at least 2 classes"):
        ProxyDataset(split.train_images, split.train_labels, split.validation_images, split.validation_labels, ("a",))
    with pytest.raises(ProxyDatasetError, match="uint8"):
        LabelledImages(images=np.zeros((2, 4, 4, 3), np.float32), labels=np.zeros(2, np.int32), class_names=("a", "b"))
    with pytest.raises(ProxyDatasetError, match=r"labels must lie in \[0, 2\)"):
        LabelledImages(images=np.zeros((2, 4, 4, 3), np.uint8), labels=np.array([0, 2]), class_names=("a", "b"))


def test_shapes_dataset_of_a_task_is_split_and_cached():
    task = ProxyTask(dataset="shapes", num_images=100, image_size=16)
    data = load_dataset(task)
    assert data.class_names == SHAPE_CLASSES
    assert data.num_train == 80 and data.num_validation == 20
    assert np.bincount(data.validation_labels).tolist() == [2] * 10
    assert data.train_images.shape == (80, 16, 16, 3) and data.train_images.dtype == np.uint8
    # The training seed does not change the data; the dataset seed does.
    assert load_dataset(ProxyTask(dataset="shapes", num_images=100, image_size=16, seed=5)) is data
    other = load_dataset(ProxyTask(dataset="shapes", num_images=100, image_size=16, dataset_seed=1))
    assert not np.array_equal(other.train_images, data.train_images)


def test_the_scenes_dataset_is_loaded_by_name_and_cached_apart_from_shapes():
    scenes = load_dataset(ProxyTask(dataset="scenes", num_images=160, image_size=16))
    assert scenes.class_names == SCENE_CLASSES and np.bincount(scenes.validation_labels).tolist() == [3] * 10
    assert load_dataset(ProxyTask(dataset="scenes", num_images=160, image_size=16)) is scenes
    shapes = load_dataset(ProxyTask(dataset="shapes", num_images=160, image_size=16))
    assert shapes.class_names == SHAPE_CLASSES and shapes is not scenes
