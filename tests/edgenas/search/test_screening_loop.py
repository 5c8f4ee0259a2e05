"""`search(screening=...)`: proposals a predictor rules out are not trained, and a resume drops the same ones.

Candidates are evaluated by the in-process stand-in of the worker pool (`_search_fakes`: an accuracy hashed from
the spec), their latency predicted by a predictor trained on a known law (`_law_predictor`); the loop, the
screen, the store and the algorithms are real.
"""

import os
import sys

import numpy as np
import pytest
from sklearn.linear_model import Ridge

import edgenas
from edgenas.errors import EdgenasError
from edgenas.search import Screening, ScreeningError
from edgenas.search.rewards import make_reward
from edgenas.store import StudyMismatchError, TrialStore

sys.path.insert(0, os.path.dirname(__file__))
import _search_fakes as fakes  # noqa: E402
from _law_predictor import CLASSES, SHAPE, predictor_file  # noqa: E402

_TARGET_MS = 6.0  # about the median predicted latency of the space at 64x64 under the law below


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    return predictor_file(tmp_path_factory.mktemp("predictors"), scale=0.2)


def _search(tmp_path, trials, predictor, **overrides):
    options = dict(reward=make_reward("mnasnet-hard", target_ms=_TARGET_MS), latency=f"predicted:{predictor}",
                   screening=Screening(predictor=predictor, min_trials=6))  # fmt: skip
    return fakes.search(tmp_path, trials, **{**options, **overrides})


def _one_hot(space, dnas):
    counts = [len(p.candidates) for p in space.dna_spec.decision_points]
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = np.zeros((len(dnas), sum(counts)))
    for row, dna in enumerate(dnas):
        out[row, offsets + np.asarray(dna)] = 1.0
    return out


def test_screening_drops_what_cannot_beat_the_best_and_trains_only_what_might(tmp_path, monkeypatch, predictor):
    fakes.install(monkeypatch)
    result = _search(tmp_path, 24, predictor)
    assert result.screened > 0 and len(result.trials) == 24
    # Every trial trained once six were complete could, by an independent fit (scikit-learn's ridge with an
    # unpenalised intercept, its deviation from refits without each trial), beat the best reward before it at the
    # fastest latency the predictor allows; or the predictor could not predict it (kept: where it knows least).
    space, reward = edgenas.spaces.get("mnasnet"), make_reward("mnasnet-hard", target_ms=_TARGET_MS)
    model = edgenas.LatencyPredictor.load(predictor)
    trials, checked = result.trials, 0
    for i in range(6, len(trials)):
        try:
            model.predict(edgenas.ArchSpec.parse(trials[i].spec), input_shape=SHAPE, num_classes=CLASSES)
        except ValueError:
            continue
        before = trials[:i]
        x, y = _one_hot(space, [t.dna for t in before]), np.array([t.accuracy for t in before])
        held_out = [Ridge(alpha=1.0).fit(np.delete(x, j, 0), np.delete(y, j)).predict(x[j : j + 1])[0] - y[j]
                    for j in range(len(y))]  # fmt: skip
        mean = float(Ridge(alpha=1.0).fit(x, y).predict(_one_hot(space, [trials[i].dna]))[0])
        bound = min(1.0, mean + 2.0 * float(np.sqrt(np.mean(np.square(held_out)))))
        best = max(t.reward for t in before)
        assert reward(accuracy=bound, latency_ms=trials[i].latency_ms / 1.1) > best, i
        checked += 1
    assert checked >= 5
    with TrialStore(tmp_path / "study.sqlite") as store:
        assert '"min_trials":6' in store.study("default").screening


def test_a_resumed_screened_search_drops_and_trains_what_an_uninterrupted_one_does(tmp_path, monkeypatch, predictor):
    fakes.install(monkeypatch)
    whole = _search(tmp_path / "whole", 20, predictor)
    _search(tmp_path / "cut", 9, predictor)
    resumed = _search(tmp_path / "cut", 20, predictor, resume=True)
    assert [t.spec for t in resumed.trials] == [t.spec for t in whole.trials]
    assert resumed.screened == whole.screened > 0


def test_screening_settings_belong_to_the_study(tmp_path, monkeypatch, predictor):
    fakes.install(monkeypatch)
    _search(tmp_path, 2, predictor)
    with pytest.raises(StudyMismatchError, match="screening") as info:
        _search(tmp_path, 3, predictor, resume=True, screening=Screening(predictor=predictor, min_trials=7))
    assert info.value.fields == ("screening",)


def test_screening_that_cannot_run_is_refused_before_the_store_is_created(tmp_path, monkeypatch, predictor):
    fakes.install(monkeypatch)
    with pytest.raises(EdgenasError, match="screening must be an edgenas.search.Screening"):
        _search(tmp_path, 2, predictor, screening=str(predictor))
    with pytest.raises(EdgenasError, match="no predictor file"):
        _search(tmp_path, 2, predictor, screening=Screening(predictor=tmp_path / "missing.json"))
    with pytest.raises(EdgenasError, match="covers space 'mnasnet', not 'efficientnet_v2'"):
        edgenas.run_search(edgenas.spaces.get("efficientnet_v2"), reward=make_reward("mnasnet-hard", target_ms=5.0),
                           trials=1, db=tmp_path / "e.sqlite", screening=Screening(predictor=predictor),
                           input_shape=SHAPE, num_classes=CLASSES, latency=fakes.FakeDevice(), progress=False)  # fmt: skip
    with pytest.raises(EdgenasError, match="cannot predict"):
        _search(tmp_path, 2, predictor, input_shape=(96, 96, 3))
    with pytest.raises(ScreeningError, match="min_trials"):
        Screening(predictor=predictor, min_trials=1)
    assert not (tmp_path / "study.sqlite").exists() and not (tmp_path / "e.sqlite").exists()
