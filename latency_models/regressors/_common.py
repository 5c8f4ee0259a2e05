"""What every regressor family shares: the `Regressor` protocol, input checks and JSON readers.

A regressor file entry is a JSON object with at least ``family`` (which family
reads it), ``version`` (`FORMAT_VERSION`) and ``num_features``. The readers
here turn its lists back into numpy arrays and raise `ValueError` with a
message naming the family and the key when anything is missing, of the wrong
type or shape, or not finite.

Only numpy is imported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import numpy as np

__all__ = [
    "FORMAT_VERSION",
    "Regressor",
    "check_rows",
    "check_training_data",
    "json_float",
    "json_float_array",
    "json_int",
    "json_int_array",
    "json_options",
    "option_bool",
    "option_float",
    "option_int",
    "read_header",
    "standardisation",
]

FORMAT_VERSION = 1
"""The version of every family's JSON layout that this code writes and reads."""

_HEADER_KEYS = ("family", "version", "num_features")


@runtime_checkable
class Regressor(Protocol):
    """A trained regressor: predicts one number per row of features, from plain JSON data only.

    Attributes:
        family: The family's registered name (a class attribute).
        num_features: The number of columns `predict` reads.
    """

    family: ClassVar[str]

    @property
    def num_features(self) -> int:
        """The number of feature columns `predict` reads."""
        ...

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions for the rows of `x` ((n, num_features) → (n,))."""
        ...

    def to_json(self) -> dict[str, Any]:
        """The regressor as plain JSON data (lists, floats, ints, strings)."""
        ...

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The inverse of `to_json`."""
        ...


# -- inputs ---------------------------------------------------------------------------------------


def _as_float_matrix(x: Any, *, name: str) -> np.ndarray:
    try:
        array = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be a numeric array: {e}") from None
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (rows, features), got shape {array.shape}")
    return array


