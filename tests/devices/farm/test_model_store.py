"""Tests of devices/farm/model_store.py: the content-addressed folder of uploaded models.

Uploads are real model files streamed in chunks; after every rejected upload
the store's folder must be empty (no model and no ``.part`` temporary file).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pytest

from devices.farm.errors import HashMismatchError, NotAModelError, UploadTooLargeError
from devices.farm.model_format import ModelFormat
from devices.farm.model_store import ModelStore, StoredModel, check_sha256

LIMIT = 1 << 20


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _chunks(data: bytes, size: int = 500) -> Iterable[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def _upload(store: ModelStore, data: bytes, *, sha256: str | None = None, limit: int = LIMIT) -> StoredModel:
    """Streams `data` in chunks and finishes the upload."""
    upload = store.begin_upload(sha256 or _sha(data), max_size_bytes=limit)
    for chunk in _chunks(data):
        upload.write(chunk)
    return upload.finish()


def _files(store: ModelStore) -> list[str]:
    """Every entry of the store's folder, hidden ones included."""
    return sorted(p.name for p in store.root.iterdir())


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "models")


@pytest.fixture(scope="module")
def tflite_bytes(tflite_f32: Path) -> bytes:
    return tflite_f32.read_bytes()


@pytest.fixture(scope="module")
def onnx_bytes(onnx_model: Path) -> bytes:
    return onnx_model.read_bytes()


def test_a_tflite_upload_lands_under_its_hash(store: ModelStore, tflite_bytes: bytes) -> None:
    sha = _sha(tflite_bytes)
    stored = _upload(store, tflite_bytes)

    assert stored == StoredModel(
        sha256=sha, path=store.root / f"{sha}.tflite", format=ModelFormat.TFLITE, size_bytes=len(tflite_bytes)
    )
    assert stored.path.read_bytes() == tflite_bytes
    assert _files(store) == [f"{sha}.tflite"]
    assert store.get(sha) == stored


def test_an_onnx_upload_lands_under_its_hash(store: ModelStore, onnx_bytes: bytes) -> None:
    sha = _sha(onnx_bytes)
    stored = _upload(store, onnx_bytes)

    assert (stored.path, stored.format) == (store.root / f"{sha}.onnx", ModelFormat.ONNX)
    assert stored.size_bytes == len(onnx_bytes)
    assert stored.path.read_bytes() == onnx_bytes
    assert _files(store) == [f"{sha}.onnx"]
    assert store.get(sha) == stored
    assert stored.to_json() == {
        "sha256": sha, "path": str(store.root / f"{sha}.onnx"), "format": "onnx", "size_bytes": len(onnx_bytes),
    }  # fmt: skip


def test_an_upload_exactly_at_the_limit_is_accepted(store: ModelStore, onnx_bytes: bytes) -> None:
    stored = _upload(store, onnx_bytes, limit=len(onnx_bytes))
    assert stored.size_bytes == len(onnx_bytes)


def test_the_same_model_uploaded_twice_is_stored_once(store: ModelStore, tflite_bytes: bytes) -> None:
    first = store.begin_upload(_sha(tflite_bytes), max_size_bytes=LIMIT)
    second = store.begin_upload(_sha(tflite_bytes), max_size_bytes=LIMIT)
    for chunk in _chunks(tflite_bytes):
        first.write(chunk)
        second.write(chunk)
    assert first.finish() == second.finish()
    assert _files(store) == [f"{_sha(tflite_bytes)}.tflite"]


def test_an_unknown_hash_is_not_found(store: ModelStore) -> None:
    assert store.get("0" * 64) is None


@pytest.mark.parametrize("sha", ["", "A" * 64, "a" * 63, "g" * 64, "../" + "a" * 61, None])
def test_a_malformed_hash_is_refused_before_anything_is_written(store: ModelStore, sha: object) -> None:
    with pytest.raises(ValueError, match="a model hash must be 64 lowercase hex digits"):
        store.begin_upload(sha, max_size_bytes=LIMIT)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a model hash must be 64 lowercase hex digits"):
        store.get(sha)  # type: ignore[arg-type]
    assert _files(store) == []


