import numpy as np
import pytest
from PIL import Image

import edgenas
from edgenas.proxy import (
    ProxyConfigError,
    ProxyDatasetError,
    ProxyTask,
    generate_shapes,
    load_dataset,
    proxy_spec,
    train_and_evaluate,
)


def test_shapes_are_deterministic_and_balanced():
    a_images, a_labels = generate_shapes(50, image_size=16, seed=1)
    b_images, b_labels = generate_shapes(50, image_size=16, seed=1)
    assert a_images.shape == (50, 16, 16, 3) and a_images.dtype == np.uint8
    np.testing.assert_array_equal(a_images, b_images)
    np.testing.assert_array_equal(a_labels, b_labels)
    assert np.bincount(a_labels).tolist() == [5] * 10
    assert not np.array_equal(generate_shapes(50, image_size=16, seed=2)[0], a_images)


def test_dataset_split_is_deterministic_and_disjoint():
    task = ProxyTask(num_images=100, image_size=16)
    data = load_dataset(task)
    assert len(data.train_labels) == 80 and len(data.validation_labels) == 20
    assert data.num_classes == 10
    assert data.train_images.min() >= -1.0 and data.train_images.max() <= 1.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"steps": 0}, "steps and batch_size must be positive"),
        ({"validation_fraction": 1.5}, "validation_fraction must be in"),
        ({"image_size": 4}, "image_size must be at least 8"),
        ({"width": -1.0}, "width must be in"),
        ({"num_images": 5}, "num_images must be at least 20"),
    ],
)
def test_task_validation(options, message):
    with pytest.raises(ProxyConfigError, match=message):
        ProxyTask(**options)


def _png(path, colour):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (10, 12), colour).save(path)


def test_image_folder_dataset_and_its_errors(tmp_path):
    with pytest.raises(ProxyDatasetError, match="does not exist"):
        load_dataset(ProxyTask(dataset=str(tmp_path / "missing")))
    _png(tmp_path / "data" / "cats" / "a.png", (255, 0, 0))
    with pytest.raises(ProxyDatasetError, match="at least 2 class sub-folders, found 1"):
        load_dataset(ProxyTask(dataset=str(tmp_path / "data"), image_size=8))
    (tmp_path / "data" / "dogs").mkdir()
    with pytest.raises(ProxyDatasetError, match="dogs' has no images"):
        load_dataset(ProxyTask(dataset=str(tmp_path / "data"), image_size=9))
    (tmp_path / "data" / "dogs" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ProxyDatasetError, match="cannot read image .*broken.png"):
        load_dataset(ProxyTask(dataset=str(tmp_path / "data"), image_size=10))
    (tmp_path / "data" / "dogs" / "broken.png").unlink()
    for i in range(4):
        _png(tmp_path / "data" / "dogs" / f"{i}.png", (0, 0, 255))
        _png(tmp_path / "data" / "cats" / f"{i}.png", (255, 0, 0))
    data = load_dataset(ProxyTask(dataset=str(tmp_path / "data"), image_size=11, validation_fraction=0.25))
    assert data.class_names == ("cats", "dogs")
    assert data.train_images.shape[1:] == (11, 11, 3)
    assert len(data.train_labels) + len(data.validation_labels) == 9


def test_proxy_spec_keeps_choices_and_reduces_stride_and_width():
    spec = edgenas.spaces.get("mnasnet").reference("mobilenet_v2")
    proxy = proxy_spec(spec, ProxyTask())
    assert [b.strides for b in proxy.blocks] == [1, 1, 1, 2, 1, 2, 1]
    assert [b.output_filters for b in proxy.blocks] == [8, 12, 16, 32, 48, 80, 160]
    assert [b.kernel_size for b in proxy.blocks] == [b.kernel_size for b in spec.blocks]
    assert proxy.total_stride == 8


def test_short_training_reports_accuracy():
    spec = edgenas.spaces.get("mnasnet").sample(1, seed=0)[0]
    result = train_and_evaluate(spec, ProxyTask(steps=3, num_images=60, batch_size=8, image_size=16))
    assert 0.0 <= result.accuracy <= 1.0
    assert result.steps == 3 and result.params > 0 and result.train_s > 0


@pytest.mark.slow
def test_proxy_training_learns_the_shapes():
    spec = edgenas.spaces.get("mnasnet").reference("mobilenet_v2")
    result = train_and_evaluate(spec, ProxyTask(steps=100))
    assert result.accuracy > 0.3  # chance is 0.1
