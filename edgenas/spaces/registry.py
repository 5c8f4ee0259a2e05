"""The registry of search spaces: a name maps to a space (or a factory of spaces) once.

Registering, listing and describing import no PyGlove: the built-in spaces
register factories that build on call, each with a `describe` that reads the
space's choice tables, so that `edgenas spaces` lists every space and every
`--reference` variant without building one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from edgenas.errors import UnknownNameError
from edgenas.registry import Registry
from edgenas.spaces.space_info import SpaceInfo
from edgenas.spaces.task_form import TASK_OPTION, tasks_of, with_task, with_task_info

if TYPE_CHECKING:
    from edgenas.spaces.search_space import SearchSpace

__all__ = ["describe", "describe_all", "factory", "get", "names", "register", "unregister", "variants"]

SpaceFactory = Callable[..., "SearchSpace"]
"""Takes keyword options (such as `reference=`) and returns a space."""

SpaceDescriber = Callable[..., SpaceInfo]
"""Takes the factory's keyword options and returns the `SpaceInfo` of that space, without building it."""


@dataclasses.dataclass(frozen=True)
class _Registration:
    factory: SpaceFactory
    describe: SpaceDescriber | None


_SPACES = Registry[str, _Registration]("space")


def register(
    name: str,
    space: SearchSpace | SpaceFactory,
    *,
    describe: SpaceDescriber | None = None,
    replace: bool = False,
) -> None:
    """Registers a space under `name`, for `get`, the CLI and the search.

    Args:
        name: The name users will type.
        space: A `SearchSpace`, or a callable taking keyword options (such as
            `reference=`) and returning one. A factory with a
            `REFERENCE_CHOICES` attribute lists one variant per reference.
        describe: A callable taking the factory's options and returning the
            space's `SpaceInfo` without building it (for `edgenas spaces`); by
            default the space is built and read.
        replace: Allow replacing an existing registration.

    Raises:
        DuplicateNameError: If `name` is taken and `replace` is false; the message lists the known names.
        ValueError: If `name` is not a non-empty word.
        TypeError: If `space` is neither a space nor callable, or `describe` is not callable.
    """
    if describe is not None and not callable(describe):
        raise TypeError(f"describe must be callable, got {type(describe).__name__}")
    if callable(space):
        made: SpaceFactory = space
    else:
        from edgenas.spaces.search_space import SearchSpace  # noqa: PLC0415  (loaded already: `space` was built)

        if not isinstance(space, SearchSpace):
            raise TypeError(f"register needs a SearchSpace or a factory, got {type(space).__name__}")
        instance = space

        def made(**options: Any) -> SearchSpace:
            if options:
                raise TypeError(f"space {name!r} takes no options, got {sorted(options)}")
            return instance

    _SPACES.register(name, _Registration(made, describe), replace=replace)


def unregister(name: str) -> None:
    """Removes a registration.

    Raises:
        UnknownNameError: If nothing is registered under `name`.
    """
    _SPACES.unregister(name)


def get(name: str, **options: Any) -> SearchSpace:
    """Returns the space registered under `name`, built with `options`.

    Args:
        name: A registered name (see `names()`).
        **options: Options of the space's factory, e.g. `reference="mnasnet_a1"`, and
            `task=` ("classification", "detection", "segmentation"): the space's networks for that task
            (`edgenas.spaces.task_form`; default: the space's own).

    Raises:
        UnknownNameError: If `name` is not registered (the message lists the known names), or
            its networks serve no such task (the message names the tasks they serve and the spaces
            that serve that task).
    """
    _refuse_augment_space(name)
    task = options.pop(TASK_OPTION, None)
    space = _SPACES.get(name).factory(**options)
    if task is None:
        return space
    try:
        return with_task(space, task)
    except UnknownNameError as error:
        raise UnknownNameError(f"{error}; {_serving(task)}") from None


def _serving(task: Any) -> str:
    """Which registered spaces serve `task` (their own task or a wrapped form), for a refusal's message."""
    serving = [name for name in names() if task in tasks_of(describe(name).spec_type)]
    if serving:
        return f"spaces with a {task!r} form: {', '.join(serving)}"
    known = sorted({t for name in names() for t in tasks_of(describe(name).spec_type)})
    return f"no space serves {task!r} (tasks: {', '.join(known)})"


def _refuse_augment_space(name: object) -> None:
    """An augmentation space's name asked of the architecture spaces: one error that says where it belongs."""
    from edgenas.augment.spaces import is_augment_space  # noqa: PLC0415

    if is_augment_space(name) and name not in _SPACES:
        raise UnknownNameError(f"{name!r} is an augmentation space: it searches a training policy for a fixed "
                               f"architecture (`edgenas.augment.get_augment_space`); architecture spaces: "
                               f"{', '.join(_SPACES.names())}")  # fmt: skip


def factory(name: str) -> SpaceFactory:
    """The factory registered under `name` (a space registered as an instance has a trivial one).

    Raises:
        UnknownNameError: If `name` is not registered.
    """
    _refuse_augment_space(name)
    return _SPACES.get(name).factory


def names() -> tuple[str, ...]:
    """The registered names, sorted."""
    return _SPACES.names()


def variants(name: str) -> tuple[dict[str, str], ...]:
    """The options of each listed variant of a space: one per `REFERENCE_CHOICES` of its factory, else `{}`.

    Raises:
        UnknownNameError: If `name` is not registered.
    """
    references = getattr(factory(name), "REFERENCE_CHOICES", None)
    return tuple({"reference": reference} for reference in references) if references else ({},)


def describe(name: str, **options: Any) -> SpaceInfo:
    """What `edgenas spaces` lists about the space `get(name, **options)` returns.

    Uses the registration's `describe` (no space is built) or, without one,
    builds the space and reads it.

    Raises:
        UnknownNameError: If `name` is not registered, or on an option value the space does not know.
        TypeError: On an option the space does not take.
    """
    registration = _SPACES.get(name)
    shown = {option: str(value) for option, value in options.items()}
    task = options.pop(TASK_OPTION, None)
    if registration.describe is None:
        info = SpaceInfo.of(registration.factory(**options), name=name, options=shown)
    else:
        info = dataclasses.replace(registration.describe(**options), name=name, options=tuple(shown.items()))
    if task is None:
        return info
    try:
        return with_task_info(info, task)
    except UnknownNameError as error:
        raise UnknownNameError(f"{error}; {_serving(task)}") from None


def describe_all() -> tuple[SpaceInfo, ...]:
    """`describe` of every registered space and each of its `variants`, by name, then of its other tasks' forms."""
    listed = []
    for name in names():
        for options in variants(name):
            info = describe(name, **options)
            listed.append(info)
            listed.extend(describe(name, **options, task=task) for task in tasks_of(info.spec_type)[1:])
    return tuple(listed)
