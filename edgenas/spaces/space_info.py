"""`SpaceInfo`: what `edgenas spaces` lists about a registered space, known without building it."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from edgenas.families import Family, Task, family_of_type

__all__ = ["SpaceInfo"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpaceInfo:
    """One variant of a registered space (one set of factory options), as listed.

    The built-in spaces compute it from their choice tables (no PyGlove, no
    hyper value: `edgenas spaces` answers at once); a space registered without
    a `describe=` gets it from the built space (`SpaceInfo.of`). The numbers
    are those of the built space; a test holds the two ways equal.

    Attributes:
        name: The registry name.
        options: The factory options of this variant, as (option, value) pairs
            (`(("reference", "mnasnet_a1"),)`); empty for a space without options.
        spec_type: The type of the space's points (`SearchSpace.spec_type`),
            which names its family and so its task.
        size: Number of distinct points (DNA values), `SearchSpace.size`.
        num_decisions: Number of decision points, `SearchSpace.num_decisions`.
        references: Named points of the space, `SearchSpace.reference_names()`.
        description: One line, `SearchSpace.description`.

    Raises:
        ValueError: On an empty name, a negative count or options that are not
            (str, str) pairs.
    """

    name: str
    options: tuple[tuple[str, str], ...] = ()
    spec_type: type
    size: int
    num_decisions: int
    references: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", tuple(tuple(pair) for pair in self.options))
        object.__setattr__(self, "references", tuple(self.references))
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a SpaceInfo needs a non-empty name, got {self.name!r}")
        if any(len(pair) != 2 or not all(isinstance(x, str) for x in pair) for pair in self.options):
            raise ValueError(f"options must be (option, value) string pairs, got {self.options!r}")
        if self.size < 1 or self.num_decisions < 0:
            raise ValueError(f"space {self.name!r}: size {self.size} and decisions {self.num_decisions} are impossible")

    @classmethod
    def of_tree(
        cls, tree: Any, *, name: str, spec_type: type, references: tuple[str, ...], description: str
    ) -> SpaceInfo:
        """The listing of a space declared as a choice tree (`edgenas.spaces.choices`), without building it."""
        from edgenas.spaces.choices import decision_sizes  # noqa: PLC0415  (choices imports nothing of ours)

        sizes = decision_sizes(tree)
        return cls(name=name, spec_type=spec_type, size=math.prod(sizes), num_decisions=len(sizes),
                   references=references, description=description)  # fmt: skip

    @classmethod
    def of(cls, space: Any, *, name: str | None = None, options: Mapping[str, str] | None = None) -> SpaceInfo:
        """Reads a built `SearchSpace` (this samples one point, for `spec_type`).

        Args:
            space: The built space.
            name: The name it is registered under (default: the space's own).
            options: The factory options it was built with.
        """
        return cls(
            name=space.name if name is None else name,
            options=tuple((options or {}).items()),
            spec_type=space.spec_type,
            size=space.size,
            num_decisions=space.num_decisions,
            references=space.reference_names(),
            description=space.description,
        )

    @property
    def family(self) -> Family:
        """The family of the space's points.

        Raises:
            UnknownNameError: If no family owns `spec_type`.
        """
        return family_of_type(self.spec_type)

    @property
    def task(self) -> Task:
        """What the space's networks do (its family's task: classification, detection)."""
        return self.family.task

    @property
    def command_line(self) -> str:
        """The options as `edgenas` arguments: `--reference mnasnet_a1`."""
        return " ".join(f"--{option.replace('_', '-')} {value}" for option, value in self.options)
