"""`fidelity_stats`: spreads and Kendall tau from hand-made scores."""

import math
import statistics

import pytest

from edgenas.proxy.check import TRAINS_SHARE, ArchitectureScores, fidelity_stats


def _arch(name, proxy, long, *, reference=""):
    return ArchitectureScores(spec=name, reference=reference, proxy_scores=tuple(proxy), long_score=long,
                              proxy_s=30.0, long_s=120.0)  # fmt: skip


def test_a_proxy_that_ranks_like_the_long_training_has_tau_one():
    scores = [_arch("a", (0.20, 0.30), 0.40), _arch("b", (0.50, 0.50), 0.60), _arch("c", (0.70, 0.90), 0.80)]
    stats = fidelity_stats(scores)
    assert stats.tau == pytest.approx(1.0)
    assert stats.seed_tau == pytest.approx(1.0)
    assert stats.architectures == 3 and stats.seeds == 2
    # Per-architecture standard deviations over seeds: 0.0707, 0, 0.1414; the median is 0.0707.
    assert stats.seed_spread == pytest.approx(statistics.stdev([0.2, 0.3]))
    assert stats.between_spread == pytest.approx(statistics.stdev([0.25, 0.5, 0.8]))
    assert stats.best_long_score == 0.8


def test_a_reversed_proxy_has_tau_minus_one():
    scores = [_arch("a", (0.9, 0.9), 0.1), _arch("b", (0.5, 0.5), 0.5), _arch("c", (0.1, 0.1), 0.9)]
    assert fidelity_stats(scores).tau == pytest.approx(-1.0)


def test_architectures_that_do_not_train_are_counted_apart():
    # Two failures (long score far below half the best) carry the overall tau; among the rest the proxy is reversed.
    scores = [_arch("f1", (0.05, 0.06), 0.05), _arch("f2", (0.08, 0.07), 0.08),
              _arch("a", (0.9, 0.8), 0.90), _arch("b", (0.6, 0.7), 0.95), _arch("c", (0.3, 0.4), 0.99)]  # fmt: skip
    stats = fidelity_stats(scores)
    assert stats.trained == 3
    assert all(s.long_score >= TRAINS_SHARE * 0.99 for s in scores[2:])
    assert stats.tau_trained == pytest.approx(-1.0)
    assert stats.tau > 0  # the failures agree with the long training: the overall figure hides the reversal


def test_averaging_seeds_is_scored_by_the_tau_of_every_choice_of_k_seeds():
    # Seed 0 ranks a < b < c < d like the long training (all four train); seed 1 swaps b and c; seed 2 swaps
    # a and b. Each seed alone: tau 1, 2/3, 2/3.
    scores = [_arch("a", (0.1, 0.1, 0.4), 0.6), _arch("b", (0.3, 0.5, 0.2), 0.7),
              _arch("c", (0.5, 0.3, 0.6), 0.8), _arch("d", (0.7, 0.7, 0.8), 0.9)]  # fmt: skip
    stats = fidelity_stats(scores)
    assert len(stats.tau_by_seeds) == 3
    assert stats.tau_by_seeds[0] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    # Means of (0, 1): 0.1, 0.4, 0.4, 0.7 (a tie: tau-b 5 / sqrt(6 * 5)); of (0, 2): 0.25, 0.25, 0.55, 0.75
    # (a tie again); of (1, 2): 0.25, 0.35, 0.45, 0.75 (the long order: 1).
    tie = 5 / math.sqrt(6 * 5)
    assert stats.tau_by_seeds[1] == pytest.approx((tie + tie + 1) / 3)
    assert stats.tau_by_seeds[2] == pytest.approx(1.0)  # means 0.2, 0.333, 0.467, 0.733
    assert any(line.endswith("k=1 0.778, k=2 0.942, k=3 1.000") for line in stats.lines())


def test_fewer_than_three_that_train_give_no_tau_among_them():
    scores = [_arch("f1", (0.05, 0.05), 0.01), _arch("a", (0.5, 0.6), 0.9), _arch("b", (0.7, 0.6), 0.95)]
    assert math.isnan(fidelity_stats(scores).tau_trained)
    assert any("n/a" in line for line in fidelity_stats(scores).lines())


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="at least 2"):
        fidelity_stats([_arch("a", (0.1, 0.2), 0.3)])
    with pytest.raises(ValueError, match="same number of proxy seeds"):
        fidelity_stats([_arch("a", (0.1, 0.2), 0.3), _arch("b", (0.1, 0.2, 0.3), 0.3)])


def test_the_long_seed_spread_is_the_median_std_over_long_seeds():
    def arch(name, proxy, longs):
        return ArchitectureScores(spec=name, reference="", proxy_scores=proxy, long_score=statistics.fmean(longs),
                                  proxy_s=30.0, long_s=120.0, long_scores=longs)  # fmt: skip

    scores = [arch("a", (0.2, 0.3), (0.40, 0.42)), arch("b", (0.5, 0.5), (0.60, 0.70)),
              arch("c", (0.7, 0.9), (0.8, 0.8))]
    stats = fidelity_stats(scores)
    assert stats.long_seeds == 2
    assert stats.long_seed_spread == pytest.approx(statistics.stdev([0.40, 0.42]))
    assert math.isnan(fidelity_stats([_arch("a", (0.1, 0.2), 0.3), _arch("b", (0.4, 0.5), 0.6)]).long_seed_spread)
    with pytest.raises(ValueError, match="same number of long seeds"):
        fidelity_stats([*scores, _arch("d", (0.1, 0.2), 0.3)])
