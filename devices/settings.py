"""`ProfileSettings`: how a model is timed on a device (runtime, threads, runs)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math

from .latency_result import STABILITY_CRITERIA

__all__ = ["RUNTIME_CHOICES", "STABILITY_CRITERIA", "ProfileSettings"]

RUNTIME_CHOICES = ("litert", "onnxruntime")
"""Runtimes a caller may ask for; None lets the profiler pick from the file extension."""


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


@dataclasses.dataclass(frozen=True)
class ProfileSettings:
    """The runtime settings of one latency measurement, the same on every backend.

    Two measurements of the same model file with equal settings on devices with
    the same tag are interchangeable: `cache_key` names that equivalence class.

    Attributes:
        runtime: "litert", "onnxruntime", or None (from the model's extension).
        threads: CPU threads given to the runtime.
        runs: Timed runs per attempt (at least 2).
        warmup: Untimed runs before each attempt.
        cv_threshold: An attempt whose spread (see ``stability_criterion``) exceeds this is repeated.
        max_attempts: Attempts at most; the most stable one is reported.
        seed: Seed of the random input data.
        stability_criterion: The spread that judges an attempt, one of `STABILITY_CRITERIA`:
            ``"robust_cv"`` (1.4826 * MAD / median, which a few preempted runs barely move) or ``"cv"``
            (std / mean). Backends whose tool prints no per-run times (`devices.adb.AdbDevice`) use ``"cv"``.
    """

    runtime: str | None = None
    threads: int = 1
    runs: int = 50
    warmup: int = 10
    cv_threshold: float = 0.05
    max_attempts: int = 3
    seed: int = 0
    stability_criterion: str = "robust_cv"

    def __post_init__(self) -> None:
        if self.runtime is not None and self.runtime not in RUNTIME_CHOICES:
            raise ValueError(f"unknown runtime {self.runtime!r}; known runtimes: {', '.join(RUNTIME_CHOICES)}")
        _check_int("threads", self.threads, 1)
        _check_int("runs", self.runs, 2)
        _check_int("warmup", self.warmup, 0)
        _check_int("max_attempts", self.max_attempts, 1)
        _check_int("seed", self.seed, 0)
        if not isinstance(self.stability_criterion, str) or self.stability_criterion not in STABILITY_CRITERIA:
            raise ValueError(
                f"stability_criterion must be one of {', '.join(STABILITY_CRITERIA)}, got {self.stability_criterion!r}"
            )
        value = self.cv_threshold
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value >= 0):
            raise ValueError(f"cv_threshold must be a finite number >= 0, got {value!r}")
        object.__setattr__(self, "cv_threshold", float(value))

    def profiler_args(self) -> list[str]:
        """The command-line options of `devices/profiler.py` for these settings (model path not included)."""
        args = [
            "--threads", str(self.threads),
            "--runs", str(self.runs),
            "--warmup", str(self.warmup),
            "--stability", self.stability_criterion,
            "--cv-threshold", repr(self.cv_threshold),
            "--max-attempts", str(self.max_attempts),
            "--seed", str(self.seed),
        ]  # fmt: skip
        if self.runtime is not None:
            args += ["--runtime", self.runtime]
        return args

    def to_json(self) -> dict[str, object]:
        """A plain JSON object of every field."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ProfileSettings:
        """The inverse of `to_json`; unknown keys are an error."""
        unknown = sorted(set(data) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"unknown profile settings {unknown}")
        return cls(**data)  # type: ignore[arg-type]

    def cache_key(self) -> str:
        """A short stable hash of the settings (part of a latency cache key)."""
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]
