"""The `edgenas` command line: spaces, sample, export, profile, search, report, farm, predictor, scale, proxy, augment.

Exit status, one rule:

- 2, a usage error: a value argparse can judge on its own (an unknown option, a
  negative `-n`, a `--target-ms` that is not a positive finite number, an
  `--input-size` that is not SIZE, HxW or HxWxC); argparse prints the usage and
  `edgenas COMMAND: error: argument ...` (the types are in `edgenas.cli.args`).
- 1, everything found while running: an unknown space, a malformed spec, a
  missing trial store, a file that is not a model, an unwritable folder, a model
  too large for this machine's memory, a failed export. One line on stderr,
  `edgenas: error: ...`.
- 141 when the reader of the output goes away (`edgenas sample ... | head -1`),
  quietly; 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import itertools
import json
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from edgenas.cli.args import (
    csv_list,
    halving,
    input_shape,
    int_at_least,
    key_value,
    non_negative_float,
    non_negative_int,
    one_of,
    positive_float,
    positive_int,
)
from edgenas.cli.augment import add_augment_parser, cmd_augment
from edgenas.cli.farm import add_farm_parser, cmd_farm, device_from_argument
from edgenas.cli.scale import add_scale_parser, cmd_scale
from edgenas.cli.predictor import add_predictor_parser, cmd_predictor
from edgenas.cli.proxy import add_proxy_parser, cmd_proxy
from edgenas.cli.errors import CliError

__all__ = ["main"]

_PLUGIN_ENV = "EDGENAS_PLUGINS"
_STATUS_READER_GONE = 128 + 13  # 128 + SIGPIPE, as a shell reports `yes | head -1`'s writer


def _quiet_converters() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("absl").setLevel(logging.ERROR)
    logging.getLogger().setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edgenas", description="Latency-aware neural architecture search for edge devices."
    )
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help=f"import MODULE first (it may register spaces); also read from ${_PLUGIN_ENV}",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    spaces = sub.add_parser(
        "spaces", help="list the search spaces (each --reference) and the scaling grids: task, size, references"
    )
    spaces.add_argument("--json", action="store_true", help="print one JSON object per row")

    sample = sub.add_parser("sample", help="print random architectures of a space")
    _space_arguments(sample)
    sample.add_argument("-n", type=non_negative_int, default=5, help="how many (default 5)")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--json", action="store_true", help="print JSON specs instead of strings")

    export = sub.add_parser("export", help="export an architecture to .tflite / .onnx")
    _space_arguments(export)
    which = export.add_mutually_exclusive_group()
    which.add_argument("--arch", metavar="SPEC", help="a spec string (as printed by `sample`)")
    which.add_argument("--sample-seed", type=int, metavar="SEED", help="export the first random point drawn with SEED")
    export.add_argument("--formats", type=csv_list, default=["tflite"], help="tflite,onnx (default tflite)")
    export.add_argument("--precision", type=csv_list, default=["fp32"], help="fp32,int8 (default fp32)")
    export.add_argument("--out", required=True, help="artifact folder")
    export.add_argument("--input-size", type=input_shape, metavar="SIZE",
                        help="default: the family's: 224 for a classifier, 256 for a SpineNet detector, "
                        "320 with an FPN, 384 with a NAS-FPN, 256 for a segmenter")
    export.add_argument("--num-classes", type=positive_int, help="default: 1000 for a classifier, 91 for a detector, "
                        "20 object classes for a segmenter (21 logits with the background)")
    export.add_argument("--seed", type=int, default=0, help="seed of weights and calibration data")
    export.add_argument("--json", action="store_true", help="print one JSON object per artifact")

    search = sub.add_parser("search", help="run (or resume) a latency-aware architecture search")
    _space_arguments(search)
    search.add_argument("--device", default="local",
                        help="where latency is measured: local (default) or a farm, farm://HOST:PORT/TAG "
                             "(token in $EDGENAS_FARM_TOKEN)")
    search.add_argument("--latency", default="measured", metavar="SOURCE",
                        help="measured (on --device, default), predicted:FILE (a predictor file) or hybrid:FILE "
                             "(predict all, measure on --device what could reach the front)")
    search.add_argument("--latency-db", help="hybrid: the measurement store new measurements go to "
                                             "(default: beside --db)")
    search.add_argument("--target-ms", type=positive_float, required=True, help="the latency target in milliseconds")
    search.add_argument("--reward", default="mnasnet-soft", help="mnasnet-soft, mnasnet-hard, tunas-abs, pareto")
    search.add_argument("--algorithm", default="surrogate_evolution",
                        help="surrogate_evolution (default), nsga2, motpe: told accuracy and latency, for any reward; "
                             "evolution, tpe, ppo, random, grid: told the reward, not for the pareto reward")
    search.add_argument("--population", type=positive_int, metavar="N",
                        help="population size of surrogate_evolution / evolution / nsga2 (default 20 / 20 / 50)")
    search.add_argument("--algorithm-option", action="append", type=key_value, default=[], metavar="KEY=VALUE",
                        dest="algorithm_options",
                        help="an option of the algorithm, repeatable (e.g. tournament_size=3, learning_rate=0.1, "
                             "multivariate=false)")
    search.add_argument("--trials", type=positive_int, required=True)
    search.add_argument("--seed", type=int, default=0)
    search.add_argument("--db", required=True, help="the SQLite trial store")
    search.add_argument("--study", default="default", help="study name inside the store")
    search.add_argument("--resume", action="store_true", help="continue the study in --db")
    search.add_argument("--precision", choices=["fp32", "int8"], default="fp32", help="of the measured model")
    search.add_argument("--threads", type=positive_int, default=1, help="interpreter threads for latency")
    search.add_argument("--input-size", type=input_shape, metavar="SIZE",
                        help="resolution the latency is measured at (default: 224 for a classification space, "
                             "256 for a SpineNet detection space)")
    search.add_argument("--num-classes", type=positive_int,
                        help="classes of the measured model (default: 1000 for a classifier, 91 for a detector)")
    search.add_argument("--dataset",
                        help="proxy dataset of a classification space: a generated set ('shapes', 'scenes') or an "
                             "image folder; default: the proxy task's (SpineNet spaces train on generated boxes)")
    search.add_argument("--proxy-steps", type=positive_int, help="training steps per candidate")
    search.add_argument("--proxy-image-size", type=positive_int, help="proxy training resolution")
    search.add_argument("--proxy-seeds", type=positive_int, default=1,
                        help="proxy trainings per candidate, scored by their mean (default 1; each costs a training; "
                             "`edgenas proxy check` shows what averaging buys)")
    search.add_argument("--halving", type=halving, metavar="on|ETA:RUNGS",
                        help="successive halving over proxy steps: score each training at RUNGS step counts ETA "
                             "times apart and stop it where it is not in the best 1/ETA of the study's trials "
                             "there ('on': 3:2, i.e. after a third of the steps); default: every "
                             "candidate trains to the end")
    search.add_argument("--screen", metavar="PREDICTOR",
                        help="a latency predictor file of the space: proposals that, at the fastest latency it "
                             "allows and an optimistic accuracy, could not beat the best reward (or the front) are "
                             "not trained (flat categorical spaces)")
    search.add_argument("--screen-error-bound", type=non_negative_float, default=0.1, metavar="E",
                        help="the screening predictor's worst relative error (default 0.1)")

    report = sub.add_parser("report", help="Pareto plot, front table and best model of a study")
    report.add_argument("--db", required=True)
    report.add_argument("--study", default="default")
    report.add_argument("--out", help="report folder (default: beside the db)")
    report.add_argument("--formats", type=csv_list, default=["tflite", "onnx"], help="formats of the best model")

    profile = sub.add_parser("profile", help="time a .tflite / .onnx file on this machine")
    profile.add_argument("model", help="the model file")
    profile.add_argument("--runtime", choices=["litert", "onnxruntime"], help="default: from the extension")
    profile.add_argument("--threads", type=positive_int, default=1)
    profile.add_argument("--runs", type=int_at_least(2), default=50)
    profile.add_argument("--warmup", type=non_negative_int, default=10)
    profile.add_argument("--cv-threshold", type=non_negative_float, default=0.05,
                         help="repeat a measurement whose --stability spread exceeds this (default 0.05)")
    profile.add_argument("--stability", type=one_of("robust_cv", "cv"), default="robust_cv",
                         metavar="{robust_cv,cv}",
                         help="the spread that judges a measurement: robust_cv (1.4826 * MAD / median, which a few "
                              "preempted runs barely move; default) or cv (std / mean)")
    profile.add_argument("--max-attempts", type=positive_int, default=3)
    add_farm_parser(sub)
    add_scale_parser(sub)
    add_predictor_parser(sub)
    add_proxy_parser(sub, _space_arguments)
    add_augment_parser(sub)
    return parser


def _space_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--space", required=True, help="a registered space (see `edgenas spaces`)")
    parser.add_argument("--reference", help="the space's reference network (e.g. mnasnet_a1)")
    parser.add_argument(
        "--task",
        help="the task the space's networks are searched for: classification, detection or segmentation "
        "(default: the space's own; mnasnet and efficientnet_v2 also take detection: FPN + RetinaNet; they and "
        "the SpineNet spaces take segmentation: a level 3-5 decoder, logits at stride 8, scored by mIoU)",
    )
    parser.add_argument(
        "--backbone",
        help="nasfpn: the fixed backbone, a chain spec string or a reference name (default: mobilenet_v2)",
    )


def _load_plugins(modules: Sequence[str]) -> None:
    env = [m for m in os.environ.get(_PLUGIN_ENV, "").split(",") if m.strip()]
    for module in [*env, *modules]:
        try:
            importlib.import_module(module.strip())
        except ImportError as error:
            raise CliError(f"cannot import plugin {module!r}: {error}") from None


def _get_space(args: argparse.Namespace):  # noqa: ANN202
    from edgenas import spaces  # noqa: PLC0415

    given = {"reference": args.reference, "task": args.task, "backbone": args.backbone}
    options = {option: value for option, value in given.items() if value}
    takes = getattr(spaces.factory(args.space), "OPTIONS", ())
    if "backbone" in options and "backbone" not in takes:
        raise CliError(f"space {args.space!r} takes no --backbone: its networks are its own backbone "
                       "(--backbone picks the fixed backbone of nasfpn)")  # fmt: skip
    try:
        return spaces.get(args.space, **options)
    except TypeError as error:
        raise CliError(str(error)) from None


def _cmd_spaces(args: argparse.Namespace) -> int:
    """Lists every search space (one row per `--reference`) and every scaling grid, in aligned columns.

    Read from the spaces' choice tables and the grids' values: nothing is built,
    and neither PyGlove nor TensorFlow is imported (a plugin space registered
    without `describe=` is built to be read).
    """
    from edgenas import spaces  # noqa: PLC0415
    from edgenas.scaling.scaling_space import get_scaling_space, scaling_space_names  # noqa: PLC0415

    rows = [
        {
            "space": info.name,
            "kind": "search space",
            "task": info.task.value,
            "options": info.command_line,
            "size": info.size,
            "decisions": info.num_decisions,
            "references": list(info.references),
            "description": info.description,
        }
        for info in spaces.describe_all()
    ]
    for grid in map(get_scaling_space, scaling_space_names()):
        rows.append(
            {
                "space": grid.name,
                "kind": "scaling grid",
                "task": grid.task.value,
                "options": "",
                "size": len(grid),
                "decisions": grid.num_decisions,
                "references": list(grid.references),
                "description": grid.description,
            }
        )
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    headers = ["SPACE", "KIND", "TASK", "OPTIONS", "SIZE", "DECISIONS", "REFERENCES"]
    table = [headers] + [
        [
            row["space"],
            row["kind"],
            row["task"],
            row["options"] or "-",
            f"{row['size']:.3g}",
            str(row["decisions"]),
            ", ".join(row["references"]) or "-",
        ]
        for row in rows
    ]
    widths = [max(map(len, column)) for column in zip(*table, strict=True)]
    for line in table:  # numbers right-aligned, the rest left-aligned; the last column is not padded
        cells = [
            text.rjust(width) if header in ("SIZE", "DECISIONS") else text.ljust(width)
            for text, width, header in zip(line[:-1], widths[:-1], headers[:-1], strict=True)
        ]
        print("  ".join([*cells, line[-1]]))
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    # Each spec is printed as it is drawn: `sample -n 1000000000 | head -1` answers at once, in bounded memory.
    for spec in itertools.islice(_get_space(args).iter_samples(seed=args.seed), args.n):
        print(spec.to_json_string() if args.json else spec, flush=True)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from edgenas.errors import SpecError  # noqa: PLC0415
    from edgenas.export import export  # noqa: PLC0415
    from edgenas.families import family_of  # noqa: PLC0415

    space = _get_space(args)
    if args.arch:
        try:
            spec = space.parse_spec(args.arch)
        except SpecError as error:
            raise CliError(f"--arch for space {space.name!r}: {error}") from None
    elif args.sample_seed is not None:
        spec = space.sample(1, seed=args.sample_seed)[0]
    else:
        names = space.reference_names()
        if not names:
            raise CliError(f"space {space.name!r} has no reference; pass --arch or --sample-seed")
        spec = space.reference(args.reference or names[0])
    total = len(args.formats) * len(args.precision)
    defaults = family_of(spec).deployment
    from tqdm import tqdm  # noqa: PLC0415

    with tqdm(total=total, desc="export", unit="file", file=sys.stderr, disable=None) as bar:
        result = export(
            spec,
            out_dir=args.out,
            formats=args.formats,
            precision=args.precision,
            input_shape=args.input_size or defaults.input_shape,
            num_classes=defaults.num_classes if args.num_classes is None else args.num_classes,
            seed=args.seed,
            on_artifact=lambda _artifact: bar.update(1),
        )
    for artifact in result.artifacts:
        if args.json:
            print(json.dumps({**artifact.metadata(), "path": str(artifact.path), "cached": artifact.cached}))
        else:
            state = "cached" if artifact.cached else f"{artifact.export_s:.1f}s"
            print(
                f"{artifact.path}  {artifact.format.value:<6} {artifact.precision.value:<4} "
                f"{artifact.size_bytes / 1e6:7.2f} MB  {state}"
            )
    return 0


def _cmd_profile(args: argparse.Namespace) -> int:
    from edgenas.profiling import profile  # noqa: PLC0415

    result = profile(
        args.model,
        runtime=args.runtime,
        threads=args.threads,
        runs=args.runs,
        warmup=args.warmup,
        cv_threshold=args.cv_threshold,
        max_attempts=args.max_attempts,
        stability_criterion=args.stability,
    )
    print(json.dumps(result.to_json(), indent=2))
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from edgenas.search.rewards import make_reward  # noqa: PLC0415

    latency = _latency_argument(args)
    reward = make_reward(args.reward, target_ms=args.target_ms)
    from edgenas.families import family_of_type  # noqa: PLC0415
    from edgenas.search.loop import search  # noqa: PLC0415
    from edgenas.search.screening import Screening  # noqa: PLC0415

    space = _get_space(args)
    family = family_of_type(space.spec_type)
    task_options: dict[str, Any] = {}
    if args.proxy_steps is not None:
        task_options["steps"] = args.proxy_steps
    if args.proxy_image_size is not None:
        task_options["image_size"] = args.proxy_image_size
    if args.dataset is not None:
        task_type = family.proxy_task_type
        if "dataset" not in {field.name for field in dataclasses.fields(task_type)}:
            raise CliError(f"space {space.name!r} trains on a {task_type.__name__}, which makes its own data; "
                            "--dataset is for spaces whose proxy task reads a dataset")
        task_options["dataset"] = args.dataset
    task = family.proxy_task(**task_options)
    algorithm_options = dict(args.algorithm_options)
    if args.population is not None:
        algorithm_options["population_size"] = args.population
    result = search(
        space,
        reward=reward,
        trials=args.trials,
        db=args.db,
        algorithm=args.algorithm,
        accuracy=task,
        seed=args.seed,
        study=args.study,
        resume=args.resume,
        input_shape=args.input_size,
        num_classes=args.num_classes,
        precision=args.precision,
        threads=args.threads,
        algorithm_options=algorithm_options,
        latency=latency,
        proxy_seeds=args.proxy_seeds,
        halving=args.halving,
        screening=None if args.screen is None else Screening(predictor=args.screen,
                                                             error_bound=args.screen_error_bound),
    )
    done = result.done
    print(f"study {result.study!r}: {len(done)} of {len(result.trials)} trials finished, store {result.db}")
    if args.halving is not None:
        print(_halving_summary(done, full_steps=task.steps))
    if args.screen is not None:
        print(f"screening: {result.screened} proposals dropped untrained")
    if done:
        best = result.best()
        print(f"best: reward {best.reward:.4f}, {family.metric.name} {best.accuracy:.3f}, {best.latency_ms:.2f} ms  {best.spec}")
    print(f"next: edgenas report --db {result.db} --study {result.study}")
    return 0


def _halving_summary(done: Sequence[Any], *, full_steps: int) -> str:
    """How many trainings halving stopped, and the steps trained against every training to the end."""
    stopped = [t for t in done if t.stopped_early]
    trained = [t.rungs[-1].steps for t in done if t.rungs]
    share = sum(trained) / (full_steps * len(trained)) if trained else 0.0
    return (f"halving: {len(stopped)} of {len(done)} trainings stopped early; {sum(trained):,} training steps, "
            f"{share:.0%} of training every candidate to the end")  # fmt: skip


def _latency_argument(args: argparse.Namespace) -> Any:
    """The `latency=` of `edgenas.run_search` from --latency and --device."""
    device = device_from_argument(args.device)
    if args.latency == "measured":
        return device
    kind, sep, path = args.latency.partition(":")
    if kind == "predicted" and sep and path:
        return args.latency
    if kind == "hybrid" and sep and path:
        from devices import LocalDevice  # noqa: PLC0415
        from edgenas.search.latency_source import HybridLatency  # noqa: PLC0415

        measuring = LocalDevice("local") if device == "measured" else device
        return HybridLatency(path, measuring, measurements=args.latency_db)
    raise CliError(f"unknown --latency {args.latency!r}; use measured, predicted:FILE or hybrid:FILE")


def _cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path  # noqa: PLC0415

    from edgenas.export import export  # noqa: PLC0415
    from edgenas.report import write_report  # noqa: PLC0415
    from edgenas.families import family_of  # noqa: PLC0415
    from edgenas.search.rewards import reward_from_json  # noqa: PLC0415
    from edgenas.families import parse_spec  # noqa: PLC0415
    from edgenas.store import TrialStore  # noqa: PLC0415

    db = Path(args.db)
    if not db.is_file():
        raise CliError(f"no trial store at {str(db)!r}")
    out = Path(args.out) if args.out else db.parent / f"{db.stem}-report"
    with TrialStore(db) as store:
        study = store.study(args.study)
        target_ms = reward_from_json(study.reward).target_ms
        report = write_report(store, args.study, out_dir=out, target_ms=target_ms if target_ms else 0)
    print(report.table)
    best = report.best
    spec = parse_spec(best.spec)
    defaults = family_of(spec).deployment
    best_model = export(spec, out_dir=out / "best_model", formats=args.formats, precision="fp32",
                        input_shape=defaults.input_shape, num_classes=defaults.num_classes)  # fmt: skip
    print(f"\nplot: {report.png_path}\ntable: {report.table_path}\ntrials: {report.trials_path}")
    for artifact in best_model.artifacts:
        print(f"best model ({artifact.format.value}): {artifact.path}")
    return 0


_COMMANDS = {
    "spaces": _cmd_spaces,
    "sample": _cmd_sample,
    "export": _cmd_export,
    "profile": _cmd_profile,
    "search": _cmd_search,
    "report": _cmd_report,
    "farm": cmd_farm,
    "predictor": cmd_predictor,
    "scale": cmd_scale,
    "proxy": lambda args: cmd_proxy(args, _get_space(args)),
    "augment": cmd_augment,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI and returns its exit status."""
    _quiet_converters()
    args = _build_parser().parse_args(argv)
    from devices import DeviceUnavailableError, ProfilerError  # noqa: PLC0415
    from edgenas.errors import EdgenasError  # noqa: PLC0415

    try:
        _load_plugins(args.plugin)
        return _COMMANDS[args.command](args)
    except BrokenPipeError:
        return _reader_went_away()
    except Exception as error:
        # Bad input raises one of these; anything else (a bare ValueError, KeyError, TypeError...) is a bug and
        # keeps its traceback. A farm error exists only once `devices.farm.errors` is loaded: looking it up
        # here spares every other command importing the farm client (httpx, about 0.1 s).
        farm_errors = sys.modules.get("devices.farm.errors")
        user_errors: tuple[type[Exception], ...] = (
            EdgenasError, DeviceUnavailableError, ProfilerError, CliError, OSError,
            *((farm_errors.FarmError,) if farm_errors is not None else ()),
        )
        if not isinstance(error, user_errors):
            raise
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"edgenas: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("edgenas: interrupted", file=sys.stderr)
        return 130


def _reader_went_away() -> int:
    """What a command does when the reader of its output (`| head -1`) has gone: stop quietly.

    Standard output is pointed at the null device, so that the interpreter's last
    flush does not fail again ("Exception ignored ... BrokenPipeError", as Python's
    documentation of SIGPIPE describes), and the status is 141, what a shell
    reports for a writer killed by SIGPIPE.
    """
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, sys.stdout.fileno())
        finally:
            os.close(null)
    except (OSError, ValueError):  # stdout is no file (a test's capture): nothing will flush to a closed pipe
        pass
    return _STATUS_READER_GONE


if __name__ == "__main__":
    sys.exit(main())
