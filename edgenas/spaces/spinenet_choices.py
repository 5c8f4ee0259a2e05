"""The SpineNet spaces as data: choices, the DNA encoding of their points, and factories (no PyGlove).

The spaces, their encoding and its counting are described in
`edgenas.spaces.spinenet`, which makes the PyGlove `SpineNetSpace` of a
`SpineNetEncoding`; `SpineNetSpaceFactory.describe` gives what `edgenas spaces`
lists about a space without building it.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import types
from collections.abc import Mapping, Sequence
from typing import Any

from edgenas.errors import SpecError, UnknownNameError
from edgenas.spaces.choices import Choice, has_point
from edgenas.spaces.space_info import SpaceInfo
from edgenas.specs import SpineNetBlockFn, SpineNetBlockSpec, SpineNetFamily, SpineNetSpec
from edgenas.specs.enums import coerce_enum
from edgenas.specs.spinenet_arch import NUM_STEM_BLOCKS
from edgenas.specs.spinenet_block import MAX_BLOCK_LEVEL, MIN_BLOCK_LEVEL
from edgenas.specs.spinenet_references import SCALINGS, SpineNetScaling, spinenet_reference

__all__ = [
    "FACTORIES",
    "MultisetPermutation",
    "SPINENET_CHOICES",
    "SpineNetChoices",
    "SpineNetEncoding",
    "SpineNetSpaceFactory",
    "count_level_sequences",
    "input_pairs",
]


@functools.cache
def _combinations(n: int, k: int) -> tuple[tuple[int, ...], ...]:
    return tuple(itertools.combinations(range(n), k))


@functools.cache
def _combination_index(n: int, k: int) -> Mapping[tuple[int, ...], int]:
    return {combo: rank for rank, combo in enumerate(_combinations(n, k))}


def input_pairs(first: int, stop: int) -> tuple[tuple[int, int], ...]:
    """The candidate input pairs of a block that may read blocks `first..stop-1`, in rank order."""
    return tuple((first + a, first + b) for a, b in _combinations(stop - first, 2))


@dataclasses.dataclass(frozen=True)
class MultisetPermutation:
    """Orders of a multiset of levels as categorical decisions, one DNA per distinct order.

    For each level but the last (ascending), one decision `level{L}` picks the
    positions, among those not yet taken, that hold level L: its value is an
    index into `itertools.combinations(range(free), count)`. The last level fills
    the positions left.

    Attributes:
        counts: `(level, count)` pairs, levels strictly ascending, counts positive.
    """

    counts: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        levels = [level for level, _ in self.counts]
        if not self.counts or levels != sorted(set(levels)) or any(c < 1 for _, c in self.counts):
            raise ValueError(
                f"counts must be (level, positive count) pairs in ascending level order, got {self.counts}"
            )

    @property
    def length(self) -> int:
        """Number of positions."""
        return sum(count for _, count in self.counts)

    @property
    def size(self) -> int:
        """Number of distinct orders: n! / prod(count!)."""
        size = math.factorial(self.length)
        for _, count in self.counts:
            size //= math.factorial(count)
        return size

    def _steps(self) -> list[tuple[int, int, int]]:
        """(level, count, free positions before it) of each decided level."""
        steps, free = [], self.length
        for level, count in self.counts[:-1]:
            steps.append((level, count, free))
            free -= count
        return steps

    def tree(self) -> dict[str, Choice]:
        """The decisions as a choice tree: `level{L}` -> a `Choice` among combination indices."""
        return {f"level{level}": Choice(tuple(range(math.comb(free, count)))) for level, count, free in self._steps()}

    def hyper(self) -> Any:
        """The decisions as a PyGlove dict (`level{L}` -> `pg.oneof`; imports PyGlove)."""
        from edgenas.spaces.search_space import hyper_of  # noqa: PLC0415  (only building needs PyGlove)

        return hyper_of(self.tree())

    def decode(self, ranks: Mapping[str, int]) -> tuple[int, ...]:
        """The order of levels a (materialised) decision dict stands for."""
        order: list[int | None] = [None] * self.length
        free = list(range(self.length))
        for level, count, n in self._steps():
            chosen = {free[i] for i in _combinations(n, count)[ranks[f"level{level}"]]}
            for position in chosen:
                order[position] = level
            free = [p for p in free if p not in chosen]
        for position in free:
            order[position] = self.counts[-1][0]
        return tuple(order)  # type: ignore[arg-type]

    def encode(self, order: Sequence[int]) -> dict[str, int]:
        """The decision dict of an order.

        Raises:
            ValueError: If `order` is not a permutation of the multiset.
        """
        expected = sorted(level for level, count in self.counts for _ in range(count))
        if sorted(order) != expected:
            raise ValueError(f"{tuple(order)} is not an order of the levels {tuple(expected)}")
        ranks, free = {}, list(range(self.length))
        for level, count, n in self._steps():
            indices = tuple(i for i, position in enumerate(free) if order[position] == level)
            ranks[f"level{level}"] = _combination_index(n, count)[indices]
            free = [p for p in free if order[p] != level]
        return ranks


def _feasible(levels: Sequence[int], bases: Sequence[int], offsets: frozenset[int]) -> bool:
    """Whether the levels can be matched one-to-one to the bases with level - base in offsets."""
    match: dict[int, int] = {}  # base position -> level position

    def augment(i: int, seen: set[int]) -> bool:
        for j, base in enumerate(bases):
            if j in seen or levels[i] - base not in offsets:
                continue
            seen.add(j)
            if j not in match or augment(match[j], seen):
                match[j] = i
                return True
        return False

    return all(augment(i, set()) for i in range(len(levels)))


def count_level_sequences(allocation: Sequence[tuple[int, int]], offsets: Sequence[int]) -> int:
    """Distinct level sequences "a permutation of the allocation, plus one offset per position" gives.

    A sequence is reachable exactly when its multiset of levels can be matched to
    the multiset of base levels with every difference among the offsets (the
    order is then free), so this sums the multinomial counts of the feasible
    level multisets.
    """
    bases = [level for level, count in allocation for _ in range(count)]
    offset_set = frozenset(offsets)
    lowest, highest = min(bases) + min(offsets), max(bases) + max(offsets)
    total = 0
    for levels in itertools.combinations_with_replacement(range(lowest, highest + 1), len(bases)):
        if _feasible(levels, bases, offset_set):
            arrangements = math.factorial(len(levels))
            for level in set(levels):
                arrangements //= math.factorial(levels.count(level))
            total += arrangements
    return total


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpineNetChoices:
    """The choices of a SpineNet space (one row of the table in the module docstring).

    Attributes:
        intermediate_allocation: `(base level, count)` of the intermediate blocks, ascending.
        level_offsets: The offsets an intermediate block may add to its base level.
        block_fns: The block functions every block chooses among.
        search_window: How many previous blocks an intermediate block may read.
        min_level: Lowest output level.
        max_level: Highest output level.
    """

    intermediate_allocation: tuple[tuple[int, int], ...]
    level_offsets: tuple[int, ...]
    block_fns: tuple[SpineNetBlockFn, ...]
    search_window: int = 4
    min_level: int = 3
    max_level: int = 7

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "block_fns", tuple(coerce_enum(SpineNetBlockFn, fn, field="block_fn") for fn in self.block_fns)
        )
        MultisetPermutation(self.intermediate_allocation)  # validates the allocation
        if not self.level_offsets or len(set(self.level_offsets)) != len(self.level_offsets):
            raise SpecError(f"level_offsets must be distinct, got {self.level_offsets}")
        if not self.block_fns or len(set(self.block_fns)) != len(self.block_fns):
            raise SpecError(f"block_fns must be distinct, got {self.block_fns}")
        if self.search_window < 2:
            raise SpecError(f"search_window must be at least 2, got {self.search_window}")
        bases = [level for level, _ in self.intermediate_allocation]
        lowest, highest = min(bases) + min(self.level_offsets), max(bases) + max(self.level_offsets)
        if lowest < MIN_BLOCK_LEVEL or highest > MAX_BLOCK_LEVEL:
            raise SpecError(
                f"allocation and offsets reach levels {lowest}..{highest}; blocks exist at "
                f"{MIN_BLOCK_LEVEL}..{MAX_BLOCK_LEVEL}"
            )

    @property
    def num_intermediate(self) -> int:
        """Number of intermediate blocks."""
        return sum(count for _, count in self.intermediate_allocation)

    @property
    def output_levels(self) -> tuple[int, ...]:
        """The output levels, ascending."""
        return tuple(range(self.min_level, self.max_level + 1))

    def intermediate_pairs(self, i: int) -> tuple[tuple[int, int], ...]:
        """Candidate inputs of intermediate block `i` (0-based): the previous `search_window` blocks."""
        stop = NUM_STEM_BLOCKS + i
        return input_pairs(max(0, stop - self.search_window), stop)

    def output_pairs(self, j: int) -> tuple[tuple[int, int], ...]:
        """Candidate inputs of output block `j` (0-based): every earlier block."""
        return input_pairs(0, NUM_STEM_BLOCKS + self.num_intermediate + j)

    @property
    def level_orders(self) -> MultisetPermutation:
        """The orders of the intermediate blocks' base levels."""
        return MultisetPermutation(self.intermediate_allocation)

    @property
    def output_level_orders(self) -> MultisetPermutation:
        """The orders of the output blocks' levels."""
        return MultisetPermutation(tuple((level, 1) for level in self.output_levels))

    def tree(self) -> dict[str, Any]:
        """The decisions as a choice tree (see the module docstring of `edgenas.spaces.spinenet`).

        A decision with a single candidate (the first block's inputs, a single
        `block_fn`) is a fixed value, not a decision.
        """
        fns = [fn.value for fn in self.block_fns]
        return {
            "intermediate_levels": self.level_orders.tree(),
            "intermediate_blocks": [
                {
                    "level_offset": _choice(self.level_offsets),
                    "block_fn": _choice(fns),
                    "input_offsets": _choice(range(len(self.intermediate_pairs(i)))),
                }
                for i in range(self.num_intermediate)
            ],
            "output_levels": self.output_level_orders.tree(),
            "output_blocks": [
                {"block_fn": _choice(fns), "input_offsets": _choice(range(len(self.output_pairs(j))))}
                for j in range(len(self.output_levels))
            ],
        }


