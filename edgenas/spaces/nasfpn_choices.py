"""The NAS-FPN decoder's decisions as data, and the DNA encoding of its points (no PyGlove).

Paper: NAS-FPN, https://arxiv.org/abs/1904.07392. The decisions are those of
shared/spaces.md (`## nasfpn`):

- 2 intermediate cells, each choosing its level among 4, 5, 6, 7, a combine
  (`sum`, `attention`) and an unordered pair of distinct inputs among all
  earlier nodes (5 + i of them for cell i: one decision, an index into
  `itertools.combinations(range(5 + i), 2)`);
- 5 output cells, each choosing a combine and an unordered pair among all
  earlier nodes (7 + j for output cell j);
- the output cells' levels, a permutation of 3..7, encoded without duplicates
  by `MultisetPermutation` (4 decisions of 5, 4, 3 and 2 candidates: 120 orders).

Width, depth and convolution kind (`num_filters`, `num_repeats`,
`use_separable_conv`) are fixed per encoding, not searched.

Every decision is a field of the spec (a cell's level, combine, input pair; an
output cell's position in the order), so distinct DNA give distinct specs and
every valid `NasFpnSpec` of the encoding's width and depth is a point:
`num_distinct_specs == size`. Distinct specs may still build isomorphic
networks: two intermediate cells that do not read each other, swapped (and the
nodes that read them renumbered), compute the same decoder.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

from edgenas.errors import SpecError
from edgenas.spaces.choices import Choice, decision_sizes
from edgenas.spaces.spinenet_choices import MultisetPermutation, input_pairs
from edgenas.specs.nasfpn import (
    INTERMEDIATE_LEVELS,
    LEVELS,
    NUM_INPUT_NODES,
    NUM_INTERMEDIATE_CELLS,
    NUM_OUTPUT_CELLS,
    NasFpnCell,
    NasFpnCombine,
    NasFpnSpec,
    published_nasfpn,
)

__all__ = ["NasFpnEncoding"]

_COMBINES = tuple(combine.value for combine in NasFpnCombine)


@dataclasses.dataclass(frozen=True, kw_only=True)
class NasFpnEncoding:
    """The decisions of the NAS-FPN space and what its points mean, as plain data.

    A point is a dict of decision values shaped as `tree()`:
    `{"intermediate_cells": [{"level", "combine", "inputs"}] * 2,
    "output_levels": {"level3", "level4", "level5", "level6"},
    "output_cells": [{"combine", "inputs"}] * 5}`, `inputs` being an index
    into the cell's `intermediate_pairs` / `output_pairs`.

    Attributes:
        num_filters: Channels of every decoder node, for every point.
        num_repeats: Repeats of the cells, for every point.
        use_separable_conv: Separable convolutions, for every point.

    Raises:
        SpecError: On a non-positive width or repeat count, or a non-bool conv kind.
    """

    num_filters: int = 256
    num_repeats: int = 3
    use_separable_conv: bool = False

    def __post_init__(self) -> None:
        published_nasfpn(  # the published cells at these scalars: a SpecError names a bad one
            num_filters=self.num_filters, num_repeats=self.num_repeats, use_separable_conv=self.use_separable_conv
        )

    @property
    def published(self) -> NasFpnSpec:
        """The published cells at this encoding's width and depth (a point of the space)."""
        return published_nasfpn(
            num_filters=self.num_filters, num_repeats=self.num_repeats, use_separable_conv=self.use_separable_conv
        )

    @staticmethod
    def intermediate_pairs(i: int) -> tuple[tuple[int, int], ...]:
        """Candidate inputs of intermediate cell `i` (0-based): every pair of the 5 + i earlier nodes."""
        return input_pairs(0, NUM_INPUT_NODES + i)

    @staticmethod
    def output_pairs(j: int) -> tuple[tuple[int, int], ...]:
        """Candidate inputs of output cell `j` (0-based): every pair of the 7 + j earlier nodes."""
        return input_pairs(0, NUM_INPUT_NODES + NUM_INTERMEDIATE_CELLS + j)

    @functools.cached_property
    def output_level_orders(self) -> MultisetPermutation:
        """The orders of the output cells' levels (each of 3..7 once)."""
        return MultisetPermutation(tuple((level, 1) for level in LEVELS))

    def tree(self) -> dict[str, Any]:
        """The decisions as a choice tree (`edgenas.spaces.choices`)."""
        return {
            "intermediate_cells": [
                {
                    "level": Choice(INTERMEDIATE_LEVELS),
                    "combine": Choice(_COMBINES),
                    "inputs": Choice(tuple(range(len(self.intermediate_pairs(i))))),
                }
                for i in range(NUM_INTERMEDIATE_CELLS)
            ],
            "output_levels": self.output_level_orders.tree(),
            "output_cells": [
                {"combine": Choice(_COMBINES), "inputs": Choice(tuple(range(len(self.output_pairs(j)))))}
                for j in range(NUM_OUTPUT_CELLS)
            ],
        }

    @property
    def size(self) -> int:
        """Number of DNA points: the product of the decisions' candidate counts."""
        return math.prod(decision_sizes(self.tree()))

    @property
    def num_distinct_specs(self) -> int:
        """Number of distinct `NasFpnSpec`s of this width, depth and conv kind: every one is a point, of one DNA.

        Counted from the spec's rules, not from the tree: per intermediate cell
        4 levels x 2 combines x C(5 + i, 2) pairs; per output cell 2 combines x
        C(7 + j, 2) pairs; 5! orders of the output levels.
        """
        combines = len(NasFpnCombine)
        count = math.factorial(len(LEVELS))
        for i in range(NUM_INTERMEDIATE_CELLS):
            count *= len(INTERMEDIATE_LEVELS) * combines * math.comb(NUM_INPUT_NODES + i, 2)
        for j in range(NUM_OUTPUT_CELLS):
            count *= combines * math.comb(NUM_INPUT_NODES + NUM_INTERMEDIATE_CELLS + j, 2)
        return count

    def to_decoder(self, value: Any) -> NasFpnSpec:
        """The spec of a point (read by indexing: plain or PyGlove values)."""
        cells = [
            NasFpnCell(cell["level"], cell["combine"], self.intermediate_pairs(i)[cell["inputs"]], False)
            for i, cell in enumerate(value["intermediate_cells"])
        ]
        levels = self.output_level_orders.decode(value["output_levels"])
        for j, (level, cell) in enumerate(zip(levels, value["output_cells"], strict=True)):
            cells.append(NasFpnCell(level, cell["combine"], self.output_pairs(j)[cell["inputs"]], True))
        return NasFpnSpec(
            tuple(cells),
            num_filters=self.num_filters,
            num_repeats=self.num_repeats,
            use_separable_conv=self.use_separable_conv,
        )

    def from_decoder(self, spec: NasFpnSpec) -> dict[str, Any]:
        """The point of a spec (its only one).

        Raises:
            SpecError: If `spec` is not a `NasFpnSpec` of this encoding's width,
                depth and conv kind; the message names what differs.
        """
        if not isinstance(spec, NasFpnSpec):
            raise SpecError(f"the NAS-FPN space holds NasFpnSpecs, got {type(spec).__name__}")
        mine = (self.num_filters, self.num_repeats, self.use_separable_conv)
        theirs = (spec.num_filters, spec.num_repeats, spec.use_separable_conv)
        if theirs != mine:
            raise SpecError(
                "spec is not a point of this NAS-FPN space: its (num_filters, num_repeats, use_separable_conv) "
                f"are {theirs}; the space's are {mine}"
            )
        intermediate = spec.cells[:NUM_INTERMEDIATE_CELLS]
        outputs = spec.cells[NUM_INTERMEDIATE_CELLS:]
        return {
            "intermediate_cells": [
                {
                    "level": cell.level,
                    "combine": cell.combine.value,
                    "inputs": self.intermediate_pairs(i).index(cell.inputs),
                }
                for i, cell in enumerate(intermediate)
            ],
            "output_levels": self.output_level_orders.encode([cell.level for cell in outputs]),
            "output_cells": [
                {"combine": cell.combine.value, "inputs": self.output_pairs(j).index(cell.inputs)}
                for j, cell in enumerate(outputs)
            ],
        }
