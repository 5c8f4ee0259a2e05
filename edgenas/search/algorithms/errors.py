"""The errors a search algorithm raises: an option it cannot take, or a space it cannot search."""

from __future__ import annotations

from edgenas.errors import EdgenasError

__all__ = ["AlgorithmOptionError", "SpaceTooLargeError", "UnknownAlgorithmOptionError", "UnsupportedSpaceError"]


class AlgorithmOptionError(EdgenasError, ValueError):
    """An algorithm was asked for with an invalid value of an option or of its seed; the message names both.

    Raised by `make_algorithm` (prefixed with the algorithm's name) and by an
    algorithm factory for a value it cannot take (`population_size=1`,
    `learning_rate=0`, ...). A factory registered with `register_algorithm`
    raises this for bad options; any other exception from it is a bug.
    """


class UnknownAlgorithmOptionError(AlgorithmOptionError, TypeError):
    """An algorithm was given an option it does not take; the message lists those it takes.

    Also a `TypeError`, as Python raises for an unexpected keyword argument.
    """


class UnsupportedSpaceError(EdgenasError, ValueError):
    """The algorithm cannot search this DNA spec (e.g. PPO given a `pg.floatv`)."""


class SpaceTooLargeError(UnsupportedSpaceError):
    """The space has too many points for an exhaustive algorithm such as grid search."""
