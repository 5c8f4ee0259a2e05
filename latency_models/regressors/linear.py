"""The "linear" family: ridge regression on standardised features, optionally with non-negative coefficients.

Fitting needs numpy only (`numpy.linalg.lstsq` on the ridge system), or
SciPy's `scipy.optimize.nnls` for ``positive=True``, imported on use.
Prediction is ``((x - x_mean) / x_scale) @ coef + intercept``.

Non-negative coefficients suit latency models whose features are costs (MACs,
bytes moved, layer latencies): each then adds to the latency, never takes
away from it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np

from ._common import (
    FORMAT_VERSION,
    check_rows,
    check_training_data,
    json_float,
    json_float_array,
    json_options,
    option_bool,
    option_float,
    read_header,
    standardisation,
)

__all__ = ["LINEAR_OPTIONS", "LinearRegressor", "fit_linear"]

LINEAR_OPTIONS: Mapping[str, Any] = {"alpha": 1e-3, "positive": False}
"""The "linear" family's training options and their defaults."""


@dataclasses.dataclass(frozen=True, eq=False)
class LinearRegressor:
    """Ridge regression on standardised features (family "linear").

    Attributes:
        x_mean: Per-feature mean of the training rows, shape (d,).
        x_scale: Per-feature scale (standard deviation, 1 for a constant feature), shape (d,).
        coef: Coefficient of each standardised feature, shape (d,).
        intercept: The prediction for a row at the training mean.
        options: The training options it was fit with (provenance only).
    """

    family: ClassVar[str] = "linear"

    x_mean: np.ndarray
    x_scale: np.ndarray
    coef: np.ndarray
    intercept: float
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        arrays = {}
        for name in ("x_mean", "x_scale", "coef"):
            array = np.array(getattr(self, name), dtype=np.float64)
            if array.ndim != 1 or array.size == 0:
                raise ValueError(f"linear regressor: {name} must be a non-empty 1-D array, got shape {array.shape}")
            if not np.isfinite(array).all():
                raise ValueError(f"linear regressor: {name} has a non-finite value")
            array.flags.writeable = False
            arrays[name] = array
        if not arrays["x_mean"].shape == arrays["x_scale"].shape == arrays["coef"].shape:
            raise ValueError(
                "linear regressor: x_mean, x_scale and coef must have one length, got "
                f"{arrays['x_mean'].size}, {arrays['x_scale'].size} and {arrays['coef'].size}"
            )
        if (arrays["x_scale"] <= 0).any():
            raise ValueError("linear regressor: x_scale must be > 0")
        if not np.isfinite(self.intercept):
            raise ValueError("linear regressor: intercept must be finite")
        for name, array in arrays.items():
            object.__setattr__(self, name, array)
        object.__setattr__(self, "intercept", float(self.intercept))
        object.__setattr__(self, "options", dict(self.options))

    @property
    def num_features(self) -> int:
        """The number of feature columns it reads."""
        return int(self.coef.size)

    @property
    def raw_coef(self) -> np.ndarray:
        """Coefficients in the features' own units (prediction change per unit of each feature), shape (d,)."""
        return self.coef / self.x_scale

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions for rows of features.

        Args:
            x: Features, shape (n, num_features).

        Returns:
            Predictions, shape (n,).

        Raises:
            ValueError: `x` is not (n, num_features) or has a NaN or infinite value.
        """
        x = check_rows(x, self.coef.size)
        # A row-wise sum, not `@`: BLAS's dot product can round differently with the arrays' memory alignment, so
        # the same coefficients read back from a file gave predictions a last bit apart on some CPUs.
        return (((x - self.x_mean) / self.x_scale) * self.coef).sum(axis=1) + self.intercept

    def to_json(self) -> dict[str, Any]:
        """The regressor as plain JSON data (see `from_json`)."""
        return {
            "family": self.family,
            "version": FORMAT_VERSION,
            "num_features": self.num_features,
            "x_mean": self.x_mean.tolist(),
            "x_scale": self.x_scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "options": dict(self.options),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The regressor from `to_json`'s data.

        Args:
            data: The decoded JSON object.

        Returns:
            The regressor.

        Raises:
            ValueError: Another family or version, a key missing or unknown, an array of the wrong
                shape, or a non-finite or non-positive-scale value.
        """
        d = read_header(data, family=cls.family, keys=("x_mean", "x_scale", "coef", "intercept"), optional=("options",))
        return cls(
            x_mean=json_float_array(data["x_mean"], (d,), name="x_mean", family=cls.family),
            x_scale=json_float_array(data["x_scale"], (d,), name="x_scale", family=cls.family),
            coef=json_float_array(data["coef"], (d,), name="coef", family=cls.family),
            intercept=json_float(data["intercept"], name="intercept", family=cls.family),
            options=json_options(data.get("options", {}), family=cls.family),
        )


def fit_linear(
    x: np.ndarray, y: np.ndarray, *, seed: int = 0, alpha: float = 1e-3, positive: bool = False
) -> LinearRegressor:
    """Fits ridge regression on standardised features.

    Minimises ``||y - intercept - xs @ coef||^2 + alpha * ||coef||^2`` where ``xs`` is `x` standardised
    per column (the intercept is not penalised), by least squares on the augmented system.

    Args:
        x: Features, shape (n, d).
        y: Targets, shape (n,).
        seed: Unused (the fit is deterministic); accepted so every family takes it.
        alpha: The ridge penalty (>= 0) on the standardised coefficients.
        positive: Constrain every coefficient to be >= 0 (by `scipy.optimize.nnls`).

    Returns:
        The fitted regressor.

    Raises:
        ValueError: Bad `x`/`y` or a bad option.
    """
    del seed
    x, y = check_training_data(x, y)
    alpha = option_float(alpha, name="alpha", family="linear", minimum=0.0)
    positive = option_bool(positive, name="positive", family="linear")
    x_mean, x_scale = standardisation(x)
    xs = (x - x_mean) / x_scale
    y_mean = float(y.mean())
    d = x.shape[1]
    a = np.vstack([xs, np.sqrt(alpha) * np.eye(d)])
    b = np.concatenate([y - y_mean, np.zeros(d)])
    if positive:
        from scipy.optimize import nnls  # noqa: PLC0415

        coef, _ = nnls(a, b, maxiter=max(100, 30 * d))
    else:
        coef = np.linalg.lstsq(a, b, rcond=None)[0]
    return LinearRegressor(
        x_mean=x_mean, x_scale=x_scale, coef=coef, intercept=y_mean, options={"alpha": alpha, "positive": positive}
    )
