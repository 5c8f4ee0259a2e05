"""`PredictedLatency`: a trial's latency as a learned predictor gave it (nothing was measured)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from devices import LatencyResult
from edgenas.store._values import check_float, check_int, check_text
from edgenas.store.errors import InvalidRecordError

__all__ = ["PREDICTED", "PredictedLatency", "latency_from_json"]

PREDICTED = "predicted"
"""The ``source`` of a predicted latency's JSON (a measurement's JSON is the profiler's, with no ``source``)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class PredictedLatency:
    """A latency predicted from the spec by a `latency_models` predictor file.

    Attributes:
        latency_ms: The predicted latency.
        predictor: The predictor file's name.
        predictor_sha256: Hex SHA-256 of that file (which predictor exactly).
        device: The device the predictor describes.
        precision: "fp32" or "int8".
        threads: Interpreter threads.
    """

    latency_ms: float
    predictor: str
    predictor_sha256: str
    device: str
    precision: str
    threads: int

    def __post_init__(self) -> None:
        check_float("latency_ms", self.latency_ms, minimum=0.0)
        object.__setattr__(self, "latency_ms", float(self.latency_ms))
        for name in ("predictor", "predictor_sha256", "device", "precision"):
            check_text(name, getattr(self, name))
        check_int("threads", self.threads, minimum=1)

    def to_json(self) -> dict[str, Any]:
        """A JSON object with ``"source": "predicted"``."""
        return {"source": PREDICTED, **dataclasses.asdict(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PredictedLatency:
        """The inverse of `to_json`.

        Raises:
            InvalidRecordError: A missing, unknown or invalid field.
        """
        fields = {f.name for f in dataclasses.fields(cls)}
        body = {k: v for k, v in data.items() if k != "source"}
        if data.get("source") != PREDICTED or set(body) != fields:
            raise InvalidRecordError(f"a predicted latency needs source 'predicted' and {sorted(fields)}, got {sorted(data)}")
        return cls(**body)


def latency_from_json(data: Any) -> LatencyResult | PredictedLatency:
    """A trial's latency from JSON: predicted when it says so, else the profiler's measurement.

    Raises:
        ValueError: Neither (InvalidRecordError for a bad predicted latency).
    """
    if isinstance(data, str):
        import json  # noqa: PLC0415

        data = json.loads(data)
    if isinstance(data, Mapping) and data.get("source") == PREDICTED:
        return PredictedLatency.from_json(data)
    return LatencyResult.from_json(data)
