"""The EfficientNetV2 space as data: per-block choices and its points as specs (no PyGlove).

`EfficientNetV2Space` (in `edgenas.spaces.efficientnet_v2`) is the PyGlove space
built from an `EfficientNetV2Encoding`; `describe_efficientnet_v2` gives what
`edgenas spaces` lists without building it. Paper: EfficientNetV2: Smaller
Models and Faster Training, Tan and Le, ICML 2021, https://arxiv.org/abs/2104.00298.
The choice lists are those of the space Vertex AI NAS publishes (see
`shared/spaces.md`): 6 blocks around EfficientNetV2-B0, whose stem (3x3 stride 2,
32 filters), head (1280), strides (1, 2, 2, 2, 1, 2) and network activation
(swish) every point keeps.

A point is a list of 6 block dicts (field -> value, see `BlockChoices.tree`). A
block's `activation` choice equal to the network's is written as no block
activation in the spec (`BlockSpec.activation` None), so that one network has
one spec; every other choice changes the network, so DNA and specs are one to one.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, ClassVar

from edgenas.errors import SpecError
from edgenas.spaces.choices import Choice, has_point
from edgenas.spaces.space_info import SpaceInfo
from edgenas.specs import (
    Activation,
    ArchSpec,
    BlockFn,
    BlockSpec,
    efficientnet_v2_reference,
    efficientnet_v2_reference_names,
)

__all__ = [
    "CHOICE_FIELDS",
    "DEFAULT_REFERENCE",
    "BlockChoices",
    "EfficientNetV2Encoding",
    "EfficientNetV2SpaceFactory",
    "describe_efficientnet_v2",
]

DEFAULT_REFERENCE = "efficientnetv2_b0"
"""The reference `reference=` takes by default."""

CHOICE_FIELDS = (
    "num_repeats",
    "block_type",
    "expand_ratio",
    "kernel_size",
    "se_ratio",
    "output_filters",
    "activation",
)
"""The fields of a block, in DNA order (`block_type` is the published name of `BlockSpec.block_fn`)."""


@dataclasses.dataclass(frozen=True)
class BlockChoices:
    """The candidate values of each decision of one block (one stage of repeats)."""

    num_repeats: tuple[int, ...]
    block_type: tuple[str, ...]
    expand_ratio: tuple[int, ...]
    kernel_size: tuple[int, ...]
    se_ratio: tuple[float, ...]
    output_filters: tuple[int, ...]
    activation: tuple[str, ...]

    @classmethod
    def around(cls, *, repeats: int, filters: int) -> BlockChoices:
        """The published choices around a reference block of `repeats` x `filters`."""
        return cls(
            num_repeats=(repeats - 1, repeats, repeats + 1) if repeats > 1 else (1, 2),
            block_type=(BlockFn.MBCONV.value, BlockFn.FUSED_MBCONV.value),
            expand_ratio=(1, 2, 4, 6),
            kernel_size=(3, 5),
            se_ratio=(0.0, 0.25),
            output_filters=(int(0.75 * filters), filters, int(1.25 * filters)),
            activation=(Activation.SWISH.value, Activation.RELU.value),
        )

    def tree(self) -> dict[str, Any]:
        """The block as a choice tree: a `Choice` per field with several candidates, else the value."""
        return {
            name: Choice(values) if len(values) > 1 else values[0]
            for name, values in ((n, getattr(self, n)) for n in CHOICE_FIELDS)
        }


@dataclasses.dataclass(frozen=True)
class EfficientNetV2Encoding:
    """The decisions of an EfficientNetV2 space and what its points mean, as plain data.

    Attributes:
        name: The name of the space.
        reference_name: The name of the network the choices are centred on.
        blocks: The choices of each of the reference's blocks.

    Raises:
        UnknownNameError: On an unknown reference.
        SpecError: If there is not one `BlockChoices` per block of the reference.
    """

    name: str
    reference_name: str
    blocks: tuple[BlockChoices, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(self.blocks))
        if len(self.blocks) != len(self.reference.blocks):
            raise SpecError(
                f"the {self.name} space has {len(self.reference.blocks)} blocks, got {len(self.blocks)} block choices"
            )

    @classmethod
    def around(cls, reference: str, *, name: str = "efficientnet_v2") -> EfficientNetV2Encoding:
        """The published space around `reference`.

        Raises:
            UnknownNameError: On an unknown reference.
        """
        network = efficientnet_v2_reference(reference)
        blocks = tuple(BlockChoices.around(repeats=b.num_repeats, filters=b.output_filters) for b in network.blocks)
        return cls(name=name, reference_name=reference, blocks=blocks)

    @property
    def reference(self) -> ArchSpec:
        """The network the choices are centred on; its stem, head, strides and activation are every point's."""
        return efficientnet_v2_reference(self.reference_name)

    def tree(self) -> list[dict[str, Any]]:
        """The decisions as a choice tree (one dict per block)."""
        return [block.tree() for block in self.blocks]

    @property
    def description(self) -> str:
        """One line for listings."""
        return f"EfficientNetV2 backbone, {len(self.blocks)} blocks around {self.reference_name}"

    def to_spec(self, value: Any) -> ArchSpec:
        """The spec of a point (read by indexing: plain or PyGlove values)."""
        reference = self.reference
        network_activation = reference.activation
        blocks = []
        for block, fixed in zip(value, reference.blocks, strict=True):
            activation = Activation(block["activation"])
            blocks.append(
                BlockSpec(
                    block_fn=BlockFn(block["block_type"]),
                    num_repeats=block["num_repeats"],
                    kernel_size=block["kernel_size"],
                    strides=fixed.strides,
                    expand_ratio=block["expand_ratio"],
                    se_ratio=block["se_ratio"],
                    output_filters=block["output_filters"],
                    # The network's own activation is no block activation: one network, one spec.
                    activation=None if activation is network_activation else activation,
                )
            )
        return ArchSpec(
            blocks=tuple(blocks),
            stem_filters=reference.stem_filters,
            head_filters=reference.head_filters,
            activation=network_activation,
        )

    def from_spec(self, spec: ArchSpec) -> list[dict[str, Any]]:
        """The point of a spec (its values may be off the candidates: `has_point` checks them).

        Raises:
            SpecError: If the spec's fixed parts (number of blocks, strides, stem,
                head, network activation) are not this space's.
        """
        reference = self.reference
        if (
            not isinstance(spec, ArchSpec)
            or len(spec.blocks) != len(reference.blocks)
            or spec.activation is not reference.activation
            or spec.stem_filters != reference.stem_filters
            or spec.head_filters != reference.head_filters
            or tuple(b.strides for b in spec.blocks) != tuple(b.strides for b in reference.blocks)
        ):
            raise SpecError(f"spec is not a point of space {self.name!r}: {spec}")
        return [
            {
                "num_repeats": block.num_repeats,
                "block_type": block.block_fn.value,
                "expand_ratio": block.expand_ratio,
                "kernel_size": block.kernel_size,
                "se_ratio": block.se_ratio,
                "output_filters": block.output_filters,
                "activation": spec.activation_of(block).value,
            }
            for block in spec.blocks
        ]

    def references(self) -> tuple[str, ...]:
        """The space's references: its own reference network while that is one of its points."""
        found = has_point(self.tree(), self.to_spec, self.from_spec, self.reference)
        return (self.reference_name,) if found else ()

    def info(self) -> SpaceInfo:
        """What `edgenas spaces` lists about the space (equal to what the built space reports)."""
        return SpaceInfo.of_tree(self.tree(), name=self.name, spec_type=ArchSpec, references=self.references(),
                                 description=self.description)


@functools.cache
def describe_efficientnet_v2(*, reference: str = DEFAULT_REFERENCE) -> SpaceInfo:
    """What `edgenas spaces` lists about `EfficientNetV2Space(reference=reference)`, without building it.

    Raises:
        UnknownNameError: On an unknown reference.
    """
    return EfficientNetV2Encoding.around(reference).info()


@dataclasses.dataclass(frozen=True)
class EfficientNetV2SpaceFactory:
    """What the registry holds for `efficientnet_v2`: builds `EfficientNetV2Space(**options)` on call.

    Importing it does not import PyGlove; calling it does.
    """

    REFERENCE_CHOICES: ClassVar[tuple[str, ...]] = efficientnet_v2_reference_names()
    """The values `reference=` accepts (read by `edgenas spaces`)."""

    def __call__(self, **options: Any) -> Any:
        """`EfficientNetV2Space(**options)` (`reference=`, `name=`).

        Raises:
            UnknownNameError: On an unknown reference.
        """
        # Imported here: PyGlove loads when a space is built, not when the registry is read.
        from edgenas.spaces.efficientnet_v2 import EfficientNetV2Space

        return EfficientNetV2Space(**options)
