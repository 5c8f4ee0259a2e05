"""Learned per-device latency predictors: features from specs, a per-layer table, regressors on top.

    from latency_models import LatencyPredictor
    predictor = LatencyPredictor.load("latency_models/local-fp32.json")
    predictor.predict(spec, input_shape=(224, 224, 3))      # ms, from the spec alone

`collect` measures a space's layers and networks on a device into a
`MeasurementStore`; `fit_predictor` trains a `LatencyPredictor` from it;
`evaluate` scores one on held-out networks. SpineNet detectors, which are not
chains, have their own whole-detector predictor: `collect_detectors`,
`fit_detector_predictor`, `DetectorLatencyPredictor`. Importing this package needs numpy,
never TensorFlow (only building single-layer models for collection does).
"""

from latency_models.collect import CollectSummary, collect
from latency_models.detector_collect import DetectorCollectSummary, collect_detectors
from latency_models.detector_predictor import DetectorLatencyPredictor
from latency_models.detector_train import fit_detector_predictor
from latency_models.evaluate import Evaluation, evaluate, format_evaluations, kendall_tau, plot_evaluation
from latency_models.layers import LayerKind, LayerSpec, layers_of
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement
from latency_models.predictor import LatencyPredictor, OutOfDomainError
from latency_models.train import TrainingError, fit_predictor

__all__ = [
    "CollectSummary",
    "DetectorCollectSummary",
    "DetectorLatencyPredictor",
    "Evaluation",
    "LatencyPredictor",
    "LayerKind",
    "LayerSpec",
    "MeasurementKey",
    "MeasurementStore",
    "NetworkMeasurement",
    "OutOfDomainError",
    "TrainingError",
    "collect",
    "collect_detectors",
    "evaluate",
    "fit_detector_predictor",
    "fit_predictor",
    "format_evaluations",
    "kendall_tau",
    "layers_of",
    "plot_evaluation",
]
