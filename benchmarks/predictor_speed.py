"""Latency predictor throughput: batches of points through stage tables, against the per-layer path, in one run.

For a predictor trained on real measurements of a chain space (by default the
fp32 store `benchmarks/predictor_accuracy.py` collects) and each regressor
family fit on that store (linear, gbt, mlp; the one cross-validation picks is
marked), on one core:

1. batch: `latency_models.point_tables.compile_space(...).predict` over
   1,000,000 uniform random points given as decision numbers (the form a search
   algorithm proposes), against the per-layer path the predictor took before
   (every layer of every spec looked up and summed in Python: the baseline),
   and `LatencyPredictor.predict_many` over `ArchSpec`s (now a look-up per
   block); the compile time is reported apart, and the three must agree;
2. single: `LatencyPredictor.predict(spec)` per call, median of 5 passes over
   10,000 distinct specs (after 2,000 warm-up specs, as a search is after a few
   candidates), against the per-layer path for one spec.

Targets (issue 15): >= 1,000,000 predictions/s in a batch of mnasnet points; a single predict <= 20 us.

Run: .venv/bin/python benchmarks/predictor_speed.py [--store runs/predictor-bench/train-fp32.sqlite]
     [--space mnasnet] [--points 1000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: numpy's BLAS (the MLP's products) may not spread
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

_SINGLE_SPECS = 10_000


def _per_layer_rows(predictor, specs) -> np.ndarray:
    """The network features the way the predictor found them before the stage tables: a look-up per layer."""
    from latency_models.layers import layer_fields

    rows = []
    for spec in specs:
        sums = [sum(column) for column in zip(*predictor.layer_rows(layer_fields(spec)))]
        rows.append([*sums, 1.0 / sums[0]])
    return np.array(rows)


def _per_layer_predict(predictor, specs) -> np.ndarray:
    rows = _per_layer_rows(predictor, specs)
    return rows[:, 0] * np.maximum(predictor.network_model.predict(rows), 0.0)


def family_figures(predictor, space, *, points: int, seed: int = 0) -> dict[str, float]:
    """The figures of one predictor (see the module docstring)."""
    from latency_models.point_tables import compile_space

    sizes = np.array(space.decision_sizes())
    numbers = np.random.default_rng(seed).integers(0, sizes, size=(points, sizes.size))
    began = time.perf_counter()
    compiled = compile_space(predictor, space)
    compile_s = time.perf_counter() - began
    compiled.predict(numbers[:10_000], outside="nan")  # warm
    began = time.perf_counter()
    batch = compiled.predict(numbers, outside="nan")
    batch_s = time.perf_counter() - began

    specs = [space.spec_from_numbers(list(row)) for row in numbers[:20_000]]
    inside = [s for s, ms in zip(specs, batch[:20_000], strict=True) if np.isfinite(ms)]
    compared = inside[:5_000]
    _per_layer_predict(predictor, compared[:500])  # warm the per-layer cache
    began = time.perf_counter()
    baseline = _per_layer_predict(predictor, compared)
    baseline_rate = len(compared) / (time.perf_counter() - began)
    began = time.perf_counter()
    many = predictor.predict_many(compared)
    many_rate = len(compared) / (time.perf_counter() - began)
    table = batch[:20_000][np.isfinite(batch[:20_000])][: len(compared)]
    disagreement = float(max(np.max(np.abs(table / baseline - 1)), np.max(np.abs(many / baseline - 1))))

    warm, timed = inside[:2000], inside[2000 : 2000 + _SINGLE_SPECS]
    for spec in warm:
        predictor.predict(spec)
    passes = []
    for _ in range(5):
        began = time.perf_counter()
        for spec in timed:
            predictor.predict(spec)
        passes.append((time.perf_counter() - began) / len(timed))
    before = []
    for _ in range(5):
        began = time.perf_counter()
        for spec in timed[:2000]:
            _per_layer_predict(predictor, [spec])
        before.append((time.perf_counter() - began) / 2000)
    return {
        "compile_s": compile_s,
        "batch_per_s": points / batch_s,
        "outside": float(np.isnan(batch).mean()),
        "baseline_per_s": baseline_rate,
        "predict_many_per_s": many_rate,
        "disagreement": disagreement,
        "single_us": statistics.median(passes) * 1e6,
        "single_before_us": statistics.median(before) * 1e6,
    }


def speed_lines(store_path: Path, space_name: str, *, points: int) -> tuple[list[str], list[tuple[str, bool, str]]]:
    """Fits every family on the store, measures each; returns the printed lines and (target, met, figure) checks
    (the checks read the family cross-validation picks)."""
    import edgenas
    from latency_models.measurements import MeasurementStore
    from latency_models.train import fit_predictor

    space = edgenas.spaces.get(space_name)
    with MeasurementStore(store_path) as store:
        (key,) = store.keys()
        chosen = fit_predictor(store, key, space=space_name).info.training["network_family"]
        lines = [f"store {store_path} ({key}); cross-validation picks the {chosen} network model", ""]
        lines.append(f"{'network model':<16}{'compile':>9}{'batch/s':>13}{'per-layer/s':>13}{'ratio':>8}"
                     f"{'predict_many/s':>16}{'single us':>11}{'before us':>11}{'max diff':>10}")  # fmt: skip
        figures = {}
        for family in ("linear", "gbt", "mlp"):
            predictor = fit_predictor(store, key, space=space_name, families=(family,), select=False)
            f = figures[family] = family_figures(predictor, space, points=points)
            lines.append(
                f"{family + (' (picked)' if family == chosen else ''):<16}{f['compile_s']:>8.2f}s"
                f"{f['batch_per_s']:>13,.0f}{f['baseline_per_s']:>13,.0f}{f['batch_per_s'] / f['baseline_per_s']:>7.0f}x"
                f"{f['predict_many_per_s']:>16,.0f}{f['single_us']:>11.1f}{f['single_before_us']:>11.1f}"
                f"{f['disagreement']:>10.1e}"
            )
    picked = figures[chosen]
    lines.append(f"({points:,} random points per batch, {picked['outside']:.1%} of them outside the picked "
                 "predictor's domain (NaN, not predicted); max diff: largest relative difference of the batch and "
                 "of predict_many from the per-layer path)")  # fmt: skip
    checks = [
        (f"batch >= 1,000,000/s ({chosen})", picked["batch_per_s"] >= 1e6, f"{picked['batch_per_s']:,.0f}/s"),
        (f"single predict <= 20 us ({chosen})", picked["single_us"] <= 20, f"{picked['single_us']:.1f} us"),
        ("batch and predict_many equal the per-layer path (rel 1e-9)",
         all(f["disagreement"] <= 1e-9 for f in figures.values()),
         f"{max(f['disagreement'] for f in figures.values()):.1e}"),
    ]  # fmt: skip
    return lines, checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="runs/predictor-bench/train-fp32.sqlite",
                        help="a measurement store of one device key (predictor_accuracy.py collects one)")
    parser.add_argument("--space", default="mnasnet")
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    store = Path(args.store)
    if not store.is_file():
        sys.exit(f"no measurement store {store}: run benchmarks/predictor_accuracy.py first (or edgenas predictor "
                 "collect), or give --store")  # fmt: skip
    lines, checks = speed_lines(store, args.space, points=args.points)
    print("\n".join(lines))
    print()
    for target, met, figure in checks:
        print(f"{'OK  ' if met else 'FAIL'} {target}: {figure}")


if __name__ == "__main__":
    main()
