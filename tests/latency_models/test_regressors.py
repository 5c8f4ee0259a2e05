"""Tests of latency_models.regressors: fitting, numpy prediction, JSON files, registry and family selection."""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from edgenas.errors import DuplicateNameError, UnknownNameError
from latency_models.errors import RegressorOptionError
from latency_models.regressors import (
    FORMAT_VERSION,
    REGRESSOR_FAMILIES,
    GBTRegressor,
    GBTTree,
    LinearRegressor,
    MLPLayer,
    MLPRegressor,
    Regressor,
    family_options,
    fit_regressor,
    kfold_indices,
    mean_absolute_percentage_error,
    register_family,
    regressor_from_json,
    select_family,
)

# Small training settings keep the whole file to a few seconds.
FAST_OPTIONS: dict[str, dict[str, Any]] = {
    "linear": {},
    "gbt": {"n_estimators": 60, "max_depth": 3, "learning_rate": 0.1},
    "mlp": {"hidden_sizes": (32, 32), "max_iter": 300, "learning_rate_init": 3e-3},
}

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n: int, *, seed: int = 0, kind: str = "product") -> tuple[np.ndarray, np.ndarray]:
    """Positive synthetic targets from three features in [0, 1): a known function plus 1 % noise."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, size=(n, 3))
    a, b, c = x.T
    if kind == "linear":
        clean = 1.0 + 2.0 * a + 3.0 * b + 0.5 * c
    elif kind == "product":
        clean = 1.0 + 2.0 * a + 3.0 * b * c
    elif kind == "step":  # clearly non-linear: a jump and an interaction
        clean = 1.0 + 8.0 * ((a > 0.5) ^ (b > 0.5)) + 0.5 * c
    else:
        raise AssertionError(kind)
    return x, clean * (1.0 + 0.01 * rng.standard_normal(n))


def _mape(model: Regressor, x: np.ndarray, y: np.ndarray) -> float:
    return mean_absolute_percentage_error(y, model.predict(x))


def _is_plain_json(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_plain_json(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


@pytest.fixture(scope="module")
def fitted() -> dict[str, Regressor]:
    """One model per family, fit on the product data."""
    x, y = _data(600, seed=1)
    return {family: fit_regressor(family, x, y, seed=0, **FAST_OPTIONS[family]) for family in REGRESSOR_FAMILIES}


# -- import ------------------------------------------------------------------------------------------


def test_import_needs_only_numpy() -> None:
    code = (
        "import sys, latency_models.regressors\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy', 'tensorflow', 'keras'))\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, cwd=".", timeout=60)


# -- accuracy ----------------------------------------------------------------------------------------


def test_linear_recovers_known_coefficients() -> None:
    x, y = _data(500, kind="linear")
    model = fit_regressor("linear", x, y, alpha=0.0)
    assert isinstance(model, LinearRegressor)
    assert model.num_features == 3
    np.testing.assert_allclose(model.raw_coef, [2.0, 3.0, 0.5], atol=0.1)
    assert _mape(model, *_data(300, seed=9, kind="linear")) < 1.5


def test_linear_positive_keeps_coefficients_non_negative() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0.0, 1.0, size=(300, 2))
    y = 5.0 + 2.0 * x[:, 0] - 1.0 * x[:, 1] + 0.01 * rng.standard_normal(300)
    free = fit_regressor("linear", x, y)
    assert free.raw_coef[1] < -0.9  # the data really asks for a negative coefficient
    constrained = fit_regressor("linear", x, y, positive=True)
    assert (constrained.raw_coef >= 0).all()
    assert constrained.raw_coef[1] == 0.0
    assert constrained.raw_coef[0] == pytest.approx(2.0, abs=0.2)
    assert constrained.to_json()["options"] == {"alpha": 1e-3, "positive": True}


def test_linear_ridge_shrinks_with_alpha() -> None:
    x, y = _data(200, kind="linear")
    small = fit_regressor("linear", x, y, alpha=0.0)
    large = fit_regressor("linear", x, y, alpha=1e4)
    assert np.linalg.norm(large.coef) < 0.1 * np.linalg.norm(small.coef)


def test_constant_feature_is_harmless() -> None:
    x, y = _data(300, kind="linear")
    x = np.column_stack([x, np.full(len(y), 7.0)])
    for family in REGRESSOR_FAMILIES:
        model = fit_regressor(family, x, y, **FAST_OPTIONS[family])
        assert np.isfinite(model.predict(x)).all()
        if isinstance(model, LinearRegressor):
            assert model.coef[3] == 0.0
            assert model.x_scale[3] == 1.0


@pytest.mark.parametrize("family, max_mape", [("linear", 12.0), ("gbt", 6.0), ("mlp", 4.0)])
def test_fit_accuracy_on_product_function(fitted: dict[str, Regressor], family: str, max_mape: float) -> None:
    x_test, y_test = _data(400, seed=2)
    error = _mape(fitted[family], x_test, y_test)
    assert error < max_mape
    if family != "linear":  # the interaction term is beyond a linear model
        assert error < 0.6 * _mape(fitted["linear"], x_test, y_test)


def test_fit_is_deterministic_given_the_seed() -> None:
    x, y = _data(200)
    x_test, _ = _data(50, seed=5)
    for family in ("gbt", "mlp"):
        first = fit_regressor(family, x, y, seed=4, **FAST_OPTIONS[family]).predict(x_test)
        again = fit_regressor(family, x, y, seed=4, **FAST_OPTIONS[family]).predict(x_test)
        other = fit_regressor(family, x, y, seed=5, **FAST_OPTIONS[family]).predict(x_test)
        np.testing.assert_array_equal(first, again)
        assert not np.array_equal(first, other)


def test_mlp_without_room_for_early_stopping_trains_on_all_rows() -> None:
    x, y = _data(19)  # 10 % held out would be 1.9 -> 2 rows; 19 -> 2 is the edge, 10 -> 1 is below it
    assert fit_regressor("mlp", x, y, max_iter=50).to_json()["options"]["early_stopping"] is True
    x, y = _data(10)
    assert fit_regressor("mlp", x, y, max_iter=50).to_json()["options"]["early_stopping"] is False


# -- numpy prediction equals scikit-learn's -----------------------------------------------------------


def _relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def test_gbt_numpy_prediction_equals_sklearn() -> None:
    from sklearn.ensemble import GradientBoostingRegressor

    x, y = _data(400, seed=3)
    x = x * np.array([1.0, 1e6, 0.001])  # features of very different magnitudes, as MACs and ms are
    estimator = GradientBoostingRegressor(n_estimators=80, max_depth=4, learning_rate=0.05, subsample=0.8,
                                          random_state=7).fit(x, y)  # fmt: skip
    model = GBTRegressor.from_sklearn(estimator)
    x_test = _data(5000, seed=4)[0] * np.array([1.0, 1e6, 0.001])  # > 4096: two chunks
    assert _relative_error(model.predict(x_test), estimator.predict(x_test)) < 1e-9
    assert model.num_features == 3 and len(model.trees) == 80 and model.depth == 4

    # Rows exactly on split thresholds: scikit-learn compares float32 features, and so must we.
    on_split = np.repeat(x_test[:1], 0, axis=0)
    for tree in model.trees[:20]:
        for node in np.flatnonzero(tree.feature >= 0):
            row = x_test[node % len(x_test)].copy()
            row[tree.feature[node]] = tree.threshold[node]
            on_split = np.vstack([on_split, row])
    assert _relative_error(model.predict(on_split), estimator.predict(on_split)) < 1e-9


def test_fit_gbt_matches_sklearn_with_the_same_settings() -> None:
    from sklearn.ensemble import GradientBoostingRegressor

    x, y = _data(300, seed=6)
    model = fit_regressor("gbt", x, y, seed=11, n_estimators=40, max_depth=2, learning_rate=0.2, subsample=0.7)
    estimator = GradientBoostingRegressor(n_estimators=40, max_depth=2, learning_rate=0.2, subsample=0.7,
                                          random_state=11).fit(x, y)  # fmt: skip
    x_test, _ = _data(500, seed=7)
    assert _relative_error(model.predict(x_test), estimator.predict(x_test)) < 1e-9


def test_mlp_numpy_prediction_equals_sklearn() -> None:
    from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor

    x, y = _data(300, seed=8)
    options = {"hidden_sizes": (16, 8), "max_iter": 200, "learning_rate_init": 3e-3}
    model = fit_regressor("mlp", x, y, seed=3, **options)
    assert isinstance(model, MLPRegressor)
    # The same fit, done by hand: scikit-learn on standardised inputs and target.
    x_mean, x_scale = x.mean(axis=0), x.std(axis=0)
    y_mean, y_scale = y.mean(), y.std()
    estimator = SklearnMLPRegressor(hidden_layer_sizes=(16, 8), activation="relu", solver="adam", max_iter=200,
                                    learning_rate_init=3e-3, alpha=1e-4, early_stopping=True,
                                    validation_fraction=0.1, n_iter_no_change=20, random_state=3)  # fmt: skip
    estimator.fit((x - x_mean) / x_scale, (y - y_mean) / y_scale)
    x_test, _ = _data(500, seed=9)
    expected = y_mean + y_scale * estimator.predict((x_test - x_mean) / x_scale)
    assert _relative_error(model.predict(x_test), expected) < 1e-9


@pytest.mark.parametrize("activation", ["tanh", "logistic", "identity"])
def test_mlp_other_activations_match_sklearn(activation: str) -> None:
    from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor

    x, y = _data(100, seed=10)
    estimator = SklearnMLPRegressor(hidden_layer_sizes=(8,), activation=activation, max_iter=50, random_state=0)
    estimator.fit(x, y)
    model = MLPRegressor.from_sklearn(estimator, x_mean=np.zeros(3), x_scale=np.ones(3), y_mean=0.0, y_scale=1.0)
    assert _relative_error(model.predict(x), estimator.predict(x)) < 1e-9


def test_gbt_walks_trees_of_different_shapes_at_once() -> None:
    leaf_only = GBTTree(feature=[-1], threshold=[0.0], left=[-1], right=[-1], value=[10.0])
    stump = GBTTree(feature=[0, -1, -1], threshold=[0.5, 0.0, 0.0], left=[1, -1, -1], right=[2, -1, -1],
                    value=[0.0, 1.0, 2.0])  # fmt: skip
    # Root splits on feature 1; its left child splits again on feature 0, its right child is a leaf.
    deep = GBTTree(feature=[1, -1, 0, -1, -1], threshold=[0.0, 0.0, 0.25, 0.0, 0.0], left=[2, -1, 3, -1, -1],
                   right=[1, -1, 4, -1, -1], value=[0.0, 100.0, 0.0, 30.0, 40.0])  # fmt: skip
    model = GBTRegressor(num_features=2, baseline=1.0, learning_rate=0.5, trees=(leaf_only, stump, deep))
    assert model.depth == 2
    x = np.array([[0.0, -1.0], [0.5, -1.0], [0.6, 0.0], [0.6, 2.0], [0.25, 0.0]])
    expected = 1.0 + 0.5 * (10.0 + np.array([1.0 + 30.0, 1.0 + 40.0, 2.0 + 40.0, 2.0 + 100.0, 1.0 + 30.0]))
    np.testing.assert_array_equal(model.predict(x), expected)
    np.testing.assert_array_equal(model.predict(x[:1]), expected[:1])
    assert model.predict(np.zeros((0, 2))).shape == (0,)


# -- JSON -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", REGRESSOR_FAMILIES)
def test_json_round_trip_gives_identical_predictions(fitted: dict[str, Regressor], family: str) -> None:
    model = fitted[family]
    data = model.to_json()
    assert _is_plain_json(data)
    assert data["family"] == family and data["version"] == FORMAT_VERSION and data["num_features"] == 3
    text = json.dumps(data, allow_nan=False)
    loaded = regressor_from_json(json.loads(text))
    assert type(loaded) is type(model)
    x_test, _ = _data(300, seed=12)
    np.testing.assert_array_equal(loaded.predict(x_test), model.predict(x_test))
    assert json.dumps(loaded.to_json(), allow_nan=False) == text
    assert type(model).from_json(json.loads(text)).num_features == 3


@pytest.mark.parametrize("family", REGRESSOR_FAMILIES)
def test_regressors_are_frozen(fitted: dict[str, Regressor], family: str) -> None:
    model = fitted[family]
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.options = {}  # type: ignore[misc]
    array = model.x_mean if not isinstance(model, GBTRegressor) else model.trees[0].threshold
    with pytest.raises(ValueError, match="read-only"):
        array[0] = 1.0


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data.pop(key)


MALFORMED: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("linear", _drop("coef"), r"lacks key\(s\) \['coef'\]"),
    ("linear", _drop("num_features"), r"lacks key\(s\) \['num_features'\]"),
    ("linear", _set(("coef",), [1.0, 2.0]), r"coef has shape \(2,\), expected \(3,\)"),
    ("linear", _set(("x_scale",), [1.0, 0.0, 1.0]), "x_scale must be > 0"),
    ("linear", _set(("x_mean",), [1.0, "a", 2.0]), "only numbers"),
    ("linear", _set(("x_mean",), [[1.0], [2.0], [3.0]]), "shape"),
    ("linear", _set(("intercept",), None), "intercept must be a number"),
    ("linear", _set(("intercept",), float("nan")), "intercept must be finite"),
    ("linear", _set(("version",), 2), "version 2"),
    ("linear", _set(("num_features",), 3.0), "num_features must be an integer"),
    ("linear", _set(("extra",), 1), r"unknown key\(s\) \['extra'\]"),
    ("gbt", _drop("trees"), r"lacks key\(s\) \['trees'\]"),
    ("gbt", _set(("trees",), []), "non-empty list"),
    ("gbt", _set(("trees", 0, "left"), [1, -1]), "one non-zero length"),
    ("gbt", _set(("trees", 0, "threshold"), 1.0), r"trees\[0\].threshold must be a list"),
    ("gbt", _set(("trees", 1, "feature"), [0.5, -1, -1]), "only integers"),
    ("gbt", _set(("trees", 0, "value", 0), float("inf")), "non-finite"),
    ("gbt", _set(("learning_rate",), 0.0), "learning_rate must be > 0"),
    ("gbt", _set(("num_features",), 1), "feature 1, but num_features is 1"),
    ("mlp", _drop("y_scale"), r"lacks key\(s\) \['y_scale'\]"),
    ("mlp", _set(("activation",), "gelu"), "activation must be one of"),
    ("mlp", _set(("layers", 0, "bias"), [0.0]), r"bias \(outputs,\)"),
    ("mlp", _set(("x_mean",), [0.0, 0.0]), r"x_mean has shape \(2,\), expected \(3,\)"),
    ("mlp", lambda data: data["layers"].pop(0), "takes 2 inputs, the layer before gives 3"),
    ("mlp", lambda data: data["layers"].pop(), "last layer must have 1 output"),
    ("mlp", _set(("layers", 0), {"weights": [[1.0]]}), r"layers\[0\] must be an object"),
]

_GBT_JSON = GBTRegressor(
    num_features=2,
    baseline=0.5,
    learning_rate=0.1,
    trees=(
        GBTTree(feature=[-1], threshold=[0.0], left=[-1], right=[-1], value=[1.0]),
        GBTTree(feature=[1, -1, -1], threshold=[0.5, 0.0, 0.0], left=[1, -1, -1], right=[2, -1, -1],
                value=[0.0, 1.0, 2.0]),  # fmt: skip
    ),
).to_json()
_LINEAR_JSON = LinearRegressor(x_mean=[0.0, 1.0, 2.0], x_scale=[1.0, 2.0, 3.0], coef=[1.0, -1.0, 0.5],
                               intercept=4.0).to_json()  # fmt: skip
_MLP_JSON = MLPRegressor(
    x_mean=np.zeros(3),
    x_scale=np.ones(3),
    y_mean=1.0,
    y_scale=2.0,
    activation="relu",
    layers=(MLPLayer(weights=np.ones((3, 2)), bias=np.zeros(2)), MLPLayer(weights=np.ones((2, 1)), bias=np.zeros(1))),
).to_json()
_VALID = {"linear": _LINEAR_JSON, "gbt": _GBT_JSON, "mlp": _MLP_JSON}


@pytest.mark.parametrize("family, change, message", MALFORMED)
def test_malformed_json_is_rejected(family: str, change: Callable[[dict[str, Any]], None], message: str) -> None:
    data = json.loads(json.dumps(_VALID[family]))
    regressor_from_json(copy.deepcopy(data))  # valid before the change
    change(data)
    with pytest.raises(ValueError, match=message):
        regressor_from_json(data)


def test_gbt_json_rejects_a_child_before_its_parent() -> None:
    data = json.loads(json.dumps(_GBT_JSON))
    data["trees"][1]["left"] = [0, -1, -1]  # a cycle: the root would be its own child
    with pytest.raises(ValueError, match="child index must be after its parent"):
        regressor_from_json(data)
    data["trees"][1]["left"] = [1, -1, -1]
    data["trees"][1]["right"] = [3, -1, -1]  # past the end of the tree
    with pytest.raises(ValueError, match="inside the tree"):
        regressor_from_json(data)


def test_gbt_json_rejects_a_leaf_with_one_child() -> None:
    data = json.loads(json.dumps(_GBT_JSON))
    data["trees"][1]["right"] = [2, 2, -1]
    with pytest.raises(ValueError, match="a leaf must have"):
        regressor_from_json(data)


@pytest.mark.parametrize("family", REGRESSOR_FAMILIES)
def test_json_of_another_family_is_rejected(family: str) -> None:
    other = next(f for f in REGRESSOR_FAMILIES if f != family)
    cls = {"linear": LinearRegressor, "gbt": GBTRegressor, "mlp": MLPRegressor}[family]
    with pytest.raises(ValueError, match=f"not a '{family}' regressor: family is '{other}'"):
        cls.from_json(_VALID[other])


@pytest.mark.parametrize(
    "data, message",
    [
        ({k: v for k, v in _LINEAR_JSON.items() if k != "family"}, "lacks key 'family'; known regressor families: gbt"),
        ([1, 2, 3], "must be an object"),
    ],
)
def test_regressor_from_json_rejects_a_missing_family(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        regressor_from_json(data)


@pytest.mark.parametrize("family", ["forest", ["linear"]])
def test_regressor_from_json_rejects_an_unknown_family_listing_the_known_ones(family: Any) -> None:
    with pytest.raises(UnknownNameError) as raised:
        regressor_from_json({**_LINEAR_JSON, "family": family})
    assert str(raised.value) == f"unknown regressor family {family!r}; known regressor families: gbt, linear, mlp"


# -- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, y, message",
    [
        (np.ones(10), np.ones(10), r"x must be 2-D"),
        (np.ones((10, 2)), np.ones((10, 1)), r"y must be 1-D"),
        (np.ones((10, 2)), np.ones(9), "x has 10 rows but y has 9"),
        (np.ones((10, 0)), np.ones(10), "no feature columns"),
        (np.ones((1, 2)), np.ones(1), "at least 2 rows"),
        (np.where(np.eye(10, 2) > 0, np.nan, 1.0), np.ones(10), r"NaN or infinite value \(row 0, column 0\)"),
        (np.ones((10, 2)), np.r_[np.ones(9), np.inf], r"y has a NaN or infinite value \(row 9\)"),
        ([["a", "b"], ["c", "d"]], [1.0, 2.0], "x must be a numeric array"),
    ],
)
@pytest.mark.parametrize("family", REGRESSOR_FAMILIES)
def test_bad_training_data_is_rejected(family: str, x: Any, y: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_regressor(family, x, y)


@pytest.mark.parametrize("family", REGRESSOR_FAMILIES)
def test_bad_prediction_input_is_rejected(fitted: dict[str, Regressor], family: str) -> None:
    model = fitted[family]
    with pytest.raises(ValueError, match="x has 2 feature columns, the regressor reads 3"):
        model.predict(np.ones((4, 2)))
    with pytest.raises(ValueError, match="2-D"):
        model.predict(np.ones(3))
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.predict(np.array([[0.5, np.nan, 0.5]]))
    assert model.predict([[0.5, 0.5, 0.5]]).shape == (1,)


def test_unknown_family_lists_the_known_ones() -> None:
    x, y = _data(20)
    with pytest.raises(UnknownNameError) as raised:
        fit_regressor("forest", x, y)
    assert str(raised.value) == "unknown regressor family 'forest'; known regressor families: gbt, linear, mlp"
    with pytest.raises(UnknownNameError, match="unknown regressor family 'forest'"):
        family_options("forest")


def test_unknown_option_lists_the_family_options() -> None:
    x, y = _data(20)
    with pytest.raises(
        RegressorOptionError, match=r"unknown option\(s\) \['depth'\] for regressor family 'gbt'.*'max_depth'"
    ):
        fit_regressor("gbt", x, y, depth=2)
    with pytest.raises(ValueError, match=r"its options: \['alpha', 'positive'\]"):
        fit_regressor("linear", x, y, n_estimators=3)


@pytest.mark.parametrize(
    "family, options, message",
    [
        ("linear", {"alpha": -1.0}, "alpha must be a finite number"),
        ("linear", {"positive": "yes"}, "positive must be True or False"),
        ("gbt", {"n_estimators": 0}, "n_estimators must be an integer >= 1"),
        ("gbt", {"max_depth": 2.5}, "max_depth must be an integer"),
        ("gbt", {"subsample": 0.0}, "subsample must be a finite number in \\(0.0, 1.0\\]"),
        ("gbt", {"learning_rate": float("nan")}, "learning_rate must be a finite number"),
        ("mlp", {"hidden_sizes": ()}, "hidden_sizes must be a non-empty tuple"),
        ("mlp", {"hidden_sizes": (8, 0)}, "hidden_sizes must be an integer >= 1"),
        ("mlp", {"activation": "gelu"}, "activation must be one of"),
        ("mlp", {"validation_fraction": 1.0}, "validation_fraction must be < 1"),
    ],
)
def test_bad_option_values_are_rejected(family: str, options: dict[str, Any], message: str) -> None:
    x, y = _data(30)
    with pytest.raises(ValueError, match=message):
        fit_regressor(family, x, y, **options)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0"])
def test_bad_seed_is_rejected(seed: Any) -> None:
    x, y = _data(20)
    with pytest.raises(RegressorOptionError, match="seed must be an integer >= 0"):
        fit_regressor("linear", x, y, seed=seed)


def test_registering_a_family_twice_is_rejected() -> None:
    with pytest.raises(DuplicateNameError) as raised:
        register_family("linear", regressor_type=LinearRegressor, fit=lambda *a, **k: None, options={})
    assert str(raised.value) == (
        "a regressor family named 'linear' is already registered; known regressor families: gbt, linear, mlp"
    )
    with pytest.raises(ValueError, match="its regressor type says family 'linear'"):
        register_family("ridge2", regressor_type=LinearRegressor, fit=lambda *a, **k: None, options={})


def test_family_options_are_the_documented_defaults() -> None:
    assert family_options("linear") == {"alpha": 1e-3, "positive": False}
    gbt = family_options("gbt")
    assert (gbt["n_estimators"], gbt["max_depth"], gbt["learning_rate"], gbt["subsample"]) == (300, 3, 0.05, 0.8)
    mlp = family_options("mlp")
    assert (mlp["hidden_sizes"], mlp["activation"], mlp["max_iter"], mlp["early_stopping"]) == ((64, 64), "relu", 2000,
                                                                                                True)  # fmt: skip


# -- family selection ---------------------------------------------------------------------------------


def test_kfold_covers_every_row_once_and_depends_on_the_seed() -> None:
    parts = kfold_indices(23, folds=5, seed=3)
    assert sorted(np.concatenate(parts).tolist()) == list(range(23))
    assert sorted(len(p) for p in parts) == [4, 4, 5, 5, 5]
    assert all(np.array_equal(a, b) for a, b in zip(parts, kfold_indices(23, folds=5, seed=3), strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(parts, kfold_indices(23, folds=5, seed=4), strict=True))
    with pytest.raises(ValueError, match=r"folds must be an integer in \[2, 23\]"):
        kfold_indices(23, folds=24, seed=0)


def test_selection_picks_linear_on_linear_data() -> None:
    x, y = _data(150, kind="linear")
    selection = select_family(x, y, folds=4, seed=1, options=FAST_OPTIONS)
    assert selection.best == "linear"
    assert set(selection.scores) == set(REGRESSOR_FAMILIES)
    assert selection.metric == "mape_percent"
    assert selection.scores["linear"] < 1.5  # the noise is 1 %
    assert selection.scores["linear"] == min(selection.scores.values())
    assert selection.to_json() == {"best": "linear", "scores": selection.scores, "metric": "mape_percent",
                                   "standard_errors": selection.standard_errors}  # fmt: skip
    assert set(selection.standard_errors) == set(REGRESSOR_FAMILIES)


def test_the_one_standard_error_rule_prefers_the_simpler_family_when_the_gain_is_within_the_noise() -> None:
    x, y = _data(150, kind="linear")
    x = np.hstack([x, np.random.default_rng(3).normal(size=(150, 1))])
    # Scores made up so that gbt is best by less than the spread of its folds (per-fold ties broken by order).
    calls = iter([1.00, 1.10, 0.90, 1.05, 0.95, 0.99, 1.30, 0.60, 1.10, 0.96])

    def noisy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return next(calls)

    picked = select_family(x, y, families=("linear", "gbt"), folds=5, seed=0, score=noisy,
                           options={"gbt": {"n_estimators": 10}})  # fmt: skip
    assert picked.scores["gbt"] < picked.scores["linear"]  # 0.99 < 1.00: gbt has the lowest mean ...
    assert picked.best == "linear"  # ... but by less than one standard error (0.11): the simpler one wins
    calls = iter([1.00, 1.10, 0.90, 1.05, 0.95, 0.99, 1.30, 0.60, 1.10, 0.96])
    plain = select_family(x, y, families=("linear", "gbt"), folds=5, seed=0, score=noisy,
                          options={"gbt": {"n_estimators": 10}}, one_standard_error=False)  # fmt: skip
    assert plain.best == "gbt"


def test_selection_picks_a_nonlinear_family_on_nonlinear_data() -> None:
    x, y = _data(300, kind="step")
    selection = select_family(x, y, folds=3, seed=0, options=FAST_OPTIONS)
    assert selection.best in ("gbt", "mlp")
    assert selection.scores[selection.best] < 0.5 * selection.scores["linear"]
    trees_only = select_family(x, y, families=("linear", "gbt"), folds=3, seed=0, options={"gbt": FAST_OPTIONS["gbt"]})
    assert trees_only.best == "gbt"


def test_selection_is_deterministic_and_takes_a_custom_score() -> None:
    x, y = _data(80, kind="product")

    def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))

    first = select_family(x, y, families=("linear", "gbt"), folds=3, seed=2, score=rmse,
                          options={"gbt": {"n_estimators": 20}})  # fmt: skip
    again = select_family(x, y, families=("linear", "gbt"), folds=3, seed=2, score=rmse,
                          options={"gbt": {"n_estimators": 20}})  # fmt: skip
    assert first == again
    assert first.metric == "rmse"
    # The scores really are fold means of that score, for the linear family computed here by hand.
    expected = np.mean([
        rmse(y[test], fit_regressor("linear", np.delete(x, test, 0), np.delete(y, test), seed=2).predict(x[test]))
        for test in kfold_indices(80, folds=3, seed=2)
    ])  # fmt: skip
    assert first.scores["linear"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"families": ()}, "no families"),
        ({"families": ("linear", "linear")}, "repeat"),
        ({"options": {"gbt": {}}, "families": ("linear",)}, r"families not being compared: \['gbt'\]"),
        ({"folds": 1}, "folds must be an integer"),
    ],
)
def test_selection_rejects_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    x, y = _data(20)
    with pytest.raises(RegressorOptionError, match=message):
        select_family(x, y, **kwargs)


def test_selection_rejects_an_unknown_family_listing_the_known_ones() -> None:
    x, y = _data(20)
    with pytest.raises(UnknownNameError, match="unknown regressor family 'forest'; known regressor families: gbt"):
        select_family(x, y, families=("linear", "forest"))


def test_default_score_needs_positive_targets() -> None:
    x, y = _data(20)
    with pytest.raises(ValueError, match="needs every y > 0"):
        select_family(x, y - 10.0, families=("linear",))
    with pytest.raises(ValueError, match="every true value > 0"):
        mean_absolute_percentage_error(np.array([1.0, 0.0]), np.array([1.0, 1.0]))
    assert mean_absolute_percentage_error(np.array([2.0, 4.0]), np.array([1.0, 5.0])) == pytest.approx(37.5)
