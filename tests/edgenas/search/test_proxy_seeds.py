"""`search(proxy_seeds=k)`: k proxy trainings per candidate, scored by their mean, each score stored.

Candidates are evaluated by an in-process stand-in of the worker pool (`_search_fakes`); the real trainings
run in `test_loop.py`'s long form.
"""

import os
import statistics
import sys

import pytest

from edgenas.store import StudyMismatchError, TrialStore

sys.path.insert(0, os.path.dirname(__file__))
import _search_fakes as fakes  # noqa: E402


def test_each_candidate_trains_once_per_seed_and_scores_the_mean(tmp_path, monkeypatch):
    pool = fakes.install(monkeypatch)
    result = fakes.search(tmp_path, 2, proxy_seeds=3)
    specs = [t.spec for t in result.trials]
    assert pool.evaluated == specs  # the first seed with the export, the others as trainings alone
    assert pool.scored == [(specs[0], 1), (specs[0], 2), (specs[1], 1), (specs[1], 2)]
    for trial in result.done:
        assert trial.proxy_scores[1:] == (fakes.hashed_score(trial.spec, 1), fakes.hashed_score(trial.spec, 2))
        assert trial.accuracy == pytest.approx(statistics.fmean(trial.proxy_scores))
    with TrialStore(tmp_path / "study.sqlite") as store:
        assert store.study("default").proxy_seeds == 3
        assert store.trials("default") == list(result.trials)


def test_one_seed_stores_its_single_score(tmp_path, monkeypatch):
    pool = fakes.install(monkeypatch)
    (trial,) = fakes.search(tmp_path, 1).trials
    assert trial.proxy_scores == (trial.accuracy,) and pool.scored == []


def test_a_resume_with_other_seeds_is_refused_and_the_same_seeds_continue(tmp_path, monkeypatch):
    pool = fakes.install(monkeypatch)
    first = fakes.search(tmp_path, 1, proxy_seeds=2)
    with pytest.raises(StudyMismatchError, match=r"proxy_seeds: stored 2, given 1") as info:
        fakes.search(tmp_path, 2, resume=True)
    assert info.value.fields == ("proxy_seeds",) and len(pool.evaluated) == 1
    resumed = fakes.search(tmp_path, 2, resume=True, proxy_seeds=2)
    assert resumed.trials[0] == first.trials[0] and len(resumed.trials[1].proxy_scores) == 2
