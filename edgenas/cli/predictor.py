"""``edgenas predictor collect | train | eval | survey``: learned latency predictors from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from edgenas.cli.args import fraction, input_shape, positive_float, positive_int
from edgenas.cli.errors import CliError
from edgenas.cli.predictor_survey import add_survey_parser, survey

__all__ = ["add_predictor_parser", "cmd_predictor"]

_TASK_HELP = ("with --space: the task its networks are measured for, classification or detection (default: the "
              "space's own; mnasnet and efficientnet_v2 also take detection: FPN + RetinaNet)")  # fmt: skip


def add_predictor_parser(sub: Any) -> None:
    """Adds ``predictor collect/train/eval/survey`` to the CLI's sub-commands."""
    predictor = sub.add_parser("predictor", help="collect measurements, train and evaluate latency predictors")
    actions = predictor.add_subparsers(dest="predictor_command", required=True, metavar="ACTION")

    collect = actions.add_parser("collect", help="measure layers and networks of a space on a device")
    collect.add_argument("--space", required=True, help="a space with chain networks (e.g. mnasnet), a SpineNet "
                                                        "space (random detectors sized by a scaling space), or a "
                                                        "detection space (nasfpn; mnasnet with --task detection)")
    collect.add_argument("--task", help=_TASK_HELP)
    collect.add_argument("--device", default="local", help="local (default) or farm://HOST:PORT/TAG")
    collect.add_argument("--precision", choices=["fp32", "int8"], default="fp32")
    collect.add_argument("--threads", type=positive_int, default=1)
    collect.add_argument("--budget-min", type=positive_float, required=True, help="wall-clock budget in minutes")
    collect.add_argument("--db", required=True, help="the measurement store (SQLite; resumed when it exists)")
    collect.add_argument("--input-size", type=input_shape, metavar="SIZE",
                         help="chain networks' input (default: the family's, 224; SpineNet detectors take their "
                              "scaling point's size, detectors on chain backbones --image-sizes)")
    collect.add_argument("--num-classes", type=positive_int,
                         help="default: the family's (1000 for chain networks, 91 for detectors)")
    collect.add_argument("--scaling-space", help="SpineNet detectors: the sizes drawn (default by the topologies' "
                                                 "family)")
    collect.add_argument("--image-sizes", type=_sides, metavar="SIDES",
                         help="detectors on chain backbones (FPN, NAS-FPN): square input sides, one drawn per "
                              "detector, e.g. 256,320 (default: the family's, 320 for FPN, 384 for NAS-FPN)")
    collect.add_argument("--max-detectors", type=positive_int,
                         help="detectors: stop after measuring this many (default: only the budget stops)")
    collect.add_argument("--layer-share", type=fraction, default=0.45, help="largest share of the budget for layers")
    collect.add_argument("--writer", choices=["direct", "converter"], default="direct",
                         help="timing models written from the spec without TensorFlow (direct, the default: the "
                              "converter's graph in milliseconds, for chain networks, SpineNet and FPN detectors; "
                              "NAS-FPN detectors are converted, with a notice) or converted from Keras (converter)",
                         )  # fmt: skip
    collect.add_argument("--seed", type=int, default=0)

    train = actions.add_parser("train", help="fit a predictor file from a measurement store")
    train.add_argument("--db", required=True)
    train.add_argument("--device", required=True, help="the device name the measurements were taken on")
    train.add_argument("--precision", choices=["fp32", "int8"], help="default: the store's only one")
    train.add_argument("--threads", type=positive_int, help="default: the store's only one")
    train.add_argument("--space", help="default: the store's only one")
    train.add_argument("--task", help=_TASK_HELP)
    train.add_argument("--families", default="linear,gbt,mlp", help="regressor families to choose from")
    train.add_argument("--out", required=True, help="the predictor file (.json)")
    train.add_argument("--seed", type=int, default=0)

    evaluate = actions.add_parser("eval", help="accuracy of a predictor on held-out measured networks")
    evaluate.add_argument("--model", required=True, help="a predictor file")
    evaluate.add_argument("--db", required=True, help="a measurement store with held-out networks")
    evaluate.add_argument("--plot", help="predicted-vs-measured PNG (default: beside the model)")
    add_survey_parser(actions)


