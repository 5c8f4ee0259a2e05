"""How well a proxy task ranks architectures: seed spread, spread between architectures, Kendall tau."""

from __future__ import annotations

import dataclasses
import itertools
import math
import statistics
from collections.abc import Sequence

from latency_models.evaluation import kendall_tau

__all__ = ["TRAINS_SHARE", "ArchitectureScores", "FidelityStats", "fidelity_stats"]

TRAINS_SHARE = 0.5
"""An architecture "trains" when its long-training score is at least this share of the best one's."""


@dataclasses.dataclass(frozen=True)
class ArchitectureScores:
    """One architecture's scores: the proxy training once per seed, and the long training once per long seed.

    Attributes:
        spec: The architecture's spec string.
        reference: Its reference name when it is one of the space's references, else "".
        proxy_scores: The proxy score of each seed, in seed order.
        long_score: The score after the long training (the mean over long seeds).
        proxy_s: Mean wall seconds of one proxy training (build and tracing included).
        long_s: Mean wall seconds of one long training.
        long_scores: The long score of each long seed, in seed order (empty: only `long_score` is known).
    """

    spec: str
    reference: str
    proxy_scores: tuple[float, ...]
    long_score: float
    proxy_s: float
    long_s: float
    long_scores: tuple[float, ...] = ()

    @property
    def long_std(self) -> float:
        """The sample standard deviation of the long score over long seeds (NaN with fewer than two)."""
        return statistics.stdev(self.long_scores) if len(self.long_scores) > 1 else math.nan

    @property
    def proxy_mean(self) -> float:
        """The mean proxy score over seeds."""
        return statistics.fmean(self.proxy_scores)

    @property
    def proxy_std(self) -> float:
        """The sample standard deviation of the proxy score over seeds (0 with one seed)."""
        return statistics.stdev(self.proxy_scores) if len(self.proxy_scores) > 1 else 0.0


@dataclasses.dataclass(frozen=True)
class FidelityStats:
    """What the scores of several architectures say about the proxy task.

    Spreads are standard deviations, so that the seed noise and the differences between
    architectures are on one scale.

    Attributes:
        architectures: Architectures with every score.
        seeds: Proxy seeds per architecture.
        seed_spread: Median over architectures of the proxy score's standard deviation over seeds.
        between_spread: Standard deviation of the proxy mean over architectures.
        tau: Kendall tau-b between the proxy mean and the long-training score, over all architectures.
        trained: Architectures that train: a long score of at least `TRAINS_SHARE` of the best one's.
        tau_trained: Kendall tau among those (NaN with fewer than 3).
        best_long_score: The best long-training score (a task is solved near 1.0).
        seed_tau: Mean Kendall tau between the proxy scores of two seeds, over every pair of seeds.
        tau_by_seeds: What averaging seeds buys (`search(proxy_seeds=k)`, k times the training time):
            at index k - 1, the mean over every choice of k seeds of the Kendall tau between the
            mean of those seeds' scores and the long-training score, among the architectures
            that train (all of them when fewer than 3 train).
        proxy_s: Median wall seconds of one proxy training.
        long_s: Median wall seconds of one long training.
        long_seeds: Long trainings per architecture (the long score is their mean).
        long_seed_spread: Median over architectures of the long score's standard deviation over long seeds
            (NaN with one long seed): the noise of the ranking the proxy is held against.
    """

    architectures: int
    seeds: int
    seed_spread: float
    between_spread: float
    tau: float
    trained: int
    tau_trained: float
    best_long_score: float
    seed_tau: float
    tau_by_seeds: tuple[float, ...]
    proxy_s: float
    long_s: float
    long_seeds: int = 1
    long_seed_spread: float = math.nan

    def lines(self) -> list[str]:
        """The figures, one per line, for a terminal."""
        trained = "n/a (fewer than 3)" if math.isnan(self.tau_trained) else f"{self.tau_trained:.3f}"
        long_noise = [f"long-training seed spread (median std over {self.long_seeds} long seeds, whose mean is the "
                      f"long score): {self.long_seed_spread:.3f}"] if self.long_seeds > 1 else []  # fmt: skip
        return [
            f"architectures: {self.architectures}, seeds: {self.seeds}",
            f"proxy seed spread (median std over seeds): {self.seed_spread:.3f}",
            f"spread between architectures (std of proxy means): {self.between_spread:.3f}",
            f"Kendall tau between seeds (mean over seed pairs): {self.seed_tau:.3f}",
            f"Kendall tau, proxy mean vs long training: {self.tau:.3f}",
            f"  among the {self.trained} that train (long score >= {TRAINS_SHARE:g} x best): {trained}",
            "Kendall tau with the long training when averaging k seeds (k x the training time): "
            + ", ".join(f"k={k} {tau:.3f}" for k, tau in enumerate(self.tau_by_seeds, start=1)),
            f"best long-training score: {self.best_long_score:.3f}",
            *long_noise,
            f"seconds per training: proxy {self.proxy_s:.1f}, long {self.long_s:.1f}",
        ]


