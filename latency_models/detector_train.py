"""Training a `DetectorLatencyPredictor` from the detectors a `MeasurementStore` holds.

Detector rows are network rows whose spec is a `SpineNetDetectorSpec` string
(`edgenas scale` and `collect_detectors` write them). The regressor family is
chosen by K-fold cross-validation (`regressors.select_family`) and refit on
all rows; the same folds give every detector an out-of-fold prediction, and
the worst relative error among them becomes the file's `error_bound`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np

from edgenas.specs.spinenet_detector import SpineNetDetectorSpec

from .detector_features import detector_features
from .detector_predictor import DetectorDomain, DetectorLatencyPredictor, DetectorPredictorInfo, model_inputs
from .measurements import MeasurementKey, MeasurementStore, NetworkMeasurement, networks_read_as
from .errors import RegressorOptionError, TrainingError
from .regressors import REGRESSOR_FAMILIES, fit_regressor, kfold_indices, select_family
from .train import _runtime

__all__ = ["MIN_DETECTORS", "detector_rows", "fit_detector_predictor"]

MIN_DETECTORS = 8


def detector_rows(store: MeasurementStore, key: MeasurementKey) -> list[tuple[SpineNetDetectorSpec, NetworkMeasurement]]:
    """The store's detector measurements for `key`, each with its parsed spec."""
    return networks_read_as(store, key, SpineNetDetectorSpec.parse)


def fit_detector_predictor(
    store: MeasurementStore,
    key: MeasurementKey,
    *,
    families: Sequence[str] = REGRESSOR_FAMILIES,
    seed: int = 0,
    folds: int = 5,
) -> DetectorLatencyPredictor:
    """Fits a detector predictor on every detector the store holds for `key`.

    Args:
        store: The measurements.
        key: Device, precision and threads.
        families: Regressor families to choose from.
        seed: Seed of the folds and of the regressors.
        folds: Cross-validation folds (of the family choice and of the error bound).

    Returns:
        The predictor.

    Raises:
        TrainingError: Fewer than `MIN_DETECTORS` detectors, or detectors with several class counts.
        RegressorOptionError: No families.
        UnknownNameError: An unknown family; the message lists the registered ones.
    """
    families = tuple(families)
    if not families:
        raise RegressorOptionError("no families to choose from")
    rows = detector_rows(store, key)
    if len(rows) < MIN_DETECTORS:
        raise TrainingError(
            f"{store.path} holds {len(rows)} measured SpineNet detectors for {key}; a detector predictor needs "
            f"at least {MIN_DETECTORS} (run `edgenas predictor collect --space spinenet_mbconv` or `edgenas scale`)"
        )
    classes = sorted({n.num_classes for _, n in rows})
    if len(classes) > 1:
        raise TrainingError(f"{store.path} holds detectors with several class counts ({classes}) for {key}")
    features = np.array([detector_features(d, input_shape=n.input_shape, num_classes=n.num_classes) for d, n in rows])
    x = model_inputs(features)
    latency = np.array([n.latency_ms for _, n in rows])
    y = latency / x[:, 0]
    folds = min(folds, len(y))
    if len(families) > 1:
        selection = select_family(x, y, families=families, folds=folds, seed=seed)
        family, scores = selection.best, {k: round(float(v), 6) for k, v in selection.scores.items()}
    else:
        family, scores = families[0], {}
    out_of_fold = np.empty_like(y)
    for test in kfold_indices(len(y), folds=folds, seed=seed):
        train = np.setdiff1d(np.arange(len(y)), test, assume_unique=True)
        out_of_fold[test] = fit_regressor(family, x[train], y[train], seed=seed).predict(x[test])
    relative = np.abs(out_of_fold * x[:, 0] / latency - 1.0)
    model = fit_regressor(family, x, y, seed=seed)
    runtime, version = _runtime(store, key)
    sizes = [s for _, n in rows for s in n.input_shape[:2]]
    info = DetectorPredictorInfo(
        device=key.device,
        runtime=runtime,
        runtime_version=version,
        precision=key.precision,
        threads=key.threads,
        spaces=tuple(sorted({n.space for _, n in rows})),
        created_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        training={
            "detectors": len(rows),
            "family": family,
            "family_cv_mape": scores,
            "cv_max_relative_error": round(float(relative.max()), 6),
            "cv_median_relative_error": round(float(np.median(relative)), 6),
            "latency_ms_range": [round(float(latency.min()), 4), round(float(latency.max()), 4)],
            "folds": folds,
            "seed": seed,
        },
    )
    domain = DetectorDomain(
        families=tuple(sorted({d.family.value for d, _ in rows})),
        num_classes=tuple(classes),
        min_image_size=min(sizes),
        max_image_size=max(sizes),
    )
    return DetectorLatencyPredictor(info=info, domain=domain, model=model, error_bound=float(relative.max()))

