"""The MnasNet space as data: references, per-stage choices, and its points as specs (no PyGlove).

`MnasNetSpace` (in `edgenas.spaces.mnasnet`) is the PyGlove space built from an
`MnasNetEncoding`; `describe_mnasnet` gives what `edgenas spaces` lists without
building it. Paper: MnasNet: Platform-Aware Neural Architecture Search for
Mobile, Tan et al., CVPR 2019, https://arxiv.org/abs/1807.11626. The choice lists
are those of the space Vertex AI NAS publishes (see `shared/spaces.md`).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, ClassVar

from edgenas.errors import SpecError, UnknownNameError
from edgenas.spaces.choices import ANY_CHOICE, Choice, has_point
from edgenas.spaces.space_info import SpaceInfo
from edgenas.specs import Activation, ArchSpec, BlockFn, BlockSpec

__all__ = [
    "CHOICE_FIELDS",
    "DEFAULT_REFERENCE",
    "HEAD_FILTERS",
    "MNASNET_STRIDES",
    "MnasNetEncoding",
    "MnasNetReference",
    "MnasNetSpaceFactory",
    "REFERENCES",
    "STEM_FILTERS",
    "StageChoices",
    "describe_mnasnet",
]

MNASNET_STRIDES = (1, 2, 2, 2, 1, 2, 1)
"""First-block stride of each of the 7 stages (fixed, as in MobileNetV2)."""

STEM_FILTERS = 32
HEAD_FILTERS = 1280


@dataclasses.dataclass(frozen=True)
class MnasNetReference:
    """A published network the space is built around (one value per stage)."""

    name: str
    num_repeats: tuple[int, ...]
    output_filters: tuple[int, ...]
    kernel_sizes: tuple[int, ...]
    expand_ratios: tuple[int, ...]
    se_ratios: tuple[float, ...]
    activation: Activation

    def spec(self) -> ArchSpec:
        """The reference network as a spec."""
        return ArchSpec(
            blocks=tuple(
                BlockSpec(
                    block_fn=BlockFn.MBCONV,
                    num_repeats=r,
                    kernel_size=k,
                    strides=s,
                    expand_ratio=e,
                    se_ratio=se,
                    output_filters=c,
                )
                for r, k, s, e, se, c in zip(
                    self.num_repeats,
                    self.kernel_sizes,
                    MNASNET_STRIDES,
                    self.expand_ratios,
                    self.se_ratios,
                    self.output_filters,
                    strict=True,
                )
            ),
            stem_filters=STEM_FILTERS,
            head_filters=HEAD_FILTERS,
            activation=self.activation,
        )

    @classmethod
    def named(cls, name: str) -> MnasNetReference:
        """The reference registered under `name` in `REFERENCES`.

        Raises:
            UnknownNameError: On an unknown name; the message lists the known ones.
        """
        try:
            return REFERENCES[name]
        except KeyError:
            raise UnknownNameError(
                f"unknown mnasnet reference {name!r}; known: {', '.join(sorted(REFERENCES))}"
            ) from None


REFERENCES: dict[str, MnasNetReference] = {
    "mobilenet_v2": MnasNetReference(
        name="mobilenet_v2",
        num_repeats=(1, 2, 3, 4, 3, 3, 1),
        output_filters=(16, 24, 32, 64, 96, 160, 320),
        kernel_sizes=(3,) * 7,
        expand_ratios=(1, 6, 6, 6, 6, 6, 6),
        se_ratios=(0.0,) * 7,
        activation=Activation.RELU6,
    ),
    "mnasnet_a1": MnasNetReference(
        name="mnasnet_a1",
        num_repeats=(1, 2, 3, 4, 2, 3, 1),
        output_filters=(16, 24, 40, 80, 112, 160, 320),
        kernel_sizes=(3, 3, 5, 3, 3, 5, 3),
        expand_ratios=(1, 6, 3, 6, 6, 6, 6),
        se_ratios=(0.0, 0.0, 0.25, 0.0, 0.25, 0.25, 0.0),
        activation=Activation.RELU,
    ),
}

DEFAULT_REFERENCE = "mobilenet_v2"
"""The reference `reference=` takes by default."""

CHOICE_FIELDS = (
    "num_repeats",
    "block_fn",
    "expand_ratio",
    "kernel_size",
    "se_ratio",
    "output_filters",
)
"""The fields of a stage, in DNA order."""


@dataclasses.dataclass(frozen=True)
class StageChoices:
    """The candidate values of each decision of one stage."""

    num_repeats: tuple[int, ...]
    block_fn: tuple[str, ...]
    expand_ratio: tuple[int, ...]
    kernel_size: tuple[int, ...]
    se_ratio: tuple[float, ...]
    output_filters: tuple[int, ...]

    @classmethod
    def around(cls, *, repeats: int, filters: int) -> StageChoices:
        """The published choices around a reference stage of `repeats` x `filters`."""
        return cls(
            num_repeats=(repeats - 1, repeats, repeats + 1) if repeats > 1 else (1, 2),
            block_fn=(BlockFn.CONV.value, BlockFn.MBCONV.value),
            expand_ratio=(1, 3, 6),
            kernel_size=(3, 5),
            se_ratio=(0.0, 0.25),
            output_filters=(int(0.75 * filters), filters, int(1.25 * filters)),
        )

    def tree(self) -> dict[str, Any]:
        """The stage as a choice tree: a `Choice` per field with several candidates, else the value."""
        return {
            name: Choice(values) if len(values) > 1 else values[0]
            for name, values in ((n, getattr(self, n)) for n in CHOICE_FIELDS)
        }

    def hyper(self) -> Any:
        """The stage as a PyGlove dict (`pg.Dict`; imports PyGlove)."""
        from edgenas.spaces.search_space import hyper_of  # noqa: PLC0415  (only building needs PyGlove)

        return hyper_of(self.tree())


@dataclasses.dataclass(frozen=True)
class MnasNetEncoding:
    """The decisions of a MnasNet space and what its points mean, as plain data.

    A point is a list of 7 stage dicts (field -> value, see `StageChoices.tree`).

    Attributes:
        name: The name of the space.
        reference: The network the choices are centred on (its activation is every point's).
        stages: The choices of each of the 7 stages.

    Raises:
        SpecError: If there are not 7 stages.
    """

    name: str
    reference: MnasNetReference
    stages: tuple[StageChoices, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        if len(self.stages) != len(MNASNET_STRIDES):
            raise SpecError(f"the mnasnet space has {len(MNASNET_STRIDES)} stages, got {len(self.stages)}")

    @classmethod
    def around(cls, reference: str, *, name: str = "mnasnet") -> MnasNetEncoding:
        """The published space around `reference`.

        Raises:
            UnknownNameError: On an unknown reference.
        """
        network = MnasNetReference.named(reference)
        stages = tuple(
            StageChoices.around(repeats=r, filters=c)
            for r, c in zip(network.num_repeats, network.output_filters, strict=True)
        )
        return cls(name=name, reference=network, stages=stages)

    def tree(self) -> list[dict[str, Any]]:
        """The decisions as a choice tree (one dict per stage)."""
        return [stage.tree() for stage in self.stages]

    @property
    def description(self) -> str:
        """One line for listings."""
        return f"MnasNet backbone, 7 stages around {self.reference.name}"

    def to_spec(self, value: Any) -> ArchSpec:
        """The spec of a point (read by indexing: plain or PyGlove values)."""
        blocks = []
        for stage, strides in zip(value, MNASNET_STRIDES, strict=True):
            block_fn = BlockFn(stage["block_fn"])
            is_conv = block_fn is BlockFn.CONV
            blocks.append(
                BlockSpec(
                    block_fn=block_fn,
                    num_repeats=stage["num_repeats"],
                    kernel_size=stage["kernel_size"],
                    strides=strides,
                    # A conv block ignores expansion and SE: normalise so that one
                    # network has one spec (and one artifact, one measurement).
                    expand_ratio=1 if is_conv else stage["expand_ratio"],
                    se_ratio=0.0 if is_conv else stage["se_ratio"],
                    output_filters=stage["output_filters"],
                )
            )
        return ArchSpec(
            blocks=tuple(blocks),
            stem_filters=STEM_FILTERS,
            head_filters=HEAD_FILTERS,
            activation=self.reference.activation,
        )

    def from_spec(self, spec: ArchSpec) -> list[dict[str, Any]]:
        """The point of a spec, with `ANY_CHOICE` where a conv block ignores a field.

        Raises:
            SpecError: If the spec's fixed parts (stages, strides, stem, head,
                activation) are not this space's.
        """
        if (
            len(spec.blocks) != len(self.stages)
            or spec.activation is not self.reference.activation
            or spec.stem_filters != STEM_FILTERS
            or spec.head_filters != HEAD_FILTERS
            or tuple(b.strides for b in spec.blocks) != MNASNET_STRIDES
        ):
            raise SpecError(f"spec is not a point of space {self.name!r}: {spec}")
        value = []
        for block in spec.blocks:
            is_conv = block.block_fn is BlockFn.CONV
            value.append(
                {
                    "num_repeats": block.num_repeats,
                    "block_fn": block.block_fn.value,
                    # A conv block ignores these: every candidate gives the same spec.
                    "expand_ratio": ANY_CHOICE if is_conv else block.expand_ratio,
                    "kernel_size": block.kernel_size,
                    "se_ratio": ANY_CHOICE if is_conv else block.se_ratio,
                    "output_filters": block.output_filters,
                }
            )
        return value

    def references(self) -> tuple[str, ...]:
        """The space's references: its own reference network while that is one of its points."""
        spec = self.reference.spec()
        return (self.reference.name,) if has_point(self.tree(), self.to_spec, self.from_spec, spec) else ()

    def info(self) -> SpaceInfo:
        """What `edgenas spaces` lists about the space (equal to what the built space reports)."""
        return SpaceInfo.of_tree(self.tree(), name=self.name, spec_type=ArchSpec, references=self.references(),
                                 description=self.description)


@functools.cache
def describe_mnasnet(*, reference: str = DEFAULT_REFERENCE) -> SpaceInfo:
    """What `edgenas spaces` lists about `MnasNetSpace(reference=reference)`, without building it.

    Raises:
        UnknownNameError: On an unknown reference.
    """
    return MnasNetEncoding.around(reference).info()


@dataclasses.dataclass(frozen=True)
class MnasNetSpaceFactory:
    """What the registry holds for `mnasnet`: builds `MnasNetSpace(**options)` on call.

    Importing it does not import PyGlove; calling it does.
    """

    REFERENCE_CHOICES: ClassVar[tuple[str, ...]] = tuple(REFERENCES)
    """The values `reference=` accepts (read by `edgenas spaces`)."""

    def __call__(self, **options: Any) -> Any:
        """`MnasNetSpace(**options)` (`reference=`, `name=`, `stages=`).

        Raises:
            UnknownNameError: On an unknown reference.
        """
        from edgenas.spaces.mnasnet import MnasNetSpace  # noqa: PLC0415  (PyGlove loads when a space is built)

        return MnasNetSpace(**options)
