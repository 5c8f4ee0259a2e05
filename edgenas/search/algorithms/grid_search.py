"""Grid search: every point of a small space, once, in PyGlove's sweeping order."""

from __future__ import annotations

import pyglove as pg

from edgenas.search.algorithms.errors import SpaceTooLargeError

__all__ = ["DEFAULT_MAX_GRID_POINTS", "GridSearch", "check_grid_size"]

DEFAULT_MAX_GRID_POINTS = 1_000_000
"""Largest space grid search accepts by default."""


def check_grid_size(space_size: int, *, max_points: int) -> None:
    """Raises if a space is too large (or infinite, size -1) to enumerate.

    Raises:
        SpaceTooLargeError: If `space_size` is -1 or above `max_points`.
    """
    if space_size == -1:
        raise SpaceTooLargeError(
            "grid search needs a finite space; this one has continuous decisions (pg.floatv)"
        )
    if space_size > max_points:
        raise SpaceTooLargeError(
            f"grid search would enumerate {space_size:,} points, more than max_points={max_points:,}; "
            "use 'surrogate_evolution' (the default), 'tpe' or 'evolution' for a space this large"
        )


@pg.members(
    [
        (
            "max_points",
            pg.typing.Int(min_value=1, default=DEFAULT_MAX_GRID_POINTS),
            "Largest space it agrees to enumerate.",
        ),
    ],
    init_arg_list=[],
)
class GridSearch(pg.geno.Sweeping):
    """`pg.geno.Sweeping` that refuses spaces larger than `max_points` at setup.

    Proposes each DNA of the space exactly once, then raises `StopIteration`
    (which ends `pg.sample` and iteration). Ignores feedback; deterministic.
    """

    def _setup(self) -> None:
        check_grid_size(int(self.dna_spec.space_size), max_points=self.max_points)
        super()._setup()
