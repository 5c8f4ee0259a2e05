"""Image-folder datasets: read, resized and labelled; every problem named before training."""

import numpy as np
import pytest
from PIL import Image

from edgenas.proxy import ProxyDatasetError, ProxyTask, load_dataset, read_image_folder


def _image(path, colour, *, size=(10, 12), fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, format=fmt)


def _folder(root, counts):
    colours = {"cats": (255, 0, 0), "dogs": (0, 0, 255), "owls": (0, 255, 0)}
    for name, count in counts.items():
        for i in range(count):
            _image(root / name / f"{i}.png", colours[name])
    return root


def test_folder_is_read_resized_and_labelled_by_sorted_class_names(tmp_path):
    root = _folder(tmp_path / "data", {"dogs": 3, "cats": 2})
    _image(root / "owls" / "a.JPG", (0, 255, 0), size=(40, 30), fmt="JPEG")
    _image(root / "owls" / "b.jpeg", (0, 255, 0), fmt="JPEG")
    Image.new("L", (5, 5), 128).save(root / "owls" / "grey.png")  # converted to RGB
    (root / "owls" / ".DS_Store").write_bytes(b"hidden files are ignored")
    (root / "README.txt").write_text("plain files beside the class folders are ignored")
    data = read_image_folder(root, image_size_px=9)
    assert data.class_names == ("cats", "dogs", "owls")
    assert data.images.shape == (8, 9, 9, 3) and data.images.dtype == np.uint8
    assert data.labels.tolist() == [0, 0, 1, 1, 1, 2, 2, 2]
    np.testing.assert_array_equal(data.images[0, 4, 4], [255, 0, 0])
    np.testing.assert_array_equal(data.images[2, 4, 4], [0, 0, 255])
    np.testing.assert_array_equal(data.images[7, 4, 4], [128, 128, 128])


def test_a_task_on_a_folder_splits_it_and_sees_changes(tmp_path):
    root = _folder(tmp_path / "data", {"cats": 4, "dogs": 4})
    task = ProxyTask(dataset=str(root), image_size=11, validation_fraction=0.25)
    data = load_dataset(task)
    assert data.class_names == ("cats", "dogs")
    assert data.num_train == 6 and data.num_validation == 2
    assert data.train_images.shape[1:] == (11, 11, 3)
    assert load_dataset(task) is data  # cached
    _image(root / "dogs" / "new.png", (0, 0, 255))
    assert load_dataset(task).num_train + load_dataset(task).num_validation == 9  # changed folder: read again


def test_missing_folder(tmp_path):
    with pytest.raises(ProxyDatasetError, match="'.*missing' does not exist"):
        load_dataset(ProxyTask(dataset=str(tmp_path / "missing")))
    (tmp_path / "file.png").write_bytes(b"")
    with pytest.raises(ProxyDatasetError, match="is not a folder"):
        load_dataset(ProxyTask(dataset=tmp_path / "file.png"))


def test_fewer_than_two_classes(tmp_path):
    _folder(tmp_path / "data", {"cats": 2})
    with pytest.raises(ProxyDatasetError, match="needs at least 2 class sub-folders, found 1"):
        load_dataset(ProxyTask(dataset=str(tmp_path / "data")))


def test_a_class_without_images(tmp_path):
    root = _folder(tmp_path / "data", {"cats": 2})
    (root / "dogs").mkdir()
    (root / "dogs" / ".hidden.png").write_bytes(b"")
    with pytest.raises(ProxyDatasetError, match=r"class folder '.*dogs' has no images \(.jpg, .jpeg, .png\)"):
        load_dataset(ProxyTask(dataset=str(root)))


def test_an_unreadable_image_is_named(tmp_path):
    root = _folder(tmp_path / "data", {"cats": 2, "dogs": 2})
    (root / "dogs" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ProxyDatasetError, match=r"cannot read image '.*dogs/broken.png'"):
        load_dataset(ProxyTask(dataset=str(root)))
    good = (root / "cats" / "0.png").read_bytes()
    (root / "dogs" / "broken.png").write_bytes(good[: len(good) // 2])  # truncated
    with pytest.raises(ProxyDatasetError, match=r"cannot read image '.*dogs/broken.png'"):
        read_image_folder(root, image_size_px=8)


def test_other_files_and_nested_folders_are_refused(tmp_path):
    root = _folder(tmp_path / "data", {"cats": 2, "dogs": 2})
    (root / "dogs" / "notes.txt").write_text("x")
    with pytest.raises(ProxyDatasetError, match=r"'.*notes.txt' is not an image the dataset reads"):
        read_image_folder(root, image_size_px=8)
    (root / "dogs" / "notes.txt").unlink()
    (root / "dogs" / "puppies").mkdir()
    with pytest.raises(ProxyDatasetError, match="holds a sub-folder 'puppies'"):
        read_image_folder(root, image_size_px=8)
