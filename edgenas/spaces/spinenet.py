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

The choice tables, the encoding (`SpineNetEncoding`: the choice tree and the
conversions of points to specs and back) and the registry factories are plain
data in `edgenas.spaces.spinenet_choices`; this module makes the PyGlove space.

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

import functools

from edgenas.spaces.search_space import SearchSpace, hyper_of
from edgenas.spaces.spinenet_choices import (
    FACTORIES,
    SPINENET_CHOICES,
    MultisetPermutation,
    SpineNetChoices,
    SpineNetEncoding,
    SpineNetSpaceFactory,
    count_level_sequences,
    input_pairs,
)

__all__ = [
    "FACTORIES",
    "MultisetPermutation",
    "SPINENET_CHOICES",
    "SpineNetChoices",
    "SpineNetSpace",
    "SpineNetSpaceFactory",
    "cached_space",
    "count_level_sequences",
    "input_pairs",
]


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
        encoding = SpineNetEncoding(choices=choices, reference=reference, name=name)
        self._encoding = encoding
        reference_spec = encoding.reference_spec
        super().__init__(
            name,
            hyper_of(encoding.tree()),
            encoding.to_spec,
            from_spec=encoding.from_spec,
            references={reference: reference_spec},
            description=encoding.description,
            plain_values=True,
        )
        if not self.contains(reference_spec):
            self._references.clear()

    @property
    def choices(self) -> SpineNetChoices:
        """The decisions of the space."""
        return self._encoding.choices

    @property
    def scaling_reference(self) -> str:
        """The reference network whose scaling the points take."""
        return self._encoding.reference

    @property
    def encoding(self) -> SpineNetEncoding:
        """The space's decisions and the meaning of its points, as plain data."""
        return self._encoding

    @functools.cached_property
    def num_distinct_specs(self) -> int:
        """Exact number of distinct specs (`size` counts DNA points; see the module docstring).

        The level part of the DNA (base order and offsets) is replaced by the
        number of distinct level sequences it reaches; the other decisions map
        one-to-one onto spec fields.
        """
        choices = self.choices
        level_dna = choices.level_orders.size * len(choices.level_offsets) ** choices.num_intermediate
        sequences = count_level_sequences(choices.intermediate_allocation, choices.level_offsets)
        return self.size // level_dna * sequences


@functools.lru_cache(maxsize=None)
def cached_space(name: str, reference: str) -> SpineNetSpace:
    """The space `SPINENET_CHOICES[name]` scaled as `reference`, built once.

    Spaces are read-only once built (derive new ones from `hyper.clone()`), and
    building one turns ~800 candidates into PyGlove objects (~0.5 s).
    """
    return SpineNetSpace(choices=SPINENET_CHOICES[name], reference=reference, name=name)
