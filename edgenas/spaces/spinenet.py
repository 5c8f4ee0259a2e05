"""The SpineNet search spaces: `spinenet`, `spinenet_v2` and `spinenet_mbconv`.

Papers: SpineNet, https://arxiv.org/abs/1912.05027 (search space, Sec. 3.1);
SpineNet-Mobile, https://arxiv.org/abs/2010.11426. The choices are those of the
spaces Vertex AI NAS publishes (see `shared/spaces.md`):

| space           | intermediate levels (level: count) | level offsets   | block_fn              |
|-----------------|------------------------------------|-----------------|-----------------------|
| spinenet        | {2: 1, 3: 3, 4: 5, 5: 2}           | {-1, 0, 1, 2}   | {residual, bottleneck} |
| spinenet_v2     | {2: 1, 3: 3, 4: 5, 5: 1}           | {-1, 0, 1}      | {bottleneck}          |
| spinenet_mbconv | {2: 1, 3: 1, 4: 5, 5: 4}           | {-1, 0, 1, 2}   | {mbconv}              |

A point is: an order of the intermediate blocks' base levels (a permutation of
the allocation multiset); per intermediate block a `level_offset` added to its
base level, a `block_fn`, and 2 distinct ascending inputs among the previous 4
blocks (stem blocks included); then 5 output blocks whose levels are a
permutation of 3..7, each with a `block_fn` and 2 distinct ascending inputs
among all earlier blocks. Everything else (stem, filters, resampling, endpoint
filters) is the scaling of the `reference=` network.

Encoding (every decision is a `pg.oneof` over integers or block names, so the
DNA is flat and categorical: PPO, grid search, `dna_of` and the fast plain-value
path all work):

- A permutation of a multiset is encoded without duplicates (see
  `MultisetPermutation`): for each level but the last, one decision picks which
  of the still-free positions take that level (an index into
  `itertools.combinations(free positions, count)` in lexicographic order); the
  last level fills the rest. Every distinct order has exactly one DNA, so this
  part has `n! / prod(count!)` points (27,720 for `spinenet`), not the `n!`
  (39,916,800) of `pg.permutate` or of Vertex's `pg.sublist_of`, which count
  swaps of equal levels as different points.
- An input pair is one decision: an index into `itertools.combinations(window, 2)`.
- A decision with a single candidate (the first block's inputs (0, 1), a single
  `block_fn`) is a fixed value, not a decision.

`size` counts DNA points. It is still larger than the number of distinct
networks, because the published space defines a level as base + offset: two
blocks with bases 3 and 4 and offsets +1 and 0 sit at the same levels as with
bases 4 and 3 and offsets 0 and +1. `num_distinct_specs` is the exact number of
distinct specs; `dna_of` returns one DNA of a spec. (Separately, a block that no
later block reads and that is not an output computes nothing the backbone
returns: specs that differ only in such a dead block build the same Keras model.)

Levels reach base + offset: 1..7 for `spinenet` and `spinenet_mbconv`, 1..6 for
`spinenet_v2` (a level-1 block has stride 2).

`reference=` picks the scaling: `spinenet49s` or `spinenet49` (default) for the
ResNet-style spaces, `spinenet_mobile49xs`, `spinenet_mobile49s` or
`spinenet_mobile49` (default) for `spinenet_mbconv`.

References: SpineNet-Mobile-49 (and its 49S/49XS scalings) is a point of
`spinenet_mbconv`. SpineNet-49 (and 49S/96/143/190, the same topology) is a
point of neither ResNet-style space: it has 10 intermediate blocks where
`spinenet` has 11; `spinenet_v2` has 10, but SpineNet-49 has a level-7
intermediate block (the highest level `spinenet_v2` reaches is base 5 + offset
1 = 6) and residual blocks (`spinenet_v2` has bottleneck only). Those specs are
available from `edgenas.specs.spinenet_reference(name)` and build with
`build_keras`; `reference=` still selects their scaling for the space's points.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import types
from collections.abc import Mapping, Sequence
from typing import Any

import pyglove as pg

from edgenas.errors import SpecError, UnknownNameError
from edgenas.spaces.search_space import SearchSpace
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
    "SpineNetSpace",
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

    def hyper(self) -> pg.Dict:
        """The decisions: `level{L}` -> `pg.oneof` over combination indices."""
        return pg.Dict(
            {f"level{level}": pg.oneof(list(range(math.comb(free, count)))) for level, count, free in self._steps()}
        )

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
    """A `pg.oneof` when there is something to choose, else the single value."""
    return pg.oneof(list(values)) if len(values) > 1 else values[0]


class SpineNetSpace(SearchSpace):
    """A SpineNet space: scale permutation, cross-scale connections and block adjustments.

    Args:
        choices: The decisions (see `SPINENET_CHOICES`).
        reference: The published network whose scaling every point takes (filters,
            alpha, repeats, endpoint filters, mbconv settings); it is also a reference
            point of the space when its topology is one.
        name: The name the space reports.

    Raises:
        UnknownNameError: On an unknown reference.
        SpecError: If the reference's family does not fit the choices' block functions.
    """

    def __init__(self, *, choices: SpineNetChoices, reference: str, name: str) -> None:
        reference_spec = spinenet_reference(reference)
        mobile = SpineNetBlockFn.MBCONV in choices.block_fns
        if mobile != (reference_spec.family is SpineNetFamily.MOBILE):
            raise SpecError(
                f"reference {reference!r} is a {reference_spec.family.value} SpineNet; space {name!r} "
                f"chooses among {[fn.value for fn in choices.block_fns]} blocks"
            )
        self._choices = choices
        self._reference_name = reference
        self._scaling = SpineNetScaling.of(reference_spec)
        self._levels = MultisetPermutation(choices.intermediate_allocation)
        self._output_levels = MultisetPermutation(tuple((level, 1) for level in choices.output_levels))
        fns = [fn.value for fn in choices.block_fns]
        intermediate = [
            pg.Dict(
                level_offset=_choice(choices.level_offsets),
                block_fn=_choice(fns),
                input_offsets=_choice(range(len(choices.intermediate_pairs(i)))),
            )
            for i in range(choices.num_intermediate)
        ]
        outputs = [
            pg.Dict(block_fn=_choice(fns), input_offsets=_choice(range(len(choices.output_pairs(j)))))
            for j in range(len(choices.output_levels))
        ]
        hyper = pg.Dict(
            intermediate_levels=self._levels.hyper(),
            intermediate_blocks=pg.List(intermediate),
            output_levels=self._output_levels.hyper(),
            output_blocks=pg.List(outputs),
        )
        super().__init__(
            name,
            hyper,
            self._to_spec,
            from_spec=self._from_spec,
            references={reference: reference_spec},
            description=f"SpineNet backbone, {choices.num_intermediate} permuted blocks, scaled as {reference}",
            plain_values=True,
        )
        if not self.contains(reference_spec):
            self._references.clear()

    @property
    def choices(self) -> SpineNetChoices:
        """The decisions of the space."""
        return self._choices

    @property
    def scaling_reference(self) -> str:
        """The reference network whose scaling the points take."""
        return self._reference_name

    @functools.cached_property
    def num_distinct_specs(self) -> int:
        """Exact number of distinct specs (`size` counts DNA points; see the module docstring).

        The level part of the DNA (base order and offsets) is replaced by the
        number of distinct level sequences it reaches; the other decisions map
        one-to-one onto spec fields.
        """
        choices = self._choices
        level_dna = self._levels.size * len(choices.level_offsets) ** choices.num_intermediate
        sequences = count_level_sequences(choices.intermediate_allocation, choices.level_offsets)
        return self.size // level_dna * sequences

    def _to_spec(self, value: Any) -> SpineNetSpec:
        choices = self._choices
        bases = self._levels.decode(value["intermediate_levels"])
        blocks = []
        for i, (base, block) in enumerate(zip(bases, value["intermediate_blocks"], strict=True)):
            blocks.append(
                SpineNetBlockSpec(
                    level=base + block["level_offset"],
                    block_fn=block["block_fn"],
                    input_offsets=choices.intermediate_pairs(i)[block["input_offsets"]],
                )
            )
        levels = self._output_levels.decode(value["output_levels"])
        for j, (level, block) in enumerate(zip(levels, value["output_blocks"], strict=True)):
            blocks.append(
                SpineNetBlockSpec(
                    level=level,
                    block_fn=block["block_fn"],
                    input_offsets=choices.output_pairs(j)[block["input_offsets"]],
                    is_output=True,
                )
            )
        return self._scaling.spec(tuple(blocks), min_level=choices.min_level, max_level=choices.max_level)

    def _from_spec(self, spec: SpineNetSpec) -> dict[str, Any]:
        choices = self._choices
        n = choices.num_intermediate
        if not isinstance(spec, SpineNetSpec):
            raise SpecError(f"space {self.name!r} holds SpineNetSpecs, got {type(spec).__name__}")
        if SpineNetScaling.of(spec) != self._scaling or (spec.min_level, spec.max_level) != (
            choices.min_level,
            choices.max_level,
        ):
            raise SpecError(
                f"spec is not a point of space {self.name!r}: its scaling differs from "
                f"{self._reference_name}'s"
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
            "intermediate_levels": self._levels.encode(bases),
            "intermediate_blocks": [],
            "output_levels": self._output_levels.encode([b.level for b in spec.blocks[n:]]),
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
        remaining = dict(self._choices.intermediate_allocation)
        offsets = self._choices.level_offsets
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
                f"a permutation of base levels {dict(self._choices.intermediate_allocation)} plus offsets "
                f"{self._choices.level_offsets}"
            )
        return bases


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

    def __call__(self, *, reference: str | None = None) -> SpineNetSpace:
        """The space scaled as `reference` (default: `default_reference`).

        Raises:
            UnknownNameError: On a reference this space does not take.
        """
        reference = self.default_reference if reference is None else reference
        if reference not in self.reference_choices:
            raise UnknownNameError(
                f"unknown {self.name} reference {reference!r}; known: {', '.join(self.reference_choices)}"
            )
        return _cached_space(self.name, reference)


@functools.lru_cache(maxsize=None)
def _cached_space(name: str, reference: str) -> SpineNetSpace:
    """Spaces are read-only once built (derive new ones from `hyper.clone()`), and building
    one turns ~800 candidates into PyGlove objects (~0.5 s): build each once."""
    return SpineNetSpace(choices=SPINENET_CHOICES[name], reference=reference, name=name)


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
