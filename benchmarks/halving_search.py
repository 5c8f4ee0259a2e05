"""Successive halving on the real proxy task: the front it finds with half the training steps (issue 17, part 2).

Two real searches of the mnasnet space on this machine, the same seed, the same
algorithm (the default, `surrogate_evolution`), the Pareto reward, the default
proxy task (300 steps on the generated scenes), latency measured with LiteRT
(fp32, one thread, 224x224):

1. **full fidelity**: `--trials` candidates, each trained to the end;
2. **halving** (`--halving`, default 3:2: rungs after 100 and 300 steps):
   run in chunks of `--chunk` trials until it has spent half the full search's
   training steps (`--budget-share`) and run `--trials` trials.

The search is sequential, so the first k trials of a longer halving run are
exactly a k-trial halving search. The script compares the full search with the
halving search's longest prefix within the step budget, and, for a second view,
with its first `--trials` trials (equal trial counts). For each it prints trials,
how many trained to the end and how many halving stopped, training steps, proxy
seconds, and the hypervolume of the front of the complete trials (reference:
accuracy 0 and 1.05 x the slowest complete trial of both searches), as ratios to
the full search. Trials stopped early are left out of the front: their scores are
shorter trainings'. A plot of both fronts goes to `--out`/halving_fronts.png.

Target (issue 17): the halving front at the same or better hypervolume with at
most half the full search's training steps.

Stores live under `--out`, so an interrupted run resumes where it stopped.

Run: .venv/bin/python benchmarks/halving_search.py [--trials 40] [--halving 3:2] [--seed 0] [--target-ms 10]
     [--budget-share 0.5] [--chunk 8] [--proxy-steps N] [--out runs/halving-bench]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._text_table import aligned_lines  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a run (or a prefix of one) spent and found."""

    label: str
    trials: int
    complete: int
    stopped: int
    failed: int
    steps: int
    proxy_s: float
    total_s: float
    hypervolume: float


def _steps(trial: Any, full_steps: int) -> int:
    """Training steps a trial ran: its last rung's, or the task's for a trial trained without rungs."""
    if trial.status.value != "done":
        return 0
    return trial.rungs[-1].steps if trial.rungs else full_steps


def _outcome(label: str, trials: list[Any], *, full_steps: int, reference_ms: float) -> Outcome:
    from edgenas.report.hypervolume import hypervolume_2d

    return Outcome(
        label=label,
        trials=len(trials),
        complete=sum(t.complete for t in trials),
        stopped=sum(t.stopped_early for t in trials),
        failed=sum(t.status.value == "failed" for t in trials),
        steps=sum(_steps(t, full_steps) for t in trials),
        proxy_s=sum(t.timings.proxy_train_s or 0.0 for t in trials),
        total_s=sum(t.timings.total_s or 0.0 for t in trials),
        hypervolume=hypervolume_2d(trials, reference_accuracy=0.0, reference_latency_ms=reference_ms),
    )


def _search(db: Path, trials: int, halving: Any, args: argparse.Namespace) -> list[Any]:
    import edgenas
    from edgenas.proxy import ProxyTask
    from edgenas.search.rewards import make_reward

    task = ProxyTask() if args.proxy_steps is None else ProxyTask(steps=args.proxy_steps)
    result = edgenas.run_search(
        edgenas.spaces.get("mnasnet"), reward=make_reward("pareto", target_ms=args.target_ms), trials=trials, db=db,
        accuracy=task, seed=args.seed, resume=db.exists(), halving=halving, progress=True,
    )  # fmt: skip
    return list(result.trials)


