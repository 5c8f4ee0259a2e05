"""A user's image folder as a proxy dataset: one sub-folder per class."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgenas.proxy.errors import ProxyDatasetError

__all__ = ["load_image_folder"]

_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}


def load_image_folder(root: str | Path, *, image_size: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Reads `root/<class>/<image>` files, resized to `image_size` squares, RGB.

    Returns:
        `(images uint8 (N, S, S, 3), labels int32 (N,), class names sorted)`.

    Raises:
        ProxyDatasetError: For a missing folder, fewer than 2 classes, a class with
            no images, or an image that cannot be read (named in the message).
    """
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415

    folder = Path(root)
    if not folder.is_dir():
        raise ProxyDatasetError(f"dataset folder {str(folder)!r} does not exist")
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise ProxyDatasetError(
            f"dataset folder {str(folder)!r} needs at least 2 class sub-folders, found {len(classes)}"
        )
    images, labels = [], []
    for label, name in enumerate(classes):
        files = sorted(p for p in (folder / name).iterdir() if p.suffix.lower() in _SUFFIXES)
        if not files:
            raise ProxyDatasetError(f"class folder {str(folder / name)!r} has no images")
        for path in files:
            try:
                with Image.open(path) as image:
                    rgb = image.convert("RGB").resize((image_size, image_size), Image.BILINEAR)
                    images.append(np.asarray(rgb, dtype=np.uint8))
            except (OSError, UnidentifiedImageError, ValueError) as error:
                raise ProxyDatasetError(f"cannot read image {str(path)!r}: {error}") from None
            labels.append(label)
    return np.stack(images), np.asarray(labels, dtype=np.int32), tuple(classes)
