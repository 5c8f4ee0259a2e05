"""The JSON envelope shared by every architecture spec: a schema tag, exact keys, a list of blocks."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar

from edgenas.errors import SpecError, SpecParseError

__all__ = ["canonical_json", "check_block_object", "parse_blocks", "parse_envelope"]

_B = TypeVar("_B")


def canonical_json(obj: dict[str, Any]) -> str:
    """Canonical JSON text of a spec's `to_json()` (sorted keys, no spaces)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def parse_envelope(data: dict[str, Any] | str, *, what: str, schema: str, keys: Collection[str]) -> dict[str, Any]:
    """Checks a spec's JSON object (or text): an object, the right schema tag, exactly `keys`.

    Args:
        data: A dict or JSON text.
        what: The spec's name in messages, e.g. "spec" or "SpineNet spec".
        schema: The expected value of the "schema" key.
        keys: Every key the object must have (the schema key included).

    Returns:
        The object.

    Raises:
        SpecParseError: On malformed JSON, a wrong schema tag, missing or unknown keys,
            or a "blocks" value that is not a list.
    """
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as error:
            raise SpecParseError(f"{what} JSON is malformed: {error}") from None
    if not isinstance(data, dict):
        raise SpecParseError(f"a {what} must be a JSON object, got {type(data).__name__}")
    if data.get("schema") != schema:
        raise SpecParseError(f"{what} JSON schema must be {schema!r}, got {data.get('schema')!r}")
    expected = set(keys)
    if set(data) != expected:
        raise SpecParseError(
            f"{what} JSON: missing keys {sorted(expected - set(data))}, unknown keys {sorted(set(data) - expected)}"
        )
    if "blocks" in expected and not isinstance(data["blocks"], list):
        raise SpecParseError(f"{what} JSON: 'blocks' must be a list")
    return data


def parse_blocks(raw_blocks: list[Any], from_json: Callable[[Any], _B]) -> tuple[_B, ...]:
    """Parses each block, naming the index of the first bad one in the error."""
    blocks = []
    for index, block in enumerate(raw_blocks):
        try:
            blocks.append(from_json(block))
        except SpecError as error:
            raise type(error)(f"block {index}: {error}") from None
    return tuple(blocks)


def check_block_object(
    data: object, *, what: str, fields: Sequence[str], optional: Sequence[str] = ()
) -> dict[str, Any]:
    """Checks a block's JSON object: a dict with exactly `fields`, plus any of `optional`.

    Missing keys are listed in field order, unknown keys sorted.

    Args:
        data: The decoded JSON value.
        what: The block's name in messages, e.g. "block".
        fields: The keys every object has.
        optional: Keys an object may have (written only when they are set).

    Raises:
        SpecParseError: On a value that is not an object, or missing or unknown keys.
    """
    if not isinstance(data, dict):
        raise SpecParseError(f"a {what} must be a JSON object, got {type(data).__name__}")
    missing = [name for name in fields if name not in data]
    unknown = sorted(set(data) - set(fields) - set(optional))
    if missing or unknown:
        raise SpecParseError(f"{what} JSON: missing keys {missing}, unknown keys {unknown}")
    return data
