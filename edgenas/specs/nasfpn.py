"""`NasFpnSpec`: a NAS-FPN decoder (its cells, width and repeats) as plain data.

Paper: Ghiasi, Lin and Le, "NAS-FPN: Learning Scalable Feature Pyramid
Architecture for Object Detection", CVPR 2019, https://arxiv.org/abs/1904.07392.

The decoder the spec describes (built by `edgenas.models.nasfpn`, counted by
`edgenas.specs.nasfpn_costs`) is TF Model Garden's NAS-FPN decoder
(tf-models 2.19), fact for fact:

- Nodes 0-4 are levels 3-7. A backbone feature whose channels differ from
  `num_filters` is projected by a 1x1 convolution (with bias) and BatchNorm;
  a level the backbone does not give (6 and 7 on a chain backbone) is the
  level below it max-pooled (2x2, stride 2, `same`), with no convolution.
  shared/spaces.md says strided convolutions; the published implementation
  pools, and so do we.
- Each of `num_repeats` repeats starts from the five level 3-7 features and
  appends one node per cell: the cell resamples its two input nodes to its
  level (max pooling by 2**d going down, nearest up-sampling going up),
  combines them (`NasFpnCombine`), adds, if it is an output cell, every
  earlier node of its level that no cell of the repeat has read yet
  (`NasFpnSpec.unconsumed_inputs`), then applies the activation, a 3x3
  convolution (with bias) to `num_filters` channels and BatchNorm. The
  repeat's output is its last five nodes, one per level 3-7.
- Cells combine at `num_filters` channels. Here we part from Model Garden, whose
  cells resample their inputs to a fixed 256 channels (its resampling's default
  filter count): at any other width each cell input, and each unconsumed node
  added, passes a 1x1 convolution and BatchNorm to 256 channels first, and the
  cell's 3x3 convolution brings the sum back. At 256 filters (the published
  NAS-FPN) the two are the same network; at 128 separable filters, 3 repeats,
  on MobileNetV2 features, Model Garden's decoder has 2,450,112 parameters, of
  which 2,008,704 come from merging at 256 channels, and ours has the other
  441,408. A mobile decoder narrower than 256 (NAS-FPNLite in the paper) is
  meant to be narrow throughout. tests/edgenas/models/test_nasfpn.py pins both.
- `use_separable_conv` makes every convolution (the 1x1 ones too) a Keras
  `SeparableConv2D` (depthwise, pointwise, bias).

The compact token (a part of a detector's spec string) is::

    nasfpn_f256_r3_c4a1.3_c4s1.5_c3s0.6o_c4s6.7o_c5a7.8o_c7a6.9o_c6a9.10o

`f<filters>`, `_sep` after it for separable convolutions (`nasfpn_f128_sep_r3_...`),
`r<repeats>`, then one `c<level><s|a><first>.<second>` per cell (`s` sum,
`a` attention; the two input nodes), `o` appended for an output cell. It uses
lowercase letters, digits, `_` and `.` only: never `-` (the separator of chain
and SpineNet spec strings) nor `|` (the separator of detector spec strings).
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Sequence
from typing import Any

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs.enums import coerce_enum
from edgenas.specs.json_form import canonical_json, check_block_object, parse_envelope

__all__ = [
    "INTERMEDIATE_LEVELS",
    "LEVELS",
    "NASFPN_EXAMPLE",
    "NUM_CELLS",
    "NUM_INPUT_NODES",
    "NUM_INTERMEDIATE_CELLS",
    "NUM_OUTPUT_CELLS",
    "PUBLISHED_NASFPN_CELLS",
    "NasFpnCell",
    "NasFpnCombine",
    "NasFpnSpec",
    "published_nasfpn",
]

LEVELS = (3, 4, 5, 6, 7)
"""The decoder's levels: nodes 0-4 of every repeat, and its outputs."""
NUM_INPUT_NODES = len(LEVELS)
"""Nodes a repeat starts from; cell i of a repeat is node `NUM_INPUT_NODES + i`."""
INTERMEDIATE_LEVELS = (4, 5, 6, 7)
"""The levels an intermediate cell may sit at (shared/spaces.md)."""
NUM_INTERMEDIATE_CELLS = 2
"""Cells before the output cells."""
NUM_OUTPUT_CELLS = len(LEVELS)
"""Output cells: one per level, in any order."""
NUM_CELLS = NUM_INTERMEDIATE_CELLS + NUM_OUTPUT_CELLS
"""Cells of a repeat."""

