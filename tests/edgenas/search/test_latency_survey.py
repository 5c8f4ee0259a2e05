"""Tests of edgenas/search/latency_survey.py: one batch of predictions over a space, before a search."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import edgenas
from edgenas.search.latency_survey import survey_space
from latency_models.layers import layers_of
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement
from latency_models.train import fit_predictor

KEY = MeasurementKey("board", "fp32", 1)
RESULT = json.dumps({"runtime": "litert", "runtime_version": "2.3.0"})


@pytest.fixture(scope="module")
def predictor(tmp_path_factory: pytest.TempPathFactory):
    """A linear predictor of mnasnet at 224: every layer costs 0.02 ms, a network 1.1 x its layers."""
    specs = edgenas.spaces.get("mnasnet").sample(n=200, seed=3)
    with MeasurementStore(tmp_path_factory.mktemp("survey") / "law.sqlite") as store:
        for layer in {x for s in specs for x in layers_of(s)}:
            store.add_layer(KEY, layer, 0.02, RESULT)
        for spec in specs[:60]:
            ms = 1.1 * 0.02 * len(layers_of(spec))
            store.add_network(KEY, NetworkMeasurement("mnasnet", str(spec), (224, 224, 3), 1000, ms), RESULT)
        return fit_predictor(store, KEY, families=("linear",), select=False)


def test_the_survey_predicts_the_space_in_one_batch(predictor) -> None:
    space = edgenas.spaces.get("mnasnet")
    survey = survey_space(predictor, space, input_shape=(224, 224, 3), num_classes=1000, target_ms=0.5,
                          points=20_000, seed=4)  # fmt: skip
    assert survey is not None and survey.points == 20_000
    low, p5, median, p95, high = survey.quantiles_ms
    assert low <= p5 <= median <= p95 <= high
    # The same points one spec at a time agree with the batch.
    sizes = np.array(space.decision_sizes())
    numbers = np.random.default_rng(4).integers(0, sizes, size=(20_000, sizes.size))
    specs = [space.spec_from_numbers(list(row)) for row in numbers[:300]]
    single = np.array([predictor.predict(s) for s in specs])
    assert low <= single.min() and single.max() <= high
    # Every layer costs the same here, so the fastest point by summed layers has the fewest layers.
    fastest = edgenas.ArchSpec.parse(survey.fastest_spec)
    assert len(layers_of(fastest)) == 2 + sum(min(stage.num_repeats) for stage in space.stages)
    assert survey.fastest_ms == pytest.approx(predictor.predict(fastest), rel=1e-9)
    assert survey.fastest_ms <= low * (1 + 1e-9)
    share = survey.within_target
    assert share is not None and 0 <= share <= 1
    lines = survey.lines()
    assert lines[0].startswith("predicted latency of 20,000 random points of mnasnet in ")
    assert f"{share:.1%} of them are predicted within the target 0.5 ms" in lines[1]


def test_a_target_below_every_prediction_is_flagged(predictor) -> None:
    space = edgenas.spaces.get("mnasnet")
    survey = survey_space(predictor, space, input_shape=(224, 224, 3), num_classes=1000, target_ms=0.01,
                          points=2_000)  # fmt: skip
    assert survey is not None and survey.out_of_reach and survey.within_target == 0.0
    assert survey.lines()[-1].startswith("warning: no surveyed point is predicted within the target 0.01 ms")
    roomy = survey_space(predictor, space, input_shape=(224, 224, 3), num_classes=1000, target_ms=1e6, points=2_000)
    assert roomy is not None and not roomy.out_of_reach and roomy.within_target == 1.0
    untargeted = survey_space(predictor, space, input_shape=(224, 224, 3), num_classes=1000, points=2_000)
    assert untargeted is not None and not untargeted.out_of_reach and len(untargeted.lines()) == 1


def test_spaces_and_predictors_that_cannot_compile_give_no_survey(predictor) -> None:
    spinenet = edgenas.spaces.get("spinenet")
    assert survey_space(predictor, spinenet, input_shape=(224, 224, 3), num_classes=1000) is None
    assert survey_space(object(), edgenas.spaces.get("mnasnet"), input_shape=(224, 224, 3), num_classes=1000) is None
