"""`TrialTimings`: where a trial's wall-clock time went."""

from __future__ import annotations

import dataclasses
from typing import Any

from edgenas.store._values import check_float
from edgenas.store.errors import InvalidRecordError

__all__ = ["TrialTimings"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrialTimings:
    """Seconds spent on each step of one trial; None for a step that did not run.

    Attributes:
        proxy_train_s: Training and evaluating on the proxy task (accuracy).
        export_s: Building and converting the model file(s).
        profile_s: Measuring latency.
        total_s: The whole trial, start to end.
    """

    proxy_train_s: float | None = None
    export_s: float | None = None
    profile_s: float | None = None
    total_s: float | None = None

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = check_float(field.name, getattr(self, field.name), optional=True, minimum=0.0)
            object.__setattr__(self, field.name, value)

    def to_json(self) -> dict[str, float | None]:
        """Returns the timings as a JSON-ready dict."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrialTimings:
        """Builds timings from `to_json()` output.

        Raises:
            InvalidRecordError: On an unknown or invalid field.
        """
        if not isinstance(data, dict):
            raise InvalidRecordError(f"timings must be a JSON object, got {type(data).__name__}")
        names = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise InvalidRecordError(f"timings JSON: unknown fields {unknown}")
        return cls(**data)
