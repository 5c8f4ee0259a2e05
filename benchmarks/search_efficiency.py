"""Search efficiency: how much better than random and than Optuna's samplers each algorithm searches, at equal trials.

A fixed, cheap objective needs no training: on the real `mnasnet` space,
accuracy is a fixed random function of the DNA (a seeded linear + pairwise model
of the decision indices plus a capacity term in log MACs, squashed to
[0.5, 0.8]; `--objective-seed` draws other models) and latency_ms is a
noise-free model of the spec (MACs from `edgenas.specs.estimate_cost` at
10 GMAC/s plus per-layer overheads). Every algorithm gets the same budget of
trials over several search seeds. The scalar ones (random, evolution, ppo, tpe)
maximise MnasNet's soft reward with the target at the median latency of random
samples; the multi-objective ones (surrogate_evolution, the default; nsga2;
motpe) are told (accuracy, -latency_ms), as `edgenas search` tells them. A
search is judged by the hypervolume of the (accuracy, latency) front of all its
trials, reference point (accuracy 0.5, latency at the largest of 1000 random
samples), divided by the reference box (0.3 x that latency) so it reads as a
fraction. Optuna's samplers are the baselines; each table gives every row's
ratio to random and to the best baseline of that objective seed, and the last
lines check the default algorithm against issue 17's targets (>= 1.3x random,
>= the best baseline).

Grid search is not run: the space has ~1e16 points.

Run: .venv/bin/python benchmarks/search_efficiency.py [--trials 300] [--seeds 5] [--objective-seed 2024 7 11]
     [--only LABEL ...] [--workers 2]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import math
import statistics
import time
from collections.abc import Sequence

import numpy as np

import edgenas.spaces
from edgenas.search.algorithms import SpaceTooLargeError, is_multi_objective, make_algorithm
from edgenas.search.rewards import ParetoObjectives, hypervolume, make_reward
from edgenas.specs import ArchSpec, estimate_cost

ACCURACY_MIN, ACCURACY_MAX = 0.5, 0.8
OBJECTIVE_SEED = 2024
CALIBRATION_SEED = 2024
CALIBRATION_SAMPLES = 1000

@dataclasses.dataclass(frozen=True)
class Entry:
    """One algorithm as the benchmark runs it.

    Attributes:
        label: Its row in the table.
        algorithm: The registered algorithm.
        options: Its options.
        baseline: One of Optuna's samplers, against the best of which every row is compared.
    """

    label: str
    algorithm: str
    options: tuple[tuple[str, object], ...] = ()
    baseline: bool = False


ENTRIES = (
    Entry("random", "random"),
    Entry("evolution", "evolution", (("population_size", 50), ("tournament_size", 10))),
    Entry("ppo", "ppo"),
    Entry("surrogate_evo", "surrogate_evolution"),  # the default of edgenas search
    Entry("tpe", "tpe", baseline=True),
    Entry("tpe-indep", "tpe", (("multivariate", False),), baseline=True),
    Entry("motpe", "motpe", baseline=True),
    Entry("nsga2", "nsga2", (("population_size", 25),), baseline=True),
)


@dataclasses.dataclass(frozen=True)
class LatencyModel:
    """A noise-free latency model of a spec: compute time plus per-layer overheads.

    Attributes:
        macs_per_ms: Throughput of the imagined device.
        layer_overhead_ms: Fixed cost of each block (kernel launches, memory traffic).
        se_overhead_ms: Extra cost of each block with squeeze-and-excitation.
        large_kernel_overhead_ms: Extra cost of each 5x5 block.
    """

    macs_per_ms: float = 1e7
    layer_overhead_ms: float = 0.15
    se_overhead_ms: float = 0.25
    large_kernel_overhead_ms: float = 0.1

    def __call__(self, spec: ArchSpec, *, macs: int) -> float:
        latency_ms = macs / self.macs_per_ms
        for block in spec.blocks:
            per_layer = self.layer_overhead_ms
            per_layer += self.se_overhead_ms if block.se_ratio > 0 else 0.0
            per_layer += self.large_kernel_overhead_ms if block.kernel_size > 3 else 0.0
            latency_ms += block.num_repeats * per_layer
        return latency_ms


@dataclasses.dataclass(frozen=True, eq=False)
class AccuracyModel:
    """A fixed random accuracy of a DNA: linear + pairwise terms + capacity, squashed to [0.5, 0.8].

    Attributes:
        linear: Weight of each (decision, choice), `(decisions, max_choices)`.
        pairs: The interacting decision pairs, `(pairs, 2)`.
        pairwise: Weight of each pair's joint choice, `(pairs, max_choices, max_choices)`.
        capacity_weight: Weight of the standardised log MACs (bigger nets are more accurate).
        log_macs_mean: Mean log MACs of random samples.
        log_macs_std: Standard deviation of log MACs of random samples.
    """

    linear: np.ndarray
    pairs: np.ndarray
    pairwise: np.ndarray
    capacity_weight: float
    log_macs_mean: float
    log_macs_std: float

    @classmethod
    def random(
        cls, num_choices: Sequence[int], *, seed: int, log_macs: Sequence[float], num_pairs: int = 40
    ) -> AccuracyModel:
        """Draws a model for decisions with `num_choices` candidates each."""
        rng = np.random.default_rng(seed)
        decisions, width = len(num_choices), max(num_choices)
        pairs = np.stack([rng.choice(decisions, size=2, replace=False) for _ in range(num_pairs)])
        return cls(
            linear=rng.normal(0.0, 0.15, size=(decisions, width)),
            pairs=pairs,
            pairwise=rng.normal(0.0, 0.15, size=(num_pairs, width, width)),
            capacity_weight=0.8,
            log_macs_mean=float(np.mean(log_macs)),
            log_macs_std=float(np.std(log_macs)),
        )

    def __call__(self, numbers: Sequence[int], *, macs: int) -> float:
        choices = np.asarray(numbers)
        score = self.linear[np.arange(len(choices)), choices].sum()
        score += self.pairwise[np.arange(len(self.pairs)), choices[self.pairs[:, 0]], choices[self.pairs[:, 1]]].sum()
        score += self.capacity_weight * (math.log(macs) - self.log_macs_mean) / self.log_macs_std
        return ACCURACY_MIN + (ACCURACY_MAX - ACCURACY_MIN) / (1.0 + math.exp(-score))


@dataclasses.dataclass(frozen=True)
class Calibration:
    """What the random samples of the space fix for every run.

    Attributes:
        target_ms: Latency target of the MnasNet reward: the median of random samples.
        reference_latency_ms: Latency of the hypervolume reference point: their maximum.
        log_macs: Log MACs of the samples (standardises the accuracy's capacity term).
    """

    target_ms: float
    reference_latency_ms: float
    log_macs: tuple[float, ...]


@dataclasses.dataclass(frozen=True)
class RunResult:
    """One search: an entry, a search seed, an objective seed, every trial's objectives."""

    label: str
    seed: int
    objective_seed: int
    points: tuple[ParetoObjectives, ...]
    best_soft_reward: float
    seconds: float


def _space() -> edgenas.spaces.SearchSpace:
    return edgenas.spaces.get("mnasnet")


def _num_choices(space: edgenas.spaces.SearchSpace) -> list[int]:
    return [len(point.candidates) for point in space.dna_spec.decision_points]


def calibrate(space: edgenas.spaces.SearchSpace) -> Calibration:
    """Latency target, reference latency and MACs statistics from random samples (fixed across objective seeds)."""
    latency = LatencyModel()
    latencies, log_macs = [], []
    for spec in space.sample(CALIBRATION_SAMPLES, seed=CALIBRATION_SEED):
        macs = estimate_cost(spec).macs
        latencies.append(latency(spec, macs=macs))
        log_macs.append(math.log(macs))
    return Calibration(
        target_ms=statistics.median(latencies),
        reference_latency_ms=max(latencies),
        log_macs=tuple(log_macs),
    )


def run_search(entry: Entry, seed: int, objective_seed: int, trials: int, calibration: Calibration) -> RunResult:
    """Runs one search with a manual propose/feedback loop."""
    start = time.perf_counter()
    space = _space()
    accuracy_model = AccuracyModel.random(_num_choices(space), seed=objective_seed, log_macs=calibration.log_macs)
    latency_model = LatencyModel()
    soft = make_reward("mnasnet-soft", target_ms=calibration.target_ms)
    pareto = make_reward("pareto", target_ms=calibration.target_ms)
    reward = pareto if is_multi_objective(entry.algorithm) else soft
    generator = make_algorithm(entry.algorithm, seed=seed, space_size=space.size, **dict(entry.options))
    generator.setup(space.dna_spec)
    points, best = [], -math.inf
    for _ in range(trials):
        dna = generator.propose()
        spec = space.spec_from_dna(dna)
        macs = estimate_cost(spec).macs
        accuracy = accuracy_model(dna.to_numbers(), macs=macs)
        latency_ms = latency_model(spec, macs=macs)
        generator.feedback(dna, reward(accuracy=accuracy, latency_ms=latency_ms))
        points.append(pareto(accuracy=accuracy, latency_ms=latency_ms))
        best = max(best, soft(accuracy=accuracy, latency_ms=latency_ms))
    return RunResult(entry.label, seed, objective_seed, tuple(points), best, time.perf_counter() - start)


def normalised_hypervolume(points: Sequence[ParetoObjectives], calibration: Calibration) -> float:
    """Hypervolume of the front as a fraction of the reference box."""
    reference = ParetoObjectives(ACCURACY_MIN, -calibration.reference_latency_ms)
    box = (ACCURACY_MAX - ACCURACY_MIN) * calibration.reference_latency_ms
    return hypervolume(points, reference=reference) / box


def _print_table(runs: Sequence[RunResult], calibration: Calibration, *, objective_seed: int) -> dict[str, float]:
    """Prints one objective seed's table; returns each entry's mean hypervolume."""
    volumes: dict[str, list[float]] = {entry.label: [] for entry in ENTRIES}
    for run in runs:
        volumes[run.label].append(normalised_hypervolume(run.points, calibration))
    means = {label: statistics.mean(hv) for label, hv in volumes.items()}
    random_mean = means["random"]
    baselines = [entry.label for entry in ENTRIES if entry.baseline]
    best_label = max(baselines, key=means.__getitem__) if baselines else "random"
    print(f"objective seed {objective_seed}: best Optuna baseline {best_label if baselines else 'none run'} "
          f"(HV {means[best_label]:.4f})")
    header = (
        f"{'algorithm':<13} {'reward':<13} {'HV mean':>8} {'HV std':>7} {'vs random':>9} {'vs best base':>12} "
        f"{'runs > random':>13} {'best soft':>9} {'s/run':>6}"
    )
    print(header)
    print("-" * len(header))
    for entry in ENTRIES:
        hv = volumes[entry.label]
        entry_runs = [run for run in runs if run.label == entry.label]
        print(
            f"{entry.label:<13} {'pareto' if is_multi_objective(entry.algorithm) else 'mnasnet-soft':<13} "
            f"{means[entry.label]:>8.4f} {statistics.stdev(hv) if len(hv) > 1 else 0.0:>7.4f} "
            f"{means[entry.label] / random_mean:>8.3f}x {means[entry.label] / means[best_label]:>11.3f}x "
            f"{f'{sum(v > random_mean for v in hv)}/{len(hv)}':>13} "
            f"{statistics.mean(r.best_soft_reward for r in entry_runs):>9.4f} "
            f"{statistics.mean(r.seconds for r in entry_runs):>6.1f}"
        )
    print()
    return means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=5, help="search seeds per algorithm and objective")
    parser.add_argument("--objective-seed", type=int, nargs="+", default=[OBJECTIVE_SEED],
                        help="seeds of the synthetic accuracy model; one table each (default 2024)")
    parser.add_argument("--only", nargs="+", metavar="LABEL", help="run these rows only (random always runs)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    global ENTRIES  # noqa: PLW0603  (--only narrows the table)
    if args.only:
        unknown = sorted(set(args.only) - {entry.label for entry in ENTRIES})
        if unknown:
            parser.error(f"unknown rows {unknown}; rows: {[entry.label for entry in ENTRIES]}")
        ENTRIES = tuple(e for e in ENTRIES if e.label in {"random", *args.only})

    started = time.perf_counter()
    space = _space()
    calibration = calibrate(space)
    print(f"space mnasnet: {space.size:.3g} points, {space.num_decisions} decisions")
    print(
        f"objective: accuracy in [{ACCURACY_MIN}, {ACCURACY_MAX}] (seeded model, seeds {args.objective_seed}); "
        f"latency model: MACs at 10 GMAC/s + per-layer terms"
    )
    print(
        f"reward: mnasnet-soft, target_ms={calibration.target_ms:.2f} (median of {CALIBRATION_SAMPLES} "
        f"random samples); multi-objective algorithms: pareto (accuracy, -latency_ms)"
    )
    print(f"hypervolume reference: accuracy {ACCURACY_MIN}, latency {calibration.reference_latency_ms:.2f} ms")
    try:
        make_algorithm("grid", seed=0, space_size=space.size)
    except SpaceTooLargeError as error:
        print(f"grid: not applicable ({error})")
    print(f"budget: {args.trials} trials x {args.seeds} seeds per algorithm, {args.workers} worker processes")
    print("baselines: Optuna's samplers (" + ", ".join(e.label for e in ENTRIES if e.baseline) + ")\n")

    jobs = [(entry, seed, objective) for objective in args.objective_seed for entry in ENTRIES
            for seed in range(args.seeds)]
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = [pool.submit(run_search, entry, seed, objective, args.trials, calibration)
                   for entry, seed, objective in jobs]
        results = [future.result() for future in futures]

    ratios: dict[str, list[float]] = {entry.label: [] for entry in ENTRIES}
    vs_random: dict[str, list[float]] = {entry.label: [] for entry in ENTRIES}
    for objective in args.objective_seed:
        means = _print_table([r for r in results if r.objective_seed == objective], calibration,
                             objective_seed=objective)
        best_baseline = max(means[e.label] for e in ENTRIES if e.baseline) if any(e.baseline for e in ENTRIES) else 0
        for entry in ENTRIES:
            vs_random[entry.label].append(means[entry.label] / means["random"])
            ratios[entry.label].append(means[entry.label] / best_baseline if best_baseline else math.nan)
    if "surrogate_evo" in vs_random:
        for objective, random_ratio, baseline_ratio in zip(
            args.objective_seed, vs_random["surrogate_evo"], ratios["surrogate_evo"], strict=True
        ):
            print(f"default (surrogate_evolution), objective seed {objective}: "
                  f"{'PASS' if random_ratio >= 1.3 else 'FAIL'} >= 1.3x random ({random_ratio:.3f}x), "
                  f"{'PASS' if baseline_ratio >= 1.0 else 'FAIL'} >= the best baseline ({baseline_ratio:.3f}x)")
        print()
    if len(args.objective_seed) > 1:
        print(f"over {len(args.objective_seed)} objective seeds (each row: the ratios of the tables above)")
        for entry in ENTRIES:
            print(f"{entry.label:<13} vs random {' '.join(f'{v:.3f}x' for v in vs_random[entry.label])}   "
                  f"vs best baseline {' '.join(f'{v:.3f}x' for v in ratios[entry.label])}")
    print(f"\ntotal wall time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
