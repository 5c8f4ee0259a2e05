"""``edgenas predictor survey``: what a predictor says about a whole space, in one batch, with a histogram."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from edgenas.cli.args import input_shape, positive_float, positive_int
from edgenas.cli.errors import CliError

__all__ = ["add_survey_parser", "survey"]


def add_survey_parser(actions: Any) -> None:
    """Adds ``predictor survey`` to the predictor's actions."""
    survey_parser = actions.add_parser(
        "survey", help="predict a large random sample of a space in one batch: latency range, share within a target"
    )
    survey_parser.add_argument("--model", required=True, help="a layer-wise predictor file of a chain space")
    survey_parser.add_argument("--space", help="default: the space the predictor was trained on")
    survey_parser.add_argument("--target-ms", type=positive_float, help="a latency target: the share within it")
    survey_parser.add_argument("--points", type=positive_int, default=100_000, help="random points (default 100000)")
    survey_parser.add_argument("--input-size", type=input_shape, metavar="SIZE",
                               help="default: the predictor's (its first, when it knows several)")  # fmt: skip
    survey_parser.add_argument("--seed", type=int, default=0)
    survey_parser.add_argument("--plot", help="histogram PNG (default: beside the model, .survey.png)")


def survey(args: argparse.Namespace) -> int:
    """Runs ``edgenas predictor survey``."""
    from edgenas import spaces  # noqa: PLC0415
    from edgenas.search.latency_survey import plot_survey, survey_space  # noqa: PLC0415
    from latency_models._json_file import read_json_file  # noqa: PLC0415
    from latency_models.predictor import FILE_FORMAT, LatencyPredictor  # noqa: PLC0415

    if args.points > 10_000_000:
        raise CliError(f"--points {args.points} is more than 10,000,000; a survey of that many needs gigabytes")
    if not Path(args.model).is_file():
        raise CliError(f"no predictor file {args.model!r}")
    data = read_json_file(args.model)
    if isinstance(data, dict) and data.get("format") != FILE_FORMAT:
        raise CliError(f"{args.model} is not a layer-wise predictor of a chain space (format "
                       f"{data.get('format')!r}); a survey compiles such a predictor for the space's points")  # fmt: skip
    predictor = LatencyPredictor.from_json(data, source=args.model)
    info = predictor.info
    space = spaces.get(args.space or info.space)
    shape = tuple(args.input_size) if args.input_size else info.input_shapes[0]
    result = survey_space(predictor, space, input_shape=shape, num_classes=info.num_classes[0],
                          target_ms=args.target_ms, points=args.points, seed=args.seed)  # fmt: skip
    if result is None:
        raise CliError(f"{args.model} cannot be compiled for the points of {space.name!r}: its decisions do not "
                       "make chain networks stage by stage, or every sampled point is outside the predictor's "
                       "domain")  # fmt: skip
    for line in result.lines():
        print(line)
    print(f"fastest by summed layers: {result.fastest_spec}")
    plot = Path(args.plot) if args.plot else Path(args.model).with_suffix(".survey.png")
    plot_survey(result, plot, title=f"{info.device} {info.precision} {info.threads}t, {space.name} at "
                                    f"{shape[0]}x{shape[1]}")  # fmt: skip
    print(f"plot: {plot}")
    return 0
