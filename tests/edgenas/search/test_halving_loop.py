"""`search(halving=...)`: trainings scored at rungs, stopped by the promotion rule, stored, resumed.

Candidates are evaluated by the in-process stand-in of the worker pool (`_search_fakes`), whose trainings climb to
a hashed score and ask the loop's real gate at each rung; the real trainings with rungs run in
`tests/edgenas/proxy/test_train_rungs.py` and in this file's long form.
"""

import hashlib
import os
import sys
from pathlib import Path

import pytest

import edgenas
from edgenas.errors import EdgenasError
from edgenas.search import Halving, HalvingError
from edgenas.search.rewards import make_reward
from edgenas.store import StudyMismatchError, TrialStore

sys.path.insert(0, os.path.dirname(__file__))
import _search_fakes as fakes  # noqa: E402

_STEPS = 9
_TASK = edgenas.proxy.ProxyTask(dataset="shapes", steps=_STEPS, image_size=32, num_images=96, batch_size=16)
_HALVING = Halving(eta=3, rungs=3)  # rungs at 1, 3 and 9 steps


def _varied_ms(path: Path) -> float:
    """A latency from 1 to 5 ms read from the model file's name, so that the Pareto ranking has two axes."""
    return 1.0 + 4.0 * int(hashlib.sha256(path.name.encode()).hexdigest()[:4], 16) / 0xFFFF


def _search(tmp_path, trials, **overrides):
    options = dict(accuracy=_TASK, halving=_HALVING, latency=fakes.FakeDevice("board", latency_ms=_varied_ms))
    return fakes.search(tmp_path, trials, **{**options, **overrides})


