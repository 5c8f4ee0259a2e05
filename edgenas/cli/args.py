"""Argument types of the `edgenas` command line: every check argparse can make on a value alone.

A value these reject is a usage error: argparse prints the usage and
`error: argument --NAME: ...` and exits 2. Whatever needs more than the value
(a file, a space, the machine's memory) is checked when the command runs and
exits 1 (see `edgenas.cli`).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = [
    "csv_list",
    "fraction",
    "halving",
    "input_shape",
    "int_at_least",
    "int_in_range",
    "key_value",
    "non_negative_float",
    "non_negative_int",
    "one_of",
    "positive_float",
    "positive_int",
]


def int_at_least(minimum: int) -> Callable[[str], int]:
    """The type of an integer argument >= `minimum`: `int_at_least(2)` for `--runs`."""
    what = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    return parse


def int_in_range(low: int, high: int) -> Callable[[str], int]:
    """The type of an integer argument from `low` to `high`: `int_in_range(1, 64)` for `augment preview --images`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be an integer from {low} to {high}, got {text!r}")
        return value

    return parse


positive_int = int_at_least(1)
"""`--trials`, `--threads`, `--num-classes`, ..."""
non_negative_int = int_at_least(0)
"""`-n`, `--warmup`."""


def _finite_float(*, zero_allowed: bool) -> Callable[[str], float]:
    what = "a non-negative finite number" if zero_allowed else "a positive finite number"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and (value > 0 or (zero_allowed and value == 0))):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    return parse


positive_float = _finite_float(zero_allowed=False)
"""`--target-ms`, `--budget-min`."""
non_negative_float = _finite_float(zero_allowed=True)
"""`--cv-threshold`."""


def one_of(*names: str) -> Callable[[str], str]:
    """The type of an argument that is one of `names`, spelled exactly: `one_of("robust_cv", "cv")` for `--stability`.

    Unlike argparse's ``choices``, the message is the same on every Python version.
    """

    def parse(text: str) -> str:
        if text not in names:
            raise argparse.ArgumentTypeError(f"must be one of {', '.join(names)}, got {text!r}")
        return text

    return parse


def fraction(text: str) -> float:
    """A number from 0 to 1 (`--layer-share`)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {text!r}")
    return value


def halving(text: str) -> object:
    """`on` or ETA:RUNGS (`--halving`): an `edgenas.search.Halving`."""
    from edgenas.search.halving import Halving, HalvingError  # noqa: PLC0415

    try:
        return Halving.parse(text)
    except HalvingError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def csv_list(text: str) -> list[str]:
    """A comma-separated list of at least one item."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list")
    return items


def input_shape(text: str) -> tuple[int, int, int]:
    """`SIZE`, `HxW` or `HxWxC` of positive integers, as (height, width, channels); 3 channels by default.

    Whether a network can take the size, and whether it fits in memory at it,
    is the command's check (exit 1), not argparse's.
    """
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SIZE or HxW or HxWxC, got {text!r}") from None
    if len(parts) == 1:
        parts = [parts[0], parts[0], 3]
    elif len(parts) == 2:
        parts.append(3)
    if len(parts) != 3 or min(parts) < 1:
        raise argparse.ArgumentTypeError(f"expected SIZE or HxW or HxWxC, got {text!r}")
    return (parts[0], parts[1], parts[2])


def key_value(text: str) -> tuple[str, bool | int | float | str]:
    """`KEY=VALUE` with VALUE read as a bool (true/false, any case), else an int, else a float, else kept as text."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip() or not raw.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    if raw.strip().lower() in ("true", "false"):
        return key.strip(), raw.strip().lower() == "true"
    for kind in (int, float):
        try:
            return key.strip(), kind(raw)
        except ValueError:
            pass
    return key.strip(), raw.strip()
