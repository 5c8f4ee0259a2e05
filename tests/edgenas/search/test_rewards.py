import dataclasses
import itertools
import json
import math
import random

import pytest

from edgenas.errors import DuplicateNameError, UnknownNameError
from edgenas.search import rewards
from edgenas.search.rewards import (
    MnasNetReward,
    ParetoObjectives,
    ParetoReward,
    TunasReward,
    hypervolume,
    make_reward,
    pareto_front,
    reward_from_json,
)


# --- Exact values -------------------------------------------------------------


def test_mnasnet_soft_over_and_under_target():
    reward = rewards.mnasnet(target_ms=6.0)
    assert reward(accuracy=0.8, latency_ms=12.0) == pytest.approx(0.8 * (12 / 6) ** -0.07, rel=1e-12)
    assert reward(accuracy=0.8, latency_ms=3.0) == pytest.approx(0.8 * (3 / 6) ** -0.07, rel=1e-12)
    assert reward(accuracy=0.8, latency_ms=6.0) == pytest.approx(0.8, rel=1e-12)
    # Soft: faster than the target earns more than the accuracy alone.
    assert reward(accuracy=0.8, latency_ms=3.0) > 0.8 > reward(accuracy=0.8, latency_ms=12.0)


def test_mnasnet_hard_ignores_latency_under_target_and_punishes_over():
    reward = rewards.mnasnet(target_ms=6.0, soft=False)
    assert (reward.alpha, reward.beta) == (0.0, -1.0)
    assert reward(accuracy=0.8, latency_ms=3.0) == pytest.approx(0.8, rel=1e-12)
    assert reward(accuracy=0.8, latency_ms=6.0) == pytest.approx(0.8, rel=1e-12)
    assert reward(accuracy=0.8, latency_ms=12.0) == pytest.approx(0.8 * (12 / 6) ** -1, rel=1e-12)


def test_mnasnet_uses_alpha_under_and_beta_over_the_target():
    reward = MnasNetReward(target_ms=10.0, alpha=-0.5, beta=-2.0)
    assert reward(accuracy=0.5, latency_ms=5.0) == pytest.approx(0.5 * 0.5**-0.5, rel=1e-12)
    assert reward(accuracy=0.5, latency_ms=20.0) == pytest.approx(0.5 * 2.0**-2.0, rel=1e-12)


def test_tunas_absolute_penalises_both_sides_of_the_target():
    reward = rewards.tunas(target_ms=6.0)
    assert reward.beta == -0.1
    assert reward(accuracy=0.8, latency_ms=12.0) == pytest.approx(0.8 - 0.1 * abs(12 / 6 - 1), rel=1e-12)
    assert reward(accuracy=0.8, latency_ms=3.0) == pytest.approx(0.8 - 0.1 * abs(3 / 6 - 1), rel=1e-12)
    assert reward(accuracy=0.8, latency_ms=6.0) == pytest.approx(0.8, rel=1e-12)
    assert rewards.tunas(target_ms=6.0, beta=-0.5)(accuracy=0.8, latency_ms=9.0) == pytest.approx(
        0.8 - 0.5 * 0.5, rel=1e-12
    )


def test_pareto_returns_the_objective_pair_as_a_tuple():
    reward = rewards.pareto()
    objectives = reward(accuracy=0.8, latency_ms=12.5)
    assert reward.is_pareto and not rewards.mnasnet(target_ms=1.0).is_pareto
    assert not rewards.tunas(target_ms=1.0).is_pareto
    assert isinstance(objectives, tuple)
    assert objectives == (0.8, -12.5)
    assert (objectives.accuracy, objectives.neg_latency_ms, objectives.latency_ms) == (0.8, -12.5, 12.5)


