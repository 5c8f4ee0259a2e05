"""The MnasNet search space: 7 stages whose blocks, repeats and widths are searched.

Paper: MnasNet: Platform-Aware Neural Architecture Search for Mobile,
Tan et al., CVPR 2019, https://arxiv.org/abs/1807.11626. The choice lists are
those of the space Vertex AI NAS publishes (see `shared/spaces.md`). The tables
and the conversion of points to specs are plain data in
`edgenas.spaces.mnasnet_choices`; this module makes the PyGlove space of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from edgenas.errors import SpecError
from edgenas.spaces.mnasnet_choices import (
    CHOICE_FIELDS,
    DEFAULT_REFERENCE,
    MNASNET_STRIDES,
    REFERENCES,
    MnasNetEncoding,
    MnasNetReference,
    StageChoices,
)
from edgenas.spaces.search_space import SearchSpace, hyper_of

__all__ = [
    "MNASNET_STRIDES",
    "MnasNetReference",
    "MnasNetSpace",
    "REFERENCES",
    "StageChoices",
]


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
        reference: str = DEFAULT_REFERENCE,
        name: str = "mnasnet",
        stages: Sequence[StageChoices] | None = None,
    ) -> None:
        encoding = MnasNetEncoding.around(reference, name=name)
        if stages is not None:
            encoding = dataclasses.replace(encoding, stages=tuple(stages))
        self._encoding = encoding
        self._reference = encoding.reference
        self._stages = encoding.stages
        reference_spec = self._reference.spec()
        super().__init__(
            name,
            hyper_of(encoding.tree()),
            encoding.to_spec,
            from_spec=encoding.from_spec,
            references={reference: reference_spec},
            description=encoding.description,
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

    @property
    def encoding(self) -> MnasNetEncoding:
        """The space's decisions and the meaning of its points, as plain data."""
        return self._encoding

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
        unknown = sorted(set(choices) - set(CHOICE_FIELDS))
        if unknown:
            raise SpecError(f"unknown mnasnet choice {unknown}; known: {', '.join(CHOICE_FIELDS)}")
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
