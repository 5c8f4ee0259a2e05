"""Searches whose latency is predicted, or predicted then measured where it matters (hybrid).

The predictor files here are trained on a store filled by a known law (as in
tests/latency_models/test_predictor.py), so the test knows what each
prediction must be; the searches themselves are real (training, export, the
local profiler for what the hybrid measures, real SQLite stores).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import edgenas
from devices import LatencyResult, LocalDevice
from edgenas.errors import EdgenasError
from edgenas.proxy import DetectionProxyTask, ProxyTask
from edgenas.search.latency_source import HybridLatency
from edgenas.search.rewards import make_reward
from edgenas.store import PredictedLatency, TrialStore
from latency_models.measurements import MeasurementKey, MeasurementStore

sys.path.insert(0, os.path.dirname(__file__))
from _law_predictor import CLASSES, SHAPE  # noqa: E402
from _law_predictor import predictor_file as _predictor_file  # noqa: E402


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the predictor files the tests of this file share."""
    return tmp_path_factory.mktemp("predictors")


def _search(tmp_path: Path, trials: int, *, reward: str = "mnasnet-soft", space: str = "mnasnet", **options):
    return edgenas.run_search(
        edgenas.spaces.get(space),
        reward=make_reward(reward, target_ms=2.0),
        trials=trials,
        db=tmp_path / "study.sqlite",
        algorithm="random",
        accuracy=ProxyTask(dataset="shapes", steps=3, image_size=32, num_images=96, batch_size=16),
        seed=5,
        input_shape=SHAPE,
        num_classes=CLASSES,
        profile_runs=5,
        progress=False,
        **options,
    )


@pytest.mark.slow
def test_a_predicted_search_times_nothing_and_records_the_predictions(tmp_path: Path, shared: Path) -> None:
    path = _predictor_file(shared, scale=0.05)
    result = _search(tmp_path, 2, latency=f"predicted:{path}")
    predictor = edgenas.LatencyPredictor.load(path)
    for trial in result.done:
        assert isinstance(trial.latency, PredictedLatency)
        expected = predictor.predict(edgenas.ArchSpec.parse(trial.spec), input_shape=SHAPE, num_classes=CLASSES)
        assert trial.latency_ms == pytest.approx(expected)
        assert (trial.latency.predictor, trial.latency.device) == (path.name, "board")
    with TrialStore(tmp_path / "study.sqlite") as store:
        assert store.studies()[0].device == "predicted[board]:litert:1t:fp32"
        assert store.trials("default") == list(result.trials)  # predicted latencies round-trip the store


