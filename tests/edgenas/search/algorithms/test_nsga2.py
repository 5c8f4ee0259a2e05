import pyglove as pg
import pytest

from edgenas.search import rewards
from edgenas.search.algorithms import OptunaGenerator, make_algorithm

SPACE = pg.List([pg.oneof([0, 1, 2, 3]) for _ in range(4)])


def _objectives(dna):
    numbers = dna.to_numbers()
    accuracy = 0.5 + 0.1 * sum(numbers) / len(numbers)
    latency_ms = 1.0 + sum(n * n for n in numbers)
    return rewards.pareto()(accuracy=accuracy, latency_ms=latency_ms)


def test_nsga2_is_optunas_and_takes_pareto_objectives_as_feedback():
    algorithm = make_algorithm("nsga2", seed=0, population_size=4)
    assert isinstance(algorithm, OptunaGenerator) and algorithm.sampler == "nsga2"
    algorithm.setup(pg.dna_spec(SPACE))
    for _ in range(30):  # a random generation of 4, then children of the fittest
        dna = algorithm.propose()
        objectives = _objectives(dna)
        assert isinstance(objectives, tuple) and len(objectives) == 2
        algorithm.feedback(dna, objectives)
    assert algorithm.num_feedbacks == 30
    trials = algorithm._study.trials
    assert [tuple(t.values) for t in trials[:3]] == [
        tuple(_objectives(pg.DNA.from_dict({f"[{i}]": t.params[f"[{i}]"] for i in range(4)}, algorithm.dna_spec)))
        for t in trials[:3]
    ]
    front = {tuple(t.values) for t in algorithm._study.best_trials}
    assert len(front) >= 2  # a front, not one point: accuracy and latency pull apart


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
    for name in ("evolution", "tpe"):
        algorithm = make_algorithm(name, seed=0, **({"population_size": 4, "tournament_size": 2}
                                                   if name == "evolution" else {}))  # fmt: skip
        algorithm.setup(pg.dna_spec(SPACE))
        dna = algorithm.propose()
        with pytest.raises(ValueError, match="single objective"):
            algorithm.feedback(dna, (0.7, -3.0))
