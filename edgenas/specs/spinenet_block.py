"""`SpineNetBlockSpec`: one block of a scale-permuted SpineNet backbone.

Paper: SpineNet: Learning Scale-Permuted Backbone for Recognition and
Localization, Du et al., CVPR 2020, https://arxiv.org/abs/1912.05027.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from typing import Any

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs.enums import coerce_enum
from edgenas.specs.json_form import check_block_object

__all__ = ["MAX_BLOCK_LEVEL", "MIN_BLOCK_LEVEL", "SpineNetBlockFn", "SpineNetBlockSpec"]

MIN_BLOCK_LEVEL = 1
"""Lowest feature level a block may sit at (stride 2)."""
MAX_BLOCK_LEVEL = 7
"""Highest feature level a block may sit at (stride 128)."""

_BLOCK_RE = re.compile(r"(?P<fn>[a-z]+)_l(?P<level>\d+)_in(?P<a>\d+)\+(?P<b>\d+)(?P<out>_out)?")
_FIELDS = ("level", "block_fn", "input_offsets", "is_output")


class SpineNetBlockFn(enum.StrEnum):
    """The block a SpineNet node applies `block_repeats` times after merging its inputs."""

    RESIDUAL = "residual"
    """Two 3x3 convolutions and an identity skip (ResNet's basic block)."""
    BOTTLENECK = "bottleneck"
    """1x1 reduce, 3x3, 1x1 expand to 4x the block's filters, identity skip."""
    MBCONV = "mbconv"
    """Inverted residual with squeeze-and-excitation (SpineNet-Mobile)."""

    @property
    def channel_multiplier(self) -> int:
        """Output channels of the block over its nominal filter count (4 for bottleneck)."""
        return 4 if self is SpineNetBlockFn.BOTTLENECK else 1


def _int_field(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{name} must be an integer, got {value!r}")
    return value


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpineNetBlockSpec:
    """One node of the scale-permuted network.

    The node resamples two earlier blocks to its level, sums them, and applies its
    block function. Block indices count the two stem blocks first: index 0 and 1
    are the stems, index 2 is the first scale-permuted block, and so on.

    The compact string view is `{block_fn}_l{level}_in{a}+{b}` with `_out` appended
    for an output block, for example `bottleneck_l4_in5+10_out`.

    Attributes:
        level: Feature level (the block's resolution is the input's / 2**level), 1 to 7.
        block_fn: The block applied after the merge.
        input_offsets: The two (distinct, ascending) indices of the blocks it reads.
        is_output: Whether the block is the network's output at its level.
    """

    level: int
    block_fn: SpineNetBlockFn
    input_offsets: tuple[int, int]
    is_output: bool = False

    def __post_init__(self) -> None:
        _int_field("level", self.level)
        if not MIN_BLOCK_LEVEL <= self.level <= MAX_BLOCK_LEVEL:
            raise SpecError(
                f"level must be in {MIN_BLOCK_LEVEL}..{MAX_BLOCK_LEVEL}, got {self.level}"
            )
        object.__setattr__(
            self, "block_fn", coerce_enum(SpineNetBlockFn, self.block_fn, field="block_fn")
        )
        offsets = self.input_offsets
        if not isinstance(offsets, (tuple, list)) or len(offsets) != 2:
            raise SpecError(f"input_offsets must be two block indices, got {offsets!r}")
        first, second = (_int_field("input_offsets", v) for v in offsets)
        if first < 0 or second < 0:
            raise SpecError(f"input_offsets must be non-negative, got {tuple(offsets)}")
        if first >= second:
            raise SpecError(
                "input_offsets must be two distinct indices in ascending order, "
                f"got {tuple(offsets)}"
            )
        object.__setattr__(self, "input_offsets", (first, second))
        if not isinstance(self.is_output, bool):
            raise SpecError(f"is_output must be a bool, got {self.is_output!r}")

    def __str__(self) -> str:
        first, second = self.input_offsets
        suffix = "_out" if self.is_output else ""
        return f"{self.block_fn.value}_l{self.level}_in{first}+{second}{suffix}"

    @classmethod
    def parse(cls, text: str) -> SpineNetBlockSpec:
        """Parses the compact string view strictly (`parse(str(b)) == b`).

        Args:
            text: For example `residual_l6_in3+5` or `bottleneck_l3_in4+10_out`.

        Returns:
            The block spec.

        Raises:
            SpecParseError: If `text` is not exactly a canonical block string.
            SpecError: If it parses but describes an invalid block.
        """
        match = _BLOCK_RE.fullmatch(text)
        if match is None:
            raise SpecParseError(
                f"malformed SpineNet block {text!r}; expected e.g. 'bottleneck_l4_in5+10_out'"
            )
        block = cls(
            level=int(match["level"]),
            block_fn=match["fn"],
            input_offsets=(int(match["a"]), int(match["b"])),
            is_output=match["out"] is not None,
        )
        if str(block) != text:
            raise SpecParseError(
                f"SpineNet block {text!r} is not in canonical form; write {str(block)!r}"
            )
        return block

    def to_json(self) -> dict[str, Any]:
        """Returns the block as a JSON-ready dict."""
        return {
            "level": self.level,
            "block_fn": self.block_fn.value,
            "input_offsets": list(self.input_offsets),
            "is_output": self.is_output,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpineNetBlockSpec:
        """Builds a block from `to_json()` output, rejecting missing or unknown keys.

        Raises:
            SpecParseError: On a key set other than the block's fields.
            SpecError: On invalid values.
        """
        return cls(**check_block_object(data, what="SpineNet block", fields=_FIELDS))
