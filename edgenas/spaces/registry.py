"""The registry of search spaces: a name maps to a space (or a factory of spaces) once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edgenas.errors import DuplicateNameError, UnknownNameError
from edgenas.spaces.search_space import SearchSpace

__all__ = ["factory", "get", "names", "register", "unregister"]

SpaceFactory = Callable[..., SearchSpace]

_FACTORIES: dict[str, SpaceFactory] = {}


def register(name: str, space: SearchSpace | SpaceFactory, *, replace: bool = False) -> None:
    """Registers a space under `name`, for `get`, the CLI and the search.

    Args:
        name: The name users will type.
        space: A `SearchSpace`, or a callable taking keyword options (such as
            `reference=`) and returning one.
        replace: Allow replacing an existing registration.

    Raises:
        DuplicateNameError: If `name` is taken and `replace` is false.
        TypeError: If `space` is neither a space nor callable.
    """
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise ValueError(f"a space name must be a non-empty word, got {name!r}")
    if name in _FACTORIES and not replace:
        raise DuplicateNameError(f"a space named {name!r} is already registered")
    if isinstance(space, SearchSpace):
        instance = space

        def factory(**options: Any) -> SearchSpace:
            if options:
                raise TypeError(f"space {name!r} takes no options, got {sorted(options)}")
            return instance

        _FACTORIES[name] = factory
    elif callable(space):
        _FACTORIES[name] = space
    else:
        raise TypeError(f"register needs a SearchSpace or a factory, got {type(space).__name__}")


def unregister(name: str) -> None:
    """Removes a registration.

    Raises:
        UnknownNameError: If nothing is registered under `name`.
    """
    _require(name)
    del _FACTORIES[name]


def get(name: str, **options: Any) -> SearchSpace:
    """Returns the space registered under `name`, built with `options`.

    Args:
        name: A registered name (see `names()`).
        **options: Options of the space's factory, e.g. `reference="mnasnet_a1"`.

    Raises:
        UnknownNameError: If `name` is not registered; the message lists the known names.
    """
    return _require(name)(**options)


def factory(name: str) -> SpaceFactory:
    """The factory registered under `name` (a space registered as an instance has a trivial one).

    Raises:
        UnknownNameError: If `name` is not registered.
    """
    return _require(name)


def names() -> tuple[str, ...]:
    """The registered names, sorted."""
    return tuple(sorted(_FACTORIES))


def _require(name: str) -> SpaceFactory:
    try:
        return _FACTORIES[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown space {name!r}; known spaces: {', '.join(names()) or 'none'}"
        ) from None
