"""Choosing a regressor family by cross-validated error: measurement, not fashion.

`select_family` fits every candidate family on the same deterministic K folds
of the data and scores its held-out predictions; the family with the lowest
mean score wins. The default score is the mean absolute percentage error,
fitting latencies, whose errors matter relative to their size.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import RegressorOptionError
from ._common import check_training_data
from .registry import REGRESSOR_FAMILIES, family_options, fit_regressor

__all__ = ["FamilySelection", "kfold_indices", "mean_absolute_percentage_error", "select_family"]


def mean_absolute_percentage_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean of ``|y_pred - y_true| / y_true``, in percent.

    Args:
        y_true: True values, all > 0, shape (n,).
        y_pred: Predictions, shape (n,).

    Returns:
        The error in percent (e.g. 5.0 for predictions 5 % off on average).

    Raises:
        ValueError: Shapes differ, or a true value is not > 0.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has {y_pred.shape}")
    if not (y_true > 0).all():
        raise ValueError("mean absolute percentage error needs every true value > 0")
    return float(np.mean(np.abs(y_pred - y_true) / y_true) * 100.0)


@dataclasses.dataclass(frozen=True)
class FamilySelection:
    """What `select_family` measured.

    Attributes:
        best: The chosen family (see `select_family` for the rule).
        scores: Mean held-out score per family (lower is better).
        metric: The score's name (``"mape_percent"`` for the default).
        standard_errors: Standard error of each family's mean score over the folds.
    """

    best: str
    scores: dict[str, float]
    metric: str
    standard_errors: dict[str, float] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """As plain JSON data (for a predictor file's training facts)."""
        return {"best": self.best, "scores": dict(self.scores), "metric": self.metric,
                "standard_errors": dict(self.standard_errors)}  # fmt: skip


def kfold_indices(num_rows: int, *, folds: int, seed: int) -> list[np.ndarray]:
    """Deterministic K-fold split: a seeded permutation of the rows cut into `folds` near-equal parts.

    Args:
        num_rows: Rows to split.
        folds: Number of parts (2 <= folds <= num_rows).
        seed: Seed of the permutation.

    Returns:
        The held-out row indices of each fold.

    Raises:
        RegressorOptionError: `folds` out of range.
    """
    if isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= num_rows:
        raise RegressorOptionError(f"folds must be an integer in [2, {num_rows}] (the number of rows), got {folds!r}")
    order = np.random.default_rng(seed).permutation(num_rows)
    return [np.sort(part) for part in np.array_split(order, folds)]


def select_family(
    x: np.ndarray,
    y: np.ndarray,
    *,
    families: Sequence[str] = REGRESSOR_FAMILIES,
    folds: int = 5,
    seed: int = 0,
    score: Callable[[np.ndarray, np.ndarray], float] = mean_absolute_percentage_error,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    one_standard_error: bool = True,
) -> FamilySelection:
    """Picks a family by K-fold cross-validation.

    Every family is fit on the same folds (with `seed` for both the split and the fits). A family
    whose mean score is NaN never wins; ties go to the family listed first. With
    `one_standard_error` (the "one-standard-error rule" of Breiman et al., CART, 1984), the
    families are taken as listed simplest first, and the first one whose mean score is within one
    standard error of the best mean wins: a more complex family must be better by more than the
    folds' own spread.

    Args:
        x: Features, shape (n, d).
        y: Targets, shape (n,) (all > 0 for the default score).
        families: Candidate family names, without repeats.
        folds: Number of folds (2 <= folds <= n).
        seed: Seed of the split and of every fit.
        score: ``score(y_true, y_pred) -> float``, lower is better.
        options: Training options per family name (e.g. ``{"gbt": {"n_estimators": 100}}``).
        one_standard_error: Prefer the simplest family within one standard error of the best.

    Returns:
        The chosen family, every family's mean score and its standard error, and the score's name.

    Raises:
        UnknownNameError: An unknown family; the message lists the registered ones.
        RegressorOptionError: No or repeated families, options for a family not listed, or bad `folds`.
        ValueError: Bad `x`/`y`, or (default score) a target that is not > 0.
    """
    x, y = check_training_data(x, y, min_rows=2)
    families = tuple(families)
    if not families:
        raise RegressorOptionError("no families to choose from")
    if len(set(families)) != len(families):
        raise RegressorOptionError(f"families repeat a name: {list(families)}")
    for family in families:
        family_options(family)  # raises for an unknown family, listing the known ones
    options = dict(options or {})
    stray = sorted(set(options) - set(families))
    if stray:
        raise RegressorOptionError(f"options given for families not being compared: {stray}")
    if score is mean_absolute_percentage_error and not (y > 0).all():
        raise ValueError("the default score (mean absolute percentage error) needs every y > 0")
    held_out = kfold_indices(len(y), folds=folds, seed=seed)
    scores: dict[str, float] = {}
    errors: dict[str, float] = {}
    for family in families:
        fold_scores = []
        for test in held_out:
            train = np.setdiff1d(np.arange(len(y)), test, assume_unique=True)
            model = fit_regressor(family, x[train], y[train], seed=seed, **options.get(family, {}))
            fold_scores.append(float(score(y[test], model.predict(x[test]))))
        scores[family] = float(np.mean(fold_scores))
        errors[family] = float(np.std(fold_scores, ddof=1) / math.sqrt(len(fold_scores)))
    best = min(families, key=lambda f: math.inf if math.isnan(scores[f]) else scores[f])
    if one_standard_error and not math.isnan(scores[best]):
        limit = scores[best] + errors[best]
        best = next(f for f in families if not math.isnan(scores[f]) and scores[f] <= limit)
    metric = "mape_percent" if score is mean_absolute_percentage_error else getattr(score, "__name__", "score")
    return FamilySelection(best=best, scores=scores, metric=metric, standard_errors=errors)
