"""Tests of the detector predictor on detectors with chain backbones (FPN and NAS-FPN), from a made-up law.

As in test_detector_predictor.py, the latencies follow a known formula of the
detectors' features, so what the predictor must learn is known; the accuracy
on real measurements is benchmarks/detector_predictor_chain.py's business.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edgenas.collect.detectors import random_detectors
from edgenas.errors import SpecParseError
from latency_models.detector_features import DETECTOR_FEATURES, detector_features
from latency_models.detector_predictor import DETECTOR_FILE_VERSION, DetectorLatencyPredictor
from latency_models.detector_train import MIN_DETECTORS, detector_rows, fit_detector_predictor, parse_detector
from latency_models.errors import OutOfDomainError, PredictorFileError, RegressorOptionError, TrainingError
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement

KEY = MeasurementKey("board", "fp32", 1)
RESULT = json.dumps({"runtime": "litert", "runtime_version": "2.3.0"})
F = {name: i for i, name in enumerate(DETECTOR_FEATURES)}
TRAIN = 40


def _law_ms(text: str, shape: tuple[int, int, int]) -> float:
    """The made-up law: compute, activation traffic, up-sampling and a per-block overhead."""
    x = detector_features(parse_detector(text), input_shape=shape, num_classes=91)
    return (0.3 + 0.005 * x[F["total_macs_m"]] + 0.0006 * x[F["block_activation_k"]]
            + 0.002 * x[F["upsampled_values_k"]] + 0.04 * x[F["num_blocks"]])  # fmt: skip


@pytest.fixture(scope="module")
def fpn() -> list[tuple[str, tuple[int, int, int]]]:
    return random_detectors("mnasnet", task="detection", count=TRAIN + 12, seed=7, image_sizes=(256, 320))


@pytest.fixture(scope="module")
def nasfpn() -> list[tuple[str, tuple[int, int, int]]]:
    return random_detectors("nasfpn", count=TRAIN + 12, seed=7, image_sizes=(256, 384))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, fpn, nasfpn) -> MeasurementStore:
    """Both kinds' training detectors in one store, interleaved."""
    store = MeasurementStore(tmp_path_factory.mktemp("chain") / "det.sqlite")
    for (a, a_shape), (b, b_shape) in zip(fpn[:TRAIN], nasfpn[:TRAIN], strict=True):
        store.add_network(KEY, NetworkMeasurement("mnasnet:detection", a, a_shape, 91, _law_ms(a, a_shape)), RESULT)
        store.add_network(KEY, NetworkMeasurement("nasfpn", b, b_shape, 91, _law_ms(b, b_shape)), RESULT)
    return store


@pytest.fixture(scope="module")
def fpn_predictor(store) -> DetectorLatencyPredictor:
    return fit_detector_predictor(store, KEY, kinds=("chain_detector",), seed=0)


@pytest.fixture(scope="module")
def nasfpn_predictor(store) -> DetectorLatencyPredictor:
    return fit_detector_predictor(store, KEY, kinds=("nasfpn_detector",), seed=0)


def _relative_errors(predictor: DetectorLatencyPredictor, held_out) -> np.ndarray:
    predicted = predictor.predict_many([parse_detector(t) for t, _ in held_out],
                                       input_shapes=[s for _, s in held_out], num_classes=91)  # fmt: skip
    return np.abs(predicted / np.array([_law_ms(t, s) for t, s in held_out]) - 1)


def test_each_kind_learns_the_law_on_held_out_detectors(fpn_predictor, nasfpn_predictor, fpn, nasfpn) -> None:
    assert {s for _, s in fpn} == {(256, 256, 3), (320, 320, 3)}
    assert {s for _, s in nasfpn} == {(256, 256, 3), (384, 384, 3)}
    for predictor, held_out, kind, sizes in ((fpn_predictor, fpn[TRAIN:], "chain_detector", (256, 320)),
                                             (nasfpn_predictor, nasfpn[TRAIN:], "nasfpn_detector", (256, 384))):
        # The law is linear in the per-MAC inputs (`model_inputs`): learned to well under 1 %.
        assert _relative_errors(predictor, held_out).max() < 0.005
        assert predictor.info.training["detectors"] == TRAIN and predictor.info.training["family"] == "linear"
        assert 0 < predictor.error_bound < 0.005
        domain = predictor.domain
        assert domain.kinds == (kind,) and domain.families == () and domain.num_classes == (91,)
        assert (domain.min_image_size, domain.max_image_size) == sizes
    assert fpn_predictor.info.spaces == ("mnasnet:detection",) and nasfpn_predictor.info.spaces == ("nasfpn",)
    assert set(fpn_predictor.domain.block_fns) <= {"conv", "mbconv"}
    assert nasfpn_predictor.domain.block_fns == ("mbconv",)  # the space's fixed MobileNetV2 backbone


