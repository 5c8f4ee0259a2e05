"""`TrialArtifact`: a model file a trial exported, as recorded in the store."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgenas.export.settings import ModelFormat, Precision
from edgenas.store._values import check_enum, check_text
from edgenas.store.errors import InvalidRecordError

if TYPE_CHECKING:
    from edgenas.export.store import Artifact

__all__ = ["TrialArtifact"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrialArtifact:
    """One exported model file of a trial (the file itself lives in the artifact folder).

    Attributes:
        format: The file format (a string value is accepted and converted).
        precision: fp32 or int8 (a string value is accepted and converted).
        key: The artifact's content address.
        sha256: Hex SHA-256 of the file's bytes (the latency cache key).
        path: Where the file was written (a string is accepted and converted).
    """

    format: ModelFormat
    precision: Precision
    key: str
    sha256: str
    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "format", check_enum(ModelFormat, "format", self.format))
        object.__setattr__(self, "precision", check_enum(Precision, "precision", self.precision))
        check_text("key", self.key)
        if not isinstance(self.sha256, str) or not _SHA256.fullmatch(self.sha256):
            raise InvalidRecordError(f"sha256 must be 64 lowercase hex digits, got {self.sha256!r}")
        if isinstance(self.path, str):
            check_text("path", self.path)
            object.__setattr__(self, "path", Path(self.path))
        elif not isinstance(self.path, Path):
            raise InvalidRecordError(f"path must be a str or Path, got {type(self.path).__name__}")

    @classmethod
    def from_artifact(cls, artifact: Artifact) -> TrialArtifact:
        """The record of an exported `edgenas.export.Artifact`."""
        return cls(
            format=artifact.format,
            precision=artifact.precision,
            key=artifact.key,
            sha256=artifact.sha256,
            path=artifact.path,
        )

    def to_json(self) -> dict[str, str]:
        """Returns the record as a JSON-ready dict."""
        return {
            "format": self.format.value,
            "precision": self.precision.value,
            "key": self.key,
            "sha256": self.sha256,
            "path": str(self.path),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrialArtifact:
        """Builds the record from `to_json()` output.

        Raises:
            InvalidRecordError: On a missing, unknown or invalid field.
        """
        if not isinstance(data, dict):
            raise InvalidRecordError(f"an artifact must be a JSON object, got {type(data).__name__}")
        names = {field.name for field in dataclasses.fields(cls)}
        if set(data) != names:
            raise InvalidRecordError(
                f"artifact JSON: missing {sorted(names - set(data))}, unknown {sorted(set(data) - names)}"
            )
        return cls(**data)
