"""Our profiler against LiteRT's own benchmark tool, on the same files, in the same run.

Models: the MobileNetV2 and MnasNet-A1 references at 224x224, TFLite fp32, one
thread. Each round runs our profiler (`edgenas.profile`, 50 timed runs) and
`python -m ai_edge_litert.tools.benchmark_litert_model` (50 runs) back to back,
alternating which goes first; the figure is the ratio of the medians of the
per-round medians. Target (issue 2): within 5 %.

Run: .venv/bin/python benchmarks/profiler_agreement.py [--rounds 6]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def litert_benchmark_ms(model: Path, *, runs: int, threads: int) -> float:
    """Median latency reported by LiteRT's benchmark_litert_model."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "r.json"
        subprocess.run(
            [
                sys.executable, "-m", "ai_edge_litert.tools.benchmark_litert_model",
                "--model", str(model), "--num_threads", str(threads), "--num_runs", str(runs),
                "--result_json", str(result),
            ],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return float(json.loads(result.read_text())["latency"]["median_ms"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "edgenas-bench-artifacts"))
    args = parser.parse_args()

    import logging

    logging.getLogger("absl").setLevel(logging.ERROR)
    import edgenas

    models = {
        "mobilenet_v2": edgenas.spaces.get("mnasnet").reference("mobilenet_v2"),
        "mnasnet_a1": edgenas.spaces.get("mnasnet", reference="mnasnet_a1").reference("mnasnet_a1"),
    }
    print(f"profiler_agreement: LiteRT, 1 thread, {args.runs} runs, {args.rounds} alternating rounds, fp32 224x224")
    print(f"{'model':<14} {'ours ms':>8} {'litert ms':>10} {'diff':>7}  per-round diffs")
    worst = 0.0
    for name, spec in models.items():
        path = edgenas.export_spec(spec, out_dir=args.out, formats="tflite", precision="fp32").tflite_path
        ours, theirs = [], []
        for round_index in range(args.rounds):
            order = ("ours", "litert") if round_index % 2 == 0 else ("litert", "ours")
            for who in order:
                if who == "ours":
                    ours.append(edgenas.profile(path, runtime="litert", threads=1, runs=args.runs).latency_ms)
                else:
                    theirs.append(litert_benchmark_ms(path, runs=args.runs, threads=1))
        ours_ms, theirs_ms = statistics.median(ours), statistics.median(theirs)
        diff = ours_ms / theirs_ms - 1
        worst = max(worst, abs(diff))
        rounds = " ".join(f"{o / t - 1:+.1%}" for o, t in zip(ours, theirs))
        print(f"{name:<14} {ours_ms:8.3f} {theirs_ms:10.3f} {diff:+7.1%}  {rounds}")
    verdict = "OK" if worst < 0.05 else "MISSED"
    print(f"largest difference of medians: {worst:.1%} (target < 5 %): {verdict}")


if __name__ == "__main__":
    main()
