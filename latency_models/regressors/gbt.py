"""The "gbt" family: gradient-boosted regression trees, trained by scikit-learn, predicted by numpy.

Training uses `sklearn.ensemble.GradientBoostingRegressor` (squared error),
imported on use. The fitted ensemble is exported as numbers: per tree the
arrays ``feature``, ``threshold``, ``left``, ``right`` and ``value`` (leaves
have ``feature``, ``left`` and ``right`` -1; a row goes left when
``x[feature] <= threshold``), plus the ``baseline`` (the training mean) and
the ``learning_rate``. A prediction is ``baseline + learning_rate * sum of the
leaf values the row reaches``.

Prediction evaluates trees of at most 8 leaves (the default depth of 3) with
leaf bitmasks (`gbt_masks`); deeper ones it walks, every tree for every row
at once: the trees' nodes are
concatenated into flat arrays (a leaf is its own child on both sides), and
each of ``depth`` steps moves all (row, tree) positions down one level with
numpy fancy indexing, with no Python loop over trees or rows. Features are
rounded to float32 before comparison, as scikit-learn does, because the
thresholds were chosen between float32 values; predictions then equal
scikit-learn's to rounding.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np

from .gbt_masks import LeafMasks
from ._common import (
    FORMAT_VERSION,
    check_rows,
    check_training_data,
    json_float,
    json_float_array,
    json_int_array,
    json_options,
    option_float,
    option_int,
    read_header,
)

__all__ = ["GBT_OPTIONS", "GBTRegressor", "GBTTree", "fit_gbt"]

GBT_OPTIONS: Mapping[str, Any] = {
    "n_estimators": 300,
    "max_depth": 3,
    "learning_rate": 0.05,
    "subsample": 0.8,
    "min_samples_leaf": 1,
}
"""The "gbt" family's training options and their defaults."""

_TREE_KEYS = ("feature", "threshold", "left", "right", "value")
_CHUNK_ROWS = 4096  # rows walked at once


