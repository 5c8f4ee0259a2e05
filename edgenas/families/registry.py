"""The registry of families: each spec type maps to the one family that owns it."""

from __future__ import annotations

from typing import Any

from edgenas.errors import DuplicateNameError, SpecParseError
from edgenas.families.family import Family
from edgenas.registry import Registry

__all__ = [
    "families",
    "family_named",
    "family_of",
    "family_of_type",
    "parse_spec",
    "register_family",
    "spec_types",
    "unregister_family",
]

def _type_name(spec_type: type) -> str:
    return getattr(spec_type, "__name__", repr(spec_type))


_BY_NAME = Registry[str, Family]("family", plural="families")
_BY_TYPE = Registry[type, Family]("spec type", key_name=_type_name)


def register_family(family: Family) -> None:
    """Registers a family under its name and each of its spec types.

    Raises:
        DuplicateNameError: If the name or one of the spec types is taken.
        TypeError: If `family` is not a `Family`.
    """
    if not isinstance(family, Family):
        raise TypeError(f"register_family needs a Family, got {type(family).__name__}")
    if family.name in _BY_NAME:
        _BY_NAME.register(family.name, family)  # raises, listing the families
    for spec_type in family.spec_types:  # all checked first: nothing is half-registered
        if spec_type in _BY_TYPE:
            raise DuplicateNameError(
                f"spec type {spec_type.__name__} already belongs to family {_BY_TYPE.get(spec_type).name!r}"
            )
    _BY_NAME.register(family.name, family)
    for spec_type in family.spec_types:
        _BY_TYPE.register(spec_type, family)


def unregister_family(name: str) -> None:
    """Removes a registration (for tests and plug-ins that replace a family).

    Raises:
        UnknownNameError: If no family is registered under `name`.
    """
    family = _BY_NAME.get(name)
    _BY_NAME.unregister(name)
    for spec_type in family.spec_types:
        _BY_TYPE.unregister(spec_type)


def families() -> tuple[Family, ...]:
    """The registered families, by name."""
    return tuple(_BY_NAME.get(name) for name in _BY_NAME.names())


def spec_types() -> tuple[type, ...]:
    """Every registered spec type, family by family."""
    return tuple(t for family in families() for t in family.spec_types)


def family_named(name: str) -> Family:
    """The family registered under `name`.

    Raises:
        UnknownNameError: If none is; the message lists the registered names.
    """
    return _BY_NAME.get(name)


def family_of_type(spec_type: type) -> Family:
    """The family that owns `spec_type`.

    Raises:
        UnknownNameError: If no family owns it; the message lists the spec types that have one
            ("unknown spec type 'str'; known spec types: ArchSpec, ...").
    """
    return _BY_TYPE.get(spec_type)


def family_of(spec: Any) -> Family:
    """The family of a spec (by its exact type).

    Raises:
        UnknownNameError: If no family owns the spec's type.
    """
    return family_of_type(type(spec))


def parse_spec(text: str) -> Any:
    """The spec, of any registered family, whose `str()` is `text`.

    The families' grammars do not overlap, so at most one reads `text`. A family
    whose grammar reads `text` but whose values are invalid answers alone: its
    `SpecError` is raised as it is.

    Raises:
        SpecParseError: If no family reads `text`; the message gives each family's complaint.
        SpecError: If a family reads `text` but its values are invalid.
    """
    problems = []
    for family in families():
        try:
            return family.parse(text)
        except SpecParseError as error:
            problems.append(f"{family.name}: {error}")
    raise SpecParseError(f"not a spec string of any known family ({'; '.join(problems)})")
