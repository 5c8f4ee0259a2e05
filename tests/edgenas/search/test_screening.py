"""`Screen`: which proposals a latency predictor and an accuracy bound drop, and `propose_screened`."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from edgenas.search.rewards import make_reward
from edgenas.search.screening import Screen, Screening, ScreeningError, propose_screened

_COUNTS = (3, 2)  # two decisions: 3 and 2 candidates
_HARD = make_reward("mnasnet-hard", target_ms=10.0)
_PARETO = make_reward("pareto", target_ms=10.0)


def _screen(reward, latency_of, **settings):
    options = {"min_trials": 3, **settings}
    return Screen(Screening(predictor=None, **options), predict_ms=latency_of, reward=reward, num_candidates=_COUNTS)


def _one_hot(choices):
    out = np.zeros((len(choices), sum(_COUNTS)))
    for row, (a, b) in enumerate(choices):
        out[row, a] = out[row, 3 + b] = 1.0
    return out


def test_nothing_is_dropped_before_min_trials_complete_trials():
    screen = _screen(_HARD, lambda spec: 1000.0)
    screen.add((0, 0), accuracy=0.9, latency_ms=5.0)
    screen.add((1, 0), accuracy=0.9, latency_ms=5.0)
    assert screen.verdict((2, 1), "far too slow") == (False, 0.0, 0.0)


def _loo_spread(choices, accuracies):
    """The root mean square of leave-one-out residuals, by refitting scikit-learn's ridge without each point."""
    errors = []
    for i in range(len(choices)):
        rest = [j for j in range(len(choices)) if j != i]
        ridge = Ridge(alpha=1.0).fit(_one_hot([choices[j] for j in rest]), [accuracies[j] for j in rest])
        errors.append(float(ridge.predict(_one_hot([choices[i]]))[0]) - accuracies[i])
    return float(np.sqrt(np.mean(np.square(errors))))


def test_the_accuracy_bound_is_a_ridge_prediction_plus_z_leave_one_out_deviations():
    points = [((0, 0), 0.5), ((1, 0), 0.6), ((2, 0), 0.7), ((0, 1), 0.55), ((1, 1), 0.62)]
    screen = _screen(_HARD, lambda spec: 40.0, confidence_z=1.5)
    for choices, accuracy in points:
        screen.add(choices, accuracy=accuracy, latency_ms=5.0)
    ridge = Ridge(alpha=1.0).fit(_one_hot([c for c, _ in points]), [a for _, a in points])  # an unpenalised intercept
    residual = _loo_spread([c for c, _ in points], [a for _, a in points])
    mean = float(ridge.predict(_one_hot([(2, 1)]))[0])
    bound = mean + 1.5 * residual
    drop, told_accuracy, told_ms = screen.verdict((2, 1), "spec")
    assert told_accuracy == pytest.approx(mean) and told_ms == 40.0
    # Hard reward over the target: bound x 10 / (40 / 1.1) against the best, 0.7.
    assert drop == (bound * 10.0 / (40.0 / 1.1) <= 0.7)
    assert drop  # 4x the target cannot reach 0.7


def test_a_proposal_that_could_beat_the_best_within_the_error_bound_is_kept():
    screen = _screen(_HARD, lambda spec: {"near": 11.0, "far": 30.0}[spec], error_bound=0.1)
    for choices, accuracy in [((0, 0), 0.5), ((1, 0), 0.6), ((2, 0), 0.7), ((0, 1), 0.55), ((1, 1), 0.66)]:
        screen.add(choices, accuracy=accuracy, latency_ms=9.0)
    # Predicted 0.67, and its bound beats 0.7 at or under the target.
    assert not screen.verdict((2, 1), "near")[0]  # 11 ms may be 10 ms (error bound 0.1)
    assert screen.verdict((2, 1), "far")[0]


def test_under_the_pareto_reward_a_proposal_is_dropped_only_when_a_complete_trial_dominates_its_bound():
    screen = _screen(_PARETO, lambda spec: {"fast": 2.0, "slow": 50.0}[spec], error_bound=0.0, confidence_z=0.0)
    for choices, accuracy, ms in [((0, 0), 0.5, 3.0), ((1, 0), 0.5, 4.0), ((2, 0), 0.5, 5.0), ((0, 1), 0.5, 6.0)]:
        screen.add(choices, accuracy=accuracy, latency_ms=ms)
    assert not screen.verdict((2, 1), "fast")[0]  # faster than every trial: nothing dominates it
    assert screen.verdict((2, 1), "slow")[0]  # accuracy 0.5 (no spread) at 50 ms: dominated


def test_a_proposal_the_predictor_cannot_predict_is_kept():
    def refuse(spec):
        raise ValueError("out of domain")

    screen = _screen(_HARD, refuse)
    for choices in [(0, 0), (1, 0), (2, 0)]:
        screen.add(choices, accuracy=0.9, latency_ms=5.0)
    assert screen.verdict((2, 1), "spec") == (False, 0.0, 0.0)


def test_propose_screened_tells_each_dropped_one_and_gives_up_after_max_dropped():
    screen = _screen(_HARD, lambda spec: 1000.0 if spec.startswith("slow") else 1.0, max_dropped=3)
    for choices in [(0, 0), (1, 0), (2, 0)]:
        screen.add(choices, accuracy=0.9, latency_ms=5.0)
    proposals = iter([((0, 1), "slow-a"), ((1, 1), "fast-b"), ((0, 0), "slow-c"), ((1, 0), "slow-d"),
                      ((2, 0), "slow-e"), ((2, 1), "slow-f")])  # fmt: skip
    told = []
    tell = lambda dna, spec, accuracy, ms: told.append((spec, ms))  # noqa: E731
    assert propose_screened(lambda: next(proposals), tell, screen, choices_of=lambda d: d) == ((1, 1), "fast-b")
    assert told == [("slow-a", 1000.0)]
    # Three slow ones in a row are dropped; the fourth is kept whatever its bound.
    assert propose_screened(lambda: next(proposals), tell, screen, choices_of=lambda d: d) == ((2, 1), "slow-f")
    assert [spec for spec, _ in told] == ["slow-a", "slow-c", "slow-d", "slow-e"] and screen.dropped == 4
    assert propose_screened(lambda: ((0, 0), "x"), tell, None, choices_of=lambda d: d) == ((0, 0), "x")


@pytest.mark.parametrize("field", [{"error_bound": -0.1}, {"confidence_z": float("nan")}, {"min_trials": 2},
                                   {"max_dropped": 0}, {"min_trials": 3.0}, {"error_bound": True}])  # fmt: skip
def test_bad_settings_are_refused(field):
    with pytest.raises(ScreeningError, match=next(iter(field))):
        Screening(predictor=None, **field)
