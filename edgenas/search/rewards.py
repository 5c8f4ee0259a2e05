"""Rewards: what a search maximises, given a candidate's accuracy and latency.

Papers:
    MnasNet (soft and hard latency constraints), Tan et al., CVPR 2019,
    https://arxiv.org/abs/1807.11626.
    TuNAS (absolute-value reward), Bender et al., CVPR 2020,
    https://arxiv.org/abs/2008.06120.
    Pareto ranking as in NSGA-II, Deb et al., IEEE TEVC 2002,
    https://ieeexplore.ieee.org/document/996017.

A reward is a frozen dataclass called with keywords,
`reward(accuracy=0.75, latency_ms=12.0)`. Scalar rewards return a float for
single-objective algorithms; `ParetoReward` returns the objective pair
`(accuracy, -latency_ms)` (both maximised) for multi-objective ones such as
NSGA-II, and a search over it is judged by the `hypervolume` of its front.
Build one by name with `make_reward("mnasnet-soft", target_ms=20.0)`.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, NamedTuple

from edgenas.errors import EdgenasError
from edgenas.registry import Registry

__all__ = [
    "MNASNET_SOFT_EXPONENT",
    "TUNAS_DEFAULT_BETA",
    "MnasNetReward",
    "ParetoObjectives",
    "ParetoReward",
    "Reward",
    "RewardError",
    "TunasReward",
    "hypervolume",
    "make_reward",
    "mnasnet",
    "pareto",
    "pareto_front",
    "register_reward",
    "reward_from_json",
    "reward_names",
    "tunas",
]

_SCHEMA = "edgenas.Reward/1"

MNASNET_SOFT_EXPONENT = -0.07
"""MnasNet's soft constraint: alpha = beta = -0.07."""

TUNAS_DEFAULT_BETA = -0.10
"""TuNAS's absolute-reward cost exponent in its released code."""


class RewardError(EdgenasError, ValueError):
    """A reward's settings, its JSON form (a study's stored reward) or the values it scores are invalid."""


class ParetoObjectives(NamedTuple):
    """The objectives of one candidate, both maximised.

    A named tuple rather than a dataclass because PyGlove's DNA generators take
    a multi-objective feedback as a tuple (`nsga2`, `motpe`).

    Attributes:
        accuracy: Accuracy in [0, 1].
        neg_latency_ms: Minus the latency in milliseconds.
    """

    accuracy: float
    neg_latency_ms: float

    @property
    def latency_ms(self) -> float:
        """The latency in milliseconds."""
        return -self.neg_latency_ms


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise RewardError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise RewardError(f"{name} must be finite, got {value!r}")
    return number


def _target_ms(value: object) -> float:
    message = f"target_ms must be a positive, finite number of milliseconds, got {value!r}"
    try:
        number = _number("target_ms", value)
    except ValueError:
        raise RewardError(message) from None
    if number <= 0:
        raise RewardError(message)
    return number


def _non_positive(name: str, value: object) -> float:
    number = _number(name, value)
    if number > 0:
        raise RewardError(f"{name} must be <= 0 (a latency penalty), got {value!r}")
    return number


def _check_inputs(accuracy: object, latency_ms: object) -> tuple[float, float]:
    acc = _number("accuracy", accuracy)
    if not 0.0 <= acc <= 1.0:
        raise RewardError(f"accuracy must be in [0, 1], got {accuracy!r}")
    lat = _number("latency_ms", latency_ms)
    if lat <= 0:
        raise RewardError(f"latency_ms must be positive, got {latency_ms!r}")
    return acc, lat


