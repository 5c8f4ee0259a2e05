"""`edgenas scale`: size a SpineNet topology for a device and a latency budget (see `edgenas.scaling.scale_search`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from edgenas.cli.args import int_at_least, positive_float, positive_int

__all__ = ["add_scale_parser", "cmd_scale"]


def add_scale_parser(sub: Any) -> None:
    """Adds `edgenas scale` to the CLI's sub-commands."""
    scale = sub.add_parser("scale", help="find the scaling of a SpineNet topology that meets a latency budget")
    which = scale.add_mutually_exclusive_group(required=True)
    which.add_argument("--arch", metavar="SPEC", help="a SpineNet spec string (its topology is kept)")
    which.add_argument("--reference", metavar="NAME", help="a published SpineNet, e.g. spinenet_mobile49")
    scale.add_argument("--scaling-space", help="default: spinenet_mobile_scaling for a mobile topology, "
                                               "spinenet_scaling for a ResNet-style one")
    scale.add_argument("--device", default="local", help="local (default) or farm://HOST:PORT/TAG")
    scale.add_argument("--target-ms", type=positive_float, required=True, help="the latency budget in milliseconds")
    scale.add_argument("--reward", default="mnasnet-hard", help="reward of the trained points (default mnasnet-hard)")
    scale.add_argument("--precision", choices=["fp32", "int8"], default="fp32")
    scale.add_argument("--threads", type=positive_int, default=1)
    scale.add_argument("--num-classes", type=positive_int,
                       help="detector classes (default: the family's, 91, COCO's ids)")
    scale.add_argument("--profile-runs", type=int_at_least(2), default=20, help="timed inferences per measurement")
    scale.add_argument("--max-trained", type=positive_int, default=4,
                       help="maximal feasible points to train (default 4)")
    scale.add_argument("--proxy-steps", type=positive_int, help="detection proxy training steps per trained point")
    scale.add_argument("--predictor", metavar="FILE", help="a detector latency predictor of the device "
                       "(`edgenas predictor train`): points it puts over the budget are not measured")
    scale.add_argument("--db", help="measurement store that also gets every measured detector, for training a "
                                    "predictor (default: measurements.sqlite in --out)")
    scale.add_argument("--out", default="runs/scale", help="folder of the log, the models and the table")


def _train_detector(text: str, task: Any) -> float:
    """Trains a detector spec string's reduced copy on its family's proxy task (in a worker)."""
    from edgenas.families import family_of, parse_spec  # noqa: PLC0415

    spec = parse_spec(text)
    return float(family_of(spec).train_proxy(spec, task).accuracy)


def _load_predictor(path: str, *, device: str, precision: str, threads: int) -> Any:
    """The detector predictor file at `path`, checked to describe this device and runtime setting."""
    from edgenas.errors import EdgenasError  # noqa: PLC0415
    from latency_models.detector_predictor import DetectorLatencyPredictor  # noqa: PLC0415

    try:
        predictor = DetectorLatencyPredictor.load(path)
    except (OSError, ValueError) as error:
        raise EdgenasError(f"--predictor: {error}") from None
    info = predictor.info
    if (info.device, info.precision, info.threads) != (device, precision, threads):
        raise EdgenasError(f"--predictor {path} describes {info.device} {info.precision} {info.threads} thread(s), "
                           f"not {device} {precision} {threads} thread(s)")  # fmt: skip
    return predictor


