"""Every registered search algorithm drives a search and resumes it as if it had never stopped.

Candidates are evaluated by an in-process stand-in of the worker pool (`_search_fakes`).
"""

import os
import sys

import pytest

from edgenas.search.algorithms import SurrogateEvolution, algorithm_names, is_multi_objective
from edgenas.search.rewards import make_reward
from edgenas.store import StudyMismatchError, TrialStatus

sys.path.insert(0, os.path.dirname(__file__))
import _search_fakes as fakes  # noqa: E402

# Options that make the feedback-driven phase start within 8 trials.
SMALL = {
    "evolution": {"population_size": 3, "tournament_size": 2},
    "nsga2": {"population_size": 3},
    "ppo": {"batch_size": 3},
    "tpe": {"n_startup_trials": 3},
    "motpe": {"n_startup_trials": 3},
    "surrogate_evolution": {"population_size": 3, "tournament_size": 2},
}
SEARCHABLE = sorted(set(algorithm_names()) - {"grid"})  # grid refuses a space of 1e16 points


def test_every_algorithm_but_grid_is_covered():
    assert set(SEARCHABLE) == set(SMALL) | {"random"}


def _outcomes():
    """Trial 2 fails (its export raises); the others export."""
    count = iter(range(1000))
    return lambda job: (fakes.failing("boom") if next(count) == 2 else fakes.exported)(job)


def _search(tmp_path, name, trials, db, **extra):
    reward = make_reward("pareto" if is_multi_objective(name) else "mnasnet-soft", target_ms=2.0)
    return fakes.search(tmp_path, trials, db=tmp_path / db, algorithm=name, reward=reward,
                        algorithm_options=SMALL.get(name, {}), **extra)  # fmt: skip


@pytest.mark.parametrize("name", SEARCHABLE)
def test_a_search_resumed_midway_proposes_what_an_uninterrupted_one_does(tmp_path, monkeypatch, name):
    fakes.install(monkeypatch, _outcomes())
    whole = _search(tmp_path, name, 8, "whole.sqlite")
    fakes.install(monkeypatch, _outcomes())  # one count over both halves: the same trial 2 fails
    first = _search(tmp_path, name, 4, "split.sqlite")
    resumed = _search(tmp_path, name, 8, "split.sqlite", resume=True)
    assert resumed.trials[:4] == first.trials
    assert [t.dna for t in resumed.trials] == [t.dna for t in whole.trials]
    statuses = [t.status for t in resumed.trials]
    assert statuses == [t.status for t in whole.trials] and statuses.count(TrialStatus.FAILED) == 1
    assert statuses[2] is TrialStatus.FAILED
    assert len({t.spec for t in resumed.trials}) == 8


def test_a_multi_objective_algorithm_under_a_scalar_reward_is_told_accuracy_and_latency(tmp_path, monkeypatch):
    """The reward ranks the trials; the algorithm searches the front and is told each trial's objectives."""
    told = []
    feedback = SurrogateEvolution._feedback
    monkeypatch.setattr(SurrogateEvolution, "_feedback", lambda self, dna, reward: (told.append(reward),
                                                                                     feedback(self, dna, reward)))
    fakes.install(monkeypatch, _outcomes())
    result = fakes.search(tmp_path, 5, algorithm="surrogate_evolution",
                          algorithm_options={"population_size": 2, "tournament_size": 2})  # fmt: skip
    done = [t for t in result.trials if t.status is TrialStatus.DONE]
    assert len(done) == 4 and all(t.objectives is None and t.reward > 0 for t in done)
    assert told[2] == (-1.0, -1e9)  # the failed trial
    assert [told[t.index] for t in done] == [(t.accuracy, -t.latency_ms) for t in done]
    told.clear()
    resumed = fakes.search(tmp_path, 6, resume=True, algorithm="surrogate_evolution",
                           algorithm_options={"population_size": 2, "tournament_size": 2})  # fmt: skip
    assert resumed.trials[:5] == result.trials and told[:5] == [
        (-1.0, -1e9) if t.index == 2 else (t.accuracy, -t.latency_ms) for t in result.trials
    ]


def test_a_study_resumed_with_other_sampler_options_is_refused(tmp_path, monkeypatch):
    pool = fakes.install(monkeypatch)
    fakes.search(tmp_path, 2, algorithm="tpe", algorithm_options={"n_startup_trials": 3})
    with pytest.raises(StudyMismatchError, match="algorithm") as raised:
        fakes.search(tmp_path, 4, resume=True, algorithm="tpe", algorithm_options={"n_startup_trials": 4})
    assert '"n_startup_trials": 3' in str(raised.value) and len(pool.evaluated) == 2
