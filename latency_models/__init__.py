"""Learned per-device latency predictors: features from specs, a per-layer table, regressors on top.

    from latency_models import LatencyPredictor
    predictor = LatencyPredictor.load("latency_models/local-fp32.json")
    predictor.predict(spec, input_shape=(224, 224, 3))      # ms, from the spec alone

`fit_predictor` trains a `LatencyPredictor` from a `MeasurementStore` of a
device's layer and network timings; `evaluate` scores one on held-out networks.
SpineNet detectors, which are not chains, have their own whole-detector
predictor: `fit_detector_predictor`, `DetectorLatencyPredictor`. The code that
builds, exports and times models to fill the store is `edgenas.collect` (it
needs TensorFlow); this package needs only numpy and `edgenas.specs`.
"""

from latency_models.detector_predictor import DetectorLatencyPredictor
from latency_models.detector_train import fit_detector_predictor
from latency_models.errors import (
    LatencyModelError,
    MeasurementStoreError,
    OutOfDomainError,
    PredictorFileError,
    RegressorOptionError,
    TrainingError,
)
from latency_models.evaluation import Evaluation, evaluate, format_evaluations, kendall_tau, plot_evaluation
from latency_models.layers import LayerKind, LayerSpec, layers_of
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement
from latency_models.predictor import LatencyPredictor
from latency_models.train import fit_predictor

__all__ = [
    "DetectorLatencyPredictor",
    "Evaluation",
    "LatencyModelError",
    "LatencyPredictor",
    "LayerKind",
    "LayerSpec",
    "MeasurementKey",
    "MeasurementStore",
    "MeasurementStoreError",
    "NetworkMeasurement",
    "OutOfDomainError",
    "PredictorFileError",
    "RegressorOptionError",
    "TrainingError",
    "evaluate",
    "fit_detector_predictor",
    "fit_predictor",
    "format_evaluations",
    "kendall_tau",
    "layers_of",
    "plot_evaluation",
]
