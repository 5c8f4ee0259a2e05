"""A PyGlove DNA spec as Optuna parameters: each decision an Optuna suggestion, asked define-by-run.

The walk follows the DNA spec and asks the Optuna trial for each decision that
is active given the choices above it, naming each parameter by its PyGlove
decision id (unique, and carrying the parent choices of a nested decision):

- a `pg.oneof` is a categorical parameter over its candidate indices;
- a `pg.manyof` of k distinct candidates (a `pg.permutate`, or a subset when
  sorted) asks k categorical parameters, the i-th picking a position among the
  n - i candidates not yet taken, so every proposal is valid and each
  parameter keeps one fixed set of choices; a sorted `pg.manyof` sorts the picks;
- a `pg.manyof` that allows repeats asks k independent categorical parameters;
- a `pg.floatv` is a float parameter (log-uniform for `scale="log"`; for
  `scale="rlog"` the log-uniform draw is mirrored so that density gathers at the top).

Custom decision points have no Optuna form and are refused.
"""

from __future__ import annotations

from typing import Any, Protocol

import pyglove as pg

from edgenas.search.algorithms.errors import UnsupportedSpaceError

__all__ = ["check_optuna_space", "suggest_dna"]


class _Suggester(Protocol):
    """What the walk needs of an Optuna trial."""

    def suggest_categorical(self, name: str, choices: list[int]) -> Any: ...

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float: ...


def check_optuna_space(dna_spec: pg.DNASpec) -> None:
    """Refuses a DNA spec that Optuna's parameters cannot express.

    Raises:
        UnsupportedSpaceError: If it has no decision point, or holds a custom decision point.
    """
    points = dna_spec.decision_points
    if not points:
        raise UnsupportedSpaceError("the space has no decision points; there is nothing to search")
    for point in points:
        if point.is_custom_decision_point:
            raise UnsupportedSpaceError(
                f"Optuna's samplers take categorical and float decisions; decision {point.id} is a "
                "custom decision point"
            )


def suggest_dna(dna_spec: pg.DNASpec, trial: _Suggester) -> pg.DNA:
    """Asks `trial` for every active decision of `dna_spec`; returns the DNA they make.

    Args:
        dna_spec: The space's DNA spec (`check_optuna_space` passed).
        trial: An Optuna trial (or anything with its `suggest_categorical` and `suggest_float`).

    Returns:
        The DNA, with `dna_spec` attached.
    """
    values: dict[str, int | float] = {}
    _walk_space(dna_spec, trial, values)
    return pg.DNA.from_dict(values, dna_spec)


def _walk_space(space: pg.geno.Space, trial: _Suggester, values: dict[str, int | float]) -> None:
    for element in space.elements:
        if isinstance(element, pg.geno.Choices):
            _walk_choices(element, trial, values)
        elif isinstance(element, pg.geno.Float):
            values[str(element.id)] = _suggest_float(element, trial)
        else:  # check_optuna_space refuses these before any trial
            raise UnsupportedSpaceError(f"decision {element.id} is a {type(element).__name__}, not supported")


def _walk_choices(choices: pg.geno.Choices, trial: _Suggester, values: dict[str, int | float]) -> None:
    count = len(choices.candidates)
    slots = [choices] if choices.num_choices == 1 else [choices.subchoice(i) for i in range(choices.num_choices)]
    picked: list[int] = []
    remaining = list(range(count))
    for slot in slots:
        if choices.distinct and len(slots) > 1:
            position = int(trial.suggest_categorical(str(slot.id), list(range(len(remaining)))))
            picked.append(remaining.pop(position))
        else:
            picked.append(int(trial.suggest_categorical(str(slot.id), list(range(count)))))
    if choices.sorted:
        picked.sort()
    for slot, index in zip(slots, picked):
        values[str(slot.id)] = index
        _walk_space(slot.candidates[index], trial, values)


def _suggest_float(point: pg.geno.Float, trial: _Suggester) -> float:
    low, high = float(point.min_value), float(point.max_value)
    if point.scale == "log":
        return float(trial.suggest_float(str(point.id), low, high, log=True))
    if point.scale == "rlog":  # PyGlove's reverse log: dense near max_value
        mirrored = float(trial.suggest_float(str(point.id), low, high, log=True))
        return low + high - mirrored
    return float(trial.suggest_float(str(point.id), low, high))
