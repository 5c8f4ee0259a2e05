"""Tests of latency_models/regressors/gbt_masks.py: leaf bitmasks reach the leaves the tree walk reaches."""

from __future__ import annotations

import numpy as np
import pytest

from latency_models.regressors import fit_regressor
from latency_models.regressors.gbt import GBTRegressor, GBTTree
from latency_models.regressors.gbt_masks import MAX_LEAVES, LeafMasks


def _walked(model: GBTRegressor, x: np.ndarray) -> np.ndarray:
    """The prediction of the level-by-level walk (the masks switched off on a copy)."""
    copy = GBTRegressor(model.num_features, model.baseline, model.learning_rate, model.trees)
    object.__setattr__(copy, "_masks", None)
    return copy.predict(x)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_masks_give_the_walks_predictions_to_the_last_bit(depth: int) -> None:
    rng = np.random.default_rng(depth)
    x = rng.standard_normal((300, 6))
    y = x[:, 0] ** 2 + np.sin(3 * x[:, 1]) + 0.5 * x[:, 2] * x[:, 3] + 0.05 * rng.standard_normal(300)
    model = fit_regressor("gbt", x, y, seed=0, max_depth=depth, n_estimators=120)
    assert model._masks is not None
    fresh = rng.standard_normal((3000, 6))
    fresh[:300] = x  # the training rows sit right beside the thresholds (midpoints between their values)
    for rows in (1, 5, 63, 64, 65, 1024, 1025, 3000):  # both the few-rows search and the per-feature chunks
        np.testing.assert_array_equal(model.predict(fresh[:rows]), _walked(model, fresh[:rows]))


def test_a_value_equal_to_a_threshold_goes_left() -> None:
    # Root: x0 <= 0.5 ? (x1 <= -1 ? 1 : 2) : (x0 <= 2 ? 3 : 4); a second tree on x1 alone.
    first = GBTTree(feature=[0, 1, -1, -1, 0, -1, -1], threshold=[0.5, -1.0, 0, 0, 2.0, 0, 0],
                    left=[1, 2, -1, -1, 5, -1, -1], right=[4, 3, -1, -1, 6, -1, -1],
                    value=[0, 1.0, 1.0, 2.0, 0, 3.0, 4.0])  # fmt: skip
    second = GBTTree(feature=[1, -1, -1], threshold=[0.25, 0, 0], left=[1, -1, -1], right=[2, -1, -1],
                     value=[0, 10.0, 20.0])  # fmt: skip
    model = GBTRegressor(2, 0.0, 1.0, (first, second))
    x = np.array([[0.5, -1.0], [0.5, 0.25], [0.75, 0.3], [2.0, -5.0], [2.5, 0.25], [-3.0, -0.999]])
    expected = [1 + 10, 2 + 10, 3 + 20, 3 + 10, 4 + 10, 2 + 10]
    np.testing.assert_array_equal(model.predict(x), expected)
    np.testing.assert_array_equal(model.predict(np.repeat(x, 20, axis=0)), np.repeat(expected, 20))


def test_trees_with_more_leaves_than_a_byte_holds_are_walked() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 4))
    model = fit_regressor("gbt", x, x[:, 0] * x[:, 1] + x[:, 2], seed=0, max_depth=4, n_estimators=30)
    assert max(int((t.feature == -1).sum()) for t in model.trees) > MAX_LEAVES
    assert model._masks is None
    assert np.isfinite(model.predict(x)).all()


def test_a_lone_leaf_tree_is_its_value() -> None:
    masks = LeafMasks.of([(np.array([-1]), np.array([0.0]), np.array([-1]), np.array([-1]), np.array([7.5]))])
    assert masks is not None
    np.testing.assert_array_equal(masks.leaf_value_sums(np.zeros((3, 2))), [7.5, 7.5, 7.5])
    np.testing.assert_array_equal(masks.leaf_value_sums(np.zeros((100, 2))), np.full(100, 7.5))
