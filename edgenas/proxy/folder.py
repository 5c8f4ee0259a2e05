"""A user's image folder as a labelled image set: one sub-folder of images per class.

Layout: `root/<class name>/<image>.{jpg,jpeg,png}`. Classes are the sub-folders,
sorted by name (label 0 is the first). Every image is decoded with Pillow,
converted to RGB and resized (squashed, not cropped) to a square of the task's
resolution. Names starting with "." are ignored everywhere; plain files directly
in `root` are ignored. Every problem is found before any training starts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgenas.proxy.dataset import LabelledImages
from edgenas.proxy.errors import ProxyDatasetError

__all__ = ["IMAGE_SUFFIXES", "list_image_folder", "read_image_folder"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
"""File name endings read as images (case does not matter)."""


def _visible(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def list_image_folder(root: str | Path) -> dict[str, tuple[Path, ...]]:
    """Lists the classes of an image folder and their image files, without decoding any.

    Args:
        root: The dataset folder.

    Returns:
        Class name -> its image files, both sorted by name.

    Raises:
        ProxyDatasetError: If the folder is missing or not a folder, has fewer than
            2 class sub-folders, a class folder holds a sub-folder or a file that
            is not a .jpg/.jpeg/.png image, or a class has no images.
    """
    folder = Path(root)
    if not folder.exists():
        raise ProxyDatasetError(f"dataset folder {str(folder)!r} does not exist")
    if not folder.is_dir():
        raise ProxyDatasetError(f"dataset {str(folder)!r} is not a folder")
    class_folders = [p for p in _visible(folder) if p.is_dir()]
    if len(class_folders) < 2:
        raise ProxyDatasetError(
            f"dataset folder {str(folder)!r} needs at least 2 class sub-folders, found {len(class_folders)}"
        )
    classes: dict[str, tuple[Path, ...]] = {}
    for class_folder in class_folders:
        entries = _visible(class_folder)
        for entry in entries:
            if entry.is_dir():
                raise ProxyDatasetError(
                    f"class folder {str(class_folder)!r} holds a sub-folder {entry.name!r}; "
                    "put each class's images directly in its folder"
                )
            if entry.suffix.lower() not in IMAGE_SUFFIXES:
                raise ProxyDatasetError(
                    f"{str(entry)!r} is not an image the dataset reads ({', '.join(IMAGE_SUFFIXES)}); "
                    "move it out of the dataset folder"
                )
        if not entries:
            raise ProxyDatasetError(
                f"class folder {str(class_folder)!r} has no images ({', '.join(IMAGE_SUFFIXES)})"
            )
        classes[class_folder.name] = tuple(entries)
    return classes


def read_image_folder(root: str | Path, *, image_size_px: int) -> LabelledImages:
    """Reads every image of an image folder, resized to `image_size_px` squares.

    Args:
        root: The dataset folder.
        image_size_px: Height and width of the images returned.

    Returns:
        The images (uint8 RGB), their labels and the class names.

    Raises:
        ProxyDatasetError: On any problem `list_image_folder` finds, or an image
            file that cannot be decoded (the message names it).
    """
    from PIL import Image  # noqa: PLC0415 - Pillow is needed only for image folders.

    classes = list_image_folder(root)
    images = np.empty((sum(map(len, classes.values())), image_size_px, image_size_px, 3), dtype=np.uint8)
    labels = np.empty(images.shape[0], dtype=np.int32)
    row = 0
    for label, files in enumerate(classes.values()):
        for path in files:
            try:
                with Image.open(path) as image:
                    image.load()
                    rgb = image.convert("RGB").resize(
                        (image_size_px, image_size_px), Image.Resampling.BILINEAR
                    )
            except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as error:
                raise ProxyDatasetError(f"cannot read image {str(path)!r}: {error}") from None
            images[row] = np.asarray(rgb, dtype=np.uint8)
            labels[row] = label
            row += 1
    return LabelledImages(images=images, labels=labels, class_names=tuple(classes))
