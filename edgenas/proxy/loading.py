"""`load_dataset`: a task's train/validation images, cached per process."""

from __future__ import annotations

import collections
from pathlib import Path

from edgenas.proxy.dataset import LabelledImages, ProxyDataset, split_dataset
from edgenas.proxy.errors import ProxyDatasetError
from edgenas.proxy.folder import list_image_folder, read_image_folder
from edgenas.proxy.generated import GENERATED_SETS
from edgenas.proxy.source import FolderSource
from edgenas.proxy.task import ProxyTask

__all__ = ["clear_dataset_cache", "load_dataset"]

_CACHE_ENTRIES = 4
_cache: collections.OrderedDict[tuple[object, ...], ProxyDataset] = collections.OrderedDict()


def _folder_fingerprint(path: Path) -> tuple[object, ...]:
    """Names, sizes and modification times of every image: a changed folder is read again."""
    listing = list_image_folder(path)
    return tuple(
        (name, file.name, stat.st_size, stat.st_mtime_ns)
        for name, files in listing.items()
        for file, stat in ((f, f.stat()) for f in files)
    )


def load_dataset(task: ProxyTask) -> ProxyDataset:
    """Returns the task's dataset, split into training and validation images.

    The result is a pure function of the task's data settings (dataset, image
    size, number of images, validation fraction, dataset seed) and the folder's
    files, and is cached in the process: later candidates reuse it. Call it once
    before a search to find a bad folder before any training.

    Args:
        task: The proxy task.

    Returns:
        The dataset (read-only arrays).

    Raises:
        ProxyDatasetError: If the folder is missing, has fewer than 2 classes, a
            class without images, a file that is not a readable image (named), or
            too few images to hold any out.
    """
    if isinstance(task.dataset, FolderSource):
        if not task.dataset.path.exists() and len(task.dataset.path.parts) == 1:  # a generated set's name, misspelt?
            raise ProxyDatasetError(f"dataset folder {str(task.dataset.path.resolve())!r} does not exist (the "
                                    f"generated sets are {', '.join(GENERATED_SETS)})")  # fmt: skip
        path = task.dataset.path.resolve()
        key: tuple[object, ...] = ("folder", str(path), _folder_fingerprint(path))
    else:
        key = ("generated", str(task.dataset), task.images_to_generate)
    key += (task.image_size, task.validation_fraction, task.dataset_seed)
    cached = _cache.get(key)
    if cached is not None:
        _cache.move_to_end(key)
        return cached
    if isinstance(task.dataset, FolderSource):
        data = read_image_folder(task.dataset.path, image_size_px=task.image_size)
    else:
        generated = task.dataset.generated
        images, labels = generated.generate(task.images_to_generate, image_size=task.image_size, seed=task.dataset_seed)
        data = LabelledImages(images=images, labels=labels, class_names=generated.class_names)
    dataset = split_dataset(data, validation_fraction=task.validation_fraction, seed=task.dataset_seed)
    _cache[key] = dataset
    while len(_cache) > _CACHE_ENTRIES:
        _cache.popitem(last=False)
    return dataset


def clear_dataset_cache() -> None:
    """Forgets every cached dataset of this process."""
    _cache.clear()