def fidelity_stats(scores: Sequence[ArchitectureScores]) -> FidelityStats:
    """The figures of `scores` (architectures with every seed and the long training).

    Raises:
        ValueError: With fewer than 2 architectures, or architectures with different seed counts.
    """
    if len(scores) < 2:
        raise ValueError(f"fidelity needs at least 2 architectures with every score, got {len(scores)}")
    seeds = {len(s.proxy_scores) for s in scores}
    if len(seeds) != 1:
        raise ValueError(f"every architecture needs the same number of proxy seeds, got {sorted(seeds)}")
    (seed_count,) = seeds
    long_seeds = {max(1, len(s.long_scores)) for s in scores}
    if len(long_seeds) != 1:
        raise ValueError(f"every architecture needs the same number of long seeds, got {sorted(long_seeds)}")
    (long_seed_count,) = long_seeds
    means = [s.proxy_mean for s in scores]
    longs = [s.long_score for s in scores]
    best = max(longs)
    trained = [s for s in scores if s.long_score >= TRAINS_SHARE * best]
    pairs = [(i, j) for i in range(seed_count) for j in range(i + 1, seed_count)]
    by_seed = [[s.proxy_scores[i] for s in scores] for i in range(seed_count)]
    seed_taus = [kendall_tau(by_seed[i], by_seed[j]) for i, j in pairs]
    return FidelityStats(
        architectures=len(scores),
        seeds=seed_count,
        seed_spread=statistics.median(s.proxy_std for s in scores),
        between_spread=statistics.stdev(means),
        tau=kendall_tau(means, longs),
        trained=len(trained),
        tau_trained=(kendall_tau([s.proxy_mean for s in trained], [s.long_score for s in trained])
                     if len(trained) >= 3 else math.nan),  # fmt: skip
        best_long_score=best,
        seed_tau=statistics.fmean(seed_taus) if seed_taus else math.nan,
        tau_by_seeds=_tau_by_seeds(trained if len(trained) >= 3 else scores, seed_count),
        proxy_s=statistics.median(s.proxy_s for s in scores),
        long_s=statistics.median(s.long_s for s in scores),
        long_seeds=long_seed_count,
        long_seed_spread=statistics.median(s.long_std for s in scores) if long_seed_count > 1 else math.nan,
    )


def _tau_by_seeds(scores: Sequence[ArchitectureScores], seed_count: int) -> tuple[float, ...]:
    longs = [s.long_score for s in scores]
    result = []
    for k in range(1, seed_count + 1):
        taus = [kendall_tau([statistics.fmean(s.proxy_scores[i] for i in chosen) for s in scores], longs)
                for chosen in itertools.combinations(range(seed_count), k)]  # fmt: skip
        result.append(statistics.fmean(taus))
    return tuple(result)