@dataclasses.dataclass(frozen=True, kw_only=True)
class MnasNetReward:
    """MnasNet's reward `acc * (lat / T) ** w`, `w = alpha if lat <= T else beta`.

    The soft constraint (alpha = beta = -0.07) trades about 5% of accuracy for
    halving the latency anywhere; the hard constraint (alpha = 0, beta = -1)
    ignores latency under the target and penalises it sharply above.

    Attributes:
        target_ms: The latency target T in milliseconds.
        alpha: Exponent at or under the target (<= 0).
        beta: Exponent over the target (<= 0).
    """

    kind: ClassVar[str] = "mnasnet"
    is_pareto: ClassVar[bool] = False

    target_ms: float
    alpha: float = MNASNET_SOFT_EXPONENT
    beta: float = MNASNET_SOFT_EXPONENT

    def __post_init__(self) -> None:
        object.__setattr__(self, "target_ms", _target_ms(self.target_ms))
        object.__setattr__(self, "alpha", _non_positive("alpha", self.alpha))
        object.__setattr__(self, "beta", _non_positive("beta", self.beta))

    def __call__(self, *, accuracy: float, latency_ms: float) -> float:
        """The reward of a candidate.

        Raises:
            RewardError: If accuracy is outside [0, 1] or latency_ms is not positive.
        """
        acc, lat = _check_inputs(accuracy, latency_ms)
        exponent = self.alpha if lat <= self.target_ms else self.beta
        return acc * (lat / self.target_ms) ** exponent

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict that `reward_from_json` reads back."""
        return {
            "schema": _SCHEMA,
            "kind": self.kind,
            "target_ms": self.target_ms,
            "alpha": self.alpha,
            "beta": self.beta,
        }


@dataclasses.dataclass(frozen=True, kw_only=True)
class TunasReward:
    """TuNAS's absolute-value reward `acc + beta * |lat / T - 1|`.

    Penalises being faster than the target as much as being slower, so the
    search spends the whole latency budget.

    Attributes:
        target_ms: The latency target T in milliseconds.
        beta: Cost weight (<= 0).
    """

    kind: ClassVar[str] = "tunas-abs"
    is_pareto: ClassVar[bool] = False

    target_ms: float
    beta: float = TUNAS_DEFAULT_BETA

    def __post_init__(self) -> None:
        object.__setattr__(self, "target_ms", _target_ms(self.target_ms))
        object.__setattr__(self, "beta", _non_positive("beta", self.beta))

    def __call__(self, *, accuracy: float, latency_ms: float) -> float:
        """The reward of a candidate.

        Raises:
            RewardError: If accuracy is outside [0, 1] or latency_ms is not positive.
        """
        acc, lat = _check_inputs(accuracy, latency_ms)
        return acc + self.beta * abs(lat / self.target_ms - 1.0)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict that `reward_from_json` reads back."""
        return {"schema": _SCHEMA, "kind": self.kind, "target_ms": self.target_ms, "beta": self.beta}


@dataclasses.dataclass(frozen=True, kw_only=True)
class ParetoReward:
    """No scalarisation: the objective pair `(accuracy, -latency_ms)` for NSGA-II.

    Attributes:
        target_ms: Optional latency target, carried for reports; it does not
            change the objectives.
    """

    kind: ClassVar[str] = "pareto"
    is_pareto: ClassVar[bool] = True

    target_ms: float | None = None

    def __post_init__(self) -> None:
        if self.target_ms is not None:
            object.__setattr__(self, "target_ms", _target_ms(self.target_ms))

    def __call__(self, *, accuracy: float, latency_ms: float) -> ParetoObjectives:
        """The objectives of a candidate.

        Raises:
            RewardError: If accuracy is outside [0, 1] or latency_ms is not positive.
        """
        acc, lat = _check_inputs(accuracy, latency_ms)
        return ParetoObjectives(acc, -lat)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict that `reward_from_json` reads back."""
        return {"schema": _SCHEMA, "kind": self.kind, "target_ms": self.target_ms}


Reward = MnasNetReward | TunasReward | ParetoReward
"""Any reward; `reward.is_pareto` tells whether it returns `ParetoObjectives`."""

_KINDS = Registry[str, type[MnasNetReward] | type[TunasReward] | type[ParetoReward]]("reward kind")
for _cls in (MnasNetReward, TunasReward, ParetoReward):
    _KINDS.register(_cls.kind, _cls)
del _cls


def reward_from_json(data: dict[str, Any] | str) -> Reward:
    """Reads a reward from `to_json()` output (a dict or JSON text), strictly.

    Raises:
        RewardError: On malformed JSON, a wrong schema tag, missing or unknown keys,
            or invalid values.
        UnknownNameError: On an unknown reward kind; the message lists the known ones.
    """
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as error:
            raise RewardError(f"reward JSON is malformed: {error}") from None
    if not isinstance(data, dict):
        raise RewardError(f"reward JSON must be an object, got {type(data).__name__}")
    fields = dict(data)
    schema = fields.pop("schema", None)
    if schema != _SCHEMA:
        raise RewardError(f"reward JSON needs schema {_SCHEMA!r}, got {schema!r}")
    kind = fields.pop("kind", None)
    cls = _KINDS.get(kind)
    expected = {f.name for f in dataclasses.fields(cls)}
    if set(fields) != expected:
        missing, unknown = sorted(expected - set(fields)), sorted(set(fields) - expected)
        raise RewardError(f"{kind} reward JSON: missing keys {missing}, unknown keys {unknown}")
    return cls(**fields)


# --- Convenience constructors -------------------------------------------------


def mnasnet(*, target_ms: float, soft: bool = True) -> MnasNetReward:
    """MnasNet's reward with its soft (alpha = beta = -0.07) or hard (alpha = 0, beta = -1) constraint."""
    if soft:
        return MnasNetReward(target_ms=target_ms)
    return MnasNetReward(target_ms=target_ms, alpha=0.0, beta=-1.0)