def check_training_data(x: Any, y: Any, *, min_rows: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Training features and targets as float64 arrays, checked.

    Args:
        x: Features, shape (n, d).
        y: Targets, shape (n,).
        min_rows: The fewest rows accepted.

    Returns:
        ``(x, y)`` as float64 arrays of shapes (n, d) and (n,).

    Raises:
        ValueError: Not numeric, wrong dimensions, different row counts, too few
            rows, no feature columns, or a NaN or infinite value.
    """
    x = _as_float_matrix(x, name="x")
    try:
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"y must be a numeric array: {e}") from None
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (rows,), got shape {y.shape}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x has {x.shape[0]} rows but y has {y.shape[0]}")
    if x.shape[1] < 1:
        raise ValueError("x has no feature columns")
    if x.shape[0] < min_rows:
        raise ValueError(f"need at least {min_rows} rows to fit, got {x.shape[0]}")
    if not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x))[0]
        raise ValueError(f"x has a NaN or infinite value (row {bad[0]}, column {bad[1]})")
    if not np.isfinite(y).all():
        raise ValueError(f"y has a NaN or infinite value (row {int(np.argmax(~np.isfinite(y)))})")
    return x, y


def check_rows(x: Any, num_features: int) -> np.ndarray:
    """Rows to predict, as a float64 (n, num_features) array, checked.

    Args:
        x: Features, shape (n, num_features).
        num_features: The columns the regressor reads.

    Returns:
        `x` as a float64 array.

    Raises:
        ValueError: Not numeric, not 2-D, another column count, or a NaN or infinite value.
    """
    x = _as_float_matrix(x, name="x")
    if x.shape[1] != num_features:
        raise ValueError(f"x has {x.shape[1]} feature columns, the regressor reads {num_features}")
    if not np.isfinite(x).all():
        raise ValueError("x has a NaN or infinite value")
    return x


def standardisation(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and scale (population standard deviation; 1 where a column is constant).

    Args:
        x: Array of shape (n, d) or (n,).

    Returns:
        ``(mean, scale)``, each of shape (d,) (or scalars' 0-d arrays for 1-D input).
    """
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    # A constant column's std can come out as rounding noise rather than 0.
    scale = np.where(std <= 1e-12 * np.maximum(np.abs(mean), 1.0), 1.0, std)
    return mean, scale


# -- JSON ------------------------------------------------------------------------------------------


def read_header(data: Any, *, family: str, keys: Iterable[str], optional: Iterable[str] = ()) -> int:
    """Checks a family's JSON object: its type, family, version and exact set of keys.

    Args:
        data: The decoded JSON value.
        family: The family expected in ``data["family"]``.
        keys: The family's required keys besides ``family``, ``version`` and ``num_features``.
        optional: Keys that may be present.

    Returns:
        ``data["num_features"]``, checked to be an integer >= 1.

    Raises:
        ValueError: Not an object, another family or version, a key missing or unknown.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{family} regressor JSON must be an object, got {type(data).__name__}")
    if data.get("family") != family:
        raise ValueError(f"not a {family!r} regressor: family is {data.get('family')!r}")
    required = (*_HEADER_KEYS, *keys)
    missing = [k for k in required if k not in data]
    if missing:
        raise ValueError(f"{family} regressor JSON lacks key(s) {missing}")
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise ValueError(f"{family} regressor JSON has unknown key(s) {unknown}")
    version = data["version"]
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ValueError(f"{family} regressor JSON has version {version!r}; this code reads version {FORMAT_VERSION}")
    num_features = json_int(data["num_features"], name="num_features", family=family)
    if num_features < 1:
        raise ValueError(f"{family} regressor JSON: num_features must be >= 1, got {num_features}")
    return num_features


def json_int(value: Any, *, name: str, family: str) -> int:
    """A JSON integer (not a bool or a float).

    Raises:
        ValueError: `value` is not an integer.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{family} regressor JSON: {name} must be an integer, got {value!r}")
    return int(value)


def json_float(value: Any, *, name: str, family: str) -> float:
    """A finite JSON number.

    Raises:
        ValueError: `value` is not a finite number.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{family} regressor JSON: {name} must be a number, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{family} regressor JSON: {name} must be finite, got {value!r}")
    return float(value)


def _check_shape(array: np.ndarray, shape: tuple[int | None, ...], *, name: str, family: str) -> None:
    if array.ndim != len(shape) or any(
        want is not None and got != want for got, want in zip(array.shape, shape, strict=True)
    ):
        wanted = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ValueError(f"{family} regressor JSON: {name} has shape {array.shape}, expected {wanted}")


def _json_array(
    value: Any, shape: tuple[int | None, ...], *, name: str, family: str, kinds: str, what: str
) -> np.ndarray:
    """A nested JSON list whose values are of numpy dtype kinds `kinds`, checked against `shape`."""
    if not isinstance(value, list):
        raise ValueError(f"{family} regressor JSON: {name} must be a list, got {type(value).__name__}")
    try:
        array = np.array(value)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{family} regressor JSON: {name} is not a rectangular list of {what}: {e}") from None
    if array.size and array.dtype.kind not in kinds:
        raise ValueError(f"{family} regressor JSON: {name} must hold only {what}, got {array.dtype} values")
    _check_shape(array, shape, name=name, family=family)
    return array


def json_float_array(value: Any, shape: tuple[int | None, ...], *, name: str, family: str) -> np.ndarray:
    """A nested JSON list of finite numbers as a float64 array of the given shape.

    Args:
        value: The decoded JSON value.
        shape: The expected shape; ``None`` leaves a dimension free.
        name: Its key, for messages.
        family: The family, for messages.

    Returns:
        The float64 array.

    Raises:
        ValueError: Not a (rectangular) list of numbers, another shape, or a non-finite value.
    """
    array = _json_array(value, shape, name=name, family=family, kinds="iuf", what="numbers").astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{family} regressor JSON: {name} has a non-finite value")
    return array


def json_int_array(value: Any, shape: tuple[int | None, ...], *, name: str, family: str) -> np.ndarray:
    """A nested JSON list of integers as an int64 array of the given shape.

    Args:
        value: The decoded JSON value.
        shape: The expected shape; ``None`` leaves a dimension free.
        name: Its key, for messages.
        family: The family, for messages.

    Returns:
        The int64 array.

    Raises:
        ValueError: Not a (rectangular) list of integers, or another shape.
    """
    return _json_array(value, shape, name=name, family=family, kinds="iu", what="integers").astype(np.int64)


def json_options(value: Any, *, family: str) -> dict[str, Any]:
    """The training options recorded in a file: an object of plain JSON values.

    Raises:
        ValueError: Not an object with string keys and number, string, bool, null or list values.
    """
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"{family} regressor JSON: options must be an object with string keys")
    for key, item in value.items():
        items = item if isinstance(item, list) else [item]
        if not all(v is None or isinstance(v, bool | int | float | str) for v in items):
            raise ValueError(f"{family} regressor JSON: option {key!r} must be a plain JSON value, got {item!r}")
    return dict(value)


# -- training options ------------------------------------------------------------------------------


def option_int(value: Any, *, name: str, family: str, minimum: int) -> int:
    """A training option that must be an integer >= `minimum`.

    Raises:
        ValueError: It is not.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{family} option {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def option_float(
    value: Any, *, name: str, family: str, minimum: float, maximum: float = np.inf, open_minimum: bool = False
) -> float:
    """A training option that must be a finite number in [minimum, maximum] (or (minimum, maximum]).

    Raises:
        ValueError: It is not.
    """
    low = "(" if open_minimum else "["
    message = f"{family} option {name} must be a finite number in {low}{minimum}, {maximum}], got {value!r}"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(message)
    value = float(value)
    if not np.isfinite(value) or value > maximum or value < minimum or (open_minimum and value == minimum):
        raise ValueError(message)
    return value


def option_bool(value: Any, *, name: str, family: str) -> bool:
    """A training option that must be a bool.

    Raises:
        ValueError: It is not.
    """
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{family} option {name} must be True or False, got {value!r}")
    return bool(value)