_SCHEMA = "edgenas.NasFpnSpec/1"
_PREFIX = "nasfpn"
_SEPARATOR = "_"
_CELL_FIELDS = ("level", "combine", "inputs", "is_output")
_JSON_KEYS = ("schema", "num_filters", "num_repeats", "use_separable_conv", "cells")
_CELL_RE = re.compile(r"c(?P<level>\d+)(?P<combine>[a-z])(?P<first>\d+)\.(?P<second>\d+)(?P<out>o?)")
_FILTERS_RE = re.compile(r"f(?P<value>\d+)")
_REPEATS_RE = re.compile(r"r(?P<value>\d+)")


class NasFpnCombine(enum.StrEnum):
    """How a cell combines its two resampled inputs."""

    SUM = "sum"
    """a + b."""
    ATTENTION = "attention"
    """Global attention: a + b * sigmoid(max of a over height and width, per channel), a being the
    input of the higher (coarser) level, or the first of the pair when both are of one level."""

    @property
    def letter(self) -> str:
        """Its letter in the compact token (`s`, `a`)."""
        return self.value[0]


_COMBINE_BY_LETTER = {combine.letter: combine for combine in NasFpnCombine}

NASFPN_EXAMPLE = "nasfpn_f256_r3_c4a1.3_c4s1.5_c3s0.6o_c4s6.7o_c5a7.8o_c7a6.9o_c6a9.10o"
"""The published decoder's token (for error messages)."""


