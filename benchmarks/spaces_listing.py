"""Speed of `edgenas spaces`: the listing read from the choice tables, against building every space.

Target (issue 14): `python -m edgenas spaces` answers in under 1 s, end to end
(interpreter start, imports, listing). Baseline measured in the same run: the
old way of listing, a fresh interpreter that builds every registered space and
every `--reference` variant with PyGlove (`edgenas.spaces.get`) and reads its
size, decisions, references and description. It does not count the 0.5 s the
old `import edgenas` also spent importing the search loop and the exporter, so
the old command was slower than this baseline. Both are medians of `--runs`
subprocess runs; the baseline's numbers are checked against the listing's.

Run: .venv/bin/python benchmarks/spaces_listing.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]

_BUILD_EVERY_SPACE = """
import json, edgenas
for name in edgenas.spaces.names():
    references = getattr(edgenas.spaces.registry.factory(name), "REFERENCE_CHOICES", None)
    for options in ([{"reference": r} for r in references] if references else [{}]):
        space = edgenas.spaces.get(name, **options)
        print(json.dumps({"space": name, "options": " ".join(f"--{k} {v}" for k, v in options.items()),
                          "size": space.size, "decisions": space.num_decisions,
                          "references": list(space.reference_names()), "description": space.description}))
"""


def _timed(argv: list[str], runs: int) -> tuple[list[float], str]:
    """Wall times of `runs` fresh runs of `argv`, and the output of the last."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    times, out = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=_ROOT, env=env, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
        out = done.stdout
    return times, out


def _each(times: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="subprocess runs of each (default 5)")
    args = parser.parse_args()

    listing, table = _timed([sys.executable, "-m", "edgenas", "spaces"], args.runs)
    _, listed_json = _timed([sys.executable, "-m", "edgenas", "spaces", "--json"], 1)
    baseline, built_json = _timed([sys.executable, "-c", _BUILD_EVERY_SPACE], args.runs)

    keys = ("space", "options", "size", "decisions", "references", "description")
    listed = [{k: row[k] for k in keys} for row in map(json.loads, listed_json.splitlines())]
    built = [json.loads(line) for line in built_json.splitlines()]
    grids = sum(row["kind"] == "scaling grid" for row in map(json.loads, listed_json.splitlines()))
    agree = listed[: len(built)] == built

    listing_s, baseline_s = statistics.median(listing), statistics.median(baseline)
    print(f"spaces_listing: {len(built)} search space variants and {grids} scaling grids, "
          f"median of {args.runs} fresh processes each")  # fmt: skip
    print(f"  {'python -m edgenas spaces':<40} {listing_s:6.2f} s   target < 1 s   "
          f"{'OK' if listing_s < 1 else 'MISSED'}   (each: {_each(listing)} s)")
    print(f"  {'baseline: build every space (PyGlove)':<40} {baseline_s:6.2f} s   (each: {_each(baseline)} s)")
    print(f"  {'ratio baseline / listing':<40} {baseline_s / listing_s:6.1f}x")
    print(f"  {'listed numbers equal the built ones':<40} {'yes' if agree else 'NO':>6}")
    print()
    print(table.rstrip())


if __name__ == "__main__":
    main()
