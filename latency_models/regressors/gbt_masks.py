"""Evaluating many small regression trees over a batch with leaf bitmasks instead of walking them.

Number each tree's leaves from left to right; a tree has at most 8 here, so
a byte holds one bit per leaf. A split node that a row passes to the right
rules out every leaf of its left subtree, and the leaf the row reaches is the
leftmost one no such node rules out (the idea of QuickScorer, Lucchese et al.,
SIGIR 2015). Which nodes of a feature send a row right depends only on how
many of that feature's thresholds lie below the row's value, so for each
feature and each such count the AND of the ruled-out masks over all trees is
tabulated once. A batch then costs, per feature, one binary search and one
row-gather of bytes; one AND per feature and tree; and one look-up of each
tree's value by its final mask (a handful of rows instead take one search
and one gather over all features together). That is several times cheaper in numpy than
moving every (row, tree) position down the trees level by level, and gives
the same leaves, so the same predictions to the last bit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

__all__ = ["LeafMasks", "MAX_LEAVES"]

MAX_LEAVES = 8
"""Most leaves per tree this evaluator takes (one bit each in a byte)."""

_CHUNK_ROWS = 1024  # rows per step: their (rows, trees) arrays stay in the cache
_FEW_ROWS = 64  # fewer rows take one search over all features at once


@dataclasses.dataclass(frozen=True, eq=False)
class LeafMasks:
    """The tables of the leaf-mask evaluation of an ensemble (see the module docstring).

    Attributes:
        features: Per used feature: its column, its sorted distinct thresholds, and (thresholds + 1, trees)
            uint8 masks: row b is the AND over all nodes of that feature with one of the b lowest thresholds.
        leaf_values: (trees * 256,) float64: tree t's value for final mask m at t * 256 + m.
    """

    features: tuple[tuple[int, np.ndarray, np.ndarray], ...]
    leaf_values: np.ndarray

    # Derived: every feature's thresholds as one sorted array of (column + 1j * threshold), and the masks stacked,
    # so that a few rows take one search and one gather in all (a search per feature costs more there).
    _columns: np.ndarray = dataclasses.field(init=False, repr=False)
    _keys: np.ndarray = dataclasses.field(init=False, repr=False)
    _stacked: np.ndarray = dataclasses.field(init=False, repr=False)
    _base: np.ndarray = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        columns = np.array([column for column, _, _ in self.features], dtype=np.intp)
        keys = np.concatenate([column + 1j * thresholds for column, thresholds, _ in self.features] or [np.zeros(0)])
        stacked = (np.concatenate([cumulative for _, _, cumulative in self.features]) if self.features
                   else np.full((1, self.leaf_values.size // 256), 0xFF, dtype=np.uint8))  # fmt: skip
        base = np.arange(self.leaf_values.size // 256, dtype=np.intp) * 256
        for name, value in (("_columns", columns), ("_keys", keys), ("_stacked", stacked), ("_base", base)):
            object.__setattr__(self, name, value)

    @classmethod
    def of(
        cls,
        trees: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    ) -> LeafMasks | None:
        """The tables of `trees` (each: feature, threshold, left, right, value over its nodes; leaves have -1
        children); None when a tree has more than `MAX_LEAVES` leaves."""
        nodes: dict[int, list[tuple[float, int, int]]] = {}  # feature -> (threshold, tree, ruled-out mask)
        values = np.zeros((len(trees), 256))
        for t, (feature, threshold, left, right, value) in enumerate(trees):
            order: list[int] = []  # leaves, left to right
            spans: dict[int, tuple[int, int]] = {}  # node -> [first, end) of its leaves

            def visit(node: int, left=left, right=right, order=order, spans=spans) -> None:
                first = len(order)
                if left[node] == -1:
                    order.append(node)
                else:
                    visit(int(left[node]))
                    visit(int(right[node]))
                spans[node] = (first, len(order))

            visit(0)
            if len(order) > MAX_LEAVES:
                return None
            for node in spans:
                if left[node] != -1:
                    left_first, left_end = spans[int(left[node])]
                    ruled_out = ((1 << left_end) - 1) ^ ((1 << left_first) - 1)
                    nodes.setdefault(int(feature[node]), []).append((float(threshold[node]), t, 0xFF & ~ruled_out))
            masks = np.arange(256)
            lowest = np.zeros(256, dtype=np.int64)  # the leftmost leaf left in each mask
            for bit in range(MAX_LEAVES - 1, -1, -1):
                lowest[(masks >> bit) & 1 == 1] = bit
            leaf_of_mask = np.array(order)[np.minimum(lowest, len(order) - 1)]
            values[t] = value[leaf_of_mask]
        features = []
        for column, items in sorted(nodes.items()):
            thresholds = np.unique(np.array([threshold for threshold, _, _ in items]))
            steps = np.full((thresholds.size, len(trees)), 0xFF, dtype=np.uint8)
            for threshold, t, mask in items:
                steps[np.searchsorted(thresholds, threshold), t] &= mask
            cumulative = np.vstack([np.full((1, len(trees)), 0xFF, dtype=np.uint8),
                                    np.bitwise_and.accumulate(steps, axis=0)])  # fmt: skip
            features.append((column, thresholds, cumulative))
        return cls(tuple(features), values.ravel())

    def leaf_value_sums(self, x: np.ndarray) -> np.ndarray:
        """Per row of `x` (float values compared with the thresholds), the sum over trees of the leaf values
        it reaches, summed in tree order."""
        if x.shape[0] < _FEW_ROWS:
            return self._few_rows(x)
        out = np.empty(x.shape[0])
        for start in range(0, x.shape[0], _CHUNK_ROWS):
            rows = x[start : start + _CHUNK_ROWS]
            mask = np.full((rows.shape[0], self._base.size), 0xFF, dtype=np.uint8)
            for column, thresholds, cumulative in self.features:
                mask &= cumulative[np.searchsorted(thresholds, rows[:, column], side="left")]
            out[start : start + _CHUNK_ROWS] = self.leaf_values.take(mask + self._base).sum(axis=1)
        return out

    def _few_rows(self, x: np.ndarray) -> np.ndarray:
        if not self.features:
            mask = np.broadcast_to(self._stacked[0], (x.shape[0], self._base.size))
        else:  # feature i's count of thresholds below v, plus i, is its row of the stacked masks
            queries = self._columns + 1j * x[:, self._columns]
            rows = np.searchsorted(self._keys, queries, side="left") + np.arange(self._columns.size)
            mask = np.bitwise_and.reduce(self._stacked[rows], axis=1)
        return self.leaf_values.take(mask + self._base).sum(axis=1)
