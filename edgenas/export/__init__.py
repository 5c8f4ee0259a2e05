"""Export specs to TFLite and ONNX files, content-addressed and cached.

Importing this package does not import TensorFlow; converting does.
"""

from edgenas.export.exporter import ExportableSpec, ExportResult, check_spec_and_input, export, prepare_model
from edgenas.export.settings import ExportSettings, ModelFormat, Precision
from edgenas.export.store import RECIPE_VERSION, Artifact, ArtifactStore, artifact_key

__all__ = [
    "RECIPE_VERSION",
    "Artifact",
    "ArtifactStore",
    "ExportResult",
    "ExportSettings",
    "ExportableSpec",
    "ModelFormat",
    "Precision",
    "artifact_key",
    "check_spec_and_input",
    "export",
    "prepare_model",
]