def _sides(text: str) -> list[int]:
    """`SIDE[,SIDE...]`: positive integers (whether the detectors take them is the command's check)."""
    try:
        sides = [int(item) for item in text.split(",") if item.strip()]
    except ValueError:
        sides = []
    if not sides or min(sides) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive input sides (e.g. 256,320), got {text!r}")
    return sides


def cmd_predictor(args: argparse.Namespace) -> int:
    """Runs ``edgenas predictor ACTION``."""
    return {"collect": _collect, "train": _train, "eval": _eval, "survey": survey}[args.predictor_command](args)


def _device(text: str) -> Any:
    if text == "local":
        from devices import LocalDevice  # noqa: PLC0415

        return LocalDevice("local")
    from edgenas.cli.farm import device_from_argument  # noqa: PLC0415

    return device_from_argument(text)


def _space_family(name: str, *, task: str | None = None) -> Any:
    """The family of a registered space's points (`Family`), for `task` (default: the space's own).

    Raises:
        UnknownNameError: No such space, or its networks serve no such task (the message names the ones they serve).
        CliError: No latency predictor serves the space's networks (`PredictorKind.NONE`).
    """
    from edgenas import spaces  # noqa: PLC0415
    from edgenas.families import family_of_type  # noqa: PLC0415

    from edgenas.families import PredictorKind  # noqa: PLC0415

    space = spaces.get(name) if task is None else spaces.get(name, task=task)
    family = family_of_type(space.spec_type)
    if family.predictor_kind is PredictorKind.NONE:
        raise CliError(f"no latency predictor serves {family.name} networks yet (space {name!r}"
                       f"{f' for {task}' if task else ''}); search them with measured latency")  # fmt: skip
    return family


def _whole_network_predictor(family: Any) -> bool:
    """Whether a family's latency is predicted for whole networks (detectors) rather than layer by layer."""
    from edgenas.families import PredictorKind  # noqa: PLC0415

    return family.predictor_kind is PredictorKind.WHOLE_NETWORK


def _collect(args: argparse.Namespace) -> int:
    from edgenas.collect.layerwise import collect  # noqa: PLC0415
    from latency_models.measurements import MeasurementStore  # noqa: PLC0415

    family = _space_family(args.space, task=args.task)
    if _whole_network_predictor(family):
        return _collect_detectors(args, family=family)
    if args.scaling_space:
        raise CliError(f"--scaling-space sizes SpineNet detectors; {args.space!r} is a {family.name} space")
    for option, value in (("--image-sizes", args.image_sizes), ("--max-detectors", args.max_detectors)):
        if value is not None:
            raise CliError(f"{option} is for detector spaces; {args.space!r} is a {family.name} space")
    with MeasurementStore(args.db) as store:
        summary = collect(
            args.space,
            device=_device(args.device),
            store=store,
            precision=args.precision,
            threads=args.threads,
            budget_min=args.budget_min,
            layer_share=args.layer_share,
            input_shape=family.deployment.input_shape if args.input_size is None else args.input_size,
            num_classes=family.deployment.num_classes if args.num_classes is None else args.num_classes,
            seed=args.seed,
            writer=args.writer,
        )
    print(f"measured {summary.layers_measured} layers ({summary.layers_total} of {summary.layers_in_space} in the "
          f"store) and {summary.networks_measured} networks ({summary.networks_total} in the store) "
          f"in {summary.elapsed_s / 60:.1f} min; store {args.db}")  # fmt: skip
    print(f"each timed in {summary.passes} interleaved passes, {summary.remeasured} once more (passes more than "
          f"5 % apart); spread between a kept measurement's passes: median {summary.spread_median:.1%}, "
          f"95th percentile {summary.spread_p95:.1%}")  # fmt: skip
    for failure in summary.failures:
        print(f"skipped: {failure}")
    return 0