def _goes_on(reward, own, peers, eta):
    """The rule as its docstring states it, point by point: rank each point by how many points are strictly
    ahead of it (a strictly higher score, and no slower under Pareto or a higher reward under a scalar reward);
    go on when the trial's count is at most the max(n // eta, 1)-th smallest."""
    points = [*peers, own]

    def ahead(a, b):  # a ranks strictly ahead of b
        if not a[0] > b[0]:
            return False
        if reward.is_pareto:
            return a[1] <= b[1]
        return reward(accuracy=a[0], latency_ms=a[1]) > reward(accuracy=b[0], latency_ms=b[1])

    counts = [sum(ahead(p, q) for p in points) for q in points]
    return counts[-1] <= sorted(counts)[max(len(points) // eta, 1) - 1]


def _check_every_decision(trials, reward, rung_steps, eta=_HALVING.eta):
    """Each trial went on past a rung exactly when the rule, over the earlier trials' points there, says so."""
    for i, trial in enumerate(trials):
        for k, steps in enumerate(rung_steps[:-1]):
            reached = [r for r in trial.rungs if r.steps == steps]
            if not reached:
                break
            peers = [(r.score, t.latency_ms) for t in trials[:i] for r in t.rungs if r.steps == steps]
            went_on = trial.rungs[-1].steps > steps
            assert went_on == _goes_on(reward, (reached[0].score, trial.latency_ms), peers, eta), (i, k)


@pytest.mark.parametrize(("reward_name", "algorithm"), [("mnasnet-soft", "random"), ("pareto", "surrogate_evolution")])
def test_trainings_stop_where_the_rule_says_and_stopped_trials_leave_the_front(tmp_path, monkeypatch, reward_name,
                                                                               algorithm):  # fmt: skip
    pool = fakes.install(monkeypatch)
    reward = make_reward(reward_name, target_ms=3.0)
    result = _search(tmp_path, 24, reward=reward, algorithm=algorithm)
    trials = result.trials
    assert pool.halved == [t.spec for t in trials]  # every candidate trained with rungs, its export alone first
    assert all(job_spec in pool.evaluated for job_spec in pool.halved)
    _check_every_decision(trials, reward, _HALVING.rung_steps(_STEPS))
    stopped = [t for t in trials if t.stopped_early]
    assert 0 < len(stopped) < len(trials) and not trials[0].stopped_early
    for t in trials:
        assert t.accuracy == t.rungs[-1].score and t.proxy_scores == (t.accuracy,)
        assert [r.steps for r in t.rungs] == [1, 3, 9][: len(t.rungs)]
        assert t.stopped_early == (t.rungs[-1].steps < _STEPS) and t.complete == (not t.stopped_early)
    front = result.pareto_front()
    assert front and not any(t.stopped_early for t in front)
    assert not result.best().stopped_early
    with TrialStore(tmp_path / "study.sqlite") as store:
        assert store.trials("default") == list(trials)
        assert store.study("default").halving == '{"eta":3,"rungs":3}'
        assert not store.best("default").stopped_early


def test_a_resumed_search_makes_the_same_decisions_as_an_uninterrupted_one(tmp_path, monkeypatch):
    fakes.install(monkeypatch)
    whole = _search(tmp_path / "whole", 16)
    _search(tmp_path / "cut", 7)
    resumed = _search(tmp_path / "cut", 16, resume=True)
    assert [(t.spec, t.rungs, t.stopped_early, t.accuracy) for t in resumed.trials] == [
        (t.spec, t.rungs, t.stopped_early, t.accuracy) for t in whole.trials
    ]
    assert any(t.stopped_early for t in whole.trials[7:]) and any(t.complete for t in whole.trials[7:])


def test_a_stopped_trial_runs_none_of_its_other_proxy_seeds(tmp_path, monkeypatch):
    pool = fakes.install(monkeypatch)
    result = _search(tmp_path, 16, proxy_seeds=2)
    for t in result.trials:
        assert len(t.proxy_scores) == (1 if t.stopped_early else 2)
    assert [spec for spec, _ in pool.scored] == [t.spec for t in result.trials if not t.stopped_early]


def test_a_resume_with_other_halving_or_none_is_refused(tmp_path, monkeypatch):
    fakes.install(monkeypatch)
    _search(tmp_path, 2)
    with pytest.raises(StudyMismatchError, match="halving") as info:
        _search(tmp_path, 3, resume=True, halving=Halving(eta=2, rungs=3))
    assert info.value.fields == ("halving",)
    with pytest.raises(StudyMismatchError, match="halving"):
        _search(tmp_path, 3, resume=True, halving=None)


def test_halving_that_cannot_run_is_refused_before_the_store_is_created(tmp_path, monkeypatch):
    fakes.install(monkeypatch)
    with pytest.raises(HalvingError, match=r"\[0, 1, 3, 9\]"):  # a rung below one step
        _search(tmp_path, 2, halving=Halving(eta=3, rungs=4))
    with pytest.raises(EdgenasError, match="halving must be an edgenas.search.Halving"):
        _search(tmp_path, 2, halving="3:2")
    # A family whose proxy training has no rungs (a plugin's, say): the base class's refusal.
    from edgenas.families.chain_classifier import ChainClassifierFamily  # noqa: PLC0415
    from edgenas.families.family import Family  # noqa: PLC0415

    monkeypatch.setattr(ChainClassifierFamily, "train_proxy_with_rungs", Family.train_proxy_with_rungs)
    with pytest.raises(EdgenasError, match="the chain_classifier family's proxy training .* cannot stop at rungs"):
        _search(tmp_path, 2, db=tmp_path / "d.sqlite")
    assert not (tmp_path / "study.sqlite").exists() and not (tmp_path / "d.sqlite").exists()


@pytest.mark.slow
def test_a_real_search_with_halving_trains_in_workers_and_keeps_every_decision(tmp_path):
    """Real workers: the rule travels to them pickled, trainings are scored at rungs, latency is measured."""
    halving = Halving(eta=3, rungs=2)  # rungs at 3 and 9 steps
    task = edgenas.proxy.ProxyTask(dataset="shapes", steps=9, num_images=60, batch_size=8, image_size=16)
    reward = make_reward("mnasnet-soft", target_ms=2.0)
    result = edgenas.run_search(edgenas.spaces.get("mnasnet"), reward=reward, trials=3, db=tmp_path / "s.sqlite",
                                algorithm="random", accuracy=task, seed=1, input_shape=(64, 64, 3), num_classes=10,
                                halving=halving, progress=False)  # fmt: skip
    trials = result.trials
    assert [t.status.value for t in trials] == ["done"] * 3
    for t in trials:
        assert [r.steps for r in t.rungs] in ([3], [3, 9]) and t.accuracy == t.rungs[-1].score
        assert t.stopped_early == (len(t.rungs) == 1) and t.latency.device is not None  # measured here
    assert not trials[0].stopped_early
    _check_every_decision(trials, reward, halving.rung_steps(9), halving.eta)


def test_every_built_in_family_trains_with_rungs():
    from edgenas.families import families  # noqa: PLC0415

    assert [f.name for f in families() if not f.supports_rungs] == []
    assert len(families()) >= 5
