"""A stand-in for TFLite's ``benchmark_model`` on the fake phone (see adb.py).

It checks its flags and that ``--graph`` exists, appends its pid and arguments
to ``$FAKE_ADB_ROOT/benchmark_model.log`` (one JSON object a line), then writes the
transcript in ``$FAKE_ADB_ROOT/benchmark_model.out`` to stderr (where the real
tool's log lines go) and exits with the status in ``benchmark_model.status``
(0 when absent). ``benchmark_model.sleep_s``, when present, makes it sleep
first (a hung measurement).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

_FLAGS = {"graph", "num_threads", "num_runs", "warmup_runs", "min_secs", "warmup_min_secs", "use_xnnpack"}


def main(argv: list[str]) -> int:
    root = Path(os.environ["FAKE_ADB_ROOT"])
    with (root / "benchmark_model.log").open("a") as log:
        log.write(json.dumps({"pid": os.getpid(), "argv": argv}) + "\n")
    flags = {}
    for arg in argv:
        name, sep, value = arg.removeprefix("--").partition("=")
        if not arg.startswith("--") or not sep or name not in _FLAGS:
            print(f"fake benchmark_model: unexpected argument {arg!r}", file=sys.stderr)
            return 1
        flags[name] = value
    if not Path(flags.get("graph", "")).is_file():
        print(f"fake benchmark_model: no model at --graph={flags.get('graph', '')}", file=sys.stderr)
        return 1
    sleep = root / "benchmark_model.sleep_s"
    if sleep.exists():
        time.sleep(float(sleep.read_text()))
    sys.stderr.write((root / "benchmark_model.out").read_text())
    status = root / "benchmark_model.status"
    return int(status.read_text()) if status.exists() else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