@dataclasses.dataclass(frozen=True, eq=False)
class GBTTree:
    """One regression tree as arrays over its nodes (node 0 is the root).

    A node ``i`` is a leaf when ``left[i] == right[i] == -1`` (and ``feature[i] == -1``); otherwise a
    row goes to ``left[i]`` when ``x[feature[i]] <= threshold[i]`` and to ``right[i]`` otherwise.
    Children come after their parent (``left[i], right[i] > i``), so every walk ends at a leaf.

    Attributes:
        feature: Split feature per node, int64 (n_nodes,).
        threshold: Split threshold per node, float64 (n_nodes,).
        left: Left child per node, int64 (n_nodes,).
        right: Right child per node, int64 (n_nodes,).
        value: Output per node (used at leaves), float64 (n_nodes,).
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray

    def __post_init__(self) -> None:
        ints = {name: np.array(getattr(self, name), dtype=np.int64) for name in ("feature", "left", "right")}
        floats = {name: np.array(getattr(self, name), dtype=np.float64) for name in ("threshold", "value")}
        arrays = ints | floats
        n = arrays["feature"].shape
        if len(n) != 1 or n[0] == 0 or any(a.shape != n for a in arrays.values()):
            shapes = {name: a.shape for name, a in arrays.items()}
            raise ValueError(f"gbt tree: {', '.join(_TREE_KEYS)} must be 1-D of one non-zero length, got {shapes}")
        if not (np.isfinite(floats["threshold"]).all() and np.isfinite(floats["value"]).all()):
            raise ValueError("gbt tree: threshold and value must be finite")
        index = np.arange(n[0])
        left, right, feature = ints["left"], ints["right"], ints["feature"]
        leaf = left == -1
        if (leaf != (right == -1)).any() or (leaf != (feature == -1)).any():
            raise ValueError("gbt tree: a leaf must have feature, left and right all -1, and no other node any")
        inner = ~leaf
        if ((left[inner] <= index[inner]) | (right[inner] <= index[inner])).any() or (
            (left[inner] >= n[0]) | (right[inner] >= n[0])
        ).any():
            raise ValueError("gbt tree: a child index must be after its parent's and inside the tree")
        for name, array in arrays.items():
            array.flags.writeable = False
            object.__setattr__(self, name, array)

    @property
    def num_nodes(self) -> int:
        """The number of nodes (internal and leaves)."""
        return int(self.feature.size)

    def to_json(self) -> dict[str, list[Any]]:
        """The tree as plain JSON data: one list per array."""
        return {name: getattr(self, name).tolist() for name in _TREE_KEYS}

    @classmethod
    def from_json(cls, data: Any, *, name: str = "tree") -> Self:
        """The tree from `to_json`'s data.

        Raises:
            ValueError: Not an object with exactly the five arrays, or a malformed tree.
        """
        if not isinstance(data, Mapping) or set(data) != set(_TREE_KEYS):
            keys = sorted(data) if isinstance(data, Mapping) else type(data).__name__
            raise ValueError(f"gbt regressor JSON: {name} must be an object with keys {list(_TREE_KEYS)}, got {keys}")
        ints = {
            k: json_int_array(data[k], (None,), name=f"{name}.{k}", family="gbt") for k in ("feature", "left", "right")
        }
        floats = {
            k: json_float_array(data[k], (None,), name=f"{name}.{k}", family="gbt") for k in ("threshold", "value")
        }
        try:
            return cls(**ints, **floats)
        except ValueError as e:
            raise ValueError(f"gbt regressor JSON: {name}: {e}") from None


@dataclasses.dataclass(frozen=True, eq=False)
class GBTRegressor:
    """Gradient-boosted regression trees (family "gbt"), predicted with numpy.

    Attributes:
        num_features: The number of feature columns it reads.
        baseline: The prediction before any tree (the training mean).
        learning_rate: The factor on every tree's output.
        trees: The trees, in boosting order.
        options: The training options it was fit with (provenance only).
    """

    family: ClassVar[str] = "gbt"

    num_features: int
    baseline: float
    learning_rate: float
    trees: tuple[GBTTree, ...]
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    # Derived in __post_init__ (flat arrays over all trees' nodes).
    _roots: np.ndarray = dataclasses.field(init=False, repr=False)
    _feature: np.ndarray = dataclasses.field(init=False, repr=False)
    _threshold: np.ndarray = dataclasses.field(init=False, repr=False)
    _children: np.ndarray = dataclasses.field(init=False, repr=False)
    _value: np.ndarray = dataclasses.field(init=False, repr=False)
    _depth: int = dataclasses.field(init=False, repr=False)
    _masks: LeafMasks | None = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.num_features, bool) or not isinstance(self.num_features, int) or self.num_features < 1:
            raise ValueError(f"gbt regressor: num_features must be an integer >= 1, got {self.num_features!r}")
        if not np.isfinite(self.baseline):
            raise ValueError("gbt regressor: baseline must be finite")
        if not np.isfinite(self.learning_rate) or self.learning_rate <= 0:
            raise ValueError(f"gbt regressor: learning_rate must be > 0, got {self.learning_rate!r}")
        trees = tuple(self.trees)
        if not trees or not all(isinstance(t, GBTTree) for t in trees):
            raise ValueError("gbt regressor: trees must be a non-empty sequence of GBTTree")
        object.__setattr__(self, "trees", trees)
        object.__setattr__(self, "baseline", float(self.baseline))
        object.__setattr__(self, "learning_rate", float(self.learning_rate))
        object.__setattr__(self, "options", dict(self.options))

        sizes = np.array([t.num_nodes for t in trees])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        feature = np.concatenate([t.feature for t in trees])
        if (feature >= self.num_features).any():
            raise ValueError(f"gbt regressor: a split reads feature {int(feature.max())}, but num_features is "
                             f"{self.num_features}")  # fmt: skip
        base = np.repeat(offsets, sizes)  # each node's tree offset
        own = np.arange(base.size)
        leaf = feature == -1
        left = np.where(leaf, own, np.concatenate([t.left for t in trees]) + base)
        right = np.where(leaf, own, np.concatenate([t.right for t in trees]) + base)
        children = np.stack([left, right], axis=1).ravel()  # node i: left at 2i, right at 2i + 1
        # Steps to reach a leaf from every root: advance all positions on both sides until none moves.
        depth, frontier = 0, offsets
        while not leaf[frontier].all():
            frontier = np.unique(children[np.concatenate([2 * frontier, 2 * frontier + 1])])
            depth += 1
        derived = {
            "_roots": offsets.astype(np.intp),
            "_feature": np.where(leaf, 0, feature).astype(np.intp),
            "_threshold": np.concatenate([t.threshold for t in trees]),
            "_children": children.astype(np.intp),
            "_value": np.concatenate([t.value for t in trees]),
            "_depth": depth,
            "_masks": LeafMasks.of([(t.feature, t.threshold, t.left, t.right, t.value) for t in trees]),
        }
        for name, item in derived.items():
            if isinstance(item, np.ndarray):
                item.flags.writeable = False
            object.__setattr__(self, name, item)

    @property
    def depth(self) -> int:
        """The deepest leaf's depth over all trees (the number of walk steps a prediction takes)."""
        return self._depth

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions for rows of features.

        Args:
            x: Features, shape (n, num_features).

        Returns:
            Predictions, shape (n,).

        Raises:
            ValueError: `x` is not (n, num_features) or has a NaN or infinite value.
        """
        x32 = check_rows(x, self.num_features).astype(np.float32)
        if self._masks is not None:  # every tree has at most 8 leaves: the same leaves as the walk, faster
            return self.baseline + self.learning_rate * self._masks.leaf_value_sums(x32.astype(np.float64))
        if x32.shape[0] <= _CHUNK_ROWS:
            return self._predict_rows(x32)
        # Bounded memory: the walk holds (rows, trees) index arrays.
        return np.concatenate([self._predict_rows(x32[i : i + _CHUNK_ROWS]) for i in range(0, len(x32), _CHUNK_ROWS)])

    def _predict_rows(self, x32: np.ndarray) -> np.ndarray:
        rows = np.arange(x32.shape[0])[:, None]
        node = np.broadcast_to(self._roots, (x32.shape[0], self._roots.size))  # (rows, trees)
        for _ in range(self._depth):
            go_right = x32[rows, self._feature[node]] > self._threshold[node]
            node = self._children[2 * node + go_right]
        return self.baseline + self.learning_rate * self._value[node].sum(axis=1)

    def to_json(self) -> dict[str, Any]:
        """The regressor as plain JSON data (see `from_json`)."""
        return {
            "family": self.family,
            "version": FORMAT_VERSION,
            "num_features": self.num_features,
            "baseline": self.baseline,
            "learning_rate": self.learning_rate,
            "trees": [t.to_json() for t in self.trees],
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
            ValueError: Another family or version, a key missing or unknown, a malformed tree, or a
                split on a feature past ``num_features``.
        """
        d = read_header(data, family=cls.family, keys=("baseline", "learning_rate", "trees"), optional=("options",))
        raw_trees = data["trees"]
        if not isinstance(raw_trees, list) or not raw_trees:
            raise ValueError("gbt regressor JSON: trees must be a non-empty list")
        trees = tuple(GBTTree.from_json(t, name=f"trees[{i}]") for i, t in enumerate(raw_trees))
        learning_rate = json_float(data["learning_rate"], name="learning_rate", family=cls.family)
        if learning_rate <= 0:
            raise ValueError(f"gbt regressor JSON: learning_rate must be > 0, got {learning_rate}")
        try:
            return cls(
                num_features=d,
                baseline=json_float(data["baseline"], name="baseline", family=cls.family),
                learning_rate=learning_rate,
                trees=trees,
                options=json_options(data.get("options", {}), family=cls.family),
            )
        except ValueError as e:
            raise ValueError(f"gbt regressor JSON: {e}") from None

    @classmethod
    def from_sklearn(cls, estimator: Any, *, options: Mapping[str, Any] | None = None) -> Self:
        """Exports a fitted `sklearn.ensemble.GradientBoostingRegressor` (default ``init``).

        Args:
            estimator: The fitted estimator.
            options: Training options to record.

        Returns:
            The regressor, predicting what ``estimator.predict`` does.

        Raises:
            ValueError: The estimator uses a custom ``init`` estimator.
        """
        init = estimator.init_
        if isinstance(init, str) and init == "zero":
            baseline = 0.0
        elif hasattr(init, "constant_"):
            baseline = float(np.ravel(init.constant_)[0])
        else:
            raise ValueError(f"gbt: cannot export an init estimator of type {type(init).__name__}")
        trees = []
        for (tree_estimator,) in estimator.estimators_:
            t = tree_estimator.tree_
            leaf = t.children_left == -1
            trees.append(
                GBTTree(
                    feature=np.where(leaf, -1, t.feature),
                    threshold=np.where(leaf, 0.0, t.threshold),
                    left=np.where(leaf, -1, t.children_left),
                    right=np.where(leaf, -1, t.children_right),
                    value=t.value[:, 0, 0],
                )
            )
        return cls(
            num_features=int(estimator.n_features_in_),
            baseline=baseline,
            learning_rate=float(estimator.learning_rate),
            trees=tuple(trees),
            options=dict(options or {}),
        )


