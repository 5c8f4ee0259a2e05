"""The errors a search algorithm raises when it cannot search a space."""

from __future__ import annotations

from edgenas.errors import EdgenasError

__all__ = ["SpaceTooLargeError", "UnsupportedSpaceError"]


class UnsupportedSpaceError(EdgenasError, ValueError):
    """The algorithm cannot search this DNA spec (e.g. PPO given a `pg.floatv`)."""


class SpaceTooLargeError(UnsupportedSpaceError):
    """The space has too many points for an exhaustive algorithm such as grid search."""
