"""The "mlp" family: a small multilayer perceptron, trained by scikit-learn, predicted by numpy.

Inputs and the target are standardised (their means and scales are part of
the exported data), then `sklearn.neural_network.MLPRegressor` (imported on
use) is fit with Adam and early stopping. The export is the scaler statistics
and each layer's weight matrix and bias; prediction is the forward pass in
numpy: hidden layers ``h = act(h @ W + b)``, a linear output layer, then the
target's scale and mean put back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
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
    option_int,
    read_header,
    standardisation,
)

__all__ = ["MLP_ACTIVATIONS", "MLP_OPTIONS", "MLPLayer", "MLPRegressor", "fit_mlp"]

MLP_OPTIONS: Mapping[str, Any] = {
    "hidden_sizes": (64, 64),
    "activation": "relu",
    "alpha": 1e-4,
    "learning_rate_init": 1e-3,
    "max_iter": 2000,
    "early_stopping": True,
    "validation_fraction": 0.1,
    "n_iter_no_change": 20,
}
"""The "mlp" family's training options and their defaults."""


def _relu(h: np.ndarray) -> np.ndarray:
    return np.maximum(h, 0.0)


def _logistic(h: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-h))


def _identity(h: np.ndarray) -> np.ndarray:
    return h


MLP_ACTIVATIONS: Mapping[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": _relu,
    "tanh": np.tanh,
    "logistic": _logistic,
    "identity": _identity,
}
"""Hidden-layer activations by name (scikit-learn's names)."""


@dataclasses.dataclass(frozen=True, eq=False)
class MLPLayer:
    """One dense layer: ``h @ weights + bias``.

    Attributes:
        weights: Shape (inputs, outputs).
        bias: Shape (outputs,).
    """

    weights: np.ndarray
    bias: np.ndarray

    def __post_init__(self) -> None:
        weights = np.array(self.weights, dtype=np.float64)
        bias = np.array(self.bias, dtype=np.float64)
        if weights.ndim != 2 or 0 in weights.shape or bias.shape != (weights.shape[1],):
            raise ValueError(f"mlp layer: weights must be (inputs, outputs) and bias (outputs,), got "
                             f"{weights.shape} and {bias.shape}")  # fmt: skip
        if not (np.isfinite(weights).all() and np.isfinite(bias).all()):
            raise ValueError("mlp layer: weights and bias must be finite")
        for name, array in (("weights", weights), ("bias", bias)):
            array.flags.writeable = False
            object.__setattr__(self, name, array)


