"""Where a proxy task's images come from: the generated shapes set or a user's image folder."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import ClassVar

from edgenas.proxy.errors import ProxyConfigError

__all__ = ["SHAPES", "DatasetSource", "FolderSource", "ShapesSource", "dataset_source"]


@dataclasses.dataclass(frozen=True)
class ShapesSource:
    """The generated 10-class shapes dataset (`edgenas.proxy.shapes`); nothing is downloaded."""

    name: ClassVar[str] = "shapes"

    def __str__(self) -> str:
        return self.name


@dataclasses.dataclass(frozen=True)
class FolderSource:
    """A folder with one sub-folder of .jpg/.jpeg/.png images per class.

    Attributes:
        path: The folder (checked when the dataset is loaded, before any training).
    """

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path).expanduser())

    def __str__(self) -> str:
        return str(self.path)


DatasetSource = ShapesSource | FolderSource
"""Either kind of dataset source."""

SHAPES = ShapesSource()
"""The generated shapes dataset (the default of `ProxyTask.dataset`)."""


def dataset_source(value: DatasetSource | str | os.PathLike[str]) -> DatasetSource:
    """Turns a task's `dataset` setting into a typed source.

    Args:
        value: A source, the string "shapes" (the generated set), or a folder path
            (a `str` or `os.PathLike`; write `./shapes` or a `Path` for a folder
            that happens to be called "shapes").

    Returns:
        The source.

    Raises:
        ProxyConfigError: If `value` is neither a source nor a non-empty path.
    """
    if isinstance(value, (ShapesSource, FolderSource)):
        return value
    if isinstance(value, str):
        if value == ShapesSource.name:
            return SHAPES
        if value.strip():
            return FolderSource(Path(value))
    elif isinstance(value, os.PathLike):
        return FolderSource(Path(value))
    raise ProxyConfigError(f"dataset must be 'shapes' or an image folder path, got {value!r}")
