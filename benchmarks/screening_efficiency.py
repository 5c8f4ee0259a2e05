"""Predictor-screened proposals: trials spent off the front, with and without screening, at equal trials (issue 17).

The synthetic objective of `benchmarks/search_efficiency.py` (the real mnasnet
space; accuracy a fixed random function of the DNA, `--objective-seed` draws
others; latency a noise-free model of the spec) with a latency "predictor" that
is that model times a fixed per-spec error (log-normal, `--predictor-error`
standard deviation; 0.05 is about what `benchmarks/predictor_accuracy.py`
measures for ours). Each search runs the same number of trained trials twice,
with and without `edgenas.search.screening` (error bound `--error-bound`,
accuracy bound `--confidence-z`, the other settings its defaults), through the same `propose_screened` the search
loop uses: a dropped proposal is told the screen's prediction and costs no trial.

For each algorithm and reward (the default, surrogate_evolution, under the
Pareto reward; evolution under MnasNet's soft and hard rewards, target at the
median latency of random samples) it prints, as means over `--seeds` search
seeds: the trials that ended off the run's own final front, the hypervolume
(as in search_efficiency.py) and its ratio with screening to without, the best
soft/hard reward where the reward is scalar, and the proposals screened per
trained trial.

Run: .venv/bin/python benchmarks/screening_efficiency.py [--trials 100] [--seeds 5] [--objective-seed 2024 7 11]
     [--predictor-error 0.05] [--error-bound 0.1] [--confidence-z 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import math
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._text_table import aligned_lines  # noqa: E402
from benchmarks.search_efficiency import (  # noqa: E402
    AccuracyModel,
    Calibration,
    LatencyModel,
    _num_choices,
    _space,
    calibrate,
    normalised_hypervolume,
)
from edgenas.search.algorithms import make_algorithm  # noqa: E402
from edgenas.search.rewards import ParetoObjectives, make_reward, pareto_front  # noqa: E402
from edgenas.search.screening import Screen, Screening, propose_screened  # noqa: E402
from edgenas.specs import estimate_cost  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Setting:
    """An algorithm and the reward it searches under."""

    algorithm: str
    reward: str


SETTINGS = (Setting("surrogate_evolution", "pareto"), Setting("evolution", "mnasnet-soft"),
            Setting("evolution", "mnasnet-hard"))  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Run:
    """One search's outcome."""

    off_front: int
    hypervolume: float
    best_reward: float
    screened: int


def _predicted_ms(spec: object, true_ms: float, error: float) -> float:
    """The model's latency times a fixed log-normal error of the spec (the same spec, the same error)."""
    digest = hashlib.sha256(str(spec).encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    return true_ms * math.exp(rng.normal(0.0, error))


def run(setting: Setting, *, seed: int, objective_seed: int, trials: int, screened: bool, calibration: Calibration,
        predictor_error: float, error_bound: float, confidence_z: float) -> Run:  # fmt: skip
    space = _space()
    accuracy_model = AccuracyModel.random(_num_choices(space), seed=objective_seed, log_macs=calibration.log_macs)
    latency_model = LatencyModel()
    reward = make_reward(setting.reward, target_ms=calibration.target_ms)
    generator = make_algorithm(setting.algorithm, seed=seed, space_size=space.size)
    generator.setup(space.dna_spec)

    def truth(spec: object, dna: object) -> tuple[float, float]:
        macs = estimate_cost(spec).macs
        return accuracy_model(dna.to_numbers(), macs=macs), latency_model(spec, macs=macs)

    screen = None
    if screened:
        screen = Screen(Screening(predictor=None, error_bound=error_bound, confidence_z=confidence_z), reward=reward,
                        predict_ms=lambda spec: _predicted_ms(spec, latency_model(spec, macs=estimate_cost(spec).macs),
                                                              predictor_error),
                        num_candidates=_num_choices(space))  # fmt: skip

    def feedback(dna: object, accuracy: float, latency_ms: float) -> None:
        generator.feedback(dna, reward(accuracy=accuracy, latency_ms=latency_ms))

    def propose() -> tuple[object, object]:
        dna = generator.propose()
        return dna, space.spec_from_dna(dna)

    points: list[ParetoObjectives] = []
    best = -math.inf
    for _ in range(trials):
        dna, spec = propose_screened(propose, lambda d, s, a, ms: feedback(d, a, ms), screen,
                                     choices_of=lambda d: d.to_numbers())  # fmt: skip
        accuracy, latency_ms = truth(spec, dna)
        feedback(dna, accuracy, latency_ms)
        if screen is not None:
            screen.add(dna.to_numbers(), accuracy=accuracy, latency_ms=latency_ms)
        points.append(ParetoObjectives(accuracy, -latency_ms))
        if not reward.is_pareto:
            best = max(best, float(reward(accuracy=accuracy, latency_ms=latency_ms)))
    front = set(pareto_front(points))
    return Run(off_front=sum(p not in front for p in points), hypervolume=normalised_hypervolume(points, calibration),
               best_reward=best, screened=0 if screen is None else screen.dropped)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--objective-seed", type=int, nargs="+", default=[2024, 7, 11])
    parser.add_argument("--predictor-error", type=float, default=0.05)
    parser.add_argument("--error-bound", type=float, default=0.1)
    parser.add_argument("--confidence-z", type=float, default=2.0, help="the screen's accuracy bound (default 2)")
    args = parser.parse_args()
    calibration = calibrate(_space())
    print(f"{args.trials} trials x {args.seeds} search seeds; predictor error {args.predictor_error:g} "
          f"(log-normal), error bound {args.error_bound:g}, confidence z {args.confidence_z:g}; target {calibration.target_ms:.2f} ms")  # fmt: skip
    header = ["objective", "algorithm", "reward", "off front", "off front (screened)", "HV", "HV (screened)",
              "HV ratio", "best reward", "best (screened)", "screened/trial"]  # fmt: skip
    body = []
    for objective_seed in args.objective_seed:
        for setting in SETTINGS:
            plain, screened = [], []
            for seed in range(args.seeds):
                common = dict(seed=seed, objective_seed=objective_seed, trials=args.trials, calibration=calibration,
                              predictor_error=args.predictor_error, error_bound=args.error_bound,
                              confidence_z=args.confidence_z)  # fmt: skip
                plain.append(run(setting, screened=False, **common))
                screened.append(run(setting, screened=True, **common))

            def mean(runs: list[Run], field: str) -> float:
                return statistics.fmean(getattr(r, field) for r in runs)

            scalar = setting.reward != "pareto"
            body.append([
                str(objective_seed), setting.algorithm, setting.reward,
                f"{mean(plain, 'off_front'):.1f}", f"{mean(screened, 'off_front'):.1f}",
                f"{mean(plain, 'hypervolume'):.4f}", f"{mean(screened, 'hypervolume'):.4f}",
                f"{mean(screened, 'hypervolume') / mean(plain, 'hypervolume'):.3f}",
                f"{mean(plain, 'best_reward'):.4f}" if scalar else "-",
                f"{mean(screened, 'best_reward'):.4f}" if scalar else "-",
                f"{mean(screened, 'screened') / args.trials:.2f}",
            ])  # fmt: skip
            print("  ".join(body[-1]), flush=True)
    print()
    print("\n".join(aligned_lines(header, body, left={1, 2})))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