@dataclasses.dataclass(frozen=True, eq=False)
class MLPRegressor:
    """A multilayer perceptron on standardised inputs and target (family "mlp"), predicted with numpy.

    Attributes:
        x_mean: Per-feature mean of the training rows, shape (d,).
        x_scale: Per-feature scale (1 for a constant feature), shape (d,).
        y_mean: The training target's mean.
        y_scale: The training target's scale (1 if constant).
        activation: Hidden layers' activation, a key of `MLP_ACTIVATIONS`.
        layers: Dense layers, the last one with a single output and no activation.
        options: The training options it was fit with (provenance only).
    """

    family: ClassVar[str] = "mlp"

    x_mean: np.ndarray
    x_scale: np.ndarray
    y_mean: float
    y_scale: float
    activation: str
    layers: tuple[MLPLayer, ...]
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        x_mean = np.array(self.x_mean, dtype=np.float64)
        x_scale = np.array(self.x_scale, dtype=np.float64)
        if x_mean.ndim != 1 or x_mean.size == 0 or x_scale.shape != x_mean.shape:
            raise ValueError(f"mlp regressor: x_mean and x_scale must be 1-D of one non-zero length, got "
                             f"{x_mean.shape} and {x_scale.shape}")  # fmt: skip
        if not (np.isfinite(x_mean).all() and np.isfinite(x_scale).all()) or (x_scale <= 0).any():
            raise ValueError("mlp regressor: x_mean must be finite and x_scale finite and > 0")
        if not np.isfinite(self.y_mean) or not np.isfinite(self.y_scale) or self.y_scale <= 0:
            raise ValueError("mlp regressor: y_mean must be finite and y_scale finite and > 0")
        if self.activation not in MLP_ACTIVATIONS:
            raise ValueError(f"mlp regressor: activation must be one of {sorted(MLP_ACTIVATIONS)}, "
                             f"got {self.activation!r}")  # fmt: skip
        layers = tuple(self.layers)
        if not layers or not all(isinstance(layer, MLPLayer) for layer in layers):
            raise ValueError("mlp regressor: layers must be a non-empty sequence of MLPLayer")
        inputs = x_mean.size
        for i, layer in enumerate(layers):
            if layer.weights.shape[0] != inputs:
                raise ValueError(f"mlp regressor: layer {i} takes {layer.weights.shape[0]} inputs, "
                                 f"the layer before gives {inputs}")  # fmt: skip
            inputs = layer.weights.shape[1]
        if inputs != 1:
            raise ValueError(f"mlp regressor: the last layer must have 1 output, has {inputs}")
        for name, array in (("x_mean", x_mean), ("x_scale", x_scale)):
            array.flags.writeable = False
            object.__setattr__(self, name, array)
        object.__setattr__(self, "y_mean", float(self.y_mean))
        object.__setattr__(self, "y_scale", float(self.y_scale))
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "options", dict(self.options))

    @property
    def num_features(self) -> int:
        """The number of feature columns it reads."""
        return int(self.x_mean.size)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions for rows of features.

        Args:
            x: Features, shape (n, num_features).

        Returns:
            Predictions, shape (n,).

        Raises:
            ValueError: `x` is not (n, num_features) or has a NaN or infinite value.
        """
        h = (check_rows(x, self.x_mean.size) - self.x_mean) / self.x_scale
        act = MLP_ACTIVATIONS[self.activation]
        for layer in self.layers[:-1]:
            h = act(h @ layer.weights + layer.bias)
        out = self.layers[-1]
        return (h @ out.weights + out.bias)[:, 0] * self.y_scale + self.y_mean

    def to_json(self) -> dict[str, Any]:
        """The regressor as plain JSON data (see `from_json`)."""
        return {
            "family": self.family,
            "version": FORMAT_VERSION,
            "num_features": self.num_features,
            "x_mean": self.x_mean.tolist(),
            "x_scale": self.x_scale.tolist(),
            "y_mean": self.y_mean,
            "y_scale": self.y_scale,
            "activation": self.activation,
            "layers": [{"weights": layer.weights.tolist(), "bias": layer.bias.tolist()} for layer in self.layers],
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
            ValueError: Another family or version, a key missing or unknown, an unknown activation,
                or layers whose shapes do not chain from ``num_features`` inputs to one output.
        """
        family = cls.family
        d = read_header(data, family=family, optional=("options",),
                        keys=("x_mean", "x_scale", "y_mean", "y_scale", "activation", "layers"))  # fmt: skip
        raw_layers = data["layers"]
        if not isinstance(raw_layers, list) or not raw_layers:
            raise ValueError("mlp regressor JSON: layers must be a non-empty list")
        layers = []
        for i, raw in enumerate(raw_layers):
            if not isinstance(raw, Mapping) or set(raw) != {"weights", "bias"}:
                raise ValueError(f"mlp regressor JSON: layers[{i}] must be an object with keys ['bias', 'weights']")
            layers.append(
                MLPLayer(
                    weights=json_float_array(raw["weights"], (None, None), name=f"layers[{i}].weights", family=family),
                    bias=json_float_array(raw["bias"], (None,), name=f"layers[{i}].bias", family=family),
                )
            )
        activation = data["activation"]
        if not isinstance(activation, str):
            raise ValueError(f"mlp regressor JSON: activation must be a string, got {activation!r}")
        try:
            return cls(
                x_mean=json_float_array(data["x_mean"], (d,), name="x_mean", family=family),
                x_scale=json_float_array(data["x_scale"], (d,), name="x_scale", family=family),
                y_mean=json_float(data["y_mean"], name="y_mean", family=family),
                y_scale=json_float(data["y_scale"], name="y_scale", family=family),
                activation=activation,
                layers=tuple(layers),
                options=json_options(data.get("options", {}), family=family),
            )
        except ValueError as e:
            raise ValueError(f"mlp regressor JSON: {e}") from None

    @classmethod
    def from_sklearn(
        cls,
        estimator: Any,
        *,
        x_mean: np.ndarray,
        x_scale: np.ndarray,
        y_mean: float,
        y_scale: float,
        options: Mapping[str, Any] | None = None,
    ) -> Self:
        """Exports a fitted single-output `sklearn.neural_network.MLPRegressor` fit on standardised data.

        Args:
            estimator: The fitted estimator (fit on ``(x - x_mean) / x_scale`` and ``(y - y_mean) / y_scale``).
            x_mean: Per-feature mean used to standardise its inputs.
            x_scale: Per-feature scale used to standardise its inputs.
            y_mean: Mean used to standardise its target.
            y_scale: Scale used to standardise its target.
            options: Training options to record.

        Returns:
            The regressor: ``y_mean + y_scale * estimator.predict((x - x_mean) / x_scale)``.

        Raises:
            ValueError: The estimator has more than one output or a non-identity output activation.
        """
        if estimator.out_activation_ != "identity" or estimator.coefs_[-1].shape[1] != 1:
            raise ValueError("mlp: can only export a single-output regressor with an identity output")
        return cls(
            x_mean=x_mean,
            x_scale=x_scale,
            y_mean=y_mean,
            y_scale=y_scale,
            activation=str(estimator.activation),
            layers=tuple(
                MLPLayer(weights=w, bias=b) for w, b in zip(estimator.coefs_, estimator.intercepts_, strict=True)
            ),
            options=dict(options or {}),
        )


