"""`sha256_file`: the hex SHA-256 of a file, read in blocks (models can be large)."""

from __future__ import annotations

import hashlib
import os

__all__ = ["sha256_file"]

_BLOCK_BYTES = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Returns the lowercase hex SHA-256 of the file at `path`."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_BLOCK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()