def _collect_detectors(args: argparse.Namespace, *, family: Any) -> int:
    from edgenas.collect.detectors import collect_detectors, random_detectors  # noqa: PLC0415
    from latency_models.measurements import MeasurementStore  # noqa: PLC0415

    deployment = family.deployment
    if args.input_size is not None:
        raise CliError("--input-size sets chain networks' input; SpineNet detectors take their scaling point's size "
                       "(--scaling-space), detectors on chain backbones --image-sizes (e.g. 256,320)")
    # A bad space, option or size is refused here, before the store file is created.
    random_detectors(args.space, count=1, seed=args.seed, scaling_space=args.scaling_space, task=args.task,
                     image_sizes=args.image_sizes)  # fmt: skip
    with MeasurementStore(args.db) as store:
        summary = collect_detectors(
            args.space,
            device=_device(args.device),
            store=store,
            precision=args.precision,
            threads=args.threads,
            budget_min=args.budget_min,
            num_classes=deployment.num_classes if args.num_classes is None else args.num_classes,
            scaling_space=args.scaling_space,
            task=args.task,
            image_sizes=args.image_sizes,
            max_detectors=args.max_detectors,
            seed=args.seed,
            writer=args.writer,
        )
    print(f"measured {summary.measured} detectors ({summary.total} in the store) in {summary.elapsed_s / 60:.1f} min; "
          f"store {args.db}")  # fmt: skip
    for failure in summary.failures:
        print(f"skipped: {failure}")
    return 0


def _only(values: set[Any], what: str, db: str) -> Any:
    if len(values) != 1:
        raise CliError(f"{db} holds measurements for {what} {sorted(values)}; pick one with --{what}")
    return next(iter(values))


def _stored_family(networks: list[Any], *, db: str) -> Any:
    """The one family of a store's networks (None for none, or none readable); several need --space."""
    from edgenas.errors import SpecError  # noqa: PLC0415
    from edgenas.families import family_of, parse_spec  # noqa: PLC0415

    found = set()
    for network in networks:
        try:
            found.add(family_of(parse_spec(network.spec)))
        except SpecError:
            continue
    if len(found) > 1:
        names = ", ".join(sorted(f.name for f in found))
        raise CliError(f"{db} holds networks of several families ({names}); pick a space with --space")
    return next(iter(found), None)


def _train(args: argparse.Namespace) -> int:
    from latency_models.measurements import MeasurementKey, MeasurementStore  # noqa: PLC0415
    from latency_models.train import fit_predictor  # noqa: PLC0415

    if not Path(args.db).is_file():
        raise CliError(f"no measurement store at {args.db!r}")
    with MeasurementStore(args.db) as store:
        keys = [k for k in store.keys() if k.device == args.device]
        if not keys:
            devices = sorted({k.device for k in store.keys()})
            raise CliError(f"{args.db} holds no measurements of device {args.device!r}; devices: {devices}")
        precision = args.precision or _only({k.precision for k in keys}, "precision", args.db)
        threads = args.threads or _only({k.threads for k in keys if k.precision == precision}, "threads", args.db)
        families = [f.strip() for f in args.families.split(",") if f.strip()]
        key = MeasurementKey(args.device, precision, threads)
        if args.task and not args.space:
            raise CliError("--task picks the task of --space's networks; name the space too (e.g. --space mnasnet "
                           "--task detection)")  # fmt: skip
        if args.space:
            family = _space_family(args.space, task=args.task)
        else:
            family = _stored_family(store.networks(key), db=args.db)
        if family is not None and _whole_network_predictor(family):
            return _train_detectors(store, key, family=family, families=families, args=args)
        predictor = fit_predictor(store, key, space=args.space, families=families, seed=args.seed)
    path = predictor.save(args.out)
    training = predictor.info.training
    print(f"predictor {path}: {training['layers']} layers, {training['networks']} networks; "
          f"layer model {training['layer_family']}, network model {training['network_family']}")
    for stage in ("layer", "network"):
        scores = training[f"{stage}_family_cv_mape"]
        if scores:
            print(f"  {stage} families, cross-validated MAPE: " + ", ".join(f"{k} {v:.2f} %" for k, v in scores.items()))
    return 0


def _train_detectors(store: Any, key: Any, *, family: Any, families: list[str], args: argparse.Namespace) -> int:
    """Fits a detector predictor on the store's detectors of `family` (a detector kind is its family's name)."""
    from latency_models.detector_train import fit_detector_predictor  # noqa: PLC0415

    predictor = fit_detector_predictor(store, key, kinds=(family.name,), families=families, seed=args.seed)
    path = predictor.save(args.out)
    t = predictor.info.training
    print(f"detector predictor {path}: {t['detectors']} detectors of {', '.join(predictor.info.spaces)}; "
          f"model {t['family']}; cross-validated error: median {100 * t['cv_median_relative_error']:.2f} %, "
          f"worst {100 * t['cv_max_relative_error']:.2f} % (the pruning bound of `edgenas scale`)")  # fmt: skip
    if t["family_cv_mape"]:
        print("  families, cross-validated MAPE: " + ", ".join(f"{k} {v:.2f} %" for k, v in t["family_cv_mape"].items()))
    return 0


