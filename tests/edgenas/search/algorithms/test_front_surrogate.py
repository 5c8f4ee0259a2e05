import numpy as np
import pytest
from scipy.stats import spearmanr

from edgenas.search.algorithms.front_surrogate import FrontSurrogate

COUNTS = [3, 4, 2, 5, 3, 4]


def _problem(seed, n):
    rng = np.random.default_rng(seed)
    accuracy_effect = [rng.normal(size=c) for c in COUNTS]
    latency_effect = [rng.uniform(0.0, 0.5, size=c) for c in COUNTS]
    choices = np.stack([rng.integers(0, c, size=n) for c in COUNTS], axis=1)
    score = sum(accuracy_effect[d][choices[:, d]] for d in range(len(COUNTS)))
    accuracy = 0.2 + 0.7 / (1.0 + np.exp(-score))  # squashed into [0.2, 0.9]: the surrogate must not care
    latency_ms = 3.0 * np.exp(sum(latency_effect[d][choices[:, d]] for d in range(len(COUNTS))))
    return choices, accuracy, latency_ms


def test_additive_objectives_are_predicted_on_unseen_choices():
    choices, accuracy, latency_ms = _problem(0, 260)
    surrogate = FrontSurrogate(COUNTS, ridge=0.1)
    surrogate.fit(choices[:60], accuracy[:60], latency_ms[:60])
    predicted_accuracy, predicted_latency = surrogate.predict(choices[60:])
    assert spearmanr(predicted_accuracy, accuracy[60:]).statistic > 0.9
    assert np.median(np.abs(predicted_latency / latency_ms[60:] - 1.0)) < 0.05
    assert accuracy[:60].min() <= predicted_accuracy.min() and predicted_accuracy.max() <= accuracy[:60].max()


def test_only_the_order_of_the_accuracies_matters():
    choices, accuracy, latency_ms = _problem(1, 80)
    plain, cubed = FrontSurrogate(COUNTS, ridge=1.0), FrontSurrogate(COUNTS, ridge=1.0)
    plain.fit(choices, accuracy, latency_ms)
    cubed.fit(choices, accuracy**3, latency_ms)
    probe = _problem(2, 50)[0]
    ranked_plain, ranked_cubed = plain.predict(probe)[0], cubed.predict(probe)[0]
    assert np.all(np.diff(ranked_cubed[np.argsort(ranked_plain, kind="stable")]) >= -1e-12)  # the same order
    np.testing.assert_allclose(plain.predict(probe)[1], cubed.predict(probe)[1])


def test_features_are_one_hot_with_an_intercept():
    features = FrontSurrogate([2, 3], ridge=1.0).features(np.array([[1, 0], [0, 2]]))
    np.testing.assert_array_equal(features, [[0, 1, 1, 0, 0, 1], [1, 0, 0, 0, 1, 1]])


def test_predict_before_fit_raises():
    with pytest.raises(RuntimeError, match="before fit"):
        FrontSurrogate(COUNTS, ridge=1.0).predict(np.zeros((1, len(COUNTS)), dtype=int))
