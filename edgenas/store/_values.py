"""Validation and conversion helpers shared by the store's records (private)."""

from __future__ import annotations

import datetime
import enum
import json
import math
import numbers
from typing import Any, TypeVar

from edgenas.errors import SpecError
from edgenas.specs.enums import coerce_enum
from edgenas.store.errors import InvalidRecordError

__all__ = [
    "canonical_json",
    "check_enum",
    "check_float",
    "check_int",
    "check_text",
    "check_time",
    "format_time",
    "parse_time",
    "utc_now",
]


def _describe(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def canonical_json(value: Any) -> str:
    """Returns the canonical JSON text of a JSON-able value: sorted keys, no spaces.

    Two values that are equal as JSON give the same text, so the text can be
    compared (a study's space options, its reward config).

    Args:
        value: A JSON-able value (dicts, lists, strings, finite numbers, booleans, None).

    Returns:
        The canonical text.

    Raises:
        InvalidRecordError: If `value` is not JSON-able (a NaN, a set, an object).
    """
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise InvalidRecordError(f"not JSON-able: {error}") from None


def canonical_json_text(name: str, text: object, *, require_object: bool) -> str:
    """Validates JSON text and returns its canonical form."""
    if not isinstance(text, str):
        raise InvalidRecordError(f"{name} must be JSON text (a str), got {_describe(text)}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidRecordError(f"{name} is not valid JSON: {error}") from None
    if require_object and not isinstance(value, dict):
        raise InvalidRecordError(f"{name} must be a JSON object, got {_describe(value)}")
    return canonical_json(value)


def check_text(name: str, value: object, *, optional: bool = False) -> str | None:
    """Checks a non-empty string (or None when `optional`)."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidRecordError(f"{name} must be a non-empty string, got {_describe(value)}")
    return value


def check_int(name: str, value: object, *, minimum: int) -> int:
    """Checks an integer (not a bool) of at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidRecordError(f"{name} must be an integer, got {_describe(value)}")
    if value < minimum:
        raise InvalidRecordError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_float(name: str, value: object, *, optional: bool = False, minimum: float | None = None) -> float | None:
    """Checks a finite real number (not a bool) and returns it as a float."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidRecordError(f"{name} must be a number, got {_describe(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidRecordError(f"{name} must be finite, got {number}")
    if minimum is not None and number < minimum:
        raise InvalidRecordError(f"{name} must be >= {minimum}, got {number}")
    return number


def utc_now() -> datetime.datetime:
    """The current time, aware, in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


def check_time(name: str, value: object, *, optional: bool = False) -> datetime.datetime | None:
    """Checks an aware datetime (or None when `optional`)."""
    if value is None and optional:
        return None
    if not isinstance(value, datetime.datetime):
        raise InvalidRecordError(f"{name} must be a datetime, got {_describe(value)}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRecordError(f"{name} must be time-zone aware, got {value.isoformat()}")
    return value


def format_time(value: datetime.datetime | None) -> str | None:
    """ISO 8601 text of an aware datetime (None stays None)."""
    return None if value is None else value.isoformat()


def parse_time(name: str, text: object, *, optional: bool = False) -> datetime.datetime | None:
    """Parses ISO 8601 text written by `format_time`."""
    if text is None and optional:
        return None
    if not isinstance(text, str):
        raise InvalidRecordError(f"{name} must be ISO 8601 text, got {_describe(text)}")
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRecordError(f"{name} is not an ISO 8601 time: {text!r}") from None
    return check_time(name, value)


_E = TypeVar("_E", bound=enum.StrEnum)


def check_enum(kind: type[_E], name: str, value: object) -> _E:
    """A member of `kind` from a member or its string value (the specs' coerce_enum, as a store error)."""
    try:
        return coerce_enum(kind, value, field=name)
    except SpecError as error:
        raise InvalidRecordError(str(error)) from None