def _eval(args: argparse.Namespace) -> int:
    from latency_models.evaluation import evaluate, format_evaluations, plot_evaluation  # noqa: PLC0415
    from latency_models.measurements import MeasurementKey, MeasurementStore  # noqa: PLC0415
    from latency_models.predictor import LatencyPredictor  # noqa: PLC0415

    from latency_models._json_file import read_json_file  # noqa: PLC0415
    from latency_models.detector_predictor import DETECTOR_FILE_FORMAT  # noqa: PLC0415

    data = read_json_file(args.model)
    if isinstance(data, dict) and data.get("format") == DETECTOR_FILE_FORMAT:
        return _eval_detectors(args)
    predictor = LatencyPredictor.from_json(data, source=args.model)
    info = predictor.info
    if not Path(args.db).is_file():
        raise CliError(f"no measurement store at {args.db!r}")
    with MeasurementStore(args.db) as store:
        networks = [n for n in store.networks(MeasurementKey(info.device, info.precision, info.threads))
                    if n.space == info.space]  # fmt: skip
    if len(networks) < 2:
        raise CliError(f"{args.db} holds {len(networks)} {info.space} networks measured on {info.device} "
                         f"({info.precision}, {info.threads} thread(s)); an evaluation needs at least 2")  # fmt: skip
    evaluation = evaluate(predictor, networks, name=Path(args.model).name)
    print(format_evaluations([evaluation]))
    plot = Path(args.plot) if args.plot else Path(args.model).with_suffix(".eval.png")
    plot_evaluation(evaluation, plot, title=f"{info.device} {info.precision} {info.threads}t, {info.space}")
    print(f"plot: {plot}")
    return 0


def _eval_detectors(args: argparse.Namespace) -> int:
    import numpy as np  # noqa: PLC0415

    from latency_models.detector_features import detector_kind  # noqa: PLC0415
    from latency_models.detector_predictor import DetectorLatencyPredictor  # noqa: PLC0415
    from latency_models.detector_train import detector_rows  # noqa: PLC0415
    from latency_models.evaluation import format_evaluations, metrics, plot_evaluation  # noqa: PLC0415
    from latency_models.measurements import MeasurementKey, MeasurementStore  # noqa: PLC0415

    predictor = DetectorLatencyPredictor.load(args.model)
    info = predictor.info
    if not Path(args.db).is_file():
        raise CliError(f"no measurement store at {args.db!r}")
    kinds = predictor.domain.kinds
    with MeasurementStore(args.db) as store:
        every = detector_rows(store, MeasurementKey(info.device, info.precision, info.threads))
    rows = [(spec, n) for spec, n in every if detector_kind(spec) in kinds]
    if len(rows) < 2:
        others = sorted({detector_kind(spec) for spec, _ in every} - set(kinds))
        besides = f" (besides {len(every) - len(rows)} of {', '.join(others)}, which it does not serve)" if others else ""
        raise CliError(f"{args.db} holds {len(rows)} {'/'.join(kinds)} networks measured on {info.device} "
                       f"({info.precision}, {info.threads} thread(s)){besides}; the predictor was trained on "
                       f"{'/'.join(kinds)} networks and an evaluation needs at least 2")  # fmt: skip
    predicted = np.concatenate([
        predictor.predict_many([spec], input_shapes=[n.input_shape], num_classes=n.num_classes) for spec, n in rows
    ])  # fmt: skip
    evaluation = metrics(predicted, np.array([n.latency_ms for _, n in rows]), name=Path(args.model).name)
    print(format_evaluations([evaluation]))
    print(f"the file's pruning bound (worst cross-validated error): {100 * predictor.error_bound:.2f} %")
    plot = Path(args.plot) if args.plot else Path(args.model).with_suffix(".eval.png")
    plot_evaluation(evaluation, plot, title=f"{info.device} {info.precision} {info.threads}t, {'/'.join(kinds)}")
    print(f"plot: {plot}")
    return 0
