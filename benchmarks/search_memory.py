"""Memory of a whole search (the search process and all its children) as it grows.

Runs a real search (real proxy training, export and profiling, tiny settings so
that candidates are cheap) in two legs on one study: the first `--first`
candidates, then a resume up to `--total`. A sampler thread reads the
proportional set size (PSS, from /proc/<pid>/smaps_rollup) of the search process
and every descendant twice a second. The figure: peak memory of the second leg
against the first. Target (issue 3): growth under 10 % between 50 and 200
candidates (`--first 50 --total 200`, about 15 s a candidate here).

Run: .venv/bin/python benchmarks/search_memory.py [--first 50 --total 200]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _tree_pss_mb(root: int) -> float:
    total_kb, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
                    break
        except OSError:
            continue
        stack += _children(pid)
    return total_kb / 1024


class _Sampler:
    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, _tree_pss_mb(os.getpid()))
            self._stop.wait(0.5)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", type=int, default=50)
    parser.add_argument("--total", type=int, default=200)
    args = parser.parse_args()

    import edgenas
    from edgenas.proxy import ProxyTask
    from edgenas.search.rewards import make_reward

    space = edgenas.spaces.get("mnasnet")
    options = dict(
        reward=make_reward("mnasnet-soft", target_ms=2.0),
        algorithm="random",
        accuracy=ProxyTask(dataset="shapes", steps=3, image_size=32, num_images=96, batch_size=16),
        input_shape=(64, 64, 3),
        num_classes=10,
        profile_runs=5,
        progress=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "memory.sqlite"
        legs = []
        for trials, resume in ((args.first, False), (args.total, True)):
            start = time.perf_counter()
            with _Sampler() as sampler:
                edgenas.run_search(space, trials=trials, db=db, resume=resume, **options)
            legs.append((trials, sampler.peak_mb, time.perf_counter() - start))
    (n1, peak1, s1), (n2, peak2, s2) = legs
    growth = peak2 / peak1 - 1
    print(f"search_memory: whole search (process + workers + profilers), PSS peak")
    print(f"  candidates 1..{n1:<4} peak {peak1:8.1f} MB   ({s1:.0f} s)")
    print(f"  candidates {n1 + 1}..{n2:<4} peak {peak2:8.1f} MB   ({s2:.0f} s)")
    print(f"  growth {growth:+.1%} (target < 10 %): {'OK' if growth < 0.10 else 'MISSED'}")


if __name__ == "__main__":
    main()
