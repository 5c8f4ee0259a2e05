import numpy as np
import pytest

from edgenas.search.algorithms._adam import Adam
from edgenas.search.algorithms._policy import CategoricalPolicy


def _policy(seed=0):
    policy = CategoricalPolicy([2, 4, 3])
    policy.logits = np.random.default_rng(seed).normal(size=policy.logits.shape)
    return policy


def test_probabilities_ignore_padding():
    policy = _policy()
    probs = policy.probabilities()
    assert [len(p) for p in probs] == [2, 4, 3]
    for d, p in enumerate(probs):
        logits = policy.logits[d, : len(p)]
        np.testing.assert_allclose(p, np.exp(logits) / np.exp(logits).sum())


def test_sampling_frequencies_match_probabilities_and_never_pick_padding():
    policy = _policy()
    rng = np.random.default_rng(1)
    draws = np.stack([policy.sample(rng)[0] for _ in range(20000)])
    for d, p in enumerate(policy.probabilities()):
        counts = np.bincount(draws[:, d], minlength=4)
        assert counts[len(p) :].sum() == 0
        np.testing.assert_allclose(counts[: len(p)] / len(draws), p, atol=0.015)


def test_sample_reports_its_log_probability():
    policy = _policy()
    choices, log_prob = policy.sample(np.random.default_rng(2))
    expected = sum(np.log(p[c]) for p, c in zip(policy.probabilities(), choices))
    assert log_prob == pytest.approx(expected)
    assert policy.log_prob(choices)[0] == pytest.approx(expected)


def _numeric_gradient(policy, objective, eps=1e-6):
    grad = np.zeros_like(policy.logits)
    for index in np.ndindex(policy.logits.shape):
        base = policy.logits[index]
        policy.logits[index] = base + eps
        up = objective()
        policy.logits[index] = base - eps
        down = objective()
        policy.logits[index] = base
        grad[index] = (up - down) / (2 * eps)
    return grad


def test_weighted_score_gradient_matches_finite_differences():
    policy = _policy()
    choices = np.array([[0, 3, 2], [1, 0, 2], [1, 3, 0]])
    weights = np.array([0.5, -1.0, 2.0])
    analytic = policy.weighted_score_gradient(choices, weights)
    numeric = _numeric_gradient(policy, lambda: float(weights @ policy.log_prob(choices)))
    mask = np.arange(4)[None, :] < np.array([2, 4, 3])[:, None]
    np.testing.assert_allclose(analytic[mask], numeric[mask], atol=1e-6)
    assert np.all(analytic[~mask] == 0)


def test_entropy_gradient_matches_finite_differences():
    policy = _policy()

    def entropy():
        return float(sum(-(p * np.log(p)).sum() for p in policy.probabilities()))

    mask = np.arange(4)[None, :] < np.array([2, 4, 3])[:, None]
    np.testing.assert_allclose(policy.entropy_gradient()[mask], _numeric_gradient(policy, entropy)[mask], atol=1e-6)


def test_invalid_counts_raise():
    with pytest.raises(ValueError, match="positive counts"):
        CategoricalPolicy([])
    with pytest.raises(ValueError, match="positive counts"):
        CategoricalPolicy([2, 0])


def test_adam_first_step_is_the_learning_rate_along_the_gradient_sign():
    adam = Adam((3,), learning_rate=0.1)
    step = adam.ascent_step(np.array([2.0, -0.001, 0.0]))
    np.testing.assert_allclose(step, [0.1, -0.1, 0.0], atol=1e-4)
    with pytest.raises(ValueError, match="learning_rate must be positive"):
        Adam((1,), learning_rate=0.0)
