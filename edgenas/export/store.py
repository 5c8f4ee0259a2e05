"""The content-addressed artifact folder: one key names a file and its metadata.

A key is the SHA-256 of the spec string, the export settings and the versions of
the converters, so the same request maps to the same file and a second export is
a file lookup. Files are written to a temporary name and renamed into place, and
the metadata file is written last: a metadata file present means a complete
artifact, so an interrupted export leaves nothing that looks finished.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import itertools
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from devices.hashing import sha256_file
from edgenas.errors import ExportError
from edgenas.export.settings import ExportSettings, ModelFormat, Precision

__all__ = ["RECIPE_VERSION", "Artifact", "ArtifactStore", "artifact_key"]

_KEY_SCHEMA = 1
RECIPE_VERSION = 4
"""Bump whenever edgenas changes how it builds, calibrates or converts a model.
3: a bare mobile `SpineNetSpec`'s default head became as wide as its endpoints (was 48).
4: a search times the candidates of a family with a direct writer on its files (`edgenas.export.direct`:
the converter's graph, written from the spec), no longer on converted ones."""
_FILE_RECIPES: dict[tuple[ModelFormat, Precision], int] = {(ModelFormat.TFLITE, Precision.INT8): 1}
"""Revisions of the recipe of one kind of file, for a change that leaves every other
kind's bytes as they were (their keys, and studies' `export_recipe`, stay).
(tflite, int8) 1: activations that calibration saw constant at zero get a unit range
(`_int8_ranges`); XNNPACK refused ~4 % of int8 mnasnet files. Every other int8 file is
byte for byte what it was, so latencies cached by file hash still hold."""
_KEY_HEX_DIGITS = 24
_CONVERTER_PACKAGES = ("tensorflow-cpu", "keras", "tf2onnx", "onnx", "onnxruntime")


@functools.cache
def _converter_versions() -> dict[str, str]:
    versions = {}
    for package in _CONVERTER_PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "absent"
    return versions


def artifact_key(spec_text: str, settings: ExportSettings) -> str:
    """The content address of an export: a hex digest of spec, settings and converter versions."""
    fields: dict[str, object] = {
        "schema": _KEY_SCHEMA,
        "recipe": RECIPE_VERSION,
        "spec": spec_text,
        "settings": settings.to_json(),
        "converters": _converter_versions(),
    }
    file_recipe = _FILE_RECIPES.get((settings.format, settings.precision))
    if file_recipe is not None:  # absent for the other kinds, so that their keys stay
        fields["file_recipe"] = file_recipe
    payload = json.dumps(
        fields,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:_KEY_HEX_DIGITS]


@dataclasses.dataclass(frozen=True)
class Artifact:
    """One exported model file.

    Attributes:
        key: Content address (also the file's stem).
        path: The model file.
        format: tflite or onnx.
        precision: fp32 or int8.
        spec: The spec's compact string.
        input_shape: Height, width, channels.
        num_classes: Classifier outputs.
        sha256: SHA-256 of the file's bytes.
        size_bytes: File size.
        export_s: Seconds this call spent producing it (0 when it came from the cache).
        cached: Whether it was found in the folder rather than exported now.
    """

    key: str
    path: Path
    format: ModelFormat
    precision: Precision
    spec: str
    input_shape: tuple[int, int, int]
    num_classes: int
    sha256: str
    size_bytes: int
    export_s: float
    cached: bool

    def metadata(self) -> dict[str, object]:
        """The JSON written beside the model file."""
        return {
            "key": self.key,
            "file": self.path.name,
            "format": self.format.value,
            "precision": self.precision.value,
            "spec": self.spec,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "export_s": round(self.export_s, 4),
        }


class ArtifactStore:
    """A folder of content-addressed model files.

    Args:
        root: The folder; created (with its missing parents) if missing.

    Raises:
        ExportError: If the folder cannot be created or written; then no folder
            it created is left.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        # The folders mkdir will create, deepest first.
        self._created = tuple(itertools.takewhile(lambda folder: not folder.exists(), (self.root, *self.root.parents)))
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-", delete=True)
            probe.close()
        except OSError as error:
            self.remove_created_folders()
            raise ExportError(f"output folder {str(self.root)!r} is not writable: {error.strerror or error}") from None

    def remove_created_folders(self) -> None:
        """Removes the folders this store created, deepest first, as long as they are empty.

        For a failed export: it leaves no folder it made, and never a file or folder someone else put there.
        """
        for folder in self._created:  # deepest first
            try:
                folder.rmdir()
            except FileNotFoundError:
                continue
            except OSError:  # not empty: someone else's files are in it
                return

    def model_path(self, key: str, model_format: ModelFormat) -> Path:
        """Where the model file of `key` lives."""
        return self.root / f"{key}.{model_format.value}"

    def metadata_path(self, key: str) -> Path:
        """Where the metadata of `key` lives."""
        return self.root / f"{key}.json"

    def lookup(self, key: str, settings: ExportSettings) -> Artifact | None:
        """Returns the finished artifact of `key`, or None if it is absent or incomplete."""
        meta_path = self.metadata_path(key)
        model_path = self.model_path(key, settings.format)
        try:
            meta = json.loads(meta_path.read_text())
            size = model_path.stat().st_size
        except (OSError, ValueError):
            return None
        if meta.get("size_bytes") != size or meta.get("key") != key:
            return None
        return Artifact(
            key=key,
            path=model_path,
            format=settings.format,
            precision=settings.precision,
            spec=meta["spec"],
            input_shape=settings.input_shape,
            num_classes=settings.num_classes,
            sha256=meta["sha256"],
            size_bytes=size,
            export_s=0.0,
            cached=True,
        )

    def write(
        self,
        key: str,
        spec_text: str,
        settings: ExportSettings,
        produce: Callable[[Path], None],
        *,
        elapsed_s: Callable[[], float],
    ) -> Artifact:
        """Produces the file of `key` through a temporary path and commits it.

        Args:
            key: The artifact key.
            spec_text: The spec's compact string (recorded in the metadata).
            settings: The export settings.
            produce: Writes the model to the path it is given.
            elapsed_s: Returns the seconds spent so far, read once the file is written.

        Returns:
            The new artifact.

        Raises:
            ExportError: If `produce` fails or writes nothing; no file is left behind.
        """
        final = self.model_path(key, settings.format)
        tmp = self.root / f".{key}.{os.getpid()}.tmp.{settings.format.value}"
        try:
            try:
                produce(tmp)
            except ExportError:
                raise
            except Exception as error:  # converters raise anything; report it as one error
                message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                raise ExportError(
                    f"{settings.format.value} {settings.precision.value} export failed: {message}"
                ) from error
            if not tmp.is_file() or tmp.stat().st_size == 0:
                raise ExportError(f"{settings.format.value} converter wrote no model")
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        artifact = Artifact(
            key=key,
            path=final,
            format=settings.format,
            precision=settings.precision,
            spec=spec_text,
            input_shape=settings.input_shape,
            num_classes=settings.num_classes,
            sha256=sha256_file(final),
            size_bytes=final.stat().st_size,
            export_s=elapsed_s(),
            cached=False,
        )
        meta_tmp = self.root / f".{key}.{os.getpid()}.tmp.json"
        try:
            meta_tmp.write_text(json.dumps(artifact.metadata(), indent=2, sort_keys=True))
            os.replace(meta_tmp, self.metadata_path(key))
        finally:
            meta_tmp.unlink(missing_ok=True)
        return artifact
