"""The errors `latency_models` raises on purpose: members of edgenas' `EdgenasError` family.

Each says what went wrong with the caller's input (a predictor file, a
measurement database, a spec outside a predictor's domain, too little to train
on, a bad training option), so that the CLI reports it in one line and a real
bug, a bare `ValueError` or `KeyError`, keeps its traceback. Each also derives
from `ValueError`, as the bare errors it replaces did, so callers that catch
`ValueError` keep working. An unknown regressor family is edgenas'
`UnknownNameError`, as every registry's is.
"""

from __future__ import annotations

from edgenas.errors import EdgenasError

__all__ = [
    "LatencyModelError",
    "MeasurementStoreError",
    "OutOfDomainError",
    "PointLayoutError",
    "PredictorFileError",
    "RegressorOptionError",
    "TrainingError",
]


class LatencyModelError(EdgenasError):
    """Base class of the errors `latency_models` raises on purpose."""


class PredictorFileError(LatencyModelError, ValueError):
    """A predictor file is not JSON, not one of this kind or version, or malformed (the message names the file)."""


class MeasurementStoreError(LatencyModelError, ValueError):
    """A file is not a latency measurement database of this schema version (the message names it)."""


class OutOfDomainError(LatencyModelError, ValueError):
    """A predictor was asked about a layer or network it was not trained on (the message names what)."""


class TrainingError(LatencyModelError, ValueError):
    """The store holds too little, or too mixed, data to train a predictor for the key."""


class RegressorOptionError(LatencyModelError, ValueError):
    """A regressor family's training option, the seed, or the families and folds to compare are invalid."""


class PointLayoutError(LatencyModelError, ValueError):
    """A space's points cannot be compiled into stage tables (not chain networks, or stages that do not decompose)."""
