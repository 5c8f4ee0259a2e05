import math

import pyglove as pg
import pytest

from edgenas.search import rewards
from edgenas.search.algorithms import (
    AlgorithmOptionError,
    SurrogateEvolution,
    UnsupportedSpaceError,
    is_multi_objective,
    make_algorithm,
)

SPACE = pg.List([pg.oneof([0, 1, 2, 3]) for _ in range(8)])
PARETO = rewards.pareto()


def _objectives(numbers):
    """Decisions 0-3 buy accuracy at a latency cost; 4-7 cost latency for nothing."""
    accuracy = 0.3 + 0.05 * sum(numbers[:4])
    latency_ms = 2.0 * math.exp(0.1 * sum(numbers[:4]) + 0.2 * sum(numbers[4:]))
    return PARETO(accuracy=accuracy, latency_ms=latency_ms)


def _search(name, seed, trials, **options):
    generator = make_algorithm(name, seed=seed, **options)
    generator.setup(pg.dna_spec(SPACE))
    points, proposed = [], []
    for _ in range(trials):
        dna = generator.propose()
        proposed.append(tuple(dna.to_numbers()))
        points.append(_objectives(dna.to_numbers()))
        generator.feedback(dna, points[-1])
    return proposed, points


def _hypervolume(points):
    return rewards.hypervolume(points, reference=rewards.ParetoObjectives(0.3, -2.0 * math.exp(3.6)))


def test_it_is_the_multi_objective_default_with_its_documented_options():
    generator = make_algorithm("surrogate_evolution", seed=3)
    assert isinstance(generator, SurrogateEvolution) and generator.multi_objective
    assert is_multi_objective("surrogate_evolution")
    assert (generator.population_size, generator.tournament_size, generator.candidates) == (20, 5, 100)


def test_it_finds_more_of_the_front_than_random_search():
    """Averaged over seeds, 60 trials of it dominate more than 60 random ones."""
    ours = [_hypervolume(_search("surrogate_evolution", seed, 60, population_size=10)[1]) for seed in range(3)]
    rand = [_hypervolume(_search("random", seed, 60)[1]) for seed in range(3)]
    assert sum(ours) > 1.1 * sum(rand)


def test_it_never_proposes_a_dna_twice():
    proposed, _ = _search("surrogate_evolution", 0, 120, population_size=10)
    assert len(set(proposed)) == 120


def test_a_failed_trial_stays_out_of_the_population_and_the_surrogate():
    generator = make_algorithm("surrogate_evolution", seed=0, population_size=3, tournament_size=2)
    generator.setup(pg.dna_spec(SPACE))
    failed = generator.propose()
    generator.feedback(failed, (-1.0, -1e9))  # the search's mark of a failed trial
    for _ in range(10):
        dna = generator.propose()
        assert dna.to_numbers() != failed.to_numbers()
        generator.feedback(dna, _objectives(dna.to_numbers()))
    assert all(member[1] >= 0 for member in generator._finished) and len(generator._finished) == 10
    assert len(generator._population) == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"population_size": 1}, "population_size must be an integer >= 2, got 1"),
        ({"candidates": 0}, "candidates must be an integer >= 1, got 0"),
        ({"population_size": 4, "tournament_size": 5}, "tournament_size (5) must not exceed population_size (4)"),
        ({"ridge": 0.0}, "ridge must be positive, got 0.0"),
        ({"crossover_prob": 2.0}, "Value 2.0 is out of range (min=0.0, max=1.0). (path=crossover_prob)"),
    ],
)
def test_bad_options_are_refused_naming_the_algorithm(options, message):
    with pytest.raises(AlgorithmOptionError) as raised:
        make_algorithm("surrogate_evolution", seed=0, **options)
    assert str(raised.value) == f"algorithm 'surrogate_evolution': {message}"


def test_a_space_that_is_not_flat_categorical_is_refused_at_setup():
    generator = make_algorithm("surrogate_evolution", seed=0)
    with pytest.raises(UnsupportedSpaceError, match="surrogate_evolution supports only categorical decisions"):
        generator.setup(pg.dna_spec(pg.Dict(a=pg.oneof([1, 2]), b=pg.floatv(0.0, 1.0))))
