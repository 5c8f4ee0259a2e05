"""Export specs to TFLite and ONNX files, content-addressed and cached.

Importing this package does not import TensorFlow; converting does.
"""

from edgenas.export.defaults import DeploymentDefaults, deployment_defaults
from edgenas.export.export import ExportableSpec, ExportResult, check_spec_and_input, export, prepare_model
from edgenas.export.settings import ExportSettings, ModelFormat, Precision
from edgenas.export.store import RECIPE_VERSION, Artifact, ArtifactStore, artifact_key

__all__ = [
    "RECIPE_VERSION",
    "Artifact",
    "ArtifactStore",
    "DeploymentDefaults",
    "ExportResult",
    "ExportSettings",
    "ExportableSpec",
    "ModelFormat",
    "Precision",
    "artifact_key",
    "check_spec_and_input",
    "deployment_defaults",
    "export",
    "prepare_model",
]
