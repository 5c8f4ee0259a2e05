import math

import numpy as np
import pyglove as pg
import pytest

from edgenas.search.algorithms import PPOController, UnsupportedSpaceError, make_algorithm
from edgenas.search.algorithms._policy import CategoricalPolicy
from edgenas.search.algorithms.ppo_controller import clipped_surrogate

TOY = pg.List([pg.oneof([10, 20, 30, 40]) for _ in range(6)] + [pg.oneof(["a", "b", "c"]) for _ in range(4)])


def _fraction_of_first_choices(dna):
    numbers = dna.to_numbers()
    return sum(n == 0 for n in numbers) / len(numbers)


def _mean_of_last(algorithm, steps, last):
    algorithm.setup(pg.dna_spec(TOY))
    rewards = []
    for _ in range(steps):
        dna = algorithm.propose()
        reward = _fraction_of_first_choices(dna)
        algorithm.feedback(dna, reward)
        rewards.append(reward)
    return float(np.mean(rewards[-last:]))


def test_ppo_learns_to_pick_the_rewarded_choices():
    random_mean = _mean_of_last(make_algorithm("random", seed=0), 50, 50)
    ppo = make_algorithm("ppo", seed=0)
    ppo_mean = _mean_of_last(ppo, 300, 50)
    # Random expects 0.3 (6 x 1/4 + 4 x 1/3 over 10 decisions).
    assert random_mean < 0.45
    assert ppo_mean > 0.75
    assert ppo_mean > random_mean + 0.3
    assert all(p[0] > 0.5 for p in ppo.policy_probabilities())


def test_ppo_plugs_into_pg_sample():
    ppo = PPOController(seed=1)
    seen = []
    for value, feedback in pg.sample(TOY, ppo, num_examples=30):
        seen.append(list(value))
        feedback(float(value.count(10)) / 10)
    assert len(seen) == 30 and ppo.num_feedbacks == 30
    assert all(v in (10, 20, 30, 40) for value in seen for v in value[:6])


def test_proposals_are_canonical_dna():
    ppo = PPOController(seed=2)
    spec = pg.dna_spec(TOY)
    ppo.setup(spec)
    for _ in range(5):
        dna = ppo.propose()
        assert dna == pg.DNA.from_numbers(dna.to_numbers(), spec)
        assert dna.spec is spec
    single = pg.dna_spec(pg.oneof([1, 2, 3]))
    ppo = PPOController(seed=2)
    ppo.setup(single)
    dna = ppo.propose()
    assert dna == pg.DNA.from_numbers(dna.to_numbers(), single)
    assert pg.materialize(pg.oneof([1, 2, 3]), dna) in (1, 2, 3)


def test_policy_starts_uniform_and_stays_normalised():
    ppo = PPOController(seed=0, batch_size=2)
    ppo.setup(pg.dna_spec(TOY))
    for probs in ppo.policy_probabilities():
        np.testing.assert_allclose(probs, np.full(len(probs), 1 / len(probs)))
    for _ in range(20):
        dna = ppo.propose()
        ppo.feedback(dna, _fraction_of_first_choices(dna))
    probs = ppo.policy_probabilities()
    assert [len(p) for p in probs] == [4] * 6 + [3] * 4
    for p in probs:
        assert p.sum() == pytest.approx(1.0) and np.all(p > 0)
    assert any(not np.allclose(p, p[0]) for p in probs)


def test_baseline_is_a_moving_average_of_rewards():
    ppo = PPOController(seed=0, baseline_decay=0.9, batch_size=100)
    ppo.setup(pg.dna_spec(TOY))
    assert ppo.baseline is None
    expected = None
    for reward in [1.0, 0.0, 0.5, 0.25]:
        ppo.feedback(ppo.propose(), reward)
        expected = reward if expected is None else 0.9 * expected + 0.1 * reward
        assert ppo.baseline == pytest.approx(expected)