def _int(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{name} must be an int >= {minimum}, got {value!r}")
    if value < minimum:
        raise SpecError(f"{name} must be an int >= {minimum}, got {value}")
    return value


def _levels(levels: Sequence[int]) -> str:
    return ", ".join(str(level) for level in levels)


@dataclasses.dataclass(frozen=True)
class NasFpnCell:
    """One cell of a NAS-FPN repeat: a new node made from two earlier ones.

    The compact view is `c<level><s|a><first>.<second>`, `o` appended for an
    output cell: `c4a1.3`, `c3s0.6o`.

    Attributes:
        level: The level of the node it makes (3-7).
        combine: How it combines its two inputs.
        inputs: The two nodes it reads, distinct and ascending (nodes 0-4 are
            levels 3-7; cell i of the repeat is node 5 + i).
        is_output: Whether the node is the repeat's output at its level.

    Raises:
        SpecError: On a level outside 3-7, an unknown combine, inputs that are not
            two distinct ascending node indices, or an `is_output` that is not a bool.
    """

    level: int
    combine: NasFpnCombine
    inputs: tuple[int, int]
    is_output: bool

    def __post_init__(self) -> None:
        if isinstance(self.level, bool) or not isinstance(self.level, int) or self.level not in LEVELS:
            raise SpecError(f"NasFpnCell.level must be one of {_levels(LEVELS)}, got {self.level!r}")
        object.__setattr__(self, "combine", coerce_enum(NasFpnCombine, self.combine, field="combine"))
        inputs = self.inputs
        if not isinstance(inputs, (tuple, list)) or len(inputs) != 2:
            raise SpecError(f"NasFpnCell.inputs must be two node indices, got {inputs!r}")
        first, second = (_int("NasFpnCell.inputs", value, minimum=0) for value in inputs)
        if first >= second:
            hint = f"; write ({second}, {first})" if first > second else ""
            raise SpecError(
                f"NasFpnCell.inputs must be two distinct node indices in ascending order, got ({first}, {second}){hint}"
            )
        object.__setattr__(self, "inputs", (first, second))
        if not isinstance(self.is_output, bool):
            raise SpecError(f"NasFpnCell.is_output must be a bool, got {self.is_output!r}")

    def __str__(self) -> str:
        first, second = self.inputs
        return f"c{self.level}{self.combine.letter}{first}.{second}{'o' if self.is_output else ''}"

    @classmethod
    def parse(cls, text: str) -> NasFpnCell:
        """Parses the compact view strictly (`parse(str(cell)) == cell`).

        Args:
            text: For example `c4a1.3` or `c3s0.6o`.

        Raises:
            SpecParseError: If `text` is malformed or not canonical.
            SpecError: If it parses but describes an invalid cell.
        """
        match = _CELL_RE.fullmatch(text)
        if match is None:
            raise SpecParseError(
                f"malformed NAS-FPN cell {text!r}; expected c<level><s|a><first>.<second>, 'o' appended "
                "for an output cell, e.g. 'c4a1.3' or 'c3s0.6o'"
            )
        combine = _COMBINE_BY_LETTER.get(match["combine"])
        if combine is None:
            known = ", ".join(f"{c.letter} ({c.value})" for c in NasFpnCombine)
            raise SpecParseError(f"NAS-FPN cell {text!r}: unknown combine letter {match['combine']!r}; known: {known}")
        cell = cls(
            int(match["level"]), combine, (int(match["first"]), int(match["second"])), bool(match["out"])
        )
        if str(cell) != text:
            raise SpecParseError(f"NAS-FPN cell {text!r} is not in canonical form; write {str(cell)!r}")
        return cell

    def to_json(self) -> dict[str, Any]:
        """Returns the cell as a JSON-ready dict."""
        return {
            "level": self.level,
            "combine": self.combine.value,
            "inputs": list(self.inputs),
            "is_output": self.is_output,
        }

    @classmethod
    def from_json(cls, data: Any) -> NasFpnCell:
        """Builds a cell from `to_json()` output, rejecting missing or unknown keys.

        Raises:
            SpecParseError: On a value that is not an object, or missing or unknown keys.
            SpecError: On invalid values.
        """
        data = check_block_object(data, what="NAS-FPN cell", fields=_CELL_FIELDS)
        return cls(**{name: data[name] for name in _CELL_FIELDS})


@dataclasses.dataclass(frozen=True)
class NasFpnSpec:
    """A NAS-FPN decoder on backbone levels 3 and up, with outputs at levels 3-7.

    Frozen, hashable and validated at construction. `str(spec)` is the compact
    token of the module docstring and parses back strictly; `to_json` /
    `from_json` carry a schema tag.

    Attributes:
        cells: The 7 cells of a repeat: 2 intermediate cells (levels 4-7), then
            5 output cells whose levels are 3-7 in some order. Cell i reads
            nodes below 5 + i.
        num_filters: Channels of every node (and output).
        num_repeats: How many times the cells are stacked, each repeat reading
            the previous one's outputs.
        use_separable_conv: Depthwise-separable convolutions instead of full ones.

    Raises:
        SpecError: On a cell list of another shape, a cell reading a node that is
            not earlier, output levels that are not 3-7 each once, or a
            non-positive width or repeat count.
    """

    cells: tuple[NasFpnCell, ...]
    _: dataclasses.KW_ONLY
    num_filters: int = 256
    num_repeats: int = 3
    use_separable_conv: bool = False

    def __post_init__(self) -> None:
        cells = tuple(self.cells) if isinstance(self.cells, (list, tuple)) else self.cells
        if not isinstance(cells, tuple):
            raise SpecError(f"NasFpnSpec.cells must be a tuple of NasFpnCell, got {type(cells).__name__}")
        for index, cell in enumerate(cells):
            if not isinstance(cell, NasFpnCell):
                raise SpecError(f"cell {index} must be a NasFpnCell, got {type(cell).__name__}")
        object.__setattr__(self, "cells", cells)
        _int("NasFpnSpec.num_filters", self.num_filters, minimum=1)
        _int("NasFpnSpec.num_repeats", self.num_repeats, minimum=1)
        if not isinstance(self.use_separable_conv, bool):
            raise SpecError(f"NasFpnSpec.use_separable_conv must be a bool, got {self.use_separable_conv!r}")
        self._check_cells()

    def _check_cells(self) -> None:
        if len(self.cells) != NUM_CELLS:
            raise SpecError(
                f"a NAS-FPN needs {NUM_CELLS} cells, {NUM_INTERMEDIATE_CELLS} intermediate then "
                f"{NUM_OUTPUT_CELLS} output cells; got {len(self.cells)}"
            )
        for index, cell in enumerate(self.cells):
            intermediate = index < NUM_INTERMEDIATE_CELLS
            if cell.is_output == intermediate:
                kind = "an intermediate cell (no 'o')" if intermediate else "an output cell ('o')"
                raise SpecError(
                    f"cell {index} ({cell}) must be {kind}: cells 0..{NUM_INTERMEDIATE_CELLS - 1} are intermediate, "
                    f"cells {NUM_INTERMEDIATE_CELLS}..{NUM_CELLS - 1} are outputs"
                )
            if intermediate and cell.level not in INTERMEDIATE_LEVELS:
                raise SpecError(
                    f"cell {index} ({cell}): an intermediate cell's level must be one of "
                    f"{_levels(INTERMEDIATE_LEVELS)}, got {cell.level}"
                )
            node = NUM_INPUT_NODES + index
            if cell.inputs[1] >= node:
                raise SpecError(
                    f"cell {index} ({cell}) reads node {cell.inputs[1]}, which is not an earlier node: it can "
                    f"read nodes 0..{node - 1} (nodes 0-4 are levels 3-7, cell {index} is node {node})"
                )
        levels = [cell.level for cell in self.cells[NUM_INTERMEDIATE_CELLS:]]
        if sorted(levels) != list(LEVELS):
            missing = [level for level in LEVELS if level not in levels]
            repeated = sorted({level for level in levels if levels.count(level) > 1})
            raise SpecError(
                f"the output cells' levels must be {_levels(LEVELS)} in some order, each once; got "
                f"({_levels(levels)}): missing {missing}, repeated {repeated}"
            )

    # ----- derived facts -------------------------------------------------------------------

    @property
    def merge_filters(self) -> int:
        """Channels at which a cell resamples and combines its inputs: `num_filters` (see the module docstring)."""
        return self.num_filters

    @property
    def node_levels(self) -> tuple[int, ...]:
        """The level of each node of a repeat: 3-7, then each cell's."""
        return LEVELS + tuple(cell.level for cell in self.cells)

    def operands(self, index: int) -> tuple[int, int]:
        """Cell `index`'s two input nodes as (a, b) of its combine (`NasFpnCombine`).

        a is the input at the higher (coarser) level, or the first of the pair if
        both are of one level: an attention cell's gate is computed from it.
        """
        first, second = self.cells[index].inputs
        levels = self.node_levels
        return (second, first) if levels[second] > levels[first] else (first, second)

    def unconsumed_inputs(self) -> tuple[tuple[int, ...], ...]:
        """For each cell, the nodes it adds besides its two inputs (ascending).

        An output cell adds every earlier node of its level that no cell of the
        repeat has read or added yet (counted in cell order, the five starting
        nodes included); an intermediate cell adds none.
        """
        levels = self.node_levels
        consumed = [False] * len(levels)
        extras = []
        for index, cell in enumerate(self.cells):
            for node in cell.inputs:
                consumed[node] = True
            added: tuple[int, ...] = ()
            if cell.is_output:
                node = NUM_INPUT_NODES + index
                added = tuple(j for j in range(node) if not consumed[j] and levels[j] == cell.level)
                for j in added:
                    consumed[j] = True
            extras.append(added)
        return tuple(extras)

    @property
    def output_nodes(self) -> dict[int, int]:
        """Level -> the node of a repeat that is its output (nodes 7-11), levels ascending."""
        first = NUM_INPUT_NODES + NUM_INTERMEDIATE_CELLS
        return dict(sorted((cell.level, first + i) for i, cell in enumerate(self.cells[NUM_INTERMEDIATE_CELLS:])))

    # ----- string and JSON views -------------------------------------------------------------

    def __str__(self) -> str:
        parts = [_PREFIX, f"f{self.num_filters}"]
        if self.use_separable_conv:
            parts.append("sep")
        parts.append(f"r{self.num_repeats}")
        parts += [str(cell) for cell in self.cells]
        return _SEPARATOR.join(parts)

    @classmethod
    def parse(cls, text: str) -> NasFpnSpec:
        """Parses the compact token strictly (`parse(str(spec)) == spec`).

        Args:
            text: A token made by `str(spec)`, e.g. `NASFPN_EXAMPLE`.

        Raises:
            SpecParseError: If `text` is not a str, is malformed or is not canonical;
                the message names the part that is wrong.
            SpecError: If it parses but describes an invalid decoder.
        """
        if not isinstance(text, str):
            raise SpecParseError(f"a NAS-FPN token must be a str, got {type(text).__name__}")
        tokens = text.split(_SEPARATOR)
        expected = "nasfpn_f<filters>[_sep]_r<repeats>_<cell>_..._<cell>"
        if tokens[0] != _PREFIX or len(tokens) < 3:
            raise SpecParseError(f"malformed NAS-FPN token {text!r}: expected {expected}, e.g. {NASFPN_EXAMPLE!r}")
        filters = _FILTERS_RE.fullmatch(tokens[1])
        separable = tokens[2] == "sep"
        position = 3 if separable else 2
        repeats = _REPEATS_RE.fullmatch(tokens[position]) if position < len(tokens) else None
        if filters is None or repeats is None:
            raise SpecParseError(
                f"malformed NAS-FPN token {text!r}: it must start with 'nasfpn_f<filters>_r<repeats>' or "
                f"'nasfpn_f<filters>_sep_r<repeats>', e.g. {NASFPN_EXAMPLE!r}"
            )
        cells = []
        for index, token in enumerate(tokens[position + 1 :]):
            try:
                cells.append(NasFpnCell.parse(token))
            except SpecError as error:
                raise type(error)(f"cell {index}: {error}") from None
        spec = cls(
            tuple(cells),
            num_filters=int(filters["value"]),
            num_repeats=int(repeats["value"]),
            use_separable_conv=separable,
        )
        if str(spec) != text:
            raise SpecParseError(f"NAS-FPN token {text!r} is not in canonical form; write {str(spec)!r}")
        return spec

    def to_json(self) -> dict[str, Any]:
        """Returns the spec as a JSON-ready dict with a schema tag."""
        return {
            "schema": _SCHEMA,
            "num_filters": self.num_filters,
            "num_repeats": self.num_repeats,
            "use_separable_conv": self.use_separable_conv,
            "cells": [cell.to_json() for cell in self.cells],
        }

    def to_json_string(self) -> str:
        """Returns canonical JSON text (sorted keys, no spaces)."""
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> NasFpnSpec:
        """Builds a spec from `to_json()` output (a dict or JSON text), strictly.

        Raises:
            SpecParseError: On malformed JSON, a wrong schema tag, missing or unknown
                keys (of the spec or a cell), or cells that are not a list.
            SpecError: On invalid values.
        """
        data = parse_envelope(data, what="NAS-FPN spec", schema=_SCHEMA, keys=_JSON_KEYS)
        if not isinstance(data["cells"], list):
            raise SpecParseError(f"NAS-FPN spec JSON: 'cells' must be a list, got {type(data['cells']).__name__}")
        cells = []
        for index, raw in enumerate(data["cells"]):
            try:
                cells.append(NasFpnCell.from_json(raw))
            except SpecError as error:
                raise type(error)(f"cell {index}: {error}") from None
        return cls(
            tuple(cells),
            num_filters=data["num_filters"],
            num_repeats=data["num_repeats"],
            use_separable_conv=data["use_separable_conv"],
        )


_SUM, _ATTENTION = NasFpnCombine.SUM, NasFpnCombine.ATTENTION

PUBLISHED_NASFPN_CELLS: tuple[NasFpnCell, ...] = (
    NasFpnCell(4, _ATTENTION, (1, 3), False),
    NasFpnCell(4, _SUM, (1, 5), False),
    NasFpnCell(3, _SUM, (0, 6), True),
    NasFpnCell(4, _SUM, (6, 7), True),
    NasFpnCell(5, _ATTENTION, (7, 8), True),
    NasFpnCell(7, _ATTENTION, (6, 9), True),
    NasFpnCell(6, _ATTENTION, (9, 10), True),
)
"""The published cells (the paper's searched cell, as Model Garden's NAS-FPN decoder defines it)."""


def published_nasfpn(*, num_filters: int = 256, num_repeats: int = 3, use_separable_conv: bool = False) -> NasFpnSpec:
    """The published NAS-FPN cells at the given width and depth.

    Args:
        num_filters: Channels of every node.
        num_repeats: Stacked repeats.
        use_separable_conv: Depthwise-separable convolutions (the mobile variant).

    Raises:
        SpecError: On a non-positive width or repeat count.
    """
    return NasFpnSpec(
        PUBLISHED_NASFPN_CELLS,
        num_filters=num_filters,
        num_repeats=num_repeats,
        use_separable_conv=use_separable_conv,
    )