def fit_gbt(
    x: np.ndarray,
    y: np.ndarray,
    *,
    seed: int = 0,
    n_estimators: int = 300,
    max_depth: int = 3,
    learning_rate: float = 0.05,
    subsample: float = 0.8,
    min_samples_leaf: int = 1,
) -> GBTRegressor:
    """Fits gradient-boosted trees (squared error) with scikit-learn and exports them.

    Args:
        x: Features, shape (n, d).
        y: Targets, shape (n,).
        seed: The estimator's ``random_state`` (row subsampling and split ties).
        n_estimators: Number of trees (>= 1).
        max_depth: Maximum depth of each tree (>= 1).
        learning_rate: Shrinkage of each tree's output (> 0).
        subsample: Fraction of rows each tree is fit on, in (0, 1].
        min_samples_leaf: Fewest training rows in a leaf (>= 1).

    Returns:
        The fitted regressor.

    Raises:
        ValueError: Bad `x`/`y` or a bad option.
    """
    x, y = check_training_data(x, y)
    options = {
        "n_estimators": option_int(n_estimators, name="n_estimators", family="gbt", minimum=1),
        "max_depth": option_int(max_depth, name="max_depth", family="gbt", minimum=1),
        "learning_rate": option_float(
            learning_rate, name="learning_rate", family="gbt", minimum=0.0, open_minimum=True
        ),
        "subsample": option_float(
            subsample, name="subsample", family="gbt", minimum=0.0, maximum=1.0, open_minimum=True
        ),
        "min_samples_leaf": option_int(min_samples_leaf, name="min_samples_leaf", family="gbt", minimum=1),
    }
    from sklearn.ensemble import GradientBoostingRegressor  # noqa: PLC0415

    estimator = GradientBoostingRegressor(loss="squared_error", random_state=seed, **options)
    estimator.fit(x, y)
    return GBTRegressor.from_sklearn(estimator, options=options)
