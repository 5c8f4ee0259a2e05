"""`parse_spec`: any architecture spec from its compact string, whatever its type."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from edgenas.errors import SpecParseError
from edgenas.specs.arch import ArchSpec
from edgenas.specs.spinenet_arch import SpineNetSpec
from edgenas.specs.spinenet_detector import SpineNetDetectorSpec

__all__ = ["SPEC_TYPES", "parse_spec", "spec_types_read_with"]

SPEC_TYPES: tuple[type, ...] = (ArchSpec, SpineNetSpec, SpineNetDetectorSpec)
"""The spec types whose strings `parse_spec` reads, in the order it tries them."""

_BUILT_ON: dict[type, tuple[type, ...]] = {SpineNetSpec: (SpineNetDetectorSpec,)}
"""Spec types whose specs are made on another type's: a detector on a SpineNet backbone."""


def spec_types_read_with(point_type: type) -> tuple[type, ...]:
    """The spec types a space of `point_type` points reads: that type, then the types built on it."""
    return (point_type, *_BUILT_ON.get(point_type, ()))


def parse_spec(text: str, *, types: Sequence[type] = SPEC_TYPES) -> Any:
    """The spec whose `str()` is `text`, of one of `types` (by default any: `SPEC_TYPES`).

    Each type's strict parser is tried in order; the grammars do not overlap, so at most one accepts.
    A type whose grammar reads `text` but whose values are invalid (a `SpecError`
    that is not a `SpecParseError`, such as `resample_alpha must be a finite
    number, got inf`) answers alone: its error is raised as it is.

    Args:
        text: A spec string.
        types: The spec types to read, each with a strict `parse` (e.g. `spec_types_read_with(ArchSpec)`).

    Raises:
        SpecParseError: If no type reads `text`; the message gives each type's
            complaint, or only its own when one type is asked for.
        SpecError: If a type reads `text` but its values are invalid.
    """
    if len(types) == 1:
        return types[0].parse(text)
    problems = []
    for spec_type in types:
        parse: Callable[[str], Any] = spec_type.parse
        try:
            return parse(text)
        except SpecParseError as error:
            problems.append(f"{spec_type.__name__}: {error}")
    what = "a spec string of any known type" if tuple(types) == SPEC_TYPES else (
        f"a {' or '.join(t.__name__ for t in types)} string")
    raise SpecParseError(f"not {what} ({'; '.join(problems)})")
