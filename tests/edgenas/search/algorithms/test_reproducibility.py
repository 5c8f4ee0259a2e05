import pyglove as pg
import pytest

from edgenas.search.algorithms import is_multi_objective, make_algorithm

# Options that make the feedback-driven phase start within the run.
OPTIONS = {
    "random": {},
    "evolution": {"population_size": 8, "tournament_size": 3},
    "nsga2": {"population_size": 5},
    "ppo": {"batch_size": 5},
    "tpe": {"n_startup_trials": 5},
    "motpe": {"n_startup_trials": 5},
    "surrogate_evolution": {"population_size": 5, "tournament_size": 3},
}
STEPS = 40

SPACE = pg.Dict(
    a=pg.oneof([1, 2, 3, 4]),
    b=pg.oneof(["x", "y", "z"]),
    c=pg.oneof([0.0, 0.25]),
    d=pg.oneof([3, 5, 7]),
    e=pg.oneof([16, 24, 32, 40]),
)


def _reward(name, dna):
    numbers = dna.to_numbers()
    accuracy = 0.5 + 0.1 * numbers[0] - 0.05 * numbers[2] + 0.02 * numbers[4]
    latency = 1.0 + numbers[1] + 2 * numbers[3] + numbers[4]
    return (accuracy, -float(latency)) if is_multi_objective(name) else accuracy / latency**0.1


def _run(name, seed):
    algorithm = make_algorithm(name, seed=seed, **OPTIONS[name])
    algorithm.setup(pg.dna_spec(SPACE))
    proposals = []
    for _ in range(STEPS):
        dna = algorithm.propose()
        proposals.append(tuple(dna.to_numbers()))
        algorithm.feedback(dna, _reward(name, dna))
    return proposals


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_same_seed_same_proposals_different_seed_different(name):
    first = _run(name, seed=7)
    assert first == _run(name, seed=7)
    assert first != _run(name, seed=8)
    assert len(set(first)) > 5  # Not stuck on one point.


@pytest.mark.parametrize("name", ["evolution", "nsga2", "ppo", "tpe", "motpe", "surrogate_evolution"])
def test_feedback_changes_later_proposals(name):
    """The feedback-driven algorithms really read the rewards."""
    algorithm = make_algorithm(name, seed=7, **OPTIONS[name])
    algorithm.setup(pg.dna_spec(SPACE))
    proposals = []
    for _ in range(STEPS):
        dna = algorithm.propose()
        proposals.append(tuple(dna.to_numbers()))
        reward = _reward(name, dna)
        algorithm.feedback(dna, tuple(-r for r in reward) if is_multi_objective(name) else -reward)
    assert proposals != _run(name, seed=7)
