"""Export specs to TFLite and ONNX files, content-addressed and cached.

Importing this package does not import TensorFlow; converting does.
"""

from edgenas.export.defaults import DeploymentDefaults, deployment_defaults
from edgenas.export.export import ExportableSpec, ExportResult, export, prepare_model
from edgenas.export.settings import ExportSettings, ModelFormat, Precision
from edgenas.export.store import Artifact, ArtifactStore, artifact_key

__all__ = [
    "Artifact",
    "ArtifactStore",
    "DeploymentDefaults",
    "ExportResult",
    "ExportSettings",
    "ExportableSpec",
    "ModelFormat",
    "Precision",
    "artifact_key",
    "deployment_defaults",
    "export",
    "prepare_model",
]