SPINENET_CHOICES: Mapping[str, SpineNetChoices] = types.MappingProxyType(
    {
        "spinenet": SpineNetChoices(
            intermediate_allocation=((2, 1), (3, 3), (4, 5), (5, 2)),
            level_offsets=(-1, 0, 1, 2),
            block_fns=(SpineNetBlockFn.RESIDUAL, SpineNetBlockFn.BOTTLENECK),
        ),
        "spinenet_v2": SpineNetChoices(
            intermediate_allocation=((2, 1), (3, 3), (4, 5), (5, 1)),
            level_offsets=(-1, 0, 1),
            block_fns=(SpineNetBlockFn.BOTTLENECK,),
        ),
        "spinenet_mbconv": SpineNetChoices(
            intermediate_allocation=((2, 1), (3, 1), (4, 5), (5, 4)),
            level_offsets=(-1, 0, 1, 2),
            block_fns=(SpineNetBlockFn.MBCONV,),
        ),
    }
)
"""The published choices of each space, by registry name."""


def _choice(values: Sequence[Any]) -> Any:
    """A `Choice` when there is something to choose, else the single value."""
    return Choice(tuple(values)) if len(values) > 1 else values[0]


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpineNetEncoding:
    """The decisions of a SpineNet space and what its points mean, as plain data.

    A point is a dict of decision values shaped as `SpineNetChoices.tree()`;
    every point takes the scaling (filters, alpha, repeats, endpoint filters,
    mbconv settings) of the `reference` network.

    Attributes:
        choices: The decisions (see `SPINENET_CHOICES`).
        reference: The published network whose scaling every point takes.
        name: The name of the space.

    Raises:
        UnknownNameError: On an unknown reference.
        SpecError: If the reference's family does not fit the choices' block functions.
    """

    choices: SpineNetChoices
    reference: str
    name: str

    def __post_init__(self) -> None:
        mobile = SpineNetBlockFn.MBCONV in self.choices.block_fns
        if mobile != (self.reference_spec.family is SpineNetFamily.MOBILE):
            raise SpecError(
                f"reference {self.reference!r} is a {self.reference_spec.family.value} SpineNet; space {self.name!r} "
                f"chooses among {[fn.value for fn in self.choices.block_fns]} blocks"
            )

    @property
    def reference_spec(self) -> SpineNetSpec:
        """The reference network (a point of the space only where its topology is one)."""
        return spinenet_reference(self.reference)

    @functools.cached_property
    def scaling(self) -> SpineNetScaling:
        """The scaling every point takes."""
        return SpineNetScaling.of(self.reference_spec)

    @functools.cached_property
    def level_orders(self) -> MultisetPermutation:
        """The orders of the intermediate blocks' base levels."""
        return self.choices.level_orders

    @functools.cached_property
    def output_level_orders(self) -> MultisetPermutation:
        """The orders of the output blocks' levels."""
        return self.choices.output_level_orders

    @property
    def description(self) -> str:
        """One line for listings."""
        return f"SpineNet backbone, {self.choices.num_intermediate} permuted blocks, scaled as {self.reference}"

    def tree(self) -> dict[str, Any]:
        """The decisions as a choice tree."""
        return self.choices.tree()

    def to_spec(self, value: Any) -> SpineNetSpec:
        """The spec of a point (read by indexing: plain or PyGlove values)."""
        choices = self.choices
        bases = self.level_orders.decode(value["intermediate_levels"])
        blocks = []
        for i, (base, block) in enumerate(zip(bases, value["intermediate_blocks"], strict=True)):
            blocks.append(
                SpineNetBlockSpec(
                    level=base + block["level_offset"],
                    block_fn=block["block_fn"],
                    input_offsets=choices.intermediate_pairs(i)[block["input_offsets"]],
                )
            )
        levels = self.output_level_orders.decode(value["output_levels"])
        for j, (level, block) in enumerate(zip(levels, value["output_blocks"], strict=True)):
            blocks.append(
                SpineNetBlockSpec(
                    level=level,
                    block_fn=block["block_fn"],
                    input_offsets=choices.output_pairs(j)[block["input_offsets"]],
                    is_output=True,
                )
            )
        return self.scaling.spec(tuple(blocks), min_level=choices.min_level, max_level=choices.max_level)

    def from_spec(self, spec: SpineNetSpec) -> dict[str, Any]:
        """The point of a spec (one of them: see `num_distinct_specs` of `SpineNetSpace`).

        Raises:
            SpecError: If `spec` is not a point of the space; the message says why.
        """
        choices = self.choices
        n = choices.num_intermediate
        if not isinstance(spec, SpineNetSpec):
            raise SpecError(f"space {self.name!r} holds SpineNetSpecs, got {type(spec).__name__}")
        if SpineNetScaling.of(spec) != self.scaling or (spec.min_level, spec.max_level) != (
            choices.min_level,
            choices.max_level,
        ):
            raise SpecError(
                f"spec is not a point of space {self.name!r}: its scaling differs from "
                f"{self.reference}'s"
            )
        outputs = len(choices.output_levels)
        if len(spec.blocks) != n + outputs or any(b.is_output for b in spec.blocks[:n]):
            raise SpecError(
                f"spec is not a point of space {self.name!r}: it needs {n} intermediate blocks, then "
                f"{outputs} output blocks; got {len(spec.blocks)} blocks "
                f"({sum(b.is_output for b in spec.blocks)} outputs)"
            )
        for block in spec.blocks:
            if block.block_fn not in choices.block_fns:
                raise SpecError(
                    f"spec is not a point of space {self.name!r}: block {block} uses {block.block_fn.value}; "
                    f"choices are {[fn.value for fn in choices.block_fns]}"
                )
        intermediate = spec.blocks[:n]
        bases = self._bases_for([b.level for b in intermediate])
        value: dict[str, Any] = {
            "intermediate_levels": self.level_orders.encode(bases),
            "intermediate_blocks": [],
            "output_levels": self.output_level_orders.encode([b.level for b in spec.blocks[n:]]),
            "output_blocks": [],
        }
        for i, (block, base) in enumerate(zip(intermediate, bases, strict=True)):
            value["intermediate_blocks"].append(
                {
                    "level_offset": block.level - base,
                    "block_fn": block.block_fn.value,
                    "input_offsets": self._pair_rank(choices.intermediate_pairs(i), block),
                }
            )
        for j, block in enumerate(spec.blocks[n:]):
            value["output_blocks"].append(
                {"block_fn": block.block_fn.value, "input_offsets": self._pair_rank(choices.output_pairs(j), block)}
            )
        return value

    def _pair_rank(self, pairs: tuple[tuple[int, int], ...], block: SpineNetBlockSpec) -> int:
        try:
            return pairs.index(block.input_offsets)
        except ValueError:
            raise SpecError(
                f"spec is not a point of space {self.name!r}: block {block} reads {block.input_offsets}; "
                f"its inputs must be 2 of blocks {pairs[0][0]}..{pairs[-1][1]}"
            ) from None

    def _bases_for(self, levels: Sequence[int]) -> list[int]:
        """One assignment of base levels (a permutation of the allocation) to `levels`."""
        remaining = dict(self.choices.intermediate_allocation)
        offsets = self.choices.level_offsets
        bases: list[int] = []

        def assign(i: int) -> bool:
            if i == len(levels):
                return True
            for base in sorted(remaining):
                if remaining[base] and levels[i] - base in offsets:
                    remaining[base] -= 1
                    bases.append(base)
                    if assign(i + 1):
                        return True
                    bases.pop()
                    remaining[base] += 1
            return False

        if not assign(0):
            raise SpecError(
                f"spec is not a point of space {self.name!r}: intermediate levels {tuple(levels)} are not "
                f"a permutation of base levels {dict(self.choices.intermediate_allocation)} plus offsets "
                f"{self.choices.level_offsets}"
            )
        return bases

    def references(self) -> tuple[str, ...]:
        """The space's references: the reference network where its topology is a point."""
        contained = has_point(self.tree(), self.to_spec, self.from_spec, self.reference_spec)
        return (self.reference,) if contained else ()

    def info(self) -> SpaceInfo:
        """What `edgenas spaces` lists about the space (equal to what the built space reports)."""
        return SpaceInfo.of_tree(self.tree(), name=self.name, spec_type=SpineNetSpec, references=self.references(),
                                 description=self.description)


