"""Proxy fidelity: does the proxy task rank architectures as a much longer training does? (issue 16)

For each space asked (mnasnet classification and the SpineNet detection proxy by
default), `edgenas.proxy.check` trains `--models` architectures (the space's
references first, then seeded random points) with the family's default proxy
task once per seed, and `--long-seeds` times (default once) `--long-factor` times
longer at full width on the same data, and prints: architectures, seeds, the proxy's seed spread (median
standard deviation over seeds), the spread between architectures (standard
deviation of the proxy means), Kendall tau between seeds, Kendall tau between
the proxy mean and the long training (all, and among the architectures that
train), the best long score (a solved task is near 1.0), and the seconds of one
proxy and one long training. Every training is kept in a store under --out, so
an interrupted run resumes and a rerun with more models trains only the new ones.

A classification space is checked once per generated dataset of `--datasets`
(default shapes,scenes), in one run, and a last table sets their figures side by
side: "shapes" is the whole proxy task before issue 16 (`SHAPES_TASK`: 100 steps
at 5e-3 on the shapes set), any other name the default task on that set (scenes:
the default since issue 16). `--long-width` and `--long-option` shape the long
training as `edgenas proxy check` does; the defaults' own check
(`benchmarks/proxy_fidelity.md`) used `--long-factor 2 --long-width 0.5
--long-seeds 2 --seeds 2`.

Targets (issue 16, mnasnet classification on >= 20 architectures): best long
score <= 0.95, seed spread well below the spread between architectures, Kendall
tau(proxy, long) >= 0.6 among architectures that train.

Run: .venv/bin/python benchmarks/proxy_fidelity.py [--spaces mnasnet,spinenet] [--models 20] [--seeds 3]
     [--long-factor 6] [--long-width 1.0] [--long-option KEY=VALUE] [--long-seeds 1] [--datasets shapes,scenes]
     [--out runs/proxy-fidelity]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    from edgenas.cli.args import key_value

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", default="mnasnet,spinenet", help="comma-separated (default mnasnet,spinenet)")
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--long-factor", type=int, default=6, help="long training steps = this x the proxy's")
    parser.add_argument("--long-width", type=float, default=1.0, help="width multiplier of the long training")
    parser.add_argument("--long-option", action="append", type=key_value, default=[], metavar="KEY=VALUE",
                        help="a field in which the long training differs from the proxy's (repeatable)")
    parser.add_argument("--long-seeds", type=int, default=1, help="long trainings per architecture (their mean)")
    parser.add_argument("--datasets", default="shapes,scenes",
                        help="generated datasets a classification space is checked on (default shapes,scenes)")
    parser.add_argument("--out", default="runs/proxy-fidelity", help="stores, tables and plots")
    args = parser.parse_args()

    from edgenas import spaces
    from edgenas.families import family_of_type
    from edgenas.proxy.check import check_proxy, plan_check, plot_check
    from edgenas.proxy.check.table import write_scores
    from edgenas.proxy.task import SHAPES_TASK

    out = Path(args.out)
    rows = []
    for name in [n.strip() for n in args.spaces.split(",") if n.strip()]:
        space = spaces.get(name)
        family = family_of_type(space.spec_type)
        default = family.default_proxy_task()
        reads_data = "dataset" in {f.name for f in dataclasses.fields(default)}
        datasets = [d.strip() for d in args.datasets.split(",") if d.strip()] if reads_data else [None]
        for dataset in datasets:
            if dataset is None:
                task = default
            else:
                task = SHAPES_TASK if dataset == "shapes" else dataclasses.replace(default, dataset=dataset)
            label = name if dataset is None else f"{name}-{dataset}"
            plan = plan_check(space, models=args.models, seeds=args.seeds, long_steps=args.long_factor * task.steps,
                              long_width=args.long_width, long_seeds=args.long_seeds,
                              long_options=dict(args.long_option), task=task)  # fmt: skip
            start = time.perf_counter()
            check = check_proxy(plan, store=out / f"{label}.sqlite")
            print(f"\n== {label} ({family.metric.name}): proxy task {task.steps} steps"
                  f"{'' if dataset is None else f' on {dataset}'}; long training {plan.long_task.steps} steps at "
                  f"width {plan.long_task.width_multiplier:g}")  # fmt: skip
            print(f"{check.trained} trainings in {time.perf_counter() - start:.0f} s (the rest from "
                  f"{out / label}.sqlite)")  # fmt: skip
            for failure in check.failures:
                print(f"failed: {failure}")
            if check.stats is None:
                print("too few complete architectures for the figures")
                continue
            for line in check.stats.lines():
                print(line)
            rows.append((label, check.stats))
            print(f"scores: {write_scores(check, out / f'{label}.csv')}; "
                  f"plot: {plot_check(check, out / f'{label}.png', metric=family.metric.name)}")
    if rows:
        print("\n" + _table(rows))
    return 0


def _table(rows: list) -> str:
    header = (f"{'check':<18} {'archs':>5} {'seeds':>5} {'seed sd':>7} {'arch sd':>7} {'tau':>6} {'trained':>7} "
              f"{'tau tr':>6} {'best long':>9} {'proxy s':>7} {'long s':>7}")  # fmt: skip
    lines = [header, "-" * len(header)]
    for label, st in rows:
        lines.append(f"{label:<18} {st.architectures:>5} {st.seeds:>5} {st.seed_spread:>7.3f} {st.between_spread:>7.3f} "
                     f"{st.tau:>6.3f} {st.trained:>7} {st.tau_trained:>6.3f} {st.best_long_score:>9.3f} "
                     f"{st.proxy_s:>7.1f} {st.long_s:>7.1f}")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
