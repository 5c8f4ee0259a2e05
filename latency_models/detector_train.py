"""Training a `DetectorLatencyPredictor` from the detectors a `MeasurementStore` holds.

Detector rows are network rows whose spec is the string of a detector kind
(`DETECTOR_KINDS`: a `SpineNetDetectorSpec`, `ChainDetectorSpec` or
`NasFpnDetectorSpec`; `edgenas scale` and `collect_detectors` write them),
read by `parse_detector`. A predictor is trained on the kinds asked for (by
default every kind the store holds); its domain names them. The regressor family is
chosen by K-fold cross-validation (`regressors.select_family`) and refit on
all rows; the same folds give every detector an out-of-fold prediction, and
the worst relative error among them becomes the file's `error_bound`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np

from edgenas.errors import SpecParseError

from .detector_features import DETECTOR_KINDS, DetectorSpec, detector_features, detector_kind
from .detector_predictor import DetectorDomain, DetectorLatencyPredictor, DetectorPredictorInfo, model_inputs
from .measurements import MeasurementKey, MeasurementStore, NetworkMeasurement, networks_read_as
from .errors import RegressorOptionError, TrainingError
from .regressors import REGRESSOR_FAMILIES, fit_regressor, kfold_indices, select_family
from .train import _runtime

__all__ = ["MIN_DETECTORS", "detector_rows", "fit_detector_predictor", "parse_detector"]

MIN_DETECTORS = 8

_NOUNS = {
    "spinenet_detector": "SpineNet detectors",
    "chain_detector": "chain detectors (FPN)",
    "nasfpn_detector": "NAS-FPN detectors",
}
_COLLECT_HINTS = {
    "spinenet_detector": "`edgenas predictor collect --space spinenet_mbconv` or `edgenas scale`",
    "chain_detector": "`edgenas predictor collect --space mnasnet --task detection`",
    "nasfpn_detector": "`edgenas predictor collect --space nasfpn`",
}


def parse_detector(text: str) -> DetectorSpec:
    """The detector spec whose string is `text`, of whichever `DETECTOR_KINDS` type reads it.

    The types' grammars do not overlap: each strict parser refuses the others'
    strings with a `SpecParseError`. A type that reads `text` but finds invalid
    values answers alone (its `SpecError`).

    Raises:
        SpecParseError: No detector type reads `text` (the message gives each one's complaint).
        SpecError: A type reads it, but its values are invalid.
    """
    problems = []
    for spec_type in DETECTOR_KINDS:
        try:
            return spec_type.parse(text)
        except SpecParseError as error:
            problems.append(f"{spec_type.__name__}: {error}")
    raise SpecParseError(f"not a detector spec string ({'; '.join(problems)})")


def _check_kinds(kinds: Sequence[str] | None) -> tuple[str, ...] | None:
    if kinds is None:
        return None
    kinds = tuple(kinds)
    known = tuple(DETECTOR_KINDS.values())
    unknown = [kind for kind in kinds if kind not in known]
    if unknown or not kinds:
        raise RegressorOptionError(f"detector kinds must be some of {', '.join(known)}; got {list(kinds)}")
    return kinds


def detector_rows(
    store: MeasurementStore, key: MeasurementKey, *, kinds: Sequence[str] | None = None
) -> list[tuple[DetectorSpec, NetworkMeasurement]]:
    """The store's detector measurements for `key`, each with its parsed spec, in measured order.

    Args:
        store: The measurements.
        key: Device, precision and threads.
        kinds: Only these `DETECTOR_KINDS` (default: every kind).

    Raises:
        RegressorOptionError: `kinds` is empty or names an unknown kind (the message lists the known ones).
    """
    wanted = _check_kinds(kinds)
    rows = networks_read_as(store, key, parse_detector)
    return rows if wanted is None else [(d, n) for d, n in rows if detector_kind(d) in wanted]


def _what(kinds: Sequence[str]) -> str:
    """How detectors of `kinds` are called in messages."""
    if len(kinds) == 1:
        return _NOUNS[kinds[0]]
    return f"detectors ({', '.join(kinds)})"


def fit_detector_predictor(
    store: MeasurementStore,
    key: MeasurementKey,
    *,
    kinds: Sequence[str] | None = None,
    families: Sequence[str] = REGRESSOR_FAMILIES,
    seed: int = 0,
    folds: int = 5,
) -> DetectorLatencyPredictor:
    """Fits a detector predictor on the detectors the store holds for `key`.

    Args:
        store: The measurements.
        key: Device, precision and threads.
        kinds: Train on these `DETECTOR_KINDS` only (default: every kind the store holds); the
            predictor's domain names the kinds it was trained on.
        families: Regressor families to choose from.
        seed: Seed of the folds and of the regressors.
        folds: Cross-validation folds (of the family choice and of the error bound).

    Returns:
        The predictor.

    Raises:
        TrainingError: Fewer than `MIN_DETECTORS` detectors, or detectors with several class counts.
        RegressorOptionError: No families, or unknown kinds.
        UnknownNameError: An unknown family; the message lists the registered ones.
    """
    families = tuple(families)
    if not families:
        raise RegressorOptionError("no families to choose from")
    wanted = _check_kinds(kinds)
    rows = detector_rows(store, key, kinds=wanted)
    if len(rows) < MIN_DETECTORS:
        found = wanted or tuple(sorted({detector_kind(d) for d, _ in rows})) or tuple(DETECTOR_KINDS.values())
        hints = " or ".join(_COLLECT_HINTS[kind] for kind in found)
        raise TrainingError(
            f"{store.path} holds {len(rows)} measured {_what(found)} for {key}; a detector predictor needs "
            f"at least {MIN_DETECTORS} (run {hints})"
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
    domain = DetectorDomain.spanning([d for d, _ in rows], num_classes=classes, image_sizes=sizes)
    return DetectorLatencyPredictor(info=info, domain=domain, model=model, error_bound=float(relative.max()))

