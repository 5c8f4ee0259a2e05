"""Generated datasets as `.npz` files (private): atomic writes, strict reads, specs as JSON.

The detection and segmentation datasets share the frame of their files: a
`format_version` integer, the spec as a `spec_json` string, and arrays named by
split. What each dataset stores beside them, and how it checks those arrays,
stays in its own module.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from edgenas.proxy.errors import ProxyConfigError, ProxyDatasetError

_READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile)


SpecT = TypeVar("SpecT")


def spec_from_json(spec_type: type[SpecT], text: str) -> SpecT:
    """Parses a dataclass spec written as a JSON object of its fields.

    Raises:
        ProxyConfigError: If the text is not a JSON object of known fields with valid values.
    """
    name = spec_type.__name__
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProxyConfigError(f"a {name} must be a JSON object: {error}") from error
    if not isinstance(fields, dict):
        raise ProxyConfigError(f"a {name} must be a JSON object, got {type(fields).__name__}")
    known = {f.name for f in dataclasses.fields(spec_type)}  # type: ignore[arg-type]
    unknown = sorted(set(fields) - known)
    if unknown:
        raise ProxyConfigError(f"unknown {name} fields {unknown}; known: {sorted(known)}")
    return spec_type(**fields)


def write_npz(path: str | os.PathLike[str], arrays: dict[str, np.ndarray], *, prefix: str) -> None:
    """Writes `arrays` to one uncompressed `.npz` file at exactly `path`, atomically (a temporary file, then a rename).

    Args:
        path: Destination file; no suffix is added.
        arrays: The arrays, by name.
        prefix: Start of the temporary file's name (it lives beside `path` until the rename).
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def read_npz(path: str | os.PathLike[str], keys: frozenset[str], *, what: str) -> dict[str, np.ndarray]:
    """Reads every array of an `.npz` file that must hold exactly `keys`.

    Args:
        path: The file.
        keys: The names of the arrays the file must hold, no more and no fewer.
        what: What the file should be, for messages (`"detection dataset"`).

    Returns:
        The arrays, by name.

    Raises:
        FileNotFoundError: If there is no such file.
        ProxyDatasetError: If the file is not an `.npz` archive, holds other arrays, or one cannot be read.
    """
    path = os.fspath(path)
    try:
        loaded = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except _READ_ERRORS as error:
        raise ProxyDatasetError(f"{path} is not a {what} (.npz) file: {error}") from error
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise ProxyDatasetError(f"{path} holds a single array (.npy), not a {what} (.npz)")
    with loaded:
        present = set(loaded.files)
        missing, unexpected = sorted(keys - present), sorted(present - keys)
        if missing or unexpected:
            raise ProxyDatasetError(
                f"{path} is not a {what} file: missing arrays {missing}, unexpected arrays {unexpected}"
            )
        try:
            return {key: loaded[key] for key in keys}
        except _READ_ERRORS as error:
            raise ProxyDatasetError(f"{path}: unreadable array in the archive: {error}") from error


def read_header(
    path: str | os.PathLike[str], arrays: dict[str, np.ndarray], *, version: int, parse: Callable[[str], SpecT]
) -> SpecT:
    """Checks a file's `format_version` and parses its `spec_json` with `parse` (a spec type's `from_json`).

    Raises:
        ProxyDatasetError: If the version is not `version`, or `parse` rejects the spec.
    """
    path = os.fspath(path)
    found = arrays["format_version"]
    if found.shape != () or not np.issubdtype(found.dtype, np.integer) or int(found) != version:
        raise ProxyDatasetError(f"{path} has format version {found.tolist()!r}; this edgenas reads version {version}")
    spec_json = arrays["spec_json"]
    if spec_json.shape != () or spec_json.dtype.kind != "U":
        raise ProxyDatasetError(f"{path}: spec_json must be a single string, got {spec_json.dtype} {spec_json.shape}")
    try:
        return parse(str(spec_json))
    except ProxyConfigError as error:
        raise ProxyDatasetError(f"{path}: invalid spec: {error}") from error
