"""The exceptions of the report."""

from __future__ import annotations

from edgenas.errors import EdgenasError

__all__ = ["NoResultsError", "ReportError"]


class ReportError(EdgenasError, ValueError):
    """A report cannot be made from its input (a bad reference point, a bad target, ...)."""


class NoResultsError(ReportError):
    """The study has no done trial with both an accuracy and a latency to report."""
