"""Choice trees: a search space declared as plain data, read without PyGlove.

A choice tree is a nested value of dicts (str keys), lists and literals in which
each decision is a `Choice` among literal candidates. A space module declares
its decisions once as a tree; `SearchSpace` turns the tree into its PyGlove hyper
value (`edgenas.spaces.search_space.hyper_of`: a `Choice` becomes a `pg.oneof`,
a dict a `pg.Dict`, a list a `pg.List`), and `edgenas spaces` counts the tree
(`decision_sizes`) without importing PyGlove.

    tree = {"kernel": Choice((3, 5)), "filters": Choice((8, 16, 24)), "strides": 2}
    decision_sizes(tree)  # (2, 3): 6 points, 2 decisions
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from edgenas.errors import SpecError

__all__ = ["ANY_CHOICE", "Choice", "decision_sizes", "has_point"]

_LITERALS = (int, float, str, bool, type(None))


class _AnyChoice:
    """Marks a decision whose every candidate gives the same spec (see `SearchSpace.dna_of`)."""

    def __repr__(self) -> str:
        return "ANY_CHOICE"


ANY_CHOICE = _AnyChoice()
"""What a space's `from_spec` puts where any candidate of a decision maps to the same spec."""


@dataclasses.dataclass(frozen=True)
class Choice:
    """One decision of a choice tree: one of `candidates`.

    A choice with a single candidate is still a decision (as a one-candidate
    `pg.oneof` is); declare a fixed value as the literal itself.

    Attributes:
        candidates: The literal values to choose among, in DNA order.

    Raises:
        ValueError: If there are no candidates or one is not a literal.
    """

    candidates: tuple[Any, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "candidates", tuple(self.candidates))
        if not self.candidates:
            raise ValueError("a Choice needs at least one candidate")
        odd = [c for c in self.candidates if not isinstance(c, _LITERALS)]
        if odd:
            raise ValueError(f"a Choice chooses among literals, got {odd[0]!r}")


def decision_sizes(tree: Any) -> tuple[int, ...]:
    """The number of candidates of each decision of a choice tree, in DNA order.

    The space has `math.prod(sizes)` points and `len(sizes)` decisions, what
    `SearchSpace.size` and `SearchSpace.num_decisions` report once it is built.

    Raises:
        ValueError: If the tree holds something that is neither a dict, a list,
            a `Choice` nor a literal.
    """
    if isinstance(tree, Choice):
        return (len(tree.candidates),)
    if isinstance(tree, dict):
        return tuple(size for value in tree.values() for size in decision_sizes(value))
    if isinstance(tree, (list, tuple)):
        return tuple(size for value in tree for size in decision_sizes(value))
    if isinstance(tree, _LITERALS):
        return ()
    raise ValueError(f"a choice tree holds dicts, lists, Choices and literals, found {type(tree).__name__}")


def has_point(tree: Any, to_spec: Callable[[Any], Any], from_spec: Callable[[Any], Any], spec: Any) -> bool:
    """Whether `spec` is a point of the space a choice tree declares (as `SearchSpace.contains` finds).

    `from_spec(spec)` gives the value of each decision (or `ANY_CHOICE`); the
    spec is a point when every value is among its decision's candidates (the
    same literal type) and `to_spec` of the point so chosen gives `spec` back.

    Args:
        tree: The choice tree.
        to_spec: Turns a plain point (dicts, lists, literals) into a spec.
        from_spec: Turns a spec into a point; raises `SpecError` when it cannot.
        spec: The spec to look for.
    """
    try:
        return to_spec(_choose(tree, from_spec(spec))) == spec
    except (SpecError, _NotAPoint):
        return False


class _NotAPoint(Exception):
    """A decision's value is none of its candidates."""


def _choose(tree: Any, value: Any) -> Any:
    """The plain point of `tree` whose decisions take the values in `value`."""
    if isinstance(tree, Choice):
        if value is ANY_CHOICE:
            return tree.candidates[0]
        for candidate in tree.candidates:
            if type(candidate) is type(value) and candidate == value:
                return candidate
        raise _NotAPoint
    if isinstance(tree, dict):
        return {key: _choose(sub, value[key] if decision_sizes(sub) else None) for key, sub in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_choose(sub, value[i] if decision_sizes(sub) else None) for i, sub in enumerate(tree)]
    return tree
