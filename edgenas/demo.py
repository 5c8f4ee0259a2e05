"""`make demo`: a short, real latency-aware search on this machine's CPU.

Searches the MnasNet space with regularized evolution (population 5, so the
second half of the trials are mutations of the best ones) and the MnasNet soft
reward: every candidate is trained briefly on the generated scenes set (proxy
accuracy, the default proxy task), exported to TFLite at 224x224 and timed with LiteRT on one thread in
the on-device profiler. Trials go to a SQLite store, so an interrupted demo
continues where it stopped when run again. It ends with the report: the Pareto
plot, the front table and the best model's .tflite/.onnx.

Run: `make demo`, or `python -m edgenas.demo --trials 10 --out runs/demo`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from edgenas.cli import main as cli_main
from edgenas.proxy.task import ProxyTask

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the demo search and its report; returns the exit status."""
    parser = argparse.ArgumentParser(prog="edgenas.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--target-ms", type=float, default=7.0, help="latency target (ms, LiteRT, 1 thread)")
    parser.add_argument("--proxy-steps", type=int, help="proxy training steps (default: the proxy task's)")
    parser.add_argument("--population", type=int, default=5, help="evolution's population (the first trials are random)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="runs/demo")
    args = parser.parse_args(argv)
    out = Path(args.out)
    steps = ProxyTask().steps if args.proxy_steps is None else args.proxy_steps
    db = out / "search.sqlite"
    print(
        f"edgenas demo: {args.trials} trials on the MnasNet space, target {args.target_ms} ms "
        f"(LiteRT fp32, 1 thread, 224x224), proxy accuracy on generated scenes ({steps} steps); "
        f"evolution: {args.population} random trials, then mutations of tournament winners"
    )
    search_args = [
        "search", "--space", "mnasnet", "--device", "local", "--target-ms", str(args.target_ms),
        "--reward", "mnasnet-soft", "--algorithm", "evolution", "--trials", str(args.trials),
        "--seed", str(args.seed), "--db", str(db), "--proxy-steps", str(steps),
        "--population", str(args.population), "--algorithm-option", "tournament_size=3",
    ]  # fmt: skip
    if db.exists():
        search_args.append("--resume")
    code = cli_main(search_args)
    if code:
        return code
    print()
    return cli_main(["report", "--db", str(db), "--out", str(out / "report")])


if __name__ == "__main__":
    sys.exit(main())