def test_a_predictor_of_one_kind_refuses_the_others(fpn_predictor, nasfpn_predictor, fpn, nasfpn) -> None:
    chain, chain_shape = parse_detector(fpn[0][0]), fpn[0][1]
    nas, nas_shape = parse_detector(nasfpn[0][0]), nasfpn[0][1]
    with pytest.raises(OutOfDomainError, match="^the predictor was trained on chain_detector networks, not "
                                               "nasfpn_detector$"):  # fmt: skip
        fpn_predictor.predict(nas, input_shape=nas_shape, num_classes=91)
    with pytest.raises(OutOfDomainError, match="trained on nasfpn_detector networks, not chain_detector$"):
        nasfpn_predictor.predict(chain, input_shape=chain_shape, num_classes=91)
    spinenet_text, spinenet_shape = random_detectors("spinenet_mbconv", count=1, seed=0)[0]
    with pytest.raises(OutOfDomainError, match="trained on chain_detector networks, not spinenet_detector$"):
        fpn_predictor.predict(parse_detector(spinenet_text), input_shape=spinenet_shape, num_classes=91)
    # A chain backbone of a block type it never saw (EfficientNetV2's fused MBConv).
    fused = next(t for t, _ in random_detectors("efficientnet_v2", task="detection", count=8, seed=0)
                 if "fused_mbconv" in t)  # fmt: skip
    with pytest.raises(OutOfDomainError, match="trained on chain backbones of (conv/)?mbconv blocks, not fused_mbconv"):
        fpn_predictor.predict(parse_detector(fused), input_shape=(320, 320, 3), num_classes=91)
    with pytest.raises(OutOfDomainError, match="inputs of 256..384 pixels, not 512"):
        nasfpn_predictor.predict(nas, input_shape=(512, 512, 3), num_classes=91)
    with pytest.raises(OutOfDomainError, match="reads SpineNetDetectorSpec, ChainDetectorSpec or NasFpnDetectorSpec, "
                                               "not ArchSpec"):  # fmt: skip
        fpn_predictor.predict(chain.backbone, input_shape=chain_shape, num_classes=91)


def test_one_predictor_may_serve_both_kinds(store, fpn, nasfpn) -> None:
    both = fit_detector_predictor(store, KEY, seed=0)
    assert both.domain.kinds == ("chain_detector", "nasfpn_detector")
    assert both.info.training["detectors"] == 2 * TRAIN
    assert _relative_errors(both, fpn[TRAIN:] + nasfpn[TRAIN:]).max() < 0.005


def test_the_file_keeps_the_kinds_and_reads_version_1_files_as_spinenet(fpn_predictor, fpn, tmp_path: Path) -> None:
    path = fpn_predictor.save(tmp_path / "fpn.json")
    loaded = DetectorLatencyPredictor.load(path)
    assert loaded.domain == fpn_predictor.domain and loaded.info == fpn_predictor.info
    spec, shape = parse_detector(fpn[TRAIN][0]), fpn[TRAIN][1]
    assert loaded.predict(spec, input_shape=shape, num_classes=91) == fpn_predictor.predict(
        spec, input_shape=shape, num_classes=91
    )
    data = json.loads(path.read_text())
    assert data["version"] == DETECTOR_FILE_VERSION == 2 and data["domain"]["kinds"] == ["chain_detector"]
    # A version 1 file (before chain backbones: no kinds, no block types) is a SpineNet predictor.
    old = {**data, "version": 1, "domain": {**data["domain"], "families": ["mobile"]}}
    del old["domain"]["kinds"], old["domain"]["block_fns"]
    (tmp_path / "old.json").write_text(json.dumps(old))
    v1 = DetectorLatencyPredictor.load(tmp_path / "old.json")
    assert v1.domain.kinds == ("spinenet_detector",) and v1.domain.block_fns == ()
    with pytest.raises(OutOfDomainError, match="trained on spinenet_detector networks, not chain_detector"):
        v1.predict(spec, input_shape=shape, num_classes=91)
    bad = {**data, "domain": {**data["domain"], "kinds": ["segmenter"]}}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(PredictorFileError, match="malformed .*unknown detector kinds \\['segmenter'\\]"):
        DetectorLatencyPredictor.load(tmp_path / "bad.json")


def test_rows_are_read_by_kind(store, fpn) -> None:
    assert len(detector_rows(store, KEY)) == 2 * TRAIN
    assert {n.space for _, n in detector_rows(store, KEY, kinds=["nasfpn_detector"])} == {"nasfpn"}
    with pytest.raises(RegressorOptionError, match="detector kinds must be some of spinenet_detector, chain_detector, "
                                                   "nasfpn_detector; got \\['fpn'\\]"):  # fmt: skip
        detector_rows(store, KEY, kinds=["fpn"])
    text = fpn[0][0]
    assert str(parse_detector(text)) == text
    with pytest.raises(SpecParseError, match="^not a detector spec string \\(SpineNetDetectorSpec: .*; "
                                             "ChainDetectorSpec: .*; NasFpnDetectorSpec: "):  # fmt: skip
        parse_detector(text.split("|")[0])


def test_too_few_detectors_of_a_kind_names_how_to_collect_them(fpn, tmp_path: Path) -> None:
    with MeasurementStore(tmp_path / "few.sqlite") as store:
        for text, shape in fpn[: MIN_DETECTORS - 1]:
            store.add_network(KEY, NetworkMeasurement("mnasnet:detection", text, shape, 91, 5.0), RESULT)
        with pytest.raises(TrainingError, match=f"holds {MIN_DETECTORS - 1} measured chain detectors \\(FPN\\) .*"
                                                "run `edgenas predictor collect --space mnasnet --task detection`"):
            fit_detector_predictor(store, KEY)
        with pytest.raises(TrainingError, match="holds 0 measured NAS-FPN detectors .*--space nasfpn`"):
            fit_detector_predictor(store, KEY, kinds=("nasfpn_detector",))
