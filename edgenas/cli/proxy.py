"""``edgenas proxy check``: how well the proxy task ranks a space's architectures."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from edgenas.cli.args import key_value, positive_float, positive_int
from edgenas.cli.errors import CliError

__all__ = ["add_proxy_parser", "cmd_proxy"]


def add_proxy_parser(sub: Any, space_arguments: Any) -> None:
    """Adds ``proxy check`` to the CLI's sub-commands (`space_arguments` adds --space and its options)."""
    proxy = sub.add_parser("proxy", help="measure how well the proxy task ranks architectures")
    actions = proxy.add_subparsers(dest="proxy_command", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="train architectures with the proxy settings over several seeds and much longer; report the "
                      "seed spread, the spread between architectures and Kendall tau (resumable)")  # fmt: skip
    space_arguments(check)
    check.add_argument("--models", type=int, default=20, help="architectures, references first (default 20)")
    check.add_argument("--seeds", type=int, default=3, help="proxy trainings per architecture (default 3)")
    check.add_argument("--long-steps", type=positive_int,
                       help="steps of the long training (default 6 x the proxy's)")  # fmt: skip
    check.add_argument("--long-width", type=positive_float, default=1.0,
                       help="width multiplier of the long training (default 1.0: full width)")  # fmt: skip
    check.add_argument("--long-seeds", type=int, default=1,
                       help="long trainings per architecture; the long score is their mean (default 1)")  # fmt: skip
    check.add_argument("--proxy-option", action="append", type=key_value, default=[], metavar="KEY=VALUE",
                       dest="proxy_options",
                       help="a field of the family's proxy task, repeatable (e.g. steps=100)")  # fmt: skip
    check.add_argument("--long-option", action="append", type=key_value, default=[], metavar="KEY=VALUE",
                       dest="long_options",
                       help="a field in which the long training's task differs from the proxy's, repeatable "
                            "(e.g. learning_rate=0.002)")  # fmt: skip
    check.add_argument("--sample-seed", type=int, default=0, help="seed of the random architectures")
    check.add_argument("--out", help="folder of the training store, table and plot (default runs/proxy-check/SPACE)")
    check.add_argument("--timeout-min", type=positive_float, help="most minutes one training may take")


def cmd_proxy(args: argparse.Namespace, space: Any) -> int:
    """Runs ``edgenas proxy check`` on `space` (from the CLI's --space arguments)."""
    from edgenas.families import family_of_type  # noqa: PLC0415
    from edgenas.proxy.check import check_proxy, plan_check, plot_check  # noqa: PLC0415
    from edgenas.proxy.check.table import write_scores  # noqa: PLC0415

    family = family_of_type(space.spec_type)
    task = family.proxy_task(**dict(args.proxy_options)) if args.proxy_options else None
    plan = plan_check(space, models=args.models, seeds=args.seeds, long_steps=args.long_steps,
                      long_width=args.long_width, long_seeds=args.long_seeds, long_options=dict(args.long_options),
                      task=task, sample_seed=args.sample_seed)  # fmt: skip
    out = Path(args.out) if args.out else Path("runs") / "proxy-check" / space.name
    if out.exists() and not out.is_dir():
        raise CliError(f"--out {str(out)!r} is a file, not a folder")
    print(f"proxy check of {space.name}: {len(plan.architectures)} architectures x ({len(plan.proxy_tasks)} seeds "
          f"of {plan.proxy_tasks[0].steps} steps + {len(plan.long_tasks)} of {plan.long_task.steps} steps); "
          f"store {out / 'trainings.sqlite'}")  # fmt: skip
    check = check_proxy(plan, store=out / "trainings.sqlite",
                        timeout_s=None if args.timeout_min is None else 60 * args.timeout_min)  # fmt: skip
    for failure in check.failures:
        print(f"failed: {failure}")
    table = write_scores(check, out / "scores.csv")
    print(f"{len(check.scores)} of {len(plan.architectures)} architectures complete ({check.trained} trainings now, "
          f"the rest from the store); scores: {table}")  # fmt: skip
    if check.stats is None:
        print("too few complete architectures for the figures; run the same command again to resume")
        return 1
    for line in check.stats.lines():
        print(line)
    print(f"plot: {plot_check(check, out / 'fidelity.png', metric=family.metric.name)}")
    return 1 if check.failures else 0