def fit_mlp(
    x: np.ndarray,
    y: np.ndarray,
    *,
    seed: int = 0,
    hidden_sizes: tuple[int, ...] | list[int] = (64, 64),
    activation: str = "relu",
    alpha: float = 1e-4,
    learning_rate_init: float = 1e-3,
    max_iter: int = 2000,
    early_stopping: bool = True,
    validation_fraction: float = 0.1,
    n_iter_no_change: int = 20,
) -> MLPRegressor:
    """Fits an MLP (Adam) on standardised inputs and target with scikit-learn and exports it.

    Args:
        x: Features, shape (n, d).
        y: Targets, shape (n,).
        seed: The estimator's ``random_state`` (weight init, batches, validation split).
        hidden_sizes: Width of each hidden layer (each >= 1; at least one layer).
        activation: Hidden activation, a key of `MLP_ACTIVATIONS`.
        alpha: L2 penalty (>= 0).
        learning_rate_init: Adam's step size (> 0).
        max_iter: Most epochs (>= 1).
        early_stopping: Stop when the score on a held-out ``validation_fraction`` of the rows stops
            improving. Turned off (and recorded so in the regressor's ``options``) when that would hold
            out fewer than 2 rows (under 20 rows at the default fraction).
        validation_fraction: Share of rows held out for early stopping, in (0, 1).
        n_iter_no_change: Epochs without improvement before stopping (>= 1).

    Returns:
        The fitted regressor.

    Raises:
        ValueError: Bad `x`/`y` or a bad option.
    """
    x, y = check_training_data(x, y)
    if not isinstance(hidden_sizes, tuple | list) or not hidden_sizes:
        raise ValueError(f"mlp option hidden_sizes must be a non-empty tuple of integers >= 1, got {hidden_sizes!r}")
    options: dict[str, Any] = {
        "hidden_sizes": [option_int(h, name="hidden_sizes", family="mlp", minimum=1) for h in hidden_sizes],
        "activation": activation,
        "alpha": option_float(alpha, name="alpha", family="mlp", minimum=0.0),
        "learning_rate_init": option_float(learning_rate_init, name="learning_rate_init", family="mlp", minimum=0.0,
                                           open_minimum=True),  # fmt: skip
        "max_iter": option_int(max_iter, name="max_iter", family="mlp", minimum=1),
        "early_stopping": option_bool(early_stopping, name="early_stopping", family="mlp"),
        "validation_fraction": option_float(validation_fraction, name="validation_fraction", family="mlp",
                                            minimum=0.0, maximum=1.0, open_minimum=True),  # fmt: skip
        "n_iter_no_change": option_int(n_iter_no_change, name="n_iter_no_change", family="mlp", minimum=1),
    }
    if activation not in MLP_ACTIVATIONS:
        raise ValueError(f"mlp option activation must be one of {sorted(MLP_ACTIVATIONS)}, got {activation!r}")
    if options["validation_fraction"] >= 1.0:
        raise ValueError("mlp option validation_fraction must be < 1")
    if options["early_stopping"] and int(np.ceil(options["validation_fraction"] * len(y))) < 2:
        # Too few rows to score a held-out part (as in a small cross-validation fold): train on all.
        options["early_stopping"] = False
    x_mean, x_scale = standardisation(x)
    y_mean, y_scale = (float(v) for v in standardisation(y))

    from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor  # noqa: PLC0415

    estimator = SklearnMLPRegressor(
        hidden_layer_sizes=tuple(options["hidden_sizes"]),
        activation=activation,
        solver="adam",
        alpha=options["alpha"],
        learning_rate_init=options["learning_rate_init"],
        max_iter=options["max_iter"],
        early_stopping=options["early_stopping"],
        validation_fraction=options["validation_fraction"],
        n_iter_no_change=options["n_iter_no_change"],
        random_state=seed,
    )
    estimator.fit((x - x_mean) / x_scale, (y - y_mean) / y_scale)
    return MLPRegressor.from_sklearn(estimator, x_mean=x_mean, x_scale=x_scale, y_mean=y_mean, y_scale=y_scale,
                                     options=options)  # fmt: skip
