"""The detector latency predictor on detectors with chain backbones: FPN (mnasnet, task detection) and NAS-FPN.

Everything is measured for real on this machine (LiteRT, 1 thread, fp32, the
on-device profiler in its own process), into resumable stores under `--out`:

1. **Collection.** For each family, `collect_detectors` draws `--count` random
   points of its space, each at an input side drawn from the family's sizes
   (FPN: `--fpn-sizes`, multiples of 32; NAS-FPN: `--nasfpn-sizes`, multiples of
   128), exports them to TFLite and times them (`--runs` timed runs after
   `--warmup` untimed ones, the median kept), within `--budget-min` minutes per
   family. A rerun measures only what is missing.
2. **Ground truth.** This machine is shared (2 cores, other jobs come and go):
   a measurement taken while another process holds the core runs up to twice
   as long, for the whole measurement. So every detector's exported file is
   timed again in `--passes` - 1 more passes over the whole set (a fresh
   profiler process each time, passes minutes apart), and its latency is the
   least of its passes' medians: contention only ever adds time. Printed: how
   far a single pass (the collection's) is from that.
3. **Split.** The family's measured detectors are shuffled with `--seed`; the
   first 75 % (`--train-share`) train, the rest are held out.
4. **Predictor.** `fit_detector_predictor` on the training share only
   (regressor family chosen by cross-validation among linear, gbt, mlp).
5. **Baseline, same data.** Latency = a + b * total MACs, least squares on the
   same training share.
6. **Held out.** Both predict the held-out detectors; printed per family and
   predictor: count, share within +-10 %, Kendall tau, RMSE (and MAPE), then
   Kendall tau within each input size (the size alone orders much of the
   pooled set).

Run: .venv/bin/python benchmarks/detector_predictor_chain.py [--count 40] [--budget-min 11] [--passes 3]
     [--fpn-sizes 128,192,256] [--nasfpn-sizes 128,256] [--out runs/detector-chain-bench]
(stores and passes are resumed: a rerun measures only what is missing)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sqlite3
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# (label, space, task, kind, sizes option)
_FAMILIES = (
    ("fpn (mnasnet, task detection)", "mnasnet", "detection", "chain_detector", "fpn_sizes"),
    ("nasfpn", "nasfpn", None, "nasfpn_detector", "nasfpn_sizes"),
)


def _sides(text: str) -> tuple[int, ...]:
    return tuple(int(side) for side in text.split(",") if side.strip())


def _row_id(n) -> str:
    return f"{n.spec}@{json.dumps(list(n.input_shape))}"


def _results(source: Path) -> dict[str, dict]:
    """The profiler JSON of every network row of a store, by `_row_id`."""
    with sqlite3.connect(source) as db:
        rows = db.execute("SELECT spec, input_shape, result_json FROM networks").fetchall()
    return {f"{spec}@{shape}": json.loads(result) for spec, shape, result in rows}


def _passes(rows, results: dict[str, dict], *, passes: int, path: Path, settings) -> dict[str, list[float]]:
    """Each row's median latency in `passes` passes (the collection's first), resumable through `path`."""
    from devices import LocalDevice

    done: dict[str, list[float]] = json.loads(path.read_text()) if path.exists() else {}
    for _, n in rows:
        done.setdefault(_row_id(n), [n.latency_ms])
    device = LocalDevice("local")
    for repeat in range(1, passes):  # one pass over every detector at a time
        for _, n in rows:
            if len(done[_row_id(n)]) > repeat:
                continue
            done[_row_id(n)].append(device.measure(results[_row_id(n)]["model_path"], settings).latency_ms)
            path.write_text(json.dumps(done, indent=0))
    return {_row_id(n): done[_row_id(n)][:passes] for _, n in rows}


def _split_store(rows, results: dict[str, dict], train_path: Path, key) -> None:
    """Writes `rows` (spec, measurement) into a fresh store at `train_path`, with their profiler JSON."""
    from latency_models.measurements import MeasurementStore

    train_path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{train_path}{suffix}").unlink(missing_ok=True)
    with MeasurementStore(train_path) as store:
        for _, n in rows:
            store.add_network(key, n, json.dumps(results[_row_id(n)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40, help="detectors per family")
    parser.add_argument("--budget-min", type=float, default=11.0, help="collection budget per family (minutes)")
    parser.add_argument("--fpn-sizes", type=_sides, default=(128, 192, 256))
    parser.add_argument("--nasfpn-sizes", type=_sides, default=(128, 256))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--passes", type=int, default=3, help="timings of each detector; the least median is kept")
    parser.add_argument("--train-share", type=float, default=0.75)
    parser.add_argument("--seed", type=int, default=0, help="seed of the detectors, the split and the regressors")
    parser.add_argument("--out", default="runs/detector-chain-bench")
    args = parser.parse_args()

    import numpy as np

    from _text_table import aligned_lines  # beside this script
    from devices import LocalDevice, ProfileSettings
    from edgenas.collect.detectors import collect_detectors
    from latency_models.detector_features import detector_features
    from latency_models.detector_train import detector_rows, fit_detector_predictor
    from latency_models.evaluation import kendall_tau, metrics
    from latency_models.measurements import MeasurementKey, MeasurementStore

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    key = MeasurementKey("local", "fp32", 1)
    device = LocalDevice("local")
    print(f"detector_predictor_chain: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.2f}; LiteRT 1 thread fp32, {args.runs} runs after {args.warmup}; stores in {out}",
          flush=True)  # fmt: skip
    table, notes = [], []
    for label, space, task, kind, sizes_option in _FAMILIES:
        sizes = getattr(args, sizes_option)
        path = out / f"{kind}.sqlite"
        started = time.monotonic()
        with MeasurementStore(path) as store:
            have = len(detector_rows(store, key, kinds=(kind,)))
            summary = None
            if have < args.count:
                summary = collect_detectors(space, task=task, image_sizes=sizes, device=device, store=store,
                                            budget_min=args.budget_min, max_detectors=args.count - have,
                                            runs=args.runs, warmup_runs=args.warmup, batch_size=2, seed=args.seed,
                                            log=lambda _: None)  # fmt: skip
            rows = detector_rows(store, key, kinds=(kind,))[: args.count]
        results = _results(path)
        settings = ProfileSettings(runtime="litert", threads=1, runs=args.runs, warmup=args.warmup)
        timed = _passes(rows, results, passes=args.passes, path=out / f"{kind}-passes.json", settings=settings)
        single = np.array([t[0] / min(t) - 1 for t in timed.values()])
        rows = [(d, dataclasses.replace(n, latency_ms=min(timed[_row_id(n)]))) for d, n in rows]
        collected = (f"{summary.measured} measured now in {(time.monotonic() - started) / 60:.1f} min, "
                     f"{len(summary.failures)} failed" if summary else "all reused")  # fmt: skip
        order = np.random.default_rng(args.seed).permutation(len(rows))
        cut = round(args.train_share * len(rows))
        train = [rows[i] for i in sorted(order[:cut])]
        held = [rows[i] for i in sorted(order[cut:])]
        _split_store(train, results, out / f"{kind}-train.sqlite", key)
        with MeasurementStore(out / f"{kind}-train.sqlite") as train_store:
            predictor = fit_detector_predictor(train_store, key, kinds=(kind,), seed=args.seed)
        predictor.save(out / f"local-fp32-{kind}.json")

        def features(part):
            return np.array([detector_features(d, input_shape=n.input_shape, num_classes=n.num_classes)
                             for d, n in part])  # fmt: skip

        measured = np.array([n.latency_ms for _, n in held])
        predicted = predictor.predict_many([d for d, _ in held], input_shapes=[n.input_shape for _, n in held],
                                           num_classes=held[0][1].num_classes)  # fmt: skip
        train_macs, held_macs = features(train)[:, 0], features(held)[:, 0]
        slope, intercept = np.polyfit(train_macs, [n.latency_ms for _, n in train], 1)
        baseline = intercept + slope * held_macs
        t = predictor.info.training
        for name, guess in ((f"predictor ({t['family']})", predicted), ("baseline: a + b * MACs", baseline)):
            e = metrics(guess, measured)
            per_size = []
            for side in sizes:
                at = [i for i, (_, n) in enumerate(held) if n.input_shape[0] == side]
                if len(at) >= 2:
                    per_size.append(f"{side}: {kendall_tau(guess[at], measured[at]):.3f} (n={len(at)})")
            table.append([label, name, str(e.count), f"{100 * e.within_10_pct:.1f} %", f"{e.kendall_tau:.3f}",
                          f"{e.rmse_ms:.3f}", f"{e.mape_pct:.2f}", ", ".join(per_size)])  # fmt: skip
        latencies = [n.latency_ms for _, n in rows]
        notes.append(f"{label}: {len(rows)} detectors ({collected}), sizes {sizes}, {len(train)} train / "
                     f"{len(held)} held out, latency {min(latencies):.2f}..{max(latencies):.2f} ms; a single "
                     f"pass against the least of {args.passes}: median +{100 * np.median(single):.1f} %, max "
                     f"+{100 * single.max():.0f} %, within 10 % for {100 * np.mean(single <= 0.10):.0f} %; predictor "
                     f"family CV MAPE {t['family_cv_mape']}, out-of-fold error median "
                     f"{100 * t['cv_median_relative_error']:.2f} %, worst {100 * t['cv_max_relative_error']:.2f} %")
    header = ["family", "model (held out)", "n", "within +-10 %", "Kendall tau", "RMSE ms", "MAPE %",
              "tau within one size"]  # fmt: skip
    print("\n".join(aligned_lines(header, table, left={0, 1, 7})))
    print("\n".join(notes))


if __name__ == "__main__":
    main()
