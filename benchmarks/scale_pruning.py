"""Pruning `edgenas scale` with a detector latency predictor: its accuracy, its safety, the measurements it saves.

Everything is measured for real on this machine (LiteRT, 1 thread, fp32, the
on-device profiler in its own process), into resumable stores under `--out`:

1. **Training data.** `collect_detectors("spinenet_mbconv")` for `--train-min`
   minutes: random SpineNet-Mobile topologies of the search space, each sized
   by a random point of `spinenet_mobile_scaling`.
2. **Predictor.** `fit_detector_predictor` (family chosen by cross-validation);
   its worst cross-validated relative error is the pruning bound.
3. **Held out.** `--holdout` random points of `spinenet_mobile_scaling` applied
   to the published SpineNet-Mobile-49 topology (a topology the training did
   not sample), each measured. Printed: mean absolute error, share within
   +-10 %, Kendall tau, the largest error against the bound.
4. **Safety.** For each `--targets` budget: how many of the 512 grid points the
   predictor prunes, and how many held-out points were pruned although they
   were measured within the budget (false prunes: the target is 0).
5. **Measurements saved.** `edgenas.scaling.scale_search` on the 64-point sub-grid
   (image 256/384, endpoints 24/48, scale 0.6/1, repeats 1/2, head 3/4 convs of
   24/48 filters) of Mobile-49 at `--scale-target-ms`, once without and once
   with the predictor. Both runs read one cache of measurements, so a point is
   timed once and both see the same latencies; printed are the measurements
   each run needed and whether both settled every point the same way. No
   training: this compares the search for the feasible frontier only.

Targets: held-out within +-10 % for >= 90 % of points; no false prune; the
pruned run needs fewer measurements and settles every point the same way.

Run: .venv/bin/python benchmarks/scale_pruning.py [--train-min 8] [--holdout 24] [--holdout-seed 1]
    [--targets 15,25,40] [--scale-target-ms 25] [--out runs/scale-bench]
(`--train-min 0` reuses the stored training detectors; measured grid points are reused too.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _measure_cached(store, key, pool, device, settings, out: Path):
    """measure(detector) -> (ms, path): the store's latency when it has the detector, else export, time, store."""
    from edgenas.collect.detectors import export_detectors
    from latency_models.measurements import NetworkMeasurement
    from edgenas.specs.spinenet_detector import SpineNetDetectorSpec

    known = {(n.spec, n.input_shape): n.latency_ms for n in store.networks(key)}

    def measure(detector) -> tuple[float, str]:
        text = str(SpineNetDetectorSpec(backbone=detector.spec, head=detector.head))
        if (text, detector.input_shape) in known:
            return known[(text, detector.input_shape)], ""
        (path,) = pool.run(export_detectors, [text], key.precision, os.fspath(out / "models"), [detector.input_shape],
                           91)  # fmt: skip
        if path is None:
            raise RuntimeError(f"export failed: {text}")
        result = device.measure(path, settings)
        store.add_network(key, NetworkMeasurement("mobile49-grid", text, detector.input_shape, 91, result.latency_ms),
                          json.dumps(result.to_json()))  # fmt: skip
        known[(text, detector.input_shape)] = result.latency_ms
        return result.latency_ms, path

    return measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-min", type=float, default=8.0, help="collection budget of the training detectors")
    parser.add_argument("--holdout", type=int, default=24, help="held-out grid points of Mobile-49 to measure")
    parser.add_argument("--targets", default="15,25,40", help="budgets (ms) of the safety check")
    parser.add_argument("--scale-target-ms", type=float, default=25.0, help="budget of the sub-grid comparison")
    parser.add_argument("--out", default="runs/scale-bench")
    parser.add_argument("--seed", type=int, default=0, help="seed of the training collection and the family choice")
    parser.add_argument("--holdout-seed", type=int, default=1, help="seed of the held-out grid points")
    args = parser.parse_args()

    import numpy as np

    from devices import LocalDevice, ProfileSettings
    from edgenas.scaling import SPINENET_MOBILE_SCALING, ScalingSpace
    from edgenas.scaling.scale_search import scale
    from edgenas.search.rewards import make_reward
    from edgenas.search.workers import WorkerPool
    from edgenas.specs import SpineNetFamily, spinenet_reference
    from edgenas.specs.spinenet_detector import SpineNetDetectorSpec
    from edgenas.collect.layerwise import _quiet_worker
    from edgenas.collect.detectors import collect_detectors
    from latency_models.detector_train import detector_rows, fit_detector_predictor
    from latency_models.evaluation import kendall_tau
    from latency_models.measurements import MeasurementKey, MeasurementStore

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = LocalDevice("local")
    key = MeasurementKey("local", "fp32", 1)
    print(f"scale_pruning: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; LiteRT 1 thread fp32; "
          f"stores in {out}")  # fmt: skip

    # 1. Training data.
    started = time.monotonic()
    with MeasurementStore(out / "train.sqlite") as train_store:
        before = len(detector_rows(train_store, key))
        if args.train_min > 0:
            summary = collect_detectors("spinenet_mbconv", device=device, store=train_store, budget_min=args.train_min,
                                        seed=args.seed, log=lambda _: None)  # fmt: skip
            failures = len(summary.failures)
        else:
            failures = 0
        rows = detector_rows(train_store, key)
        latencies = [n.latency_ms for _, n in rows]
        print(f"1. training detectors: {len(rows)} ({len(rows) - before} measured now, {failures} failed) in "
              f"{(time.monotonic() - started) / 60:.1f} min; latency {min(latencies):.2f}..{max(latencies):.2f} ms")
        # 2. Predictor.
        predictor = fit_detector_predictor(train_store, key, seed=args.seed)
    predictor.save(out / "local-fp32-detectors.json")
    t = predictor.info.training
    print(f"2. predictor: family {t['family']} (cross-validated MAPE {t['family_cv_mape']}); out-of-fold error "
          f"median {100 * t['cv_median_relative_error']:.2f} %, worst {100 * predictor.error_bound:.2f} % = the bound")

    # 3. Held out: the published Mobile-49 topology on random grid points.
    arch = spinenet_reference("spinenet_mobile49")
    detectors = SPINENET_MOBILE_SCALING.detectors(arch)
    rng = np.random.default_rng(args.holdout_seed)
    chosen = sorted(rng.choice(len(detectors), size=args.holdout, replace=False).tolist())
    settings = ProfileSettings(runtime="litert", threads=1, runs=20, warmup=5)
    all_specs = [SpineNetDetectorSpec(backbone=d.spec, head=d.head) for d in detectors]
    predicted = predictor.predict_many(all_specs, input_shapes=[d.input_shape for d in detectors], num_classes=91)
    with WorkerPool(tasks_per_worker=4, initializer=_quiet_worker) as pool, \
            MeasurementStore(out / "mobile49-grid.sqlite") as grid_store:  # fmt: skip
        measure = _measure_cached(grid_store, key, pool, device, settings, out)
        measured = np.array([measure(detectors[i])[0] for i in chosen])
        guess = predicted[chosen]
        relative = guess / measured - 1.0
        print(f"3. held out (seed {args.holdout_seed}: {len(chosen)} points of the 512-point grid on Mobile-49's topology, "
              f"{measured.min():.2f}..{measured.max():.2f} ms): MAPE {100 * np.mean(np.abs(relative)):.2f} %, "
              f"within +-10 %: {100 * np.mean(np.abs(relative) <= 0.10):.1f} %, Kendall tau "
              f"{kendall_tau(guess, measured):.3f}, largest error {100 * np.abs(relative).max():.2f} % "
              f"(bound {100 * predictor.error_bound:.2f} %)")  # fmt: skip

        # 4. Safety at each budget.
        false_total = 0
        for target in (float(x) for x in args.targets.split(",")):
            pruned = predictor.lower_bound_ms(predicted) > target
            false = [i for k, i in enumerate(chosen) if pruned[i] and measured[k] <= target]
            false_total += len(false)
            within = int(np.sum(measured <= target))
            print(f"4. budget {target:g} ms: {int(pruned.sum())} of 512 points pruned before measuring; held out: "
                  f"{within} measured within the budget, {len(false)} of them pruned (false prunes)")  # fmt: skip

        # 5. Measurements saved on the 64-point sub-grid.
        sub = ScalingSpace(name="bench_mobile_subgrid", family=SpineNetFamily.MOBILE, image_size=(256, 384),
                           endpoints_num_filters=(24, 48), filter_size_scale=(0.6, 1.0), resample_alpha=(None,),
                           block_repeats=(1, 2), head_num_convs=(3, 4), head_num_filters=(24, 48))  # fmt: skip
        reward = make_reward("mnasnet-hard", target_ms=args.scale_target_ms)

        def predict_ms(ds):
            return predictor.predict_many([SpineNetDetectorSpec(backbone=d.spec, head=d.head) for d in ds],
                                          input_shapes=[d.input_shape for d in ds], num_classes=91)  # fmt: skip

        runs = {}
        for label, kwargs in (("without predictor", {}),
                              ("with predictor", {"predict_ms": predict_ms, "error_bound": predictor.error_bound})):
            calls = []

            def counted(d, calls=calls):
                calls.append(d)
                return measure(d)

            result = scale(arch, space=sub, target_ms=args.scale_target_ms, measure=counted, train=lambda d: 0.0,
                           reward=reward, out_dir=out / f"sub-{label.replace(' ', '-')}-{time.time_ns()}",
                           max_trained=0, progress=False, **kwargs)  # fmt: skip
            runs[label] = result
            feasible = sum(bool(o.within_budget) for o in result.outcomes)
            print(f"5. sub-grid at {args.scale_target_ms:g} ms, {label}: {len(calls)} measurements, "
                  f"{result.pruned} pruned, {feasible} of {len(result.outcomes)} points within the budget")
        plain, pruned_run = runs["without predictor"], runs["with predictor"]
        agree = [a.within_budget for a in plain.outcomes] == [b.within_budget for b in pruned_run.outcomes]
        saved = plain.measured - pruned_run.measured
        print(f"5. measurements: {plain.measured} -> {pruned_run.measured} ({saved} saved, ratio "
              f"{pruned_run.measured / max(plain.measured, 1):.2f}); same outcome for every point: {agree}")
    within10 = float(np.mean(np.abs(relative) <= 0.10))
    print(f"target held out within +-10 % >= 90 %: {100 * within10:.1f} % -> {'OK' if within10 >= 0.9 else 'MISSED'}")
    print(f"target no false prune: {false_total} -> {'OK' if false_total == 0 else 'MISSED'}")
    ok = saved > 0 and agree
    print(f"target fewer measurements, same outcome: {plain.measured} -> {pruned_run.measured}, same {agree} -> "
          f"{'OK' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