def test_no_update_before_a_batch_is_full():
    ppo = PPOController(seed=0, batch_size=5)
    ppo.setup(pg.dna_spec(TOY))
    for step in range(5):
        dna = ppo.propose()
        ppo.feedback(dna, float(step))
        changed = any(not np.allclose(p, p[0]) for p in ppo.policy_probabilities())
        assert changed == (step == 4)


def test_feedback_of_dna_it_did_not_propose():
    ppo = PPOController(seed=0, batch_size=2)
    spec = pg.dna_spec(TOY)
    ppo.setup(spec)
    ppo.feedback(pg.DNA.from_numbers([0] * 10, spec), 1.0)
    ppo.feedback(pg.DNA.from_numbers([1] * 10, spec), 0.0)
    assert all(p[0] > p[1] for p in ppo.policy_probabilities())


@pytest.mark.parametrize("reward", [math.nan, math.inf, "0.5", None, True, (0.5, 0.1)])
def test_bad_rewards_raise(reward):
    ppo = PPOController(seed=0)
    ppo.setup(pg.dna_spec(TOY))
    with pytest.raises(ValueError):
        ppo.feedback(ppo.propose(), reward)


@pytest.mark.parametrize(
    "hyper, message",
    [
        (pg.List([pg.oneof([1, 2]), pg.floatv(0.0, 1.0)]), "decision \\[1\\] is a pg.floatv"),
        (pg.List([pg.manyof(2, [1, 2, 3])]), "part of a pg.manyof"),
        (pg.List([pg.oneof([1, pg.Dict(x=pg.oneof([2, 3]))])]), "holds further decisions"),
        (pg.List([1, 2]), "no decision points"),
    ],
)
def test_only_flat_categorical_spaces_are_supported(hyper, message):
    with pytest.raises(UnsupportedSpaceError, match=message):
        PPOController(seed=0).setup(pg.dna_spec(hyper))


def test_clipped_surrogate_by_hand():
    ratios = np.array([1.5, 1.5, 0.5, 0.5, 1.05])
    advantages = np.array([1.0, -1.0, 1.0, -1.0, 2.0])
    objective, weights = clipped_surrogate(ratios, advantages, clip_epsilon=0.2)
    # min(r A, clip(r) A): 1.2, -1.5, 0.5, -0.8, 2.1.
    assert objective == pytest.approx((1.2 - 1.5 + 0.5 - 0.8 + 2.1) / 5)
    # Clipped where the ratio left the range in the advantage's direction.
    np.testing.assert_allclose(weights, np.array([0.0, -1.5, 0.5, 0.0, 2.1]) / 5)


def test_ppo_gradient_is_the_gradient_of_the_clipped_objective():
    policy = CategoricalPolicy([3, 2, 4])
    policy.logits = np.random.default_rng(0).normal(size=policy.logits.shape)
    choices = np.array([[0, 1, 3], [2, 0, 1], [1, 1, 0], [0, 0, 2]])
    old_log_probs = policy.log_prob(choices) + np.array([0.5, -0.5, 0.05, 0.5])
    advantages = np.array([1.0, 1.0, -2.0, -0.5])

    def objective():
        ratios = np.exp(policy.log_prob(choices) - old_log_probs)
        return clipped_surrogate(ratios, advantages, clip_epsilon=0.2)[0]

    ratios = np.exp(policy.log_prob(choices) - old_log_probs)
    _, weights = clipped_surrogate(ratios, advantages, clip_epsilon=0.2)
    assert np.flatnonzero(weights == 0).tolist() == [1, 3]  # Ratios out of range with the advantage.
    analytic = policy.weighted_score_gradient(choices, weights)
    numeric = np.zeros_like(policy.logits)
    for index in np.ndindex(policy.logits.shape):
        base = policy.logits[index]
        policy.logits[index] = base + 1e-6
        up = objective()
        policy.logits[index] = base - 1e-6
        down = objective()
        policy.logits[index] = base
        numeric[index] = (up - down) / 2e-6
    np.testing.assert_allclose(analytic, numeric, atol=1e-6)
