"""Where a proxy task's images come from: a generated set (`edgenas.proxy.generated`) or a user's image folder."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from edgenas.proxy.errors import ProxyConfigError
from edgenas.proxy.generated import GENERATED_SETS, GeneratedSet, generated_set

__all__ = ["SCENES", "SHAPES", "DatasetSource", "FolderSource", "GeneratedSource", "dataset_source"]


@dataclasses.dataclass(frozen=True)
class GeneratedSource:
    """A generated dataset, by its registered name (`edgenas.proxy.generated`); nothing is downloaded.

    Attributes:
        name: "shapes" or "scenes" (any name in `GENERATED_SETS`).

    Raises:
        ProxyConfigError: An unknown name.
    """

    name: str = "shapes"

    def __post_init__(self) -> None:
        generated_set(self.name)

    @property
    def generated(self) -> GeneratedSet:
        """The registered set."""
        return generated_set(self.name)

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


DatasetSource = GeneratedSource | FolderSource
"""Either kind of dataset source."""

SHAPES = GeneratedSource("shapes")
"""The generated shapes dataset (`edgenas.proxy.shapes`)."""

SCENES = GeneratedSource("scenes")
"""The generated scenes dataset (`edgenas.proxy.scenes`)."""


def dataset_source(value: DatasetSource | str | os.PathLike[str]) -> DatasetSource:
    """Turns a task's `dataset` setting into a typed source.

    Args:
        value: A source, a generated set's name ("shapes", "scenes"), or a folder
            path (a `str` or `os.PathLike`; write `./shapes` or a `Path` for a
            folder that happens to share a generated set's name).

    Returns:
        The source.

    Raises:
        ProxyConfigError: If `value` is neither a source nor a non-empty path.
    """
    if isinstance(value, (GeneratedSource, FolderSource)):
        return value
    if isinstance(value, str):
        if value in GENERATED_SETS:
            return GeneratedSource(value)
        if value.strip():
            return FolderSource(Path(value))
    elif isinstance(value, os.PathLike):
        return FolderSource(Path(value))
    names = ", ".join(repr(n) for n in GENERATED_SETS)
    raise ProxyConfigError(f"dataset must be a generated set ({names}) or an image folder path, got {value!r}")
