"""The registry of search algorithms: a name maps to a factory of seeded DNA generators."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pyglove as pg

from edgenas.registry import Registry
from edgenas.search.algorithms.errors import AlgorithmOptionError, UnknownAlgorithmOptionError

__all__ = [
    "AlgorithmFactory",
    "algorithm_names",
    "is_multi_objective",
    "make_algorithm",
    "multi_objective_algorithm_names",
    "register_algorithm",
]

AlgorithmFactory = Callable[..., pg.DNAGenerator]
"""Takes `seed=`, `space_size=` and its own keyword options; returns a fresh DNA generator."""

_FACTORIES = Registry[str, AlgorithmFactory]("algorithm")
_COMMON = ("seed", "space_size")


def register_algorithm(name: str, factory: AlgorithmFactory) -> None:
    """Registers an algorithm factory under `name`, for `make_algorithm`, configs and the CLI.

    Args:
        name: The name users will type.
        factory: A callable taking keyword arguments `seed`, `space_size` and
            its own options, returning a new `pg.DNAGenerator`; it raises
            `AlgorithmOptionError` on an option value it cannot take. Its
            generators' `multi_objective` says whether their feedback is a
            tuple of maximised objectives.

    Raises:
        DuplicateNameError: If `name` is taken; the message lists the known names.
        ValueError: If `name` is not a non-empty word.
        TypeError: If `factory` does not take `seed` and `space_size`.
    """
    parameters = inspect.signature(factory).parameters
    if not all(p in parameters for p in _COMMON):
        raise TypeError(f"algorithm factory {name!r} must take keyword arguments seed and space_size")
    _FACTORIES.register(name, factory)


def algorithm_names() -> tuple[str, ...]:
    """The registered algorithm names, sorted."""
    return _FACTORIES.names()


def is_multi_objective(name: str) -> bool:
    """Whether algorithm `name` is told a tuple of objectives, `(accuracy, -latency_ms)`, rather than the reward.

    Read from a generator with default options (`pg.DNAGenerator.multi_objective`).

    Raises:
        UnknownNameError: If `name` is not registered; the message lists the known names.
    """
    return bool(make_algorithm(name, seed=0).multi_objective)


def multi_objective_algorithm_names() -> tuple[str, ...]:
    """The registered algorithms whose feedback is a tuple of objectives, sorted."""
    return tuple(name for name in algorithm_names() if is_multi_objective(name))


def make_algorithm(name: str, *, seed: int, space_size: int | None = None, **options: Any) -> pg.DNAGenerator:
    """Builds a new, seeded DNA generator: the same seed and feedback give the same proposals.

    Args:
        name: One of `algorithm_names()`: "evolution", "grid", "motpe", "nsga2", "ppo", "random", "tpe".
        seed: Seed of every random choice the algorithm makes.
        space_size: Number of points of the space, if known (grid search checks it now).
        **options: The algorithm's own options, e.g. `population_size=` for "evolution".

    Returns:
        A `pg.DNAGenerator`; call `setup(dna_spec)` (or pass it to `pg.sample`).

    Raises:
        UnknownNameError: If `name` is not registered; the message lists the known names.
        UnknownAlgorithmOptionError: (a `TypeError`) On an option the algorithm does not take; the message
            lists those it takes.
        AlgorithmOptionError: (a `ValueError`) On a seed that is not an integer, or an invalid option value;
            the message starts with ``algorithm 'NAME': ``.
        SpaceTooLargeError: If grid search is asked for a space over its `max_points`.
    """
    factory = _FACTORIES.get(name)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise AlgorithmOptionError(f"seed must be an integer, got {seed!r}")
    if space_size is not None and (isinstance(space_size, bool) or not isinstance(space_size, int)):
        raise AlgorithmOptionError(f"space_size must be an integer or None, got {space_size!r}")
    accepted = sorted(p for p in inspect.signature(factory).parameters if p not in _COMMON)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise UnknownAlgorithmOptionError(
            f"algorithm {name!r} takes options {accepted or 'none'}; got unknown {unknown}"
        )
    try:
        return factory(seed=seed, space_size=space_size, **options)
    except AlgorithmOptionError as error:
        raise AlgorithmOptionError(f"algorithm {name!r}: {error}") from None