def test_check_sha256_returns_a_good_hash() -> None:
    assert check_sha256("ab" * 32) == "ab" * 32


def test_an_upload_over_the_limit_fails_mid_stream_and_leaves_nothing(store: ModelStore, tflite_bytes: bytes) -> None:
    limit = len(tflite_bytes) // 2
    upload = store.begin_upload(_sha(tflite_bytes), max_size_bytes=limit)
    assert len(_files(store)) == 1  # the .part file being written
    written = 0
    with pytest.raises(UploadTooLargeError) as raised:
        for chunk in _chunks(tflite_bytes):
            upload.write(chunk)
            written += len(chunk)
    assert written <= limit < len(tflite_bytes)  # it failed in the middle, at the chunk that passed the limit
    assert raised.value.limit_bytes == limit
    assert str(limit) in str(raised.value)
    assert _files(store) == []
    assert store.get(_sha(tflite_bytes)) is None


def test_a_hash_mismatch_is_rejected_and_leaves_nothing(store: ModelStore, tflite_bytes: bytes) -> None:
    announced = _sha(b"another model")
    with pytest.raises(HashMismatchError) as raised:
        _upload(store, tflite_bytes, sha256=announced)
    assert announced in str(raised.value)
    assert _sha(tflite_bytes) in str(raised.value)
    assert _files(store) == []
    assert store.get(announced) is None


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda tflite: np.random.default_rng(3).bytes(5000), "not a TFLite flatbuffer"),
        (lambda tflite: b"devices:\n  - name: a\n", "not a TFLite flatbuffer"),
        (lambda tflite: tflite[: len(tflite) // 2], "TFLite identifier present but"),
        (lambda tflite: b"", "the upload is empty"),
    ],
    ids=["random", "text", "truncated-tflite", "empty"],
)
def test_bytes_that_are_not_a_model_are_rejected_and_leave_nothing(
    store: ModelStore, tflite_bytes: bytes, make: Callable[[bytes], bytes], problem: str
) -> None:
    data = make(tflite_bytes)
    with pytest.raises(NotAModelError) as raised:
        _upload(store, data)
    assert str(raised.value).startswith("not a model: ")
    assert problem in str(raised.value)
    assert _files(store) == []
    assert store.get(_sha(data)) is None


def test_an_aborted_upload_leaves_nothing(store: ModelStore, onnx_bytes: bytes) -> None:
    upload = store.begin_upload(_sha(onnx_bytes), max_size_bytes=LIMIT)
    upload.write(onnx_bytes[:100])
    upload.abort()
    upload.abort()  # idempotent
    assert _files(store) == []


def test_put_file_copies_a_local_model(store: ModelStore, tflite_f32: Path, tflite_bytes: bytes) -> None:
    stored = store.put_file(tflite_f32)
    assert stored.sha256 == _sha(tflite_bytes)
    assert stored.format is ModelFormat.TFLITE
    assert stored.path.read_bytes() == tflite_bytes
    assert store.put_file(tflite_f32) == stored  # again: the same entry
    assert _files(store) == [f"{stored.sha256}.tflite"]


def test_put_file_of_an_onnx_model(store: ModelStore, onnx_model: Path) -> None:
    stored = store.put_file(onnx_model)
    assert stored.path == store.root / f"{stored.sha256}.onnx"
    assert store.get(stored.sha256) == stored


def test_put_file_refuses_a_non_model_and_leaves_nothing(store: ModelStore, garbage: Callable[[str], Path]) -> None:
    with pytest.raises(NotAModelError):
        store.put_file(garbage("weights.tflite"))
    assert _files(store) == []


def test_put_file_respects_the_size_limit(store: ModelStore, tflite_f32: Path) -> None:
    with pytest.raises(UploadTooLargeError):
        store.put_file(tflite_f32, max_size_bytes=100)
    assert _files(store) == []


def test_the_store_folder_is_created(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b" / "models"
    store = ModelStore(root)
    assert root.is_dir()
    assert store.root == root
