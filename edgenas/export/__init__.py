"""Export specs to TFLite and ONNX files, content-addressed and cached.

Importing this package does not import TensorFlow; converting does.
"""

from edgenas.export.export import ExportResult, export, prepare_model
from edgenas.export.settings import ExportSettings, ModelFormat, Precision
from edgenas.export.store import Artifact, ArtifactStore, artifact_key

__all__ = [
    "Artifact",
    "ArtifactStore",
    "ExportResult",
    "ExportSettings",
    "ModelFormat",
    "Precision",
    "artifact_key",
    "export",
    "prepare_model",
]
