"""`make demo`: the foundation, end to end, on this machine's CPU.

Samples architectures from the MnasNet space, exports each (and the two
published references) to TFLite fp32 and int8, times every file with LiteRT on
one thread in the on-device profiler, and writes a table, a JSON file and a
latency plot under `runs/demo/`. Exports are cached: a second run only measures.

Run: `make demo`, or `python -m edgenas.demo --samples 3 --out runs/demo`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _plot(rows: list[dict[str, object]], path: Path) -> None:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for precision, marker in (("fp32", "o"), ("int8", "s")):
        xs = [r["macs"] / 1e6 for r in rows]
        ys = [r[f"{precision}_ms"] for r in rows]
        ax.scatter(xs, ys, marker=marker, label=f"TFLite {precision}")
        for row, x, y in zip(rows, xs, ys):
            if precision == "fp32":
                ax.annotate(str(row["name"]), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel("multiply-accumulates (millions, 224x224)")
    ax.set_ylabel("median latency (ms, LiteRT, 1 thread)")
    ax.set_title("MnasNet space on this CPU")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the demo and returns the exit status."""
    parser = argparse.ArgumentParser(prog="edgenas.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3, help="random architectures (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/demo")
    parser.add_argument("--runs", type=int, default=30, help="timed inferences per file")
    args = parser.parse_args(argv)

    from edgenas.cli import _quiet_converters  # noqa: PLC0415

    _quiet_converters()
    from tqdm import tqdm  # noqa: PLC0415

    import edgenas  # noqa: PLC0415

    out = Path(args.out)
    space = edgenas.spaces.get("mnasnet")
    candidates = {
        "mobilenet_v2": space.reference("mobilenet_v2"),
        "mnasnet_a1": edgenas.spaces.get("mnasnet", reference="mnasnet_a1").reference("mnasnet_a1"),
    }
    for index, spec in enumerate(space.sample(args.samples, seed=args.seed)):
        candidates[f"sample{index}"] = spec
    print(f"edgenas demo: {len(candidates)} architectures from space 'mnasnet' "
          f"({space.size:.3g} points), TFLite fp32 + int8, LiteRT on 1 thread")
    rows = []
    with tqdm(total=len(candidates), desc="export+profile", unit="arch", file=sys.stderr) as bar:
        for name, spec in candidates.items():
            result = edgenas.export(spec, out_dir=out / "artifacts", formats="tflite", precision=("fp32", "int8"))
            cost = edgenas.estimate_cost(spec)
            row: dict[str, object] = {"name": name, "spec": str(spec), "params": cost.params, "macs": cost.macs}
            for artifact in result.artifacts:
                latency = edgenas.profile(artifact.path, runtime="litert", threads=1, runs=args.runs)
                row[f"{artifact.precision.value}_ms"] = latency.latency_ms
                row[f"{artifact.precision.value}_cv"] = latency.cv
                row[f"{artifact.precision.value}_file"] = str(artifact.path)
            rows.append(row)
            bar.set_postfix_str(f"{name}: {row['fp32_ms']:.2f} ms")
            bar.update(1)
    (out / "latency.json").write_text(json.dumps(rows, indent=2))
    _plot(rows, out / "latency.png")
    print(f"\n{'NAME':<13} {'PARAMS':>9} {'MMACS':>7} {'FP32 MS':>8} {'INT8 MS':>8}  SPEC")
    for row in sorted(rows, key=lambda r: r["fp32_ms"]):
        print(f"{row['name']:<13} {row['params'] / 1e6:8.2f}M {row['macs'] / 1e6:7.0f} "
              f"{row['fp32_ms']:8.2f} {row['int8_ms']:8.2f}  {row['spec']}")
    print(f"\nartifacts: {out / 'artifacts'}/  table: {out / 'latency.json'}  plot: {out / 'latency.png'}")
    print("next: edgenas profile <file> --threads 2   |   edgenas sample --space mnasnet -n 5")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
