import json
import os
import statistics
import subprocess
import sys

import pyglove as pg
import pytest

from edgenas.errors import EdgenasError
from edgenas.search.algorithms import AlgorithmOptionError, UnsupportedSpaceError, make_algorithm

SPACE = pg.List([pg.oneof([0, 1, 2, 3]) for _ in range(8)])


def _score(dna):
    return sum(dna.to_numbers()) / 24.0


def _objectives(dna):
    numbers = dna.to_numbers()
    return (sum(numbers[:4]) / 12.0, -float(1 + sum(numbers[4:])))


def _proposals(name, seed, *, steps=30, **options):
    generator = make_algorithm(name, seed=seed, **options)
    generator.setup(pg.dna_spec(SPACE))
    proposed = []
    for _ in range(steps):
        dna = generator.propose()
        proposed.append(dna.to_numbers())
        generator.feedback(dna, _objectives(dna) if generator.multi_objective else _score(dna))
    return proposed


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("tpe", {"n_startup_trials": -1}, "algorithm 'tpe': n_startup_trials must be an integer >= 0, got -1"),
        ("tpe", {"n_ei_candidates": 2.5}, "algorithm 'tpe': n_ei_candidates must be an integer >= 1, got 2.5"),
        ("tpe", {"multivariate": "yes"}, "algorithm 'tpe': multivariate must be true or false, got 'yes'"),
        ("tpe", {"multivariate": False, "group": True}, "algorithm 'tpe': group=true needs multivariate=true"),
        ("motpe", {"constant_liar": 1}, "algorithm 'motpe': constant_liar must be true or false, got 1"),
        ("nsga2", {"population_size": 1},
         "algorithm 'nsga2': population_size must be an integer >= 2, got 1"),
        ("nsga2", {"mutation_prob": 1.5},
         "algorithm 'nsga2': mutation_prob must be a number from 0 to 1, got 1.5"),
        ("nsga2", {"crossover_prob": True},
         "algorithm 'nsga2': crossover_prob must be a number from 0 to 1, got True"),
    ],
)
def test_bad_options_are_refused_at_once_naming_the_algorithm(name, options, message):
    with pytest.raises(AlgorithmOptionError) as raised:
        make_algorithm(name, seed=0, **options)
    assert str(raised.value) == message
    assert isinstance(raised.value, EdgenasError)


def test_tpe_learns_from_its_feedback():
    """After its random start, TPE proposes better points than random search on the same budget."""
    tpe = [sum(p) / 24.0 for p in _proposals("tpe", 3, steps=60, n_startup_trials=10)]
    rand = [sum(p) / 24.0 for p in _proposals("random", 3, steps=60)]
    assert statistics.mean(tpe[-20:]) > statistics.mean(rand[-20:]) + 0.15


@pytest.mark.parametrize("name", ["motpe", "nsga2"])
def test_multi_objective_samplers_run_under_pg_sample(name):
    generator = make_algorithm(name, seed=1, **({"population_size": 4} if name == "nsga2" else {}))
    seen = []
    for _, feedback in pg.sample(SPACE, generator, num_examples=16, metrics_to_optimize=["accuracy", "neg_ms"]):
        feedback(_objectives(feedback.dna))
        seen.append(feedback.dna.to_numbers())
    assert len(seen) == 16 and generator.num_feedbacks == 16
    assert generator._study.directions[0].name == "MAXIMIZE" and len(generator._study.best_trials) >= 1


def test_a_dna_proposed_twice_takes_two_feedbacks_and_an_unknown_one_none():
    generator = make_algorithm("tpe", seed=0)
    generator.setup(pg.dna_spec(pg.oneof([1, 2])))  # a space of two points repeats itself at once
    proposed = [generator.propose() for _ in range(5)]
    for dna in proposed:
        generator.feedback(dna, 0.5)
    assert len(generator._study.trials) == 5 and all(t.value == 0.5 for t in generator._study.trials)
    with pytest.raises(ValueError, match="no open proposal of"):
        generator.feedback(proposed[0], 0.5)


def test_a_space_of_custom_decisions_is_refused_at_setup():
    generator = make_algorithm("tpe", seed=0)
    with pytest.raises(UnsupportedSpaceError, match="custom decision point"):
        generator.setup(pg.dna_spec(pg.Dict(a=pg.evolve([1, 2], lambda x, r: x))))


_CHILD = """
import json, sys
sys.path[:0] = {path!r}
from tests.edgenas.search.algorithms.test_optuna_samplers import _proposals
print(json.dumps({{name: _proposals(name, 5, steps=25, n_startup_trials=5) for name in ("tpe", "motpe")}}))
"""


def test_the_same_seed_gives_the_same_proposals_in_another_process():
    """A resumed search replays its trials in a new process: string hashing (PYTHONHASHSEED) must not matter."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        child = subprocess.run(
            [sys.executable, "-c", _CHILD.format(path=[root])], env=env, capture_output=True, text=True, check=True
        )
        outputs.append(json.loads(child.stdout))
    assert outputs[0] == outputs[1]
    here = {name: _proposals(name, 5, steps=25, n_startup_trials=5) for name in ("tpe", "motpe")}
    assert here == outputs[0]
    assert here["tpe"] != _proposals("tpe", 6, steps=25, n_startup_trials=5)
