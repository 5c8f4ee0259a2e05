"""Content-addressed model files on the farm: ``<root>/<sha256>.tflite|.onnx``.

An upload is streamed into a temporary file in the same folder while it is
hashed and counted, then checked (size limit, SHA-256 the client sent, model
format) and renamed into place; a rejected upload leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import mmap
import os
import re
import tempfile
from pathlib import Path

from ._echo import shown
from .errors import HashMismatchError, NotAModelError, UploadTooLargeError
from .model_format import ModelFormat, detect_model_format

__all__ = ["ModelStore", "ModelUpload", "StoredModel", "check_sha256"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_sha256(text: object) -> str:
    """Returns `text` if it is 64 lowercase hex digits.

    Raises:
        ValueError: It is not.
    """
    if not isinstance(text, str) or not _SHA256.fullmatch(text):
        raise ValueError(f"a model hash must be 64 lowercase hex digits (SHA-256), got {shown(text)}")
    return text


@dataclasses.dataclass(frozen=True)
class StoredModel:
    """A model file in the store.

    Attributes:
        sha256: Hex SHA-256 of its bytes (its name).
        path: The file.
        format: TFLite or ONNX.
        size_bytes: Its size.
    """

    sha256: str
    path: Path
    format: ModelFormat
    size_bytes: int

    def to_json(self) -> dict[str, object]:
        """A JSON object (the path is the farm's, for information)."""
        return {
            "sha256": self.sha256,
            "path": os.fspath(self.path),
            "format": self.format.value,
            "size_bytes": self.size_bytes,
        }


class ModelStore:
    """The folder of uploaded models.

    Args:
        root: The folder; created when missing.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = Path(root)
        self._root.mkdir(parents=True, exist_ok=True)

    @property
    def root(self) -> Path:
        """The folder."""
        return self._root

    def get(self, sha256: str) -> StoredModel | None:
        """The stored model with this hash, or None."""
        check_sha256(sha256)
        for fmt in ModelFormat:
            path = self._root / f"{sha256}{fmt.extension}"
            try:
                size_bytes = path.stat().st_size
            except FileNotFoundError:
                continue
            return StoredModel(sha256=sha256, path=path, format=fmt, size_bytes=size_bytes)
        return None

    def begin_upload(self, sha256: str, *, max_size_bytes: int) -> ModelUpload:
        """Starts receiving a model that should hash to `sha256`.

        Raises:
            ValueError: `sha256` is not a hex SHA-256.
        """
        check_sha256(sha256)
        return ModelUpload(self, sha256, max_size_bytes=max_size_bytes)

    def put_file(self, path: str | os.PathLike[str], *, max_size_bytes: int = 1 << 40) -> StoredModel:
        """Copies a local model file into the store (its hash computed here)."""
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        upload = self.begin_upload(digest.hexdigest(), max_size_bytes=max_size_bytes)
        try:
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    upload.write(chunk)
        except BaseException:
            upload.abort()
            raise
        return upload.finish()


class ModelUpload:
    """One model being received; `write` chunks, then `finish` (or `abort`).

    Every error aborts the upload and removes its temporary file.
    """

    def __init__(self, store: ModelStore, sha256: str, *, max_size_bytes: int) -> None:
        self._store = store
        self._sha256 = sha256
        self._max_size_bytes = max_size_bytes
        self._digest = hashlib.sha256()
        self._size_bytes = 0
        fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=store.root)
        self._file = os.fdopen(fd, "wb")
        self._tmp = Path(tmp)

    def write(self, chunk: bytes) -> None:
        """Appends a chunk.

        Raises:
            UploadTooLargeError: The upload passed the size limit (it is aborted).
        """
        self._size_bytes += len(chunk)
        if self._size_bytes > self._max_size_bytes:
            self.abort()
            raise UploadTooLargeError(
                f"model upload is larger than the farm's limit of {self._max_size_bytes} bytes",
                limit_bytes=self._max_size_bytes,
            )
        self._digest.update(chunk)
        self._file.write(chunk)

    def finish(self) -> StoredModel:
        """Checks the hash and the format and moves the file into the store.

        Raises:
            HashMismatchError: The bytes do not hash to the announced SHA-256.
            NotAModelError: The bytes are not a TFLite or ONNX model.
        """
        try:
            self._file.close()
            actual = self._digest.hexdigest()
            if actual != self._sha256:
                raise HashMismatchError(
                    f"upload hash mismatch: announced sha256 {self._sha256} but the {self._size_bytes} bytes "
                    f"received hash to {actual}"
                )
            fmt = self._detect()
            path = self._store.root / f"{self._sha256}{fmt.extension}"
            os.replace(self._tmp, path)
        except BaseException:
            self.abort()
            raise
        return StoredModel(sha256=self._sha256, path=path, format=fmt, size_bytes=self._size_bytes)

    def abort(self) -> None:
        """Drops the upload (idempotent)."""
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(OSError):
            self._tmp.unlink()

    def _detect(self) -> ModelFormat:
        if self._size_bytes == 0:
            raise NotAModelError("not a model: the upload is empty")
        problem = None
        with open(self._tmp, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            try:
                fmt = detect_model_format(mapped)
            except ValueError as e:  # the traceback (holding views of the map) ends with this block
                problem = str(e)
        if problem is not None:
            raise NotAModelError(f"not a model: {problem}")
        return fmt
