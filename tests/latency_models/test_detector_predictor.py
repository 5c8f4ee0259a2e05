"""Tests of latency_models/detector_predictor.py and detector_train.py on a store filled with a known latency law.

The latencies here are made up by a known formula of the detectors' features, so
that what the predictor must learn is known; the real-device accuracy is shown by
benchmarks/scale_pruning.py, not here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edgenas.specs.spinenet_detector import SpineNetDetectorSpec
from edgenas.collect.detectors import random_detectors
from latency_models.detector_features import DETECTOR_FEATURES, detector_features
from latency_models.detector_predictor import DetectorLatencyPredictor
from latency_models.detector_train import MIN_DETECTORS, fit_detector_predictor
from latency_models.errors import PredictorFileError
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement
from latency_models.predictor import OutOfDomainError
from latency_models.train import TrainingError, fit_predictor

KEY = MeasurementKey("board", "fp32", 1)
RESULT = json.dumps({"runtime": "litert", "runtime_version": "2.3.0"})
F = {name: i for i, name in enumerate(DETECTOR_FEATURES)}


def _law_ms(text: str, shape: tuple[int, int, int], classes: int = 91) -> float:
    """The made-up latency law: compute, activation traffic and a per-block overhead."""
    x = detector_features(SpineNetDetectorSpec.parse(text), input_shape=shape, num_classes=classes)
    return 0.4 + 0.006 * x[F["total_macs_m"]] + 0.0008 * x[F["block_activation_k"]] + 0.05 * x[F["num_blocks"]]


@pytest.fixture(scope="module")
def detectors() -> list[tuple[str, tuple[int, int, int]]]:
    return random_detectors("spinenet_mbconv", count=72, seed=3)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, detectors) -> MeasurementStore:
    store = MeasurementStore(tmp_path_factory.mktemp("det") / "det.sqlite")
    for text, shape in detectors[:56]:
        store.add_network(KEY, NetworkMeasurement("spinenet_mbconv", text, shape, 91, _law_ms(text, shape)), RESULT)
    return store


@pytest.fixture(scope="module")
def predictor(store) -> DetectorLatencyPredictor:
    return fit_detector_predictor(store, KEY, seed=0)


def test_random_detectors_span_sizes_and_topologies(detectors) -> None:
    assert len(detectors) == 72 == len(set(detectors))
    assert {shape for _, shape in detectors} == {(256, 256, 3), (384, 384, 3)}  # the mobile scaling sizes
    assert len({text.split("-scale")[0] for text, _ in detectors}) > 1
    assert random_detectors("spinenet_mbconv", count=5, seed=3) == detectors[:5]  # deterministic
    with pytest.raises(ValueError, match="does not hold SpineNet topologies"):
        random_detectors("mnasnet", count=2, seed=0)


def test_the_predictor_learns_the_law_on_held_out_detectors(predictor, detectors) -> None:
    held_out = detectors[56:]
    predicted = predictor.predict_many([SpineNetDetectorSpec.parse(t) for t, _ in held_out],
                                       input_shapes=[s for _, s in held_out], num_classes=91)  # fmt: skip
    truth = np.array([_law_ms(t, s) for t, s in held_out])
    relative = np.abs(predicted / truth - 1)
    # The law is linear in the per-MAC inputs (see `model_inputs`): learned to well under 1 %.
    assert relative.max() < 0.005
    training = predictor.info.training
    assert training["detectors"] == 56 and training["family"] == "linear"
    # The bound is the worst out-of-fold error of the training detectors, and it bounds the held-out errors here.
    assert predictor.error_bound == pytest.approx(training["cv_max_relative_error"], abs=1e-6)
    assert 0 < predictor.error_bound < 0.005
    assert predictor.lower_bound_ms(11.0) == pytest.approx(11.0 / (1 + predictor.error_bound))
    assert predictor.domain.families == ("mobile",) and predictor.domain.num_classes == (91,)
    assert (predictor.domain.min_image_size, predictor.domain.max_image_size) == (256, 384)


def test_a_predictor_file_round_trips_and_refuses_bad_files(predictor, detectors, tmp_path: Path) -> None:
    path = predictor.save(tmp_path / "p" / "det.json")
    loaded = DetectorLatencyPredictor.load(path)
    text, shape = detectors[60]
    spec = SpineNetDetectorSpec.parse(text)
    assert loaded.predict(spec, input_shape=shape, num_classes=91) == predictor.predict(spec, input_shape=shape,
                                                                                      num_classes=91)  # fmt: skip
    assert loaded.error_bound == predictor.error_bound and loaded.info == predictor.info
    data = json.loads(path.read_text())
    for bad, match in (({**data, "format": "x"}, "not an edgenas detector latency predictor"),
                       ({**data, "version": 99}, "version 99"),
                       ({**data, "feature_schema": {"features": ["a"], "inputs": [], "target": "t"}}, "feature schema"),
                       ({k: v for k, v in data.items() if k != "domain"}, "malformed")):  # fmt: skip
        (tmp_path / "bad.json").write_text(json.dumps(bad))
        with pytest.raises(PredictorFileError, match=match):
            DetectorLatencyPredictor.load(tmp_path / "bad.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(PredictorFileError, match="bad.json: not a predictor file"):
        DetectorLatencyPredictor.load(tmp_path / "bad.json")


def test_detectors_outside_the_domain_are_refused(predictor, detectors) -> None:
    text, shape = detectors[0]
    spec = SpineNetDetectorSpec.parse(text)
    with pytest.raises(OutOfDomainError, match="num_classes \\[91\\], not 80"):
        predictor.predict(spec, input_shape=shape, num_classes=80)
    with pytest.raises(OutOfDomainError, match="inputs of 256..384 pixels, not 512"):
        predictor.predict(spec, input_shape=(512, 512, 3), num_classes=91)
    resnet_text, resnet_shape = random_detectors("spinenet", count=1, seed=0)[0]
    with pytest.raises(OutOfDomainError, match="trained on mobile SpineNets, not resnet"):
        predictor.predict(SpineNetDetectorSpec.parse(resnet_text), input_shape=resnet_shape, num_classes=91)
    with pytest.raises(ValueError, match="1 detectors but 2 input shapes"):
        predictor.predict_many([spec], input_shapes=[shape, shape], num_classes=91)


def test_training_needs_enough_detectors_of_one_class_count(detectors, tmp_path: Path) -> None:
    with MeasurementStore(tmp_path / "few.sqlite") as store:
        for text, shape in detectors[: MIN_DETECTORS - 1]:
            store.add_network(KEY, NetworkMeasurement("spinenet_mbconv", text, shape, 91, 5.0), RESULT)
        with pytest.raises(TrainingError, match=f"holds {MIN_DETECTORS - 1} measured SpineNet detectors"):
            fit_detector_predictor(store, KEY)
        # The chain-network trainer leaves detector rows alone instead of failing to parse them.
        with pytest.raises(TrainingError, match="holds 0 layers and 0 .* networks"):
            fit_predictor(store, KEY)
        for text, shape in detectors[MIN_DETECTORS : MIN_DETECTORS + 2]:
            store.add_network(KEY, NetworkMeasurement("spinenet_mbconv", text, shape, 80, 5.0), RESULT)
        with pytest.raises(TrainingError, match="several class counts \\(\\[80, 91\\]\\)"):
            fit_detector_predictor(store, KEY)
