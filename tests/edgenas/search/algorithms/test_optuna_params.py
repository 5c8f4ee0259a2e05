import math
import random

import optuna
import pyglove as pg
import pytest

from edgenas.search.algorithms import UnsupportedSpaceError
from edgenas.search.algorithms.optuna_params import check_optuna_space, suggest_dna

SPACE = pg.Dict(
    a=pg.oneof([1, pg.Dict(x=pg.oneof([3, 4]), y=pg.floatv(0.1, 1.0, scale="log"))]),
    subset=pg.manyof(2, ["p", "q", "r", "s"], distinct=True, sorted=True),
    order=pg.permutate(["u", "v", "w"]),
    repeats=pg.manyof(2, [pg.oneof([7, 8]), 9, 10], distinct=False, sorted=False),
    top=pg.floatv(0.01, 1.0, scale="rlog"),
    plain=pg.floatv(-1.0, 1.0),
)
SPEC = pg.dna_spec(SPACE)


class Recorder:
    """A stand-in trial that draws uniformly and records every suggestion."""

    def __init__(self, seed):
        self._rng = random.Random(seed)
        self.categorical: dict[str, list[int]] = {}
        self.floats: dict[str, tuple[float, float, bool]] = {}

    def suggest_categorical(self, name, choices):
        assert name not in self.categorical and name not in self.floats, name
        self.categorical[name] = list(choices)
        return self._rng.choice(choices)

    def suggest_float(self, name, low, high, *, log=False):
        assert name not in self.categorical and name not in self.floats, name
        self.floats[name] = (low, high, log)
        return math.exp(self._rng.uniform(math.log(low), math.log(high))) if log else self._rng.uniform(low, high)


def _draws(count=200):
    for seed in range(count):
        trial = Recorder(seed)
        yield trial, pg.materialize(SPACE, suggest_dna(SPEC, trial))


def test_every_draw_is_a_valid_point_of_the_space():
    seen_orders, seen_subsets, nested = set(), set(), 0
    for trial, value in _draws():
        assert sorted(value.order) == ["u", "v", "w"]  # a permutation: every item once
        seen_orders.add(tuple(value.order))
        assert len(set(value.subset)) == 2 and list(value.subset) == sorted(value.subset)  # a sorted subset
        seen_subsets.add(tuple(value.subset))
        assert all(item in (7, 8, 9, 10) for item in value.repeats)
        assert 0.01 <= value.top <= 1.0 and -1.0 <= value.plain <= 1.0
        if isinstance(value.a, int):
            assert not any(name.startswith("a[=1/2]") for name in {**trial.categorical, **trial.floats})
        else:  # the nested decisions are asked only when their branch is taken
            nested += 1
            assert trial.categorical["a[=1/2].x"] == [0, 1]
            assert trial.floats["a[=1/2].y"] == (0.1, 1.0, True)
            assert 0.1 <= value.a.y <= 1.0
    assert len(seen_orders) == 6 and len(seen_subsets) == 6  # every permutation and every subset reachable
    assert 50 < nested < 150


def test_each_parameter_keeps_one_set_of_choices_across_trials():
    choices: dict[str, list[int]] = {}
    for trial, _ in _draws(100):
        for name, values in trial.categorical.items():
            assert choices.setdefault(name, values) == values, name
    # A permutation's i-th position picks among the n - i items left; a subset's likewise.
    assert [choices[f"order[{i}]"] for i in range(3)] == [[0, 1, 2], [0, 1], [0]]
    assert [choices[f"subset[{i}]"] for i in range(2)] == [[0, 1, 2, 3], [0, 1, 2]]
    assert [choices[f"repeats[{i}]"] for i in range(2)] == [[0, 1, 2], [0, 1, 2]]


def test_rlog_gathers_near_the_top():
    tops = [value.top for _, value in _draws(300)]
    assert sum(t > 0.5 for t in tops) > 0.7 * len(tops)  # rlog: dense near max_value


def test_a_real_optuna_trial_drives_the_walk():
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        trial = study.ask()
        dna = suggest_dna(SPEC, trial)
        assert dna.spec is SPEC
        study.tell(trial, 0.0)
    assert len(study.trials) == 20


def test_spaces_optuna_cannot_express_are_refused():
    with pytest.raises(UnsupportedSpaceError, match="no decision points"):
        check_optuna_space(pg.dna_spec(pg.Dict(a=1)))
    custom = pg.dna_spec(pg.Dict(a=pg.evolve([1, 2], lambda x, r: x)))
    with pytest.raises(UnsupportedSpaceError, match=r"decision a is a custom decision point"):
        check_optuna_space(custom)
    check_optuna_space(SPEC)