def tunas(*, target_ms: float, beta: float = TUNAS_DEFAULT_BETA) -> TunasReward:
    """TuNAS's absolute-value reward."""
    return TunasReward(target_ms=target_ms, beta=beta)


def pareto(*, target_ms: float | None = None) -> ParetoReward:
    """The objective pair (accuracy, -latency_ms), for NSGA-II."""
    return ParetoReward(target_ms=target_ms)


# --- Registry -----------------------------------------------------------------

RewardFactory = Callable[..., Reward]
"""Takes `target_ms=` and the reward's own keyword options, returns a reward."""

_FACTORIES = Registry[str, RewardFactory]("reward")


def register_reward(name: str, factory: RewardFactory) -> None:
    """Registers a reward factory under `name`, for `make_reward`, configs and the CLI.

    Raises:
        DuplicateNameError: If `name` is taken; the message lists the known names.
        ValueError: If `name` is not a non-empty word.
    """
    _FACTORIES.register(name, factory)


def reward_names() -> tuple[str, ...]:
    """The registered reward names, sorted."""
    return _FACTORIES.names()


def make_reward(name: str, *, target_ms: float | None, **options: Any) -> Reward:
    """Builds the reward registered under `name`.

    Args:
        name: One of `reward_names()`: "mnasnet-soft", "mnasnet-hard", "tunas-abs", "pareto".
        target_ms: The latency target in milliseconds (None is allowed only for "pareto").
        **options: The reward's own options, e.g. `beta=` for "tunas-abs".

    Raises:
        UnknownNameError: If `name` is not registered; the message lists the known names.
        TypeError: On an option the reward does not take; the message lists those it takes.
        RewardError: On invalid values, e.g. a target that is not positive.
    """
    factory = _FACTORIES.get(name)
    accepted = sorted(p for p in inspect.signature(factory).parameters if p != "target_ms")
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise TypeError(f"reward {name!r} takes options {accepted or 'none'}; got unknown {unknown}")
    return factory(target_ms=target_ms, **options)


def _mnasnet_soft(*, target_ms: float, weight: float = MNASNET_SOFT_EXPONENT) -> MnasNetReward:
    return MnasNetReward(target_ms=target_ms, alpha=weight, beta=weight)


def _mnasnet_hard(*, target_ms: float) -> MnasNetReward:
    return mnasnet(target_ms=target_ms, soft=False)


register_reward("mnasnet-soft", _mnasnet_soft)
register_reward("mnasnet-hard", _mnasnet_hard)
register_reward("tunas-abs", tunas)
register_reward("pareto", pareto)


# --- Judging a Pareto search --------------------------------------------------


def _pairs(points: Iterable[Sequence[float]]) -> list[tuple[float, float]]:
    pairs = []
    for point in points:
        if len(point) != 2:
            raise RewardError(f"a point needs exactly two objectives, got {point!r}")
        first, second = _number("objective", point[0]), _number("objective", point[1])
        pairs.append((first, second))
    return pairs


def pareto_front(points: Iterable[Sequence[float]]) -> list[ParetoObjectives]:
    """The non-dominated points (both objectives maximised), best first objective first.

    Duplicates are kept once.

    Raises:
        RewardError: If a point does not have two finite objectives.
    """
    front: list[ParetoObjectives] = []
    best_second = -math.inf
    for first, second in sorted(set(_pairs(points)), key=lambda p: (-p[0], -p[1])):
        if second > best_second:
            front.append(ParetoObjectives(first, second))
            best_second = second
    return front


def hypervolume(points: Iterable[Sequence[float]], *, reference: Sequence[float]) -> float:
    """The area dominated by `points` and bounded by `reference` (two maximised objectives).

    For `ParetoObjectives` the reference is, e.g., `(0.5, -max_latency_ms)`;
    the area is in accuracy x milliseconds. Points that do not strictly
    dominate the reference add nothing.

    Raises:
        RewardError: If a point or the reference does not have two finite objectives.
    """
    (ref_first, ref_second), = _pairs([reference])
    area = 0.0
    covered_second = ref_second
    for first, second in pareto_front(points):
        if first <= ref_first:
            break
        if second > covered_second:
            area += (first - ref_first) * (second - covered_second)
            covered_second = second
    return area