@dataclasses.dataclass(frozen=True)
class SpineNetSpaceFactory:
    """Makes a named SpineNet space for a reference scaling (what the registry holds).

    Attributes:
        name: The registry name.
        reference_choices: The references `reference=` accepts.
        default_reference: The reference used when none is given.
    """

    name: str
    reference_choices: tuple[str, ...]
    default_reference: str

    @property
    def REFERENCE_CHOICES(self) -> tuple[str, ...]:  # noqa: N802  (the registry's attribute name)
        """The values `reference=` accepts (read by `edgenas spaces`)."""
        return self.reference_choices

    def __call__(self, *, reference: str | None = None) -> Any:
        """The space scaled as `reference` (default: `default_reference`).

        Raises:
            UnknownNameError: On a reference this space does not take.
        """
        from edgenas.spaces.spinenet import cached_space  # noqa: PLC0415  (PyGlove loads when a space is built)

        return cached_space(self.name, self._reference(reference))

    def describe(self, *, reference: str | None = None) -> SpaceInfo:
        """What `edgenas spaces` lists about `self(reference=reference)`, without building it.

        Raises:
            UnknownNameError: On a reference this space does not take.
        """
        return _describe(self.name, self._reference(reference))

    def _reference(self, reference: str | None) -> str:
        reference = self.default_reference if reference is None else reference
        if reference not in self.reference_choices:
            raise UnknownNameError(
                f"unknown {self.name} reference {reference!r}; known: {', '.join(self.reference_choices)}"
            )
        return reference


@functools.cache
def _describe(name: str, reference: str) -> SpaceInfo:
    return SpineNetEncoding(choices=SPINENET_CHOICES[name], reference=reference, name=name).info()


# The scalings a space may take: SpineNet-49S/49 and Mobile-49XS/49S/49. The larger
# SpineNet-96/143/190 scalings are specs (`spinenet_reference`), not space options:
# scaling is searched by its own space.
_RESNET_REFERENCES = ("spinenet49s", "spinenet49")
_MOBILE_REFERENCES = tuple(name for name, s in SCALINGS.items() if s.mbconv is not None)

FACTORIES: Mapping[str, SpineNetSpaceFactory] = types.MappingProxyType(
    {
        "spinenet": SpineNetSpaceFactory("spinenet", _RESNET_REFERENCES, "spinenet49"),
        "spinenet_v2": SpineNetSpaceFactory("spinenet_v2", _RESNET_REFERENCES, "spinenet49"),
        "spinenet_mbconv": SpineNetSpaceFactory("spinenet_mbconv", _MOBILE_REFERENCES, "spinenet_mobile49"),
    }
)
"""The registry factories of the three spaces, by name."""
