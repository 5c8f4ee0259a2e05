"""`CheckPlan`: which architectures a proxy check trains, on which tasks; every input checked before training."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from edgenas.errors import EdgenasError
from edgenas.proxy.errors import ProxyConfigError

__all__ = ["LONG_STEPS_FACTOR", "MIN_MODELS", "MIN_SEEDS", "CheckArchitecture", "CheckPlan", "plan_check"]

MIN_MODELS = 3
"""Fewest architectures a check takes: a ranking of two says little."""
MIN_SEEDS = 2
"""Fewest proxy seeds: the seed spread needs two."""
MAX_MODELS = 1000
MAX_SEEDS = 20
LONG_STEPS_FACTOR = 6
"""The long training's steps when none are given: this many times the proxy's."""


@dataclasses.dataclass(frozen=True)
class CheckArchitecture:
    """One architecture of a check.

    Attributes:
        spec: Its spec string.
        reference: Its reference name when it is one of the space's references, else "".
    """

    spec: str
    reference: str = ""


@dataclasses.dataclass(frozen=True)
class CheckPlan:
    """What a proxy check trains: each architecture on the proxy task once per seed, and on the long task once per
    long seed.

    Attributes:
        space: The space's name.
        architectures: The architectures, the space's references first.
        proxy_tasks: The proxy task once per seed (the same task with seeds `seed`, `seed + 1`, ...).
        long_tasks: The long training once per long seed (seeds `seed`, `seed + 1`, ...): the proxy task with
            more steps (and its width and other long options, when given). An architecture's long score is their
            mean.
    """

    space: str
    architectures: tuple[CheckArchitecture, ...]
    proxy_tasks: tuple[Any, ...]
    long_tasks: tuple[Any, ...]

    @property
    def long_task(self) -> Any:
        """The first long training (the others differ only in their seed)."""
        return self.long_tasks[0]

    @property
    def trainings(self) -> tuple[tuple[CheckArchitecture, Any], ...]:
        """Every (architecture, task) pair, architecture by architecture: its seeds, then its long trainings."""
        return tuple((arch, task) for arch in self.architectures for task in (*self.proxy_tasks, *self.long_tasks))


def _count(name: str, value: object, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProxyConfigError(f"{name} must be an integer, got {value!r}")
    if not minimum <= value <= maximum:
        raise ProxyConfigError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


_OWN_ARGUMENT = {"steps": "long_steps", "width_multiplier": "long_width", "seed": "long_seeds"}


def _long_options(task: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    fields = sorted(field.name for field in dataclasses.fields(task))
    for name in options:
        if name in _OWN_ARGUMENT:
            raise ProxyConfigError(f"the long training's {name} is set by {_OWN_ARGUMENT[name]}, not a long option")
        if name not in fields:
            raise ProxyConfigError(f"a {type(task).__name__} takes no {name!r} long option (it takes: "
                                   f"{', '.join(f for f in fields if f not in _OWN_ARGUMENT)})")  # fmt: skip
    return dict(options)


def plan_check(
    space: Any,
    *,
    models: int = 20,
    seeds: int = 3,
    long_steps: int | None = None,
    long_width: float | None = 1.0,
    long_seeds: int = 1,
    long_options: Mapping[str, Any] | None = None,
    task: Any = None,
    sample_seed: int = 0,
) -> CheckPlan:
    """Plans a proxy check of a space; nothing is trained.

    Args:
        space: A registered space's name, or a space (`edgenas.spaces.get(name, **options)`).
        models: Architectures: the space's references (as many as fit), then seeded random points.
        seeds: Proxy trainings per architecture, with seeds `task.seed`, `task.seed + 1`, ...
        long_steps: Steps of the long training (default `LONG_STEPS_FACTOR` times the proxy's); more than the proxy's.
        long_width: The long training's `width_multiplier` (default 1.0: full width); None keeps the proxy's.
        long_seeds: Long trainings per architecture, with seeds `task.seed`, `task.seed + 1`, ...; the long score
            is their mean (one long training carries seed noise of its own, which caps the tau a proxy can reach).
        long_options: Other fields of the task in which the long training differs from the proxy's (for example
            `{"learning_rate": 0.002}`: a rate that a short training needs can make a long one unrepeatable).
        task: The proxy task (default: the family's).
        sample_seed: Seed of the random points.

    Raises:
        UnknownNameError: An unknown space.
        ProxyConfigError: Fewer than `MIN_MODELS` models, `MIN_SEEDS` seeds or 1 long seed, a long training no
            longer than the proxy's, a long option the task does not take (or steps, width or seed, which have
            their own arguments), a task of another family, a family without a proxy task, or a space too small.
    """
    from edgenas import spaces  # noqa: PLC0415
    from edgenas.families import family_of_type  # noqa: PLC0415

    _count("models", models, minimum=MIN_MODELS, maximum=MAX_MODELS)
    _count("seeds", seeds, minimum=MIN_SEEDS, maximum=MAX_SEEDS)
    _count("long_seeds", long_seeds, minimum=1, maximum=MAX_SEEDS)
    space = spaces.get(space) if isinstance(space, str) else space
    space_name = space.name
    family = family_of_type(space.spec_type)
    try:
        task = family.default_proxy_task() if task is None else task
    except (NotImplementedError, AttributeError, TypeError) as error:
        raise ProxyConfigError(
            f"space {space_name!r}: the {family.name} family declares no proxy task ({error})"
        ) from None
    try:
        family.check_proxy_task(task, what=f"space {space_name!r} yields {space.spec_type.__name__} points")
    except EdgenasError as error:
        raise ProxyConfigError(str(error)) from None
    steps = task.steps
    long_steps = LONG_STEPS_FACTOR * steps if long_steps is None else long_steps
    _count("long_steps", long_steps, minimum=1, maximum=1_000_000)
    if long_steps <= steps:
        raise ProxyConfigError(
            f"the long training ({long_steps} steps) must be longer than the proxy's ({steps} steps)"
        )
    changes: dict[str, Any] = {"steps": long_steps}
    if long_width is not None:
        if not hasattr(task, "width_multiplier"):
            raise ProxyConfigError(f"a {type(task).__name__} has no width_multiplier; leave the long width out")
        changes["width_multiplier"] = long_width
    changes.update(_long_options(task, long_options or {}))
    long_task = dataclasses.replace(task, **changes)  # the task checks the values
    architectures = [CheckArchitecture(str(space.reference(name)), name) for name in space.reference_names()]
    architectures = list({a.spec: a for a in architectures}.values())[:models]
    seen = {a.spec for a in architectures}
    for draws, spec in enumerate(space.iter_samples(seed=sample_seed)):
        if len(architectures) == models:
            break
        if draws >= 100 * models:
            raise ProxyConfigError(f"space {space_name!r} yielded only {len(architectures)} distinct architectures "
                                   f"in {draws} draws; ask for fewer than {models}")  # fmt: skip
        if str(spec) not in seen:
            seen.add(str(spec))
            architectures.append(CheckArchitecture(str(spec)))
    proxy_tasks = tuple(dataclasses.replace(task, seed=task.seed + k) for k in range(seeds))
    long_tasks = tuple(dataclasses.replace(long_task, seed=long_task.seed + k) for k in range(long_seeds))
    return CheckPlan(space=space.name, architectures=tuple(architectures), proxy_tasks=proxy_tasks,
                     long_tasks=long_tasks)  # fmt: skip
