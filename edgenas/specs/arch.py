"""`ArchSpec`: a chain network (stem, stages of blocks, head), as plain data."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from typing import Any

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs.block import BlockSpec
from edgenas.specs.enums import Activation, coerce_enum
from edgenas.specs.image_shape import image_shape
from edgenas.specs.json_form import canonical_json, parse_blocks, parse_envelope

__all__ = ["ArchSpec"]

_SCHEMA = "edgenas.ArchSpec/1"
_SEPARATOR = "-"


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise SpecError(f"{name} must be positive, got {value}")
    return value


@dataclasses.dataclass(frozen=True)
class ArchSpec:
    """A classification network: a 3x3 stride-2 stem, stages of blocks, a 1x1 head.

    Frozen and hashable; `str(spec)` is a compact one-line view that parses back
    strictly (`ArchSpec.parse(str(spec)) == spec`), for example
    `relu6-stem32-mbconv_r1_k3_s1_e1_se0_c16-...-head1280`.

    Attributes:
        blocks: The stages, input to output.
        stem_filters: Filters of the 3x3 stride-2 stem convolution.
        head_filters: Filters of the 1x1 convolution before global pooling.
        activation: The non-linearity of the stem, the head, and every block
            without one of its own (`BlockSpec.activation`).

    Raises:
        SpecError: On no blocks, a non-positive width, an unknown activation, or
            a block whose own activation is the network's (write None instead:
            one network has one spec and one string).
    """

    blocks: tuple[BlockSpec, ...]
    stem_filters: int = 32
    head_filters: int = 1280
    activation: Activation = Activation.RELU

    def __post_init__(self) -> None:
        blocks = tuple(self.blocks) if isinstance(self.blocks, (list, tuple)) else self.blocks
        if not isinstance(blocks, tuple) or not blocks:
            raise SpecError("an ArchSpec needs at least one block")
        for index, block in enumerate(blocks):
            if not isinstance(block, BlockSpec):
                raise SpecError(f"block {index} must be a BlockSpec, got {type(block).__name__}")
        object.__setattr__(self, "blocks", blocks)
        _positive_int("stem_filters", self.stem_filters)
        _positive_int("head_filters", self.head_filters)
        object.__setattr__(
            self, "activation", coerce_enum(Activation, self.activation, field="activation")
        )
        for index, block in enumerate(blocks):
            if block.activation is self.activation:
                raise SpecError(
                    f"block {index}: activation {block.activation.value!r} is the network's; "
                    "leave the block's activation unset (None) for the network's"
                )

    def activation_of(self, block: BlockSpec) -> Activation:
        """The non-linearity inside `block`: its own, else the network's."""
        return self.activation if block.activation is None else block.activation

    def __str__(self) -> str:
        parts = [self.activation.value, f"stem{self.stem_filters}"]
        parts += [str(block) for block in self.blocks]
        parts.append(f"head{self.head_filters}")
        return _SEPARATOR.join(parts)

    @property
    def total_stride(self) -> int:
        """Down-sampling factor of the whole network (the stem contributes 2)."""
        stride = 2
        for block in self.blocks:
            stride *= block.strides
        return stride

    def check_input_shape(self, input_shape: Sequence[int]) -> tuple[int, int, int]:
        """The (height, width, channels) of one image as ints, if this network can take it.

        Raises:
            SpecError: If `input_shape` is not three positive integers, or its
                height or width is smaller than the network's total stride.
        """
        height, width, channels = image_shape(input_shape)
        if min(height, width) < self.total_stride:
            raise SpecError(f"input {height}x{width} is smaller than the network's total stride {self.total_stride}")
        return height, width, channels

    @property
    def num_layers(self) -> int:
        """Number of blocks once every stage is unrolled."""
        return sum(block.num_repeats for block in self.blocks)

    def digest(self) -> str:
        """Returns a stable hex SHA-256 of the spec's canonical string."""
        return hashlib.sha256(str(self).encode()).hexdigest()

    @classmethod
    def parse(cls, text: str) -> ArchSpec:
        """Parses the compact string view strictly.

        Args:
            text: A string made by `str(spec)`.

        Returns:
            The spec.

        Raises:
            SpecParseError: If `text` is malformed or not canonical.
            SpecError: If it parses but describes an invalid network.
        """
        if not isinstance(text, str):
            raise SpecParseError(f"a spec string must be a str, got {type(text).__name__}")
        tokens = text.strip().split(_SEPARATOR)
        if len(tokens) < 4:
            raise SpecParseError(
                f"malformed spec {text!r}; expected "
                "'<activation>-stem<filters>-<block>-...-head<filters>'"
            )
        activation, stem, *block_tokens, head = tokens
        if not stem.startswith("stem") or not stem[4:].isdigit():
            raise SpecParseError(f"malformed spec {text!r}: expected 'stem<filters>', got {stem!r}")
        if not head.startswith("head") or not head[4:].isdigit():
            raise SpecParseError(f"malformed spec {text!r}: expected 'head<filters>', got {head!r}")
        blocks = []
        for index, token in enumerate(block_tokens):
            try:
                blocks.append(BlockSpec.parse(token))
            except SpecError as error:
                raise type(error)(f"block {index}: {error}") from None
        spec = cls(
            blocks=tuple(blocks),
            stem_filters=int(stem[4:]),
            head_filters=int(head[4:]),
            activation=activation,
        )
        if str(spec) != text:
            raise SpecParseError(f"spec {text!r} is not in canonical form; write {str(spec)!r}")
        return spec

    def to_json(self) -> dict[str, Any]:
        """Returns the spec as a JSON-ready dict with a schema tag."""
        return {
            "schema": _SCHEMA,
            "activation": self.activation.value,
            "stem_filters": self.stem_filters,
            "head_filters": self.head_filters,
            "blocks": [block.to_json() for block in self.blocks],
        }

    def to_json_string(self) -> str:
        """Returns canonical JSON text (sorted keys, no spaces)."""
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> ArchSpec:
        """Builds a spec from `to_json()` output (a dict or JSON text), strictly.

        Raises:
            SpecParseError: On malformed JSON, a wrong schema tag, missing or unknown keys.
            SpecError: On invalid values.
        """
        data = parse_envelope(
            data, what="spec", schema=_SCHEMA, keys=("schema", "activation", "stem_filters", "head_filters", "blocks")
        )
        blocks = parse_blocks(data["blocks"], BlockSpec.from_json)
        return cls(
            blocks=tuple(blocks),
            stem_filters=data["stem_filters"],
            head_filters=data["head_filters"],
            activation=data["activation"],
        )