@pytest.mark.slow
def test_a_hybrid_search_measures_only_what_could_beat_the_best(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The predictor says every network takes seconds, far over the 2 ms target of the hard reward (which
    # divides the accuracy by latency / target): after the first trial (measured: there is no best yet)
    # no candidate can beat the best, so none is measured.
    path = _predictor_file(tmp_path, scale=50.0)
    result = _search(tmp_path, 3, reward="mnasnet-hard", latency=HybridLatency(path, LocalDevice("local")))
    # Before any trial, the survey of the space (100,000 points in one batch) said the target is out of reach.
    assert "warning: no surveyed point is predicted within the target 2 ms" in capsys.readouterr().err
    kinds = [type(t.latency) for t in result.done]
    assert kinds == [LatencyResult, PredictedLatency, PredictedLatency]
    assert result.done[0].latency_ms < 100 < result.done[1].latency_ms
    with MeasurementStore(tmp_path / "study-latency.sqlite") as store:  # the measurement was fed back
        (network,) = store.networks(MeasurementKey("local", "fp32", 1))
    assert network.spec == result.done[0].spec and network.latency_ms == result.done[0].latency_ms
    assert network.input_shape == SHAPE and network.num_classes == CLASSES
    with TrialStore(tmp_path / "study.sqlite") as store:
        assert store.studies()[0].device == "hybrid[local]:litert:1t:fp32"


@pytest.mark.slow
@pytest.mark.long
def test_a_hybrid_search_on_efficientnet_v2_predicts_fused_blocks_and_measures_the_first(tmp_path: Path) -> None:
    # The layer-wise predictor knows fused-MBConv layers and per-stage activations: trained on the efficientnet_v2
    # space, it predicts its candidates, and the hybrid source measures only what could beat the best.
    path = _predictor_file(tmp_path, scale=50.0, space="efficientnet_v2")
    result = _search(tmp_path, 3, reward="mnasnet-hard", space="efficientnet_v2",
                     latency=HybridLatency(path, LocalDevice("local")))  # fmt: skip
    assert [type(t.latency) for t in result.done] == [LatencyResult, PredictedLatency, PredictedLatency]
    predictor = edgenas.LatencyPredictor.load(path)
    for trial in result.done[1:]:
        expected = predictor.predict(edgenas.ArchSpec.parse(trial.spec), input_shape=SHAPE, num_classes=CLASSES)
        assert trial.latency_ms == pytest.approx(expected)
    with pytest.raises(EdgenasError, match="the latency predictor covers space 'efficientnet_v2', not 'mnasnet'"):
        _search(tmp_path / "other", 1, latency=f"predicted:{path}")


def test_a_predictor_that_does_not_fit_the_search_is_refused_before_any_trial(tmp_path: Path, shared: Path) -> None:
    int8 = _predictor_file(shared, scale=0.05, precision="int8")
    with pytest.raises(EdgenasError, match="describes int8 with 1 thread"):
        _search(tmp_path, 1, latency=f"predicted:{int8}")
    fp32 = _predictor_file(shared, scale=0.05)
    with pytest.raises(EdgenasError, match=r"trained at input shape\(s\) \[\[64, 64, 3\]\], not \[96, 96, 3\]"):
        edgenas.run_search(edgenas.spaces.get("mnasnet"), reward=make_reward("mnasnet-soft", target_ms=2.0), trials=1,
                       db=tmp_path / "s.sqlite", input_shape=(96, 96, 3), num_classes=CLASSES,
                       latency=f"predicted:{fp32}", progress=False)  # fmt: skip
    wrong_family = "predicts chain_classifier networks .*candidates are chain_detector networks"
    with pytest.raises(EdgenasError, match=wrong_family):
        edgenas.run_search(edgenas.spaces.get("mnasnet", task="detection"), reward=make_reward("mnasnet-soft",
                           target_ms=2.0), trials=1, db=tmp_path / "s.sqlite", accuracy=DetectionProxyTask(),
                           latency=f"predicted:{fp32}", progress=False)  # fmt: skip
    with pytest.raises(EdgenasError, match="no predictor file"):
        _search(tmp_path, 1, latency=f"predicted:{tmp_path / 'missing.json'}")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(EdgenasError, match="not an edgenas latency predictor file"):
        _search(tmp_path, 1, latency=f"predicted:{tmp_path / 'bad.json'}")
    assert not (tmp_path / "study.sqlite").exists()


def test_before_training_halving_ranks_by_the_latency_each_source_would_record(tmp_path: Path, shared: Path) -> None:
    """Measured and predicted sources give their final latency; a hybrid its prediction `margin` faster, deciding
    whether to measure only after training, when the accuracy is known."""
    from devices import ProfileSettings  # noqa: PLC0415
    from edgenas.search.latency_source import latency_source  # noqa: PLC0415

    path = _predictor_file(shared, scale=0.05)
    spec = edgenas.spaces.get("mnasnet").sample(1, seed=0)[0]
    expected_ms = edgenas.LatencyPredictor.load(path).predict(spec, input_shape=SHAPE, num_classes=CLASSES)
    settings = ProfileSettings(runtime="litert", threads=1, runs=5)
    checks = dict(input_shape=SHAPE, num_classes=CLASSES, precision="fp32", threads=1)
    predicted = latency_source(f"predicted:{path}", settings=settings, trial_store=tmp_path / "s.sqlite")
    predicted.check(**checks)
    ms, final = predicted.before_training(spec, tmp_path / "unused.tflite")
    assert ms == pytest.approx(expected_ms) and isinstance(final, PredictedLatency) and final.latency_ms == ms
    hybrid = latency_source(HybridLatency(path, LocalDevice("local"), margin=0.2), settings=settings,
                            trial_store=tmp_path / "s.sqlite")  # fmt: skip
    try:
        hybrid.check(**checks)
        ms, final = hybrid.before_training(spec, tmp_path / "unused.tflite")
        assert ms == pytest.approx(0.8 * expected_ms) and final is None and hybrid.measured_count == 0
    finally:
        hybrid.close()
        predicted.close()
