"""The MnasNet search space: 7 stages whose blocks, repeats and widths are searched.

Paper: MnasNet: Platform-Aware Neural Architecture Search for Mobile,
Tan et al., CVPR 2019, https://arxiv.org/abs/1807.11626. The choice lists are
those of the space Vertex AI NAS publishes (see `shared/spaces.md`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

import pyglove as pg

from edgenas.errors import SpecError, UnknownNameError
from edgenas.spaces.search_space import ANY_CHOICE, SearchSpace
from edgenas.specs import Activation, ArchSpec, BlockFn, BlockSpec

__all__ = [
    "MNASNET_STRIDES",
    "MnasNetReference",
    "MnasNetSpace",
    "REFERENCES",
    "StageChoices",
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

_CHOICE_FIELDS = (
    "num_repeats",
    "block_fn",
    "expand_ratio",
    "kernel_size",
    "se_ratio",
    "output_filters",
)


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

    def hyper(self) -> pg.Dict:
        """The stage as a PyGlove dict: a `pg.oneof` per field with several candidates."""
        return pg.Dict(
            **{
                name: pg.oneof(list(values)) if len(values) > 1 else values[0]
                for name, values in ((n, getattr(self, n)) for n in _CHOICE_FIELDS)
            }
        )


class MnasNetSpace(SearchSpace):
    """The MnasNet space built around a reference network.

    Args:
        reference: `mobilenet_v2` (default) or `mnasnet_a1`; sets the repeats and
            filters the choices are centred on, and the activation.
        name: The name the space reports (derived spaces take their own).
        stages: Explicit per-stage choices (used by `narrow`); default: the
            published choices around the reference.

    Raises:
        UnknownNameError: On an unknown reference.
    """

    REFERENCE_CHOICES = tuple(REFERENCES)
    """The values `reference=` accepts."""

    def __init__(
        self,
        *,
        reference: str = "mobilenet_v2",
        name: str = "mnasnet",
        stages: Sequence[StageChoices] | None = None,
    ) -> None:
        if reference not in REFERENCES:
            raise UnknownNameError(
                f"unknown mnasnet reference {reference!r}; known: {', '.join(sorted(REFERENCES))}"
            )
        self._reference = REFERENCES[reference]
        if stages is None:
            stages = [
                StageChoices.around(repeats=r, filters=c)
                for r, c in zip(self._reference.num_repeats, self._reference.output_filters)
            ]
        if len(stages) != len(MNASNET_STRIDES):
            raise SpecError(f"the mnasnet space has {len(MNASNET_STRIDES)} stages, got {len(stages)}")
        self._stages = tuple(stages)
        reference_spec = self._reference.spec()
        references = {reference: reference_spec}
        super().__init__(
            name,
            pg.List([stage.hyper() for stage in self._stages]),
            self._to_spec,
            from_spec=self._from_spec,
            references=references,
            description=f"MnasNet backbone, 7 stages around {reference}",
            plain_values=True,
        )
        # A narrowed space keeps its reference only while the reference is still a point.
        if not self.contains(reference_spec):
            self._references.clear()

    @property
    def base_reference(self) -> str:
        """The reference the choices are centred on."""
        return self._reference.name

    @property
    def stages(self) -> tuple[StageChoices, ...]:
        """The per-stage choices."""
        return self._stages

    def narrow(
        self, *, name: str | None = None, stages: Iterable[int] | None = None, **choices: Any
    ) -> MnasNetSpace:
        """Derives a smaller space: some decisions fixed or their choices narrowed.

        Example: `space.narrow(kernel_size=[3], se_ratio=[0.0])` keeps 3x3 kernels
        only and no SE in every stage; `space.narrow(stages=[6], num_repeats=[1])`
        fixes the last stage to one block.

        Args:
            name: Name of the derived space (default: this name + "-narrowed").
            stages: Indices (0-6) of the stages to narrow; default all.
            **choices: Field name -> the values to keep; each must be a subset of
                the current choices of every stage narrowed.

        Returns:
            The derived space; its references are those still inside it.

        Raises:
            SpecError: On an unknown field, a stage index out of range, or a value
                that is not among the current choices.
        """
        unknown = sorted(set(choices) - set(_CHOICE_FIELDS))
        if unknown:
            raise SpecError(f"unknown mnasnet choice {unknown}; known: {', '.join(_CHOICE_FIELDS)}")
        targets = set(range(len(self._stages))) if stages is None else set(stages)
        bad = sorted(i for i in targets if not 0 <= i < len(self._stages))
        if bad:
            raise SpecError(f"stage indices {bad} out of range 0..{len(self._stages) - 1}")
        new_stages = []
        for index, stage in enumerate(self._stages):
            if index in targets:
                updates = {}
                for field, values in choices.items():
                    kept = tuple(values)
                    current = getattr(stage, field)
                    missing = [v for v in kept if v not in current]
                    if missing or not kept:
                        raise SpecError(
                            f"stage {index}: {field} {missing or kept} not among its choices {current}"
                        )
                    updates[field] = tuple(v for v in current if v in kept)
                stage = dataclasses.replace(stage, **updates)
            new_stages.append(stage)
        return MnasNetSpace(
            reference=self._reference.name,
            name=name or f"{self.name}-narrowed",
            stages=new_stages,
        )

    def _to_spec(self, value: Any) -> ArchSpec:
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
            activation=self._reference.activation,
        )

    def _from_spec(self, spec: ArchSpec) -> list[dict[str, Any]]:
        if (
            len(spec.blocks) != len(self._stages)
            or spec.activation is not self._reference.activation
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
