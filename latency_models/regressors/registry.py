"""The families by name: fitting one by name, and reading any family's JSON back.

Each family registers its regressor class (which reads its JSON), its fit
function and its training options with their defaults. `fit_regressor`
checks the family, the option names, the seed and the data before fitting;
`regressor_from_json` reads ``data["family"]`` and hands the data to that
family's class.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from edgenas.registry import Registry

from ..errors import RegressorOptionError
from ._common import Regressor, check_training_data
from .gbt import GBT_OPTIONS, GBTRegressor, fit_gbt
from .linear import LINEAR_OPTIONS, LinearRegressor, fit_linear
from .mlp import MLP_OPTIONS, MLPRegressor, fit_mlp

__all__ = [
    "REGRESSOR_FAMILIES",
    "RegressorFamily",
    "family_options",
    "fit_regressor",
    "register_family",
    "registered_families",
    "regressor_from_json",
]


@dataclasses.dataclass(frozen=True)
class RegressorFamily:
    """A registered family.

    Attributes:
        name: Its name, as in ``data["family"]``.
        regressor_type: Its regressor class (has ``from_json``).
        fit: ``fit(x, y, *, seed, **options)`` returning a regressor of `regressor_type`.
        options: Its training options' names and defaults.
    """

    name: str
    regressor_type: type[Regressor]
    fit: Callable[..., Regressor]
    options: Mapping[str, Any]


_FAMILIES = Registry[str, RegressorFamily]("regressor family", plural="regressor families")


def register_family(
    name: str, *, regressor_type: type[Regressor], fit: Callable[..., Regressor], options: Mapping[str, Any]
) -> None:
    """Adds a family.

    Args:
        name: The family's name; must equal ``regressor_type.family``.
        regressor_type: Its regressor class.
        fit: Its fit function, ``fit(x, y, *, seed, **options)``.
        options: Its training options' names and defaults.

    Raises:
        DuplicateNameError: The name is taken; the message lists the registered families.
        ValueError: The name is not a non-empty word, or differs from ``regressor_type.family``.
    """
    if getattr(regressor_type, "family", None) != name:
        raise ValueError(f"family {name!r}: its regressor type says family {getattr(regressor_type, 'family', None)!r}")
    _FAMILIES.register(name, RegressorFamily(name=name, regressor_type=regressor_type, fit=fit, options=dict(options)))


register_family("linear", regressor_type=LinearRegressor, fit=fit_linear, options=LINEAR_OPTIONS)
register_family("gbt", regressor_type=GBTRegressor, fit=fit_gbt, options=GBT_OPTIONS)
register_family("mlp", regressor_type=MLPRegressor, fit=fit_mlp, options=MLP_OPTIONS)

REGRESSOR_FAMILIES: tuple[str, ...] = ("linear", "gbt", "mlp")
"""The built-in families' names (see `registered_families` for all, including ones added later)."""


def registered_families() -> tuple[str, ...]:
    """Every registered family's name, in registration order."""
    return tuple(_FAMILIES)


def family_options(family: str) -> dict[str, Any]:
    """A family's training options and their defaults.

    Raises:
        UnknownNameError: Unknown family; the message lists the registered ones.
    """
    return dict(_FAMILIES.get(family).options)


def fit_regressor(family: str, x: np.ndarray, y: np.ndarray, *, seed: int = 0, **options: Any) -> Regressor:
    """Fits a regressor of one family.

    Args:
        family: A registered family's name (see `REGRESSOR_FAMILIES`).
        x: Features, shape (n, d), finite.
        y: Targets, shape (n,), finite.
        seed: Seed of any randomness in training (an integer >= 0).
        **options: The family's training options (`family_options`); others keep their defaults.

    Returns:
        The fitted regressor.

    Raises:
        UnknownNameError: Unknown family; the message lists the registered ones.
        RegressorOptionError: Unknown option (the message lists the family's), bad seed, or a bad option value.
        ValueError: Bad `x`/`y`.
    """
    entry = _FAMILIES.get(family)
    unknown = sorted(set(options) - set(entry.options))
    if unknown:
        raise RegressorOptionError(f"unknown option(s) {unknown} for regressor family {family!r}; its options: "
                                   f"{sorted(entry.options)}")  # fmt: skip
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise RegressorOptionError(f"seed must be an integer >= 0, got {seed!r}")
    x, y = check_training_data(x, y)
    return entry.fit(x, y, seed=int(seed), **{**entry.options, **options})


def regressor_from_json(data: Mapping[str, Any]) -> Regressor:
    """Reads a regressor of any registered family from its JSON data (``to_json``'s output).

    Args:
        data: The decoded JSON object; ``data["family"]`` names the family.

    Returns:
        The regressor.

    Raises:
        UnknownNameError: An unknown family; the message lists the registered ones.
        ValueError: Not an object, no family, or malformed data for the family.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"regressor JSON must be an object, got {type(data).__name__}")
    if "family" not in data:
        raise ValueError(f"regressor JSON lacks key 'family'; known regressor families: {', '.join(_FAMILIES.names())}")
    return _FAMILIES.get(data["family"]).regressor_type.from_json(data)