def cmd_scale(args: argparse.Namespace) -> int:
    """Runs `edgenas scale`; prints the maximal feasible points and the best, or why none meets the budget."""
    from devices import LocalDevice, ProfileSettings  # noqa: PLC0415
    from edgenas.cli.farm import device_from_argument  # noqa: PLC0415
    from edgenas.errors import EdgenasError  # noqa: PLC0415
    from edgenas.families import family_of  # noqa: PLC0415
    from edgenas.scaling import get_scaling_space, scaling_space_names  # noqa: PLC0415
    from edgenas.scaling.scale_search import scale  # noqa: PLC0415
    from edgenas.search.loop import _quiet_worker  # noqa: PLC0415
    from edgenas.search.rewards import make_reward  # noqa: PLC0415
    from edgenas.search.workers import WorkerPool  # noqa: PLC0415
    from edgenas.specs import SpineNetFamily, SpineNetSpec, spinenet_reference  # noqa: PLC0415
    from edgenas.specs.spinenet_detector import SpineNetDetectorSpec  # noqa: PLC0415
    from edgenas.collect.detectors import export_detectors  # noqa: PLC0415
    from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement  # noqa: PLC0415
    from latency_models.predictor import OutOfDomainError  # noqa: PLC0415

    arch = SpineNetSpec.parse(args.arch) if args.arch else spinenet_reference(args.reference)
    name = args.scaling_space or (
        "spinenet_mobile_scaling" if arch.family is SpineNetFamily.MOBILE else "spinenet_scaling"
    )
    if name not in scaling_space_names():
        raise EdgenasError(f"unknown scaling space {name!r}; known: {', '.join(scaling_space_names())}")
    space = get_scaling_space(name)
    family = family_of(arch)
    if args.num_classes is None:
        args.num_classes = family.deployment.num_classes
    reward = make_reward(args.reward, target_ms=args.target_ms)
    device = device_from_argument(args.device)
    device = LocalDevice("local") if device == "measured" else device
    device.check_health()  # an unreachable device is an error now, before anything is built
    settings = ProfileSettings(runtime="litert", threads=args.threads, runs=args.profile_runs)
    predictor = None if args.predictor is None else _load_predictor(
        args.predictor, device=device.name, precision=args.precision, threads=args.threads)
    task = family.proxy_task(block_repeats=None, **({"steps": args.proxy_steps} if args.proxy_steps else {}))
    out = Path(args.out)
    models = out / "models"
    key = MeasurementKey(device.name, args.precision, args.threads)

    def predict_ms(detectors: Any) -> Any:
        try:
            return predictor.predict_many([SpineNetDetectorSpec(backbone=d.spec, head=d.head) for d in detectors],
                                          input_shapes=[d.input_shape for d in detectors],
                                          num_classes=args.num_classes)  # fmt: skip
        except OutOfDomainError as error:
            raise EdgenasError(f"--predictor {args.predictor}: {error}") from None

    with WorkerPool(tasks_per_worker=4, initializer=_quiet_worker) as pool, \
            MeasurementStore(args.db or out / "measurements.sqlite") as store:  # fmt: skip

        def measure(detector: Any) -> tuple[float, str]:
            text = str(SpineNetDetectorSpec(backbone=detector.spec, head=detector.head))
            (path,) = pool.run(export_detectors, [text], args.precision, os.fspath(models), [detector.input_shape],
                               args.num_classes)  # fmt: skip
            if path is None:
                raise EdgenasError(f"could not export {text} at {detector.input_shape}")
            result = device.measure(path, settings)
            network = NetworkMeasurement(space.name, text, detector.input_shape, args.num_classes, result.latency_ms)
            store.add_network(key, network, json.dumps(result.to_json()))
            return result.latency_ms, path

        def train(detector: Any) -> float:
            return pool.run(_train_detector, str(SpineNetDetectorSpec(backbone=detector.spec, head=detector.head)),
                            task)  # fmt: skip

        result = scale(arch, space=space, target_ms=args.target_ms, measure=measure, train=train, reward=reward,
                       out_dir=out, max_trained=args.max_trained,
                       predict_ms=None if predictor is None else predict_ms,
                       error_bound=0.0 if predictor is None else predictor.error_bound,
                       settings_key={"device": device.name, "precision": args.precision, "threads": args.threads,
                                     "num_classes": args.num_classes, "runs": args.profile_runs,
                                     "task": repr(task)})  # fmt: skip
    total = len(result.outcomes)
    pruned = f", {result.pruned} pruned by the predictor" if predictor is not None else ""
    print(f"{space.name}: {total} points, {result.measured} measured on {device.name}{pruned}, "
          f"{total - result.measured - result.pruned} settled by the grid's order; log {result.log_path}")  # fmt: skip
    if result.best is None:
        measured = [o for o in result.outcomes if o.latency_ms is not None]
        if measured:
            smallest = min(measured, key=lambda o: o.latency_ms)
            why = f"the fastest measured, {smallest.point}, runs in {smallest.latency_ms:.2f} ms"
        else:
            smallest = min(result.outcomes, key=lambda o: o.predicted_ms)
            why = (f"the predictor puts every point over it (the fastest, {smallest.point}, at "
                   f"{smallest.predicted_ms:.2f} ms, at least {predictor.lower_bound_ms(smallest.predicted_ms):.2f} ms "
                   f"within its worst error of {100 * predictor.error_bound:.1f} %); nothing was measured")  # fmt: skip
        print(f"error: no scaling of this topology meets {args.target_ms:g} ms on {device.name}: {why}",
              file=sys.stderr)  # fmt: skip
        return 1
    rows = sorted((o for o in result.outcomes if o.accuracy is not None), key=lambda o: -(o.reward or 0))
    lines = [f"{'point':<62} {'latency ms':>10} {family.metric.name:>7} {'reward':>7}"]
    lines += [f"{str(o.point):<62} {o.latency_ms:>10.2f} {o.accuracy:>7.3f} {o.reward:>7.4f}" for o in rows]
    table = "\n".join(lines)
    print(table)
    (out / "scale_table.txt").write_text(table + "\n", encoding="utf-8")
    best = result.best
    print(f"best: {best.point} ({best.latency_ms:.2f} ms, {family.metric.name} {best.accuracy:.3f}); "
          f"model {best.model_path}")
    print(json.dumps({"best_point": str(best.point), "latency_ms": best.latency_ms, "accuracy": best.accuracy,
                      "reward": best.reward}))  # fmt: skip
    return 0
