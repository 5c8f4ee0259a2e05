"""Proxy fidelity: does the proxy task rank architectures as a much longer training does? (issue 16)

For each space asked (mnasnet classification and the SpineNet detection proxy by
default), `edgenas.proxy.check` trains `--models` architectures (the space's
references first, then seeded random points) with the family's default proxy
task once per seed, and once `--long-factor` times longer at full width on the
same data, and prints: architectures, seeds, the proxy's seed spread (median
standard deviation over seeds), the spread between architectures (standard
deviation of the proxy means), Kendall tau between seeds, Kendall tau between
the proxy mean and the long training (all, and among the architectures that
train), the best long score (a solved task is near 1.0), and the seconds of one
proxy and one long training. Every training is kept in a store under --out, so
an interrupted run resumes and a rerun with more models trains only the new ones.

Targets (issue 16, mnasnet classification on >= 20 architectures): best long
score <= 0.95, seed spread well below the spread between architectures, Kendall
tau(proxy, long) >= 0.6 among architectures that train.

Run: .venv/bin/python benchmarks/proxy_fidelity.py [--spaces mnasnet,spinenet] [--models 20] [--seeds 3]
     [--long-factor 6] [--out runs/proxy-fidelity]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", default="mnasnet,spinenet", help="comma-separated (default mnasnet,spinenet)")
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--long-factor", type=int, default=6, help="long training steps = this x the proxy's")
    parser.add_argument("--out", default="runs/proxy-fidelity", help="stores, tables and plots")
    args = parser.parse_args()

    from edgenas import spaces
    from edgenas.families import family_of_type
    from edgenas.proxy.check import check_proxy, plan_check, plot_check
    from edgenas.proxy.check.table import write_scores

    out = Path(args.out)
    for name in [n.strip() for n in args.spaces.split(",") if n.strip()]:
        space = spaces.get(name)
        family = family_of_type(space.spec_type)
        task = family.default_proxy_task()
        plan = plan_check(space, models=args.models, seeds=args.seeds, long_steps=args.long_factor * task.steps)
        start = time.perf_counter()
        check = check_proxy(plan, store=out / f"{name}.sqlite")
        print(f"\n== {name} ({family.metric.name}): default proxy task, {task.steps} steps; long training "
              f"{plan.long_task.steps} steps at width {plan.long_task.width_multiplier:g}")
        print(f"{check.trained} trainings in {time.perf_counter() - start:.0f} s (the rest from {out / name}.sqlite)")
        for failure in check.failures:
            print(f"failed: {failure}")
        if check.stats is None:
            print("too few complete architectures for the figures")
            continue
        for line in check.stats.lines():
            print(line)
        print(f"scores: {write_scores(check, out / f'{name}.csv')}; "
              f"plot: {plot_check(check, out / f'{name}.png', metric=family.metric.name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
