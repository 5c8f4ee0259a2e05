"""`parse_spec`: any architecture spec from its compact string, whatever its type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs.arch import ArchSpec
from edgenas.specs.spinenet_arch import SpineNetSpec
from edgenas.specs.spinenet_detector import SpineNetDetectorSpec

__all__ = ["SPEC_TYPES", "parse_spec"]

SPEC_TYPES: tuple[type, ...] = (ArchSpec, SpineNetSpec, SpineNetDetectorSpec)
"""The spec types whose strings `parse_spec` reads, in the order it tries them."""


def parse_spec(text: str) -> Any:
    """The spec whose `str()` is `text`: an `ArchSpec`, a `SpineNetSpec` or a `SpineNetDetectorSpec`.

    Every spec type's strict parser is tried; the grammars do not overlap, so at most one accepts.

    Raises:
        SpecParseError: If no spec type reads `text`; the message gives each type's complaint.
    """
    problems = []
    for spec_type in SPEC_TYPES:
        parse: Callable[[str], Any] = spec_type.parse
        try:
            return parse(text)
        except SpecError as error:
            problems.append(f"{spec_type.__name__}: {error}")
    raise SpecParseError(f"not a spec string of any known type ({'; '.join(problems)})")
