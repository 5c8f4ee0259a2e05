"""`LabelledImages` (a whole dataset) and `ProxyDataset` (its train/validation split)."""

from __future__ import annotations

import dataclasses

import numpy as np

from edgenas.proxy.errors import ProxyDatasetError

__all__ = ["LabelledImages", "ProxyDataset", "split_dataset"]


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _check_images(name: str, images: np.ndarray, labels: np.ndarray, num_classes: int) -> None:
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ProxyDatasetError(f"{name} images must be a uint8 array (n, height, width, 3)")
    if images.shape[1] != images.shape[2]:
        raise ProxyDatasetError(f"{name} images must be square, got {images.shape[1]}x{images.shape[2]}")
    if not isinstance(labels, np.ndarray) or labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ProxyDatasetError(f"{name} labels must be a 1-d array with one label per image")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ProxyDatasetError(f"{name} labels must be integers, got {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ProxyDatasetError(f"{name} labels must lie in [0, {num_classes}), got {labels.min()}..{labels.max()}")


@dataclasses.dataclass(frozen=True, eq=False)
class LabelledImages:
    """A whole labelled image set, before any split.

    Attributes:
        images: uint8 RGB images, `(n, size, size, 3)`, read-only.
        labels: int32 labels, `(n,)`, indexing `class_names`, read-only.
        class_names: One name per class, in label order.
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "class_names", tuple(self.class_names))
        _check_images("dataset", self.images, self.labels, len(self.class_names))
        object.__setattr__(self, "images", _read_only(self.images))
        object.__setattr__(self, "labels", _read_only(self.labels.astype(np.int32, copy=False)))


@dataclasses.dataclass(frozen=True, eq=False)
class ProxyDataset:
    """The images a proxy task trains on and the held-out images it scores.

    Arrays are read-only (one cached instance serves every candidate of a process).

    Attributes:
        train_images: uint8 RGB images, `(n_train, size, size, 3)`.
        train_labels: int32 labels, `(n_train,)`.
        validation_images: uint8 RGB images, `(n_validation, size, size, 3)`.
        validation_labels: int32 labels, `(n_validation,)`.
        class_names: One name per class, in label order.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    validation_images: np.ndarray
    validation_labels: np.ndarray
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "class_names", tuple(self.class_names))
        if len(self.class_names) < 2:
            raise ProxyDatasetError(f"a dataset needs at least 2 classes, got {len(self.class_names)}")
        num_classes = len(self.class_names)
        _check_images("train", self.train_images, self.train_labels, num_classes)
        _check_images("validation", self.validation_images, self.validation_labels, num_classes)
        if self.train_images.shape[1:] != self.validation_images.shape[1:]:
            raise ProxyDatasetError("train and validation images must have the same shape")
        if not self.train_labels.size or not self.validation_labels.size:
            raise ProxyDatasetError("a dataset needs at least one training and one validation image")
        for name in ("train_images", "validation_images"):
            object.__setattr__(self, name, _read_only(getattr(self, name)))
        for name in ("train_labels", "validation_labels"):
            object.__setattr__(self, name, _read_only(getattr(self, name).astype(np.int32, copy=False)))

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    @property
    def image_size_px(self) -> int:
        """Height (and width) of every image, in pixels."""
        return int(self.train_images.shape[1])

    @property
    def num_train(self) -> int:
        """Number of training images."""
        return int(self.train_labels.shape[0])

    @property
    def num_validation(self) -> int:
        """Number of held-out images."""
        return int(self.validation_labels.shape[0])


def split_dataset(data: LabelledImages, *, validation_fraction: float, seed: int = 0) -> ProxyDataset:
    """Splits a dataset into training and validation images, per class and deterministically.

    Each class with at least 2 images gives `round(validation_fraction * n)` of
    them to validation, at least 1 and at most `n - 1`; a class with a single
    image keeps it for training. The same data, fraction and seed give the same split.

    Args:
        data: The whole dataset.
        validation_fraction: Share of each class held out, in (0, 1).
        seed: Seed of the shuffle that picks the held-out images.

    Returns:
        The split dataset; both parts are shuffled.

    Raises:
        ProxyDatasetError: If no image can be held out (every class has a single image).
    """
    rng = np.random.default_rng(seed)
    train_rows, validation_rows = [], []
    for label in range(len(data.class_names)):
        rows = rng.permutation(np.flatnonzero(data.labels == label))
        if rows.size >= 2:
            held_out = min(max(1, round(validation_fraction * rows.size)), rows.size - 1)
        else:
            held_out = 0
        validation_rows.append(rows[:held_out])
        train_rows.append(rows[held_out:])
    train = rng.permutation(np.concatenate(train_rows))
    validation = rng.permutation(np.concatenate(validation_rows))
    if not validation.size:
        raise ProxyDatasetError("too few images to hold any out for validation: every class has a single image")
    return ProxyDataset(
        train_images=data.images[train],
        train_labels=data.labels[train],
        validation_images=data.images[validation],
        validation_labels=data.labels[validation],
        class_names=data.class_names,
    )
