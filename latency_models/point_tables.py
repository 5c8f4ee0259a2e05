"""Predicting the latency of many points of a chain space at once, from per-stage tables.

A chain space's point is a row of decision numbers (a DNA's `to_numbers()`),
and each stage of the network is chosen by its own columns of that row. A
stage's share of `network_features` (its layers' latencies, MACs, counts, ...)
depends only on its own decisions and on what the stage before it hands on
(channels and resolution). So `compile_points` enumerates, stage by stage, every
combination of the stage's decisions with every input the earlier stages can
produce, once, and stores that stage's row of feature sums and the output it
hands on. A batch of points is then predicted with a few table look-ups per
stage over the whole batch and one call of the network model: no Python loop
per point or per layer.

`PointPredictor.predict` equals `LatencyPredictor.predict_many` on the same
points up to the order of floating-point sums; `compile_points` checks that on
sampled points and refuses a space whose points do not decompose by stage.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections.abc import Callable, Sequence

import numpy as np

from edgenas.specs.arch import ArchSpec

from .errors import OutOfDomainError, PointLayoutError
from .layers import LayerFields, block_layer_fields, head_fields, layer_from_fields, stem_fields
from .predictor import NETWORK_FEATURES, LatencyPredictor

__all__ = ["PointPredictor", "StageLayout", "compile_points", "compile_space"]

_SUMS = len(NETWORK_FEATURES) - 1  # every feature but the inverse layer sum is a sum over layers
_CHECK_POINTS = 64
_CHUNK_ROWS = 1 << 14
_MAX_ENTRIES = 200_000  # per stage: a spec is built for each of its combinations
State = tuple[int, int, int]  # channels, height, width handed to the next stage


@dataclasses.dataclass(frozen=True)
class StageLayout:
    """Which decision columns of a point choose each stage.

    Attributes:
        stages: Per stage, in network order, the indices of its decision columns.
        sizes: Candidates of every decision column (the row length is `len(sizes)`).
    """

    stages: tuple[tuple[int, ...], ...]
    sizes: tuple[int, ...]

    def __post_init__(self) -> None:
        columns = [c for stage in self.stages for c in stage]
        if sorted(columns) != list(range(len(self.sizes))) or not all(self.stages):
            raise PointLayoutError(
                f"a stage layout must give every decision column 0..{len(self.sizes) - 1} to exactly one "
                f"non-empty stage, got {self.stages}"
            )
        if any(size < 1 for size in self.sizes):
            raise PointLayoutError(f"every decision needs at least one candidate, got sizes {self.sizes}")


@dataclasses.dataclass(frozen=True, eq=False)
class _StageTable:
    columns: np.ndarray  # (k,) the stage's decision columns
    radix: np.ndarray  # (k,) a combination's index is numbers[columns] @ radix
    combos: int
    rows: np.ndarray  # (inputs * combos, _SUMS) feature sums; NaN where a layer is outside the domain
    next_state: np.ndarray  # (inputs * combos,) index of the output among the next stage's inputs
    errors: dict[int, str]  # entry -> why it is outside the domain


class PointPredictor:
    """A `LatencyPredictor` compiled for the points of one chain space at one input shape (see the module docstring).

    Built by `compile_points`.
    """

    def __init__(
        self,
        *,
        predictor: LatencyPredictor,
        layout: StageLayout,
        tables: Sequence[_StageTable],
        head_rows: np.ndarray,
        head_errors: dict[int, str],
    ) -> None:
        self.predictor = predictor
        self.layout = layout
        self._tables = tuple(tables)
        self._head_rows = head_rows
        self._head_errors = head_errors
        self._sizes = np.array(layout.sizes, dtype=np.int64)

    def predict(self, numbers: np.ndarray, *, outside: str = "raise") -> np.ndarray:
        """Predicted latencies in ms, one per row of decision numbers.

        Args:
            numbers: Integer array (points, decisions): each row a point's DNA numbers.
            outside: What a point with a layer outside the predictor's domain gets: "raise" (an error
                naming the point) or "nan".

        Raises:
            ValueError: Not a 2-D integer array of the layout's width, a number outside its decision's candidates,
                or an unknown `outside`.
            OutOfDomainError: A point is outside the domain and `outside` is "raise".
        """
        if outside not in ("raise", "nan"):
            raise ValueError(f"outside must be 'raise' or 'nan', got {outside!r}")
        points = self._check(numbers)
        out = np.empty(points.shape[0])
        for start in range(0, points.shape[0], _CHUNK_ROWS):
            rows = self._features(points[start : start + _CHUNK_ROWS], start, raise_outside=outside == "raise")
            inside = ~np.isnan(rows[:, 0])
            chunk = out[start : start + _CHUNK_ROWS]
            if inside.all():
                chunk[:] = rows[:, 0] * np.maximum(self.predictor.network_model.predict(rows), 0.0)
            else:
                chunk[:] = np.nan
                kept = rows[inside]
                chunk[inside] = kept[:, 0] * np.maximum(self.predictor.network_model.predict(kept), 0.0)
        return out

    def features(self, numbers: np.ndarray) -> np.ndarray:
        """The network model's inputs (`NETWORK_FEATURES` order), one row per point (see `predict`).

        Raises:
            OutOfDomainError: A point is outside the predictor's domain.
        """
        return self._features(self._check(numbers), 0, raise_outside=True)

    def fastest_layer_sum(self) -> np.ndarray:
        """The decision numbers of a point whose layers' summed latency (`layer_sum_ms`) is the least of the
        space (exact: a shortest path through the stage tables; points outside the domain are skipped).

        Raises:
            OutOfDomainError: Every point is outside the domain.
        """
        cost = np.zeros(1)
        choices = []  # per stage: for each output state, the (input state, combination) reaching it cheapest
        for table in self._tables:
            total = (cost[:, None] + table.rows[:, 0].reshape(cost.size, table.combos)).ravel()
            states = int(table.next_state.max()) + 1
            best = np.full(states, np.inf)
            arg = np.full(states, -1)
            for entry in np.argsort(total, kind="stable"):
                target = table.next_state[entry]
                if np.isfinite(total[entry]) and arg[target] < 0:
                    best[target], arg[target] = total[entry], entry
            choices.append(arg)
            cost = best
        cost = cost + self._head_rows[:, 0]
        if not np.isfinite(cost).any():
            raise OutOfDomainError("every point of the space has a layer outside the predictor's domain")
        state = int(np.nanargmin(np.where(np.isfinite(cost), cost, np.nan)))
        numbers = np.zeros(len(self.layout.sizes), dtype=np.int64)
        for table, arg in zip(reversed(self._tables), reversed(choices), strict=True):
            entry = int(arg[state])
            state, combo = divmod(entry, table.combos)
            numbers[table.columns] = (combo // table.radix) % (np.array([self.layout.sizes[c] for c in table.columns]))
        return numbers

    def _check(self, numbers: np.ndarray) -> np.ndarray:
        points = np.asarray(numbers)
        if points.ndim != 2 or points.shape[1] != self._sizes.size:
            raise ValueError(f"points must be a 2-D array (points, {self._sizes.size}), got shape {points.shape}")
        if not np.issubdtype(points.dtype, np.integer):
            raise ValueError(f"points must hold integer decision numbers, got {points.dtype}")
        if points.shape[0] and ((points.min(axis=0) < 0).any() or (points.max(axis=0) >= self._sizes).any()):
            row, column = (int(v) for v in np.argwhere((points < 0) | (points >= self._sizes))[0])
            raise ValueError(f"point {row}: decision {column} is {int(points[row, column])}, outside "
                             f"0..{int(self._sizes[column]) - 1}")  # fmt: skip
        return points  # any integer type: the look-ups below compute in int64

    def _features(self, points: np.ndarray, offset: int, *, raise_outside: bool) -> np.ndarray:
        n = points.shape[0]
        state = np.zeros(n, dtype=np.int64)
        sums = np.zeros((n, _SUMS))
        for table in self._tables:
            entry = state * table.combos + points[:, table.columns] @ table.radix
            sums += table.rows[entry]
            state = table.next_state[entry]
        sums += self._head_rows[state]
        bad = np.isnan(sums[:, 0])
        if raise_outside and bad.any():
            raise OutOfDomainError(f"point {offset + int(np.argmax(bad))}: {self._why(points[int(np.argmax(bad))])}")
        total = sums[:, 0]
        inverse = np.divide(1.0, total, out=np.zeros(n), where=total > 0)
        return np.concatenate([sums, inverse[:, None]], axis=1)

    def _why(self, point: np.ndarray) -> str:
        state = 0
        for index, table in enumerate(self._tables):
            entry = state * table.combos + int(point[table.columns] @ table.radix)
            if entry in table.errors:
                return f"stage {index}: {table.errors[entry]}"
            state = int(table.next_state[entry])
        return f"head: {self._head_errors.get(state, 'outside the domain')}"


def compile_points(
    predictor: LatencyPredictor,
    layout: StageLayout,
    spec_of: Callable[[list[int]], object],
    *,
    input_shape: tuple[int, int, int] = (224, 224, 3),
    num_classes: int = 1000,
    check_points: int = _CHECK_POINTS,
    seed: int = 0,
) -> PointPredictor:
    """Compiles `predictor` for the points of a chain space (see the module docstring).

    Args:
        predictor: The predictor.
        layout: The decision columns of each stage.
        spec_of: A point's spec from its decision numbers (`SearchSpace.spec_from_numbers`).
        input_shape: The input shape predicted at (one the predictor was trained at).
        num_classes: The class count predicted with.
        check_points: Random points on which the tables must agree with `predictor.predict_many`.
        seed: Seed of those points.

    Returns:
        The compiled predictor.

    Raises:
        PointLayoutError: The points are not `ArchSpec`s, or a stage's decisions change another stage (or the
            stem, head or activation), or the tables disagree with the predictor.
        OutOfDomainError: The input shape or class count is not the predictor's.
    """
    shape = predictor.check_setting(input_shape=input_shape, num_classes=num_classes)
    base = _spec(spec_of, [0] * len(layout.sizes))
    if len(base.blocks) != len(layout.stages):
        raise PointLayoutError(f"the layout has {len(layout.stages)} stages, the points {len(base.blocks)} blocks")
    height, width, _ = shape
    states: list[State] = [(base.stem_filters, -(-height // 2), -(-width // 2))]
    (stem_row,) = predictor.layer_rows([stem_fields(base, input_shape=shape)])  # type: ignore[arg-type]
    tables = []
    for index, columns in enumerate(layout.stages):
        table, states = _stage_table(predictor, layout, spec_of, base, index, columns, states)
        tables.append(table)
    first = tables[0]
    first.rows[: first.combos] += np.array(stem_row)  # the stem joins the first stage (its only input)
    heads = [head_fields(base, state, num_classes=num_classes) for state in states]
    head_rows, head_errors = _rows_of(predictor, [[h] for h in heads])
    compiled = PointPredictor(predictor=predictor, layout=layout, tables=tables, head_rows=head_rows,
                              head_errors=head_errors)  # fmt: skip
    _check_against(compiled, predictor, layout, spec_of, shape, num_classes, check_points, seed)
    return compiled


def _spec(spec_of: Callable[[list[int]], object], numbers: list[int]) -> ArchSpec:
    spec = spec_of(numbers)
    if not isinstance(spec, ArchSpec):
        raise PointLayoutError(f"points compile only for chain networks (ArchSpec), not {type(spec).__name__}")
    return spec


def _stage_table(
    predictor: LatencyPredictor,
    layout: StageLayout,
    spec_of: Callable[[list[int]], object],
    base: ArchSpec,
    index: int,
    columns: tuple[int, ...],
    inputs: list[State],
) -> tuple[_StageTable, list[State]]:
    sizes = [layout.sizes[c] for c in columns]
    combos = int(np.prod(sizes)) * len(inputs)
    if combos > _MAX_ENTRIES:
        raise PointLayoutError(f"stage {index} has {combos:,} combinations of its decisions and inputs; more than "
                               f"{_MAX_ENTRIES:,} are not tabulated")  # fmt: skip
    radix = np.ones(len(columns), dtype=np.int64)
    for i in range(len(columns) - 2, -1, -1):  # the last column varies fastest, as in itertools.product
        radix[i] = radix[i + 1] * sizes[i + 1]
    blocks = []
    for choice in itertools.product(*(range(s) for s in sizes)):
        numbers = [0] * len(layout.sizes)
        for column, number in zip(columns, choice, strict=True):
            numbers[column] = number
        spec = _spec(spec_of, numbers)
        _check_stage_only(spec, base, index)
        block = spec.blocks[index]
        blocks.append((block, spec.activation_of(block).value))
    outputs: dict[State, int] = {}
    entries, next_state = [], []
    for state in inputs:
        for block, activation in blocks:
            fields, out = block_layer_fields(block, activation, state)
            entries.append(fields)
            next_state.append(outputs.setdefault(out, len(outputs)))
    rows, errors = _rows_of(predictor, entries)
    table = _StageTable(np.array(columns, dtype=np.int64), radix, len(blocks), rows,
                        np.array(next_state, dtype=np.int64), errors)  # fmt: skip
    return table, list(outputs)


def _check_stage_only(spec: ArchSpec, base: ArchSpec, index: int) -> None:
    others = [b for i, b in enumerate(spec.blocks) if i != index]
    if (others != [b for i, b in enumerate(base.blocks) if i != index]
            or (spec.stem_filters, spec.head_filters, spec.activation)
            != (base.stem_filters, base.head_filters, base.activation)):  # fmt: skip
        raise PointLayoutError(f"stage {index}'s decisions change more than its own block; the points do not "
                               "decompose by stage")  # fmt: skip


def _rows_of(predictor: LatencyPredictor, entries: list[list[LayerFields]]) -> tuple[np.ndarray, dict[int, str]]:
    """Each entry's feature sums over its layers (NaN, with the reason, where a layer is outside the domain)."""
    distinct = list(dict.fromkeys(f for fields in entries for f in fields))
    why: dict[LayerFields, str] = {}
    for fields in distinct:
        try:
            predictor.domain.check(layer_from_fields(fields))
        except OutOfDomainError as error:
            why[fields] = str(error)
    inside = [f for f in distinct if f not in why]
    known = {f: np.array(row) for f, row in zip(inside, predictor.layer_rows(inside), strict=True)}
    rows = np.zeros((len(entries), _SUMS))
    errors: dict[int, str] = {}
    for i, fields in enumerate(entries):
        outside = [why[f] for f in fields if f in why]
        if outside:
            rows[i] = np.nan
            errors[i] = outside[0]
        else:
            for f in fields:
                rows[i] += known[f]
    return rows, errors


