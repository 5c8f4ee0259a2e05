"""`ResampleTally`: the cross-scale features of a detector, counted input by input (SpineNet blocks, NAS-FPN cells)."""

from __future__ import annotations

__all__ = ["ResampleTally"]


class ResampleTally:
    """Sums what resampled inputs deliver to their merges, and how far and which way they move.

    Attributes:
        merge_values: Values delivered to merges (at the merge's level and width).
        upsampled_values: The part of them up-sampled.
        level_steps: Levels moved, summed over inputs.
        num_upsampled: Inputs up-sampled (from a coarser level).
        num_downsampled: Inputs down-sampled (from a finer level).
    """

    def __init__(self) -> None:
        self.merge_values = self.upsampled_values = self.level_steps = 0
        self.num_upsampled = self.num_downsampled = 0

    def add_input(self, *, levels_moved: int, delivered_values: int) -> None:
        """One input of a merge, `levels_moved` = its level less the merge's (> 0: up-sampled)."""
        self.merge_values += delivered_values
        self.add_move(levels_moved, delivered_values=delivered_values)

    def add_move(self, levels_moved: int, *, delivered_values: int = 0) -> None:
        """A resampling that feeds no merge (a pooled pyramid level), or the move of a merge's input."""
        self.level_steps += abs(levels_moved)
        if levels_moved > 0:
            self.upsampled_values += delivered_values
            self.num_upsampled += 1
        elif levels_moved < 0:
            self.num_downsampled += 1
