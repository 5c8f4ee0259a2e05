"""`Rung`: a proxy training's held-out score after a number of its steps."""

from __future__ import annotations

import dataclasses
from typing import Any

from edgenas.store._values import check_float, check_int
from edgenas.store.errors import InvalidRecordError

__all__ = ["Rung"]


@dataclasses.dataclass(frozen=True)
class Rung:
    """A training's score at one of its rungs (`edgenas.search.Halving`).

    Attributes:
        steps: Training steps run when it was scored.
        score: Its held-out score then (accuracy, AP or mIoU).
    """

    steps: int
    score: float

    def __post_init__(self) -> None:
        check_int("rung steps", self.steps, minimum=1)
        object.__setattr__(self, "score", check_float("rung score", self.score))

    def to_json(self) -> list[Any]:
        """`[steps, score]`."""
        return [self.steps, self.score]

    @classmethod
    def from_json(cls, data: Any) -> Rung:
        """The rung of `to_json()` output.

        Raises:
            InvalidRecordError: If `data` is not a `[steps, score]` pair.
        """
        if not isinstance(data, list) or len(data) != 2:
            raise InvalidRecordError(f"a rung must be [steps, score], got {data!r}")
        return cls(steps=data[0], score=data[1])