def _plot(full: list[Any], halved: list[Any], path: Path, *, title: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from edgenas.report import pareto_front

    figure = Figure(figsize=(8.0, 5.0), dpi=120, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for trials, colour, name in ((full, "tab:blue", "full fidelity"), (halved, "tab:orange", "halving")):
        done = [t for t in trials if t.complete]
        front = pareto_front(done)
        axes.scatter([t.latency_ms for t in done], [t.accuracy for t in done], s=16, color=colour, alpha=0.35,
                     edgecolors="none")  # fmt: skip
        axes.step([t.latency_ms for t in front], [t.accuracy for t in front], where="post", color=colour,
                  label=f"{name}: front of {len(done)} complete trials")  # fmt: skip
    stopped = [t for t in halved if t.stopped_early]
    axes.scatter([t.latency_ms for t in stopped], [t.accuracy for t in stopped], s=16, marker="x", color="0.55",
                 label=f"halving: stopped early ({len(stopped)}), score at the last rung")  # fmt: skip
    axes.set_xlabel("measured latency, median (ms, LiteRT fp32, 1 thread, 224x224)")
    axes.set_ylabel("proxy accuracy")
    axes.set_title(title, fontsize=10)
    axes.grid(True, color="0.9")
    axes.legend(fontsize=8)
    figure.savefig(path)


def main() -> int:
    from edgenas.search import Halving

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40, help="trials of the full-fidelity search")
    parser.add_argument("--halving", type=Halving.parse, default=Halving(), metavar="ETA:RUNGS")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target-ms", type=float, default=10.0, help="drawn by the report; the front is the goal")
    parser.add_argument("--budget-share", type=float, default=0.5, help="halving's steps, as a share of full's")
    parser.add_argument("--chunk", type=int, default=8, help="halving trials added per round until the budget")
    parser.add_argument("--proxy-steps", type=int, help="default: the proxy task's (300)")
    parser.add_argument("--out", default="runs/halving-bench")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    full_steps = 300 if args.proxy_steps is None else args.proxy_steps

    print(f"full fidelity: {args.trials} trials", flush=True)
    full = _search(out / "full.sqlite", args.trials, None, args)
    budget = args.budget_share * sum(_steps(t, full_steps) for t in full)
    halved: list[Any] = []
    count = 0
    while True:  # in chunks until the halving search has spent the budget and run as many trials as the full one
        count += args.chunk
        halved = _search(out / "halving.sqlite", count, args.halving, args)
        if sum(_steps(t, full_steps) for t in halved) >= budget and len(halved) >= args.trials:
            break
    spent, within = 0, 0
    for trial in halved:
        spent += _steps(trial, full_steps)
        if spent > budget:
            break
        within += 1
    latencies = [t.latency_ms for t in full + halved if t.complete]
    reference_ms = 1.05 * max(latencies)
    rows = [
        _outcome("full fidelity", full, full_steps=full_steps, reference_ms=reference_ms),
        _outcome(f"halving, first {within} (within the budget)", halved[:within], full_steps=full_steps,
                 reference_ms=reference_ms),  # fmt: skip
        _outcome(f"halving, first {args.trials} (equal trials)", halved[: args.trials],
                 full_steps=full_steps, reference_ms=reference_ms),  # fmt: skip
    ]
    base = rows[0]
    print(f"\nmnasnet, pareto reward, surrogate_evolution, seed {args.seed}, proxy {full_steps} steps, "
          f"{args.halving}; budget {budget:,.0f} steps ({args.budget_share:g} x full); "
          f"HV reference: accuracy 0, {reference_ms:.2f} ms")  # fmt: skip
    header = ["search", "trials", "complete", "stopped", "failed", "steps", "steps/full", "proxy s", "wall s",
              "HV", "HV/full"]  # fmt: skip
    body = [
        [r.label, str(r.trials), str(r.complete), str(r.stopped), str(r.failed), f"{r.steps:,}",
         f"{r.steps / base.steps:.3f}", f"{r.proxy_s:,.0f}", f"{r.total_s:,.0f}", f"{r.hypervolume:.3f}",
         f"{r.hypervolume / base.hypervolume:.3f}"]
        for r in rows
    ]  # fmt: skip
    print("\n".join(aligned_lines(header, body, left={0})))
    met = rows[1].hypervolume >= base.hypervolume and rows[1].steps <= args.budget_share * base.steps
    print(f"\ntarget: HV >= full fidelity's with <= {args.budget_share:g} x its steps: "
          f"{'PASS' if met else 'FAIL'} ({rows[1].hypervolume / base.hypervolume:.3f}x HV at "
          f"{rows[1].steps / base.steps:.3f}x steps)")  # fmt: skip
    path = out / "halving_fronts.png"
    _plot(full, halved[:within], path, title=f"full fidelity ({len(full)} trials) vs halving within "
          f"{args.budget_share:g} x its steps ({within} trials)")  # fmt: skip
    print(f"plot: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
