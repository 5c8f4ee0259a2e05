"""Latency regressors stored as plain, versioned JSON data and predicted with numpy alone.

Three families, each a frozen dataclass with ``family``, ``num_features``,
``predict(x)``, ``to_json()`` and ``from_json(data)``:

* ``"linear"`` (`LinearRegressor`): ridge regression on standardised
  features, optionally with non-negative coefficients;
* ``"gbt"`` (`GBTRegressor`): gradient-boosted regression trees, predicted by
  walking all trees at once;
* ``"mlp"`` (`MLPRegressor`): a small multilayer perceptron on standardised
  inputs and target.

`fit_regressor` fits one by family name; `regressor_from_json` reads any of
them back; `select_family` picks a family by cross-validated error.

A regressor's JSON is numbers, strings and lists only (with ``family`` and
``version``), never a pickled library object, so a file written today is read
by later library versions. Training may use scikit-learn and SciPy, imported
inside the fit functions only: importing this package needs numpy alone (and
edgenas' plain error family and registry helper). An unknown family is edgenas'
`UnknownNameError`; a bad option, seed or list of families to compare is a
`latency_models.errors.RegressorOptionError`.
"""

from __future__ import annotations

from ._common import FORMAT_VERSION, Regressor
from .gbt import GBT_OPTIONS, GBTRegressor, GBTTree, fit_gbt
from .linear import LINEAR_OPTIONS, LinearRegressor, fit_linear
from .mlp import MLP_ACTIVATIONS, MLP_OPTIONS, MLPLayer, MLPRegressor, fit_mlp
from .registry import (
    REGRESSOR_FAMILIES,
    RegressorFamily,
    family_options,
    fit_regressor,
    register_family,
    registered_families,
    regressor_from_json,
)
from .selection import FamilySelection, kfold_indices, mean_absolute_percentage_error, select_family

__all__ = [
    "FORMAT_VERSION",
    "GBT_OPTIONS",
    "LINEAR_OPTIONS",
    "MLP_ACTIVATIONS",
    "MLP_OPTIONS",
    "REGRESSOR_FAMILIES",
    "FamilySelection",
    "GBTRegressor",
    "GBTTree",
    "LinearRegressor",
    "MLPLayer",
    "MLPRegressor",
    "Regressor",
    "RegressorFamily",
    "family_options",
    "fit_gbt",
    "fit_linear",
    "fit_mlp",
    "fit_regressor",
    "kfold_indices",
    "mean_absolute_percentage_error",
    "register_family",
    "registered_families",
    "regressor_from_json",
    "select_family",
]
