"""Argument checks shared by the report's functions (private)."""

from __future__ import annotations

import math

from edgenas.report.errors import ReportError

__all__ = ["check_target_ms"]


def check_target_ms(target_ms: object) -> float:
    """Returns the latency target as a float; it must be a positive finite number.

    Raises:
        ReportError: Otherwise.
    """
    if isinstance(target_ms, bool) or not isinstance(target_ms, (int, float)) or not math.isfinite(target_ms):
        raise ReportError(f"target_ms must be a finite number, got {target_ms!r}")
    if target_ms <= 0:
        raise ReportError(f"target_ms must be positive, got {target_ms}")
    return float(target_ms)
