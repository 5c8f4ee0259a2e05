"""`JobRequest`: the body of ``POST /v1/jobs``, each field's type and bounds checked before use.

A client's JSON reaches the queue only through `parse_job_request`. A field of
the wrong type, out of its bounds or too long is a `JobRequestError` whose
message starts with the field (``tag``, ``settings.runs``...) and echoes at most
`MAX_SHOWN_CHARS` characters of what was sent; the HTTP API answers 422 with it.

The bounds (`SETTINGS_LIMITS`) are the farm's: `ProfileSettings` alone would
take ``runs=10**12``, which would hold a device for days.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Mapping

from ..settings import RUNTIME_CHOICES, STABILITY_CRITERIA, ProfileSettings
from ._echo import cut, shown
from .inventory import MAX_TAG_CHARS
from .job_store import DEFAULT_MAX_ATTEMPTS
from .model_store import check_sha256

__all__ = [
    "JOB_FIELDS",
    "MAX_JOB_ATTEMPTS",
    "SETTINGS_CHOICES",
    "SETTINGS_LIMITS",
    "JobRequest",
    "JobRequestError",
    "NumberLimit",
    "parse_job_request",
]

JOB_FIELDS = ("model_sha256", "tag", "settings", "max_attempts")
"""The fields a job may have; ``settings`` and ``max_attempts`` are optional."""
MAX_JOB_ATTEMPTS = 100
"""Most attempts a job may ask for (a job never gets more than one per device with its tag)."""


@dataclasses.dataclass(frozen=True)
class NumberLimit:
    """The numbers a profile setting may take in a farm job.

    Attributes:
        minimum: Smallest value.
        maximum: Largest value.
        integer: Whether only integers are allowed (else any finite number).
    """

    minimum: int | float
    maximum: int | float
    integer: bool = True

    def describe(self) -> str:
        """``an integer from 2 to 100000`` or ``a number from 0 to 1000``."""
        if self.integer:
            return f"an integer from {int(self.minimum)} to {int(self.maximum)}"
        return f"a number from {self.minimum:g} to {self.maximum:g}"

    def admits(self, value: object) -> bool:
        """Whether `value` (decoded JSON) is such a number (never a boolean)."""
        kinds = (int,) if self.integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            return False
        return (self.integer or math.isfinite(value)) and self.minimum <= value <= self.maximum


SETTINGS_LIMITS: Mapping[str, NumberLimit] = {
    "threads": NumberLimit(1, 256),
    "runs": NumberLimit(2, 100_000),
    "warmup": NumberLimit(0, 100_000),
    "cv_threshold": NumberLimit(0, 1000, integer=False),
    "max_attempts": NumberLimit(1, MAX_JOB_ATTEMPTS),
    "seed": NumberLimit(0, 2**63 - 1),  # the largest integer SQLite stores
}
"""Bounds of the numeric `ProfileSettings` fields in a job; ``runtime`` is null or one of `RUNTIME_CHOICES`,
``stability_criterion`` one of `STABILITY_CRITERIA` (`SETTINGS_CHOICES`)."""
SETTINGS_CHOICES: Mapping[str, tuple[str, ...]] = {"stability_criterion": STABILITY_CRITERIA}
"""The string `ProfileSettings` fields a job may set, with the values each may take (never null)."""
_ATTEMPTS = NumberLimit(1, MAX_JOB_ATTEMPTS)


class JobRequestError(ValueError):
    """A job body the farm refuses; the message starts with the bad field (HTTP 422)."""


@dataclasses.dataclass(frozen=True)
class JobRequest:
    """A checked job body.

    Attributes:
        model_sha256: The model's hex SHA-256.
        tag: A tag some device of the farm serves.
        settings: The job's settings over the farm's defaults.
        max_attempts: Attempts before the job fails.
    """

    model_sha256: str
    tag: str
    settings: ProfileSettings
    max_attempts: int


def parse_job_request(body: object, *, tags: Collection[str], default_settings: ProfileSettings) -> JobRequest:
    """Checks a decoded ``POST /v1/jobs`` body.

    Args:
        body: The decoded JSON.
        tags: The tags the farm's devices serve.
        default_settings: The farm's settings for those the job leaves out.

    Raises:
        JobRequestError: A field is missing, unknown, of the wrong type, out
            of bounds or too long; or no device serves the tag.
    """
    if not isinstance(body, dict):
        raise JobRequestError(f"the job must be a JSON object, got {shown(body)}")
    unknown = sorted(set(body) - set(JOB_FIELDS))
    if unknown:
        raise JobRequestError(f"unknown job field(s) {cut(', '.join(unknown))}; fields: {', '.join(JOB_FIELDS)}")
    sha256 = _required(body, "model_sha256")
    try:
        check_sha256(sha256)
    except ValueError:
        raise JobRequestError(f"model_sha256 must be 64 lowercase hex digits (SHA-256), got {shown(sha256)}") from None
    tag = _tag(_required(body, "tag"), tags)
    settings = _settings(body.get("settings", {}), default_settings)
    max_attempts = body.get("max_attempts", DEFAULT_MAX_ATTEMPTS)
    if not _ATTEMPTS.admits(max_attempts):
        raise JobRequestError(f"max_attempts must be {_ATTEMPTS.describe()}, got {shown(max_attempts)}")
    return JobRequest(model_sha256=sha256, tag=tag, settings=settings, max_attempts=max_attempts)


def _required(body: Mapping[str, object], field: str) -> object:
    if field not in body:
        raise JobRequestError(f"{field} is required")
    return body[field]


def _tag(tag: object, tags: Collection[str]) -> str:
    if not isinstance(tag, str) or not tag:
        raise JobRequestError(f"tag must be a non-empty string, got {shown(tag)}")
    if len(tag) > MAX_TAG_CHARS:
        raise JobRequestError(f"tag must be at most {MAX_TAG_CHARS} characters, got {len(tag)}: {shown(tag)}")
    if tag not in tags:
        raise JobRequestError(f"no device serves tag {tag!r}; tags: {', '.join(sorted(tags))}")
    return tag


def _settings(given: object, defaults: ProfileSettings) -> ProfileSettings:
    if not isinstance(given, dict):
        raise JobRequestError(f"settings must be a JSON object, got {shown(given)}")
    known = [f.name for f in dataclasses.fields(ProfileSettings)]
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise JobRequestError(f"unknown profile settings {cut(', '.join(unknown))}; settings: {', '.join(known)}")
    for name, value in given.items():
        if name == "runtime":
            if value is not None and value not in RUNTIME_CHOICES:  # a list or an object is simply not in it
                raise JobRequestError(
                    f"settings.runtime must be null or one of {', '.join(RUNTIME_CHOICES)}, got {shown(value)}"
                )
            continue
        choices = SETTINGS_CHOICES.get(name)
        if choices is not None:
            if not isinstance(value, str) or value not in choices:
                raise JobRequestError(f"settings.{name} must be one of {', '.join(choices)}, got {shown(value)}")
            continue
        limit = SETTINGS_LIMITS.get(name)
        if limit is None:  # a setting with no farm limit yet: ProfileSettings alone checks it
            continue
        if not limit.admits(value):
            raise JobRequestError(f"settings.{name} must be {limit.describe()}, got {shown(value)}")
    try:
        return ProfileSettings.from_json({**defaults.to_json(), **given})
    except (TypeError, ValueError) as e:  # a rule of ProfileSettings the limits above do not state
        raise JobRequestError(f"settings: {cut(str(e))}") from None