def test_rewards_are_frozen_and_called_with_keywords_only():
    reward = rewards.mnasnet(target_ms=6.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        reward.target_ms = 7.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        reward(0.8, 12.0)  # type: ignore[misc]


# --- Validation ---------------------------------------------------------------


@pytest.mark.parametrize("target", [0, -1.0, math.nan, math.inf, None, "6", True])
@pytest.mark.parametrize("build", [rewards.mnasnet, rewards.tunas, MnasNetReward, TunasReward])
def test_invalid_target_raises(build, target):
    with pytest.raises(ValueError, match="target_ms must be a positive, finite number of milliseconds"):
        build(target_ms=target)


def test_pareto_target_is_optional_but_validated():
    assert rewards.pareto().target_ms is None
    assert rewards.pareto(target_ms=5).target_ms == 5.0
    with pytest.raises(ValueError, match="target_ms must be a positive"):
        rewards.pareto(target_ms=-5.0)


@pytest.mark.parametrize(
    "accuracy, latency_ms, message",
    [
        (-0.01, 10.0, "accuracy must be in \\[0, 1\\]"),
        (1.01, 10.0, "accuracy must be in \\[0, 1\\]"),
        (math.nan, 10.0, "accuracy must be finite"),
        (0.5, 0.0, "latency_ms must be positive"),
        (0.5, -3.0, "latency_ms must be positive"),
        (0.5, math.inf, "latency_ms must be finite"),
    ],
)
@pytest.mark.parametrize(
    "reward", [rewards.mnasnet(target_ms=6.0), rewards.tunas(target_ms=6.0), rewards.pareto()]
)
def test_invalid_inputs_raise(reward, accuracy, latency_ms, message):
    with pytest.raises(ValueError, match=message):
        reward(accuracy=accuracy, latency_ms=latency_ms)


def test_accuracy_bounds_are_inclusive():
    reward = rewards.mnasnet(target_ms=6.0)
    assert reward(accuracy=0.0, latency_ms=1.0) == 0.0
    assert reward(accuracy=1.0, latency_ms=6.0) == pytest.approx(1.0)


def test_positive_exponents_are_rejected():
    with pytest.raises(ValueError, match="alpha must be <= 0"):
        MnasNetReward(target_ms=6.0, alpha=0.1)
    with pytest.raises(ValueError, match="beta must be <= 0"):
        TunasReward(target_ms=6.0, beta=0.1)


# --- JSON ---------------------------------------------------------------------

ALL_REWARDS = [
    rewards.mnasnet(target_ms=6.0),
    rewards.mnasnet(target_ms=6.0, soft=False),
    MnasNetReward(target_ms=8.5, alpha=-0.2, beta=-0.3),
    rewards.tunas(target_ms=12.0, beta=-0.25),
    rewards.pareto(),
    rewards.pareto(target_ms=3.0),
]


@pytest.mark.parametrize("reward", ALL_REWARDS, ids=repr)
def test_json_round_trip(reward):
    assert reward_from_json(reward.to_json()) == reward
    assert reward_from_json(json.dumps(reward.to_json())) == reward
    assert type(reward_from_json(reward.to_json())) is type(reward)


def test_json_is_strict():
    data = rewards.tunas(target_ms=6.0).to_json()
    with pytest.raises(ValueError, match="unknown keys \\['gamma'\\]"):
        reward_from_json({**data, "gamma": 1.0})
    with pytest.raises(ValueError, match="missing keys \\['beta'\\]"):
        reward_from_json({k: v for k, v in data.items() if k != "beta"})
    with pytest.raises(ValueError, match="schema"):
        reward_from_json({**data, "schema": "other/1"})
    with pytest.raises(UnknownNameError) as unknown:
        reward_from_json({**data, "kind": "darts"})
    assert str(unknown.value) == "unknown reward kind 'darts'; known reward kinds: mnasnet, pareto, tunas-abs"
    with pytest.raises(ValueError, match="malformed"):
        reward_from_json("{not json")
    with pytest.raises(ValueError, match="target_ms must be a positive"):
        reward_from_json({**data, "target_ms": -1})


# --- Registry -----------------------------------------------------------------


def test_registry_names():
    assert rewards.reward_names() == ("mnasnet-hard", "mnasnet-soft", "pareto", "tunas-abs")


def test_make_reward_builds_each_kind():
    assert make_reward("mnasnet-soft", target_ms=6.0) == MnasNetReward(target_ms=6.0, alpha=-0.07, beta=-0.07)
    assert make_reward("mnasnet-soft", target_ms=6.0, weight=-0.1) == MnasNetReward(
        target_ms=6.0, alpha=-0.1, beta=-0.1
    )
    assert make_reward("mnasnet-hard", target_ms=6.0) == MnasNetReward(target_ms=6.0, alpha=0.0, beta=-1.0)
    assert make_reward("tunas-abs", target_ms=6.0) == TunasReward(target_ms=6.0, beta=-0.1)
    assert make_reward("tunas-abs", target_ms=6.0, beta=-0.3) == TunasReward(target_ms=6.0, beta=-0.3)
    assert make_reward("pareto", target_ms=None) == ParetoReward()


def test_make_reward_unknown_name_lists_known_names():
    with pytest.raises(UnknownNameError) as error:
        make_reward("mnasnet", target_ms=6.0)
    assert str(error.value) == (
        "unknown reward 'mnasnet'; known rewards: mnasnet-hard, mnasnet-soft, pareto, tunas-abs"
    )


def test_make_reward_unknown_option_lists_accepted_ones():
    with pytest.raises(TypeError, match="reward 'tunas-abs' takes options \\['beta'\\]; got unknown \\['alpha'\\]"):
        make_reward("tunas-abs", target_ms=6.0, alpha=-0.1)
    with pytest.raises(TypeError, match="takes options none"):
        make_reward("mnasnet-hard", target_ms=6.0, beta=-2.0)


def test_make_reward_scalar_needs_a_target():
    with pytest.raises(ValueError, match="target_ms must be a positive"):
        make_reward("mnasnet-soft", target_ms=None)


def test_duplicate_registration_raises():
    with pytest.raises(DuplicateNameError) as duplicate:
        rewards.register_reward("pareto", rewards.pareto)
    assert str(duplicate.value) == (
        "a reward named 'pareto' is already registered; known rewards: mnasnet-hard, mnasnet-soft, pareto, tunas-abs"
    )


# --- Pareto front and hypervolume ---------------------------------------------


def test_pareto_front_by_hand():
    points = [(0.7, -10.0), (0.6, -5.0), (0.65, -12.0), (0.7, -10.0), (0.5, -5.0), (0.8, -30.0)]
    assert pareto_front(points) == [(0.8, -30.0), (0.7, -10.0), (0.6, -5.0)]
    assert pareto_front([]) == []


def test_hypervolume_by_hand():
    reference = ParetoObjectives(0.5, -20.0)
    assert hypervolume([(0.8, -10.0)], reference=reference) == pytest.approx(0.3 * 10.0)
    # Staircase: (0.8, -10) covers 0.3 x 10; (0.6, -4) adds 0.1 x 6.
    assert hypervolume([(0.8, -10.0), (0.6, -4.0)], reference=reference) == pytest.approx(3.0 + 0.6)
    # A dominated point and points not better than the reference add nothing.
    extra = [(0.7, -12.0), (0.5, -1.0), (0.9, -20.0), (0.95, -25.0)]
    assert hypervolume([(0.8, -10.0), (0.6, -4.0), *extra], reference=reference) == pytest.approx(3.6)
    assert hypervolume([], reference=reference) == 0.0


def _union_area(points, reference):
    """Area of the union of the boxes [reference, point], by coordinate compression."""
    boxes = [p for p in points if p[0] > reference[0] and p[1] > reference[1]]
    xs = sorted({reference[0], *(p[0] for p in boxes)})
    ys = sorted({reference[1], *(p[1] for p in boxes)})
    area = 0.0
    for (x0, x1), (y0, y1) in itertools.product(zip(xs, xs[1:]), zip(ys, ys[1:])):
        if any(p[0] >= x1 and p[1] >= y1 for p in boxes):
            area += (x1 - x0) * (y1 - y0)
    return area


def test_hypervolume_matches_a_brute_force_union_of_boxes():
    rng = random.Random(3)
    for _ in range(25):
        points = [(rng.uniform(0.4, 0.9), -rng.uniform(1.0, 40.0)) for _ in range(rng.randrange(1, 30))]
        reference = (0.5, -35.0)
        expected = _union_area(points, reference)
        assert hypervolume(points, reference=reference) == pytest.approx(expected, rel=1e-9, abs=1e-12)
        shuffled = points[:]
        rng.shuffle(shuffled)
        assert hypervolume(shuffled, reference=reference) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_hypervolume_rejects_bad_points():
    with pytest.raises(ValueError, match="exactly two objectives"):
        hypervolume([(0.5, -1.0, 3.0)], reference=(0.0, -10.0))
    with pytest.raises(ValueError, match="finite"):
        hypervolume([(math.nan, -1.0)], reference=(0.0, -10.0))
