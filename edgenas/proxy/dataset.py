"""`ProxyDataset`: train and validation arrays of a proxy task, split deterministically."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from edgenas.proxy.errors import ProxyDatasetError
from edgenas.proxy.folder import load_image_folder
from edgenas.proxy.shapes import SHAPE_CLASSES, generate_shapes
from edgenas.proxy.task import SHAPES, ProxyTask

__all__ = ["ProxyDataset", "load_dataset"]


@dataclasses.dataclass(frozen=True, eq=False)
class ProxyDataset:
    """Images scaled to [-1, 1] float32 and int32 labels, split into train and validation."""

    train_images: np.ndarray
    train_labels: np.ndarray
    validation_images: np.ndarray
    validation_labels: np.ndarray
    class_names: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)


def load_dataset(task: ProxyTask) -> ProxyDataset:
    """The dataset of a task (cached per process: it is a pure function of the task's data fields).

    Raises:
        ProxyDatasetError: If the folder cannot be used or a split would be empty.
    """
    return _load(task.dataset, task.image_size, task.num_images, task.validation_fraction, task.seed)


@functools.lru_cache(maxsize=4)
def _load(dataset: str, image_size: int, num_images: int, validation_fraction: float, seed: int) -> ProxyDataset:
    if dataset == SHAPES:
        images, labels = generate_shapes(num_images, image_size=image_size, seed=seed)
        classes = SHAPE_CLASSES
    else:
        images, labels, classes = load_image_folder(dataset, image_size=image_size)
    order = np.random.default_rng(seed).permutation(len(labels))
    held_out = int(round(len(labels) * validation_fraction))
    if held_out < 1 or held_out >= len(labels):
        raise ProxyDatasetError(
            f"{len(labels)} images cannot be split with validation_fraction {validation_fraction}"
        )
    scaled = images.astype(np.float32) / 127.5 - 1.0
    val, train = order[:held_out], order[held_out:]
    return ProxyDataset(scaled[train], labels[train], scaled[val], labels[val], tuple(classes))
