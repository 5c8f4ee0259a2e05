"""Checks of algorithm options that PyGlove or Optuna would take silently or refuse late."""

from __future__ import annotations

import numbers
from typing import Any

from edgenas.search.algorithms.errors import AlgorithmOptionError

__all__ = ["check_count", "check_flag", "check_probability"]


def check_count(name: str, value: Any, *, minimum: int) -> int:
    """`value`, if an integer (not a bool) of at least `minimum`; else `AlgorithmOptionError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise AlgorithmOptionError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def check_flag(name: str, value: Any) -> bool:
    """`value`, if a bool; else `AlgorithmOptionError`."""
    if not isinstance(value, bool):
        raise AlgorithmOptionError(f"{name} must be true or false, got {value!r}")
    return value


def check_probability(name: str, value: Any) -> float:
    """`value` as a float, if a real number (not a bool) from 0 to 1; else `AlgorithmOptionError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= float(value) <= 1.0:
        raise AlgorithmOptionError(f"{name} must be a number from 0 to 1, got {value!r}")
    return float(value)
