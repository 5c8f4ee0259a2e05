"""`PromotionRule`: the best 1 / eta at a rung go on, ranked by the reward or by domination."""

import pickle

import pytest

from edgenas.search.promotion import PromotionRule, RungPoint
from edgenas.search.rewards import make_reward

_SOFT = make_reward("mnasnet-soft", target_ms=10.0)
_PARETO = make_reward("pareto", target_ms=10.0)


def _rule(reward, latency_ms, *points, eta=3):
    return PromotionRule(eta=eta, reward=reward, latency_ms=latency_ms,
                         peers=(tuple(RungPoint(s, ms) for s, ms in points),))  # fmt: skip


def test_the_first_trial_at_a_rung_always_goes_on_and_with_fewer_than_eta_only_the_best():
    assert _rule(_SOFT, 10.0).continues(0, 0.01)
    assert _rule(_SOFT, 10.0, (0.5, 10.0)).continues(0, 0.6)
    assert not _rule(_SOFT, 10.0, (0.5, 10.0)).continues(0, 0.4)


def test_under_a_scalar_reward_the_top_third_by_reward_goes_on():
    peers = [(0.1 * k, 10.0) for k in range(1, 9)]  # eight earlier scores 0.1 .. 0.8 at the same latency
    rule = _rule(_SOFT, 10.0, *peers)  # nine points: the best three go on
    assert rule.continues(0, 0.7) and rule.continues(0, 0.65) and not rule.continues(0, 0.55)


def test_latency_alone_never_stops_a_training():
    peers = [(0.1 * k, 10.0) for k in range(1, 9)]
    # 0.65 at 400 ms has a lower reward than 0.6 at 10 ms (0.65 x 40^-0.07 = 0.50), but 0.6 scores lower: only
    # 0.7 and 0.8 rank ahead of it, as at 10 ms.
    assert _rule(_SOFT, 400.0, *peers).continues(0, 0.65)
    # A rung where every network still scores alike stops none, under either ranking.
    tied = [(0.1, ms) for ms in (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)]
    assert _rule(_SOFT, 9.0, *tied).continues(0, 0.1) and _rule(_PARETO, 9.0, *tied).continues(0, 0.1)
    assert not _rule(_PARETO, 9.0, *tied).continues(0, 0.05)


def test_under_the_pareto_reward_the_rung_front_goes_on_whatever_its_score():
    peers = [(0.9, 5.0), (0.8, 4.0), (0.7, 3.0), (0.6, 6.0), (0.5, 7.0), (0.4, 8.0)]
    assert _rule(_PARETO, 1.0, *peers).continues(0, 0.05)  # the fastest: no point dominates it
    assert not _rule(_PARETO, 9.0, *peers).continues(0, 0.3)  # dominated by all six
    # Dominated by one point only ((0.7, 3 ms)); the best 7 // 3 = 2 go on, and three points have no dominator:
    # the cutoff is 0.
    assert not _rule(_PARETO, 3.5, *peers).continues(0, 0.65)


def test_ties_with_the_last_place_go_on_and_a_bad_rung_index_is_refused():
    rule = _rule(_SOFT, 10.0, (0.5, 10.0), (0.5, 10.0))
    assert rule.continues(0, 0.5)
    with pytest.raises(IndexError, match="rung 1"):
        rule.continues(1, 0.5)


def test_the_rule_and_its_bound_method_travel_to_a_worker():
    rule = _rule(_SOFT, 10.0, (0.5, 10.0))
    assert pickle.loads(pickle.dumps(rule.continues))(0, 0.6)
