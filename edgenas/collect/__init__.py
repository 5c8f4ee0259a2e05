"""Collecting latency predictors' training data: models built, exported and timed on a device.

`collect` measures a chain space's layers and networks (`layerwise`);
`collect_detectors` measures whole detectors (`detectors`); `layer_models`
builds the single-layer models. The measurements go to a
`latency_models.MeasurementStore`, which `latency_models` trains predictors
from. Importing this package does not import TensorFlow; exporting a model does
(in worker processes).
"""

from edgenas.collect.detectors import DetectorCollectSummary, collect_detectors, export_detectors, random_detectors
from edgenas.collect.layerwise import CollectSummary, collect, space_layers

__all__ = [
    "CollectSummary",
    "DetectorCollectSummary",
    "collect",
    "collect_detectors",
    "export_detectors",
    "random_detectors",
    "space_layers",
]
