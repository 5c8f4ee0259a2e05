import pyglove as pg
import pytest

from edgenas.search import rewards
from edgenas.search.algorithms import make_algorithm

SPACE = pg.List([pg.oneof([0, 1, 2, 3]) for _ in range(4)])


def _objectives(dna):
    numbers = dna.to_numbers()
    accuracy = 0.5 + 0.1 * sum(numbers) / len(numbers)
    latency_ms = 1.0 + sum(n * n for n in numbers)
    return rewards.pareto()(accuracy=accuracy, latency_ms=latency_ms)


def test_nsga2_takes_pareto_objectives_as_feedback():
    algorithm = make_algorithm("nsga2", seed=0, population_size=4)
    algorithm.setup(pg.dna_spec(SPACE))
    for _ in range(30):  # 8 initial random trials, then evolution.
        dna = algorithm.propose()
        objectives = _objectives(dna)
        assert isinstance(objectives, tuple) and len(objectives) == 2
        algorithm.feedback(dna, objectives)
    elites = algorithm.global_state.elites
    assert len(elites) == 4
    fitness = [pg.evolution.get_fitness(dna) for dna in elites]
    assert all(f == _objectives(dna) for f, dna in zip(fitness, elites))
    assert algorithm.num_feedbacks == 30


def test_nsga2_under_pg_sample_needs_one_metric_per_objective():
    with pytest.raises(ValueError, match="does not match with the number of metrics to optimize"):
        for dna_value, feedback in pg.sample(SPACE, make_algorithm("nsga2", seed=0, population_size=4)):
            feedback((0.7, -3.0))
    seen = 0
    algorithm = make_algorithm("nsga2", seed=0, population_size=4)
    for value, feedback in pg.sample(
        SPACE, algorithm, num_examples=20, metrics_to_optimize=["accuracy", "neg_latency_ms"]
    ):
        feedback(_objectives(feedback.dna))
        seen += 1
    assert seen == 20 and algorithm.num_feedbacks == 20


def test_scalar_algorithms_refuse_two_objectives():
    algorithm = make_algorithm("evolution", seed=0, population_size=4, tournament_size=2)
    algorithm.setup(pg.dna_spec(SPACE))
    dna = algorithm.propose()
    with pytest.raises(ValueError, match="single objective"):
        algorithm.feedback(dna, (0.7, -3.0))