def _check_against(
    compiled: PointPredictor,
    predictor: LatencyPredictor,
    layout: StageLayout,
    spec_of: Callable[[list[int]], object],
    shape: tuple[int, int, int],
    num_classes: int,
    count: int,
    seed: int,
) -> None:
    rng = random.Random(seed)
    points, specs = [], []
    for _ in range(count * 4):
        if len(points) == count:
            break
        numbers = [rng.randrange(size) for size in layout.sizes]
        spec = _spec(spec_of, numbers)
        try:
            predictor.features(spec, input_shape=shape, num_classes=num_classes)
        except OutOfDomainError:
            continue
        points.append(numbers)
        specs.append(spec)
    if not points:
        return
    want = predictor.predict_many(specs, input_shape=shape, num_classes=num_classes)
    got = compiled.predict(np.array(points))
    if not np.allclose(got, want, rtol=1e-9, atol=0.0):
        worst = int(np.argmax(np.abs(got / want - 1)))
        raise PointLayoutError(f"the stage tables predict {got[worst]:.6g} ms for {specs[worst]}, the predictor "
                               f"{want[worst]:.6g} ms; the points do not decompose by stage")  # fmt: skip


def compile_space(
    predictor: LatencyPredictor,
    space: object,
    *,
    input_shape: tuple[int, int, int] = (224, 224, 3),
    num_classes: int = 1000,
) -> PointPredictor:
    """`compile_points` for an `edgenas.spaces.SearchSpace` (its `stage_columns`, `decision_sizes` and
    `spec_from_numbers`).

    Raises:
        PointLayoutError: The space's points are not lists of stages of a chain network.
        OutOfDomainError: The input shape or class count is not the predictor's.
    """
    stages = space.stage_columns()  # type: ignore[attr-defined]
    if stages is None:
        raise PointLayoutError(f"the decisions of space {space.name!r} do not group by stage")  # type: ignore[attr-defined]
    layout = StageLayout(stages, space.decision_sizes())  # type: ignore[attr-defined]
    return compile_points(predictor, layout, space.spec_from_numbers, input_shape=input_shape,  # type: ignore[attr-defined]
                          num_classes=num_classes)  # fmt: skip
