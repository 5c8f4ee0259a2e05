"""Predictor-screened proposals: candidates that cannot improve the study are not trained.

With a latency predictor, a proposal's latency is known in microseconds. A
screen drops a proposal when, at the fastest latency the predictor allows
(`predicted / (1 + error_bound)`, as `edgenas scale` bounds it) and at an
optimistic accuracy, it could still not improve the study: under a scalar reward
its reward would not beat the best complete trial's, under the Pareto reward a
complete trial would dominate it.

The optimistic accuracy is a ridge regression of accuracy on the one-hot
choices of the study's complete trials, `confidence_z` deviations above its
prediction (at most 1), fitted once `min_trials` trials are complete; before
that nothing is dropped. The deviation is the root mean square of the
leave-one-out residuals (each trial predicted by the fit without it, in closed
form): with fewer trials than one-hot features the fit passes through its own
points, and only held-out errors say how far off it is. It is a statistical bound, not a
proof: a dropped candidate may, rarely, have been a good one. A dropped proposal
costs no trial: the algorithm is told the regression's prediction (the
objectives, or the reward, at the predicted latency) and asked again. After
`max_dropped` drops in a row the next proposal is trained whatever its bound.
Measured latency still decides what a trained trial records.

Every decision depends only on the study's trials in order and the predictor,
so `--resume` replays the same drops.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from edgenas.errors import EdgenasError
from edgenas.search.algorithms.front_surrogate import OneHotFeatures

__all__ = ["Screen", "Screening", "ScreeningError", "make_screen", "propose_screened", "screening_label"]


class ScreeningError(EdgenasError, ValueError):
    """A screening setting that cannot be used."""


def _check(name: str, value: object, *, minimum: float, integer: bool = False) -> None:
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value) or value < minimum:
        what = "an integer" if integer else "a number"
        raise ScreeningError(f"screening {name} must be {what} >= {minimum:g}, got {value!r}")


@dataclasses.dataclass(frozen=True)
class Screening:
    """How proposals are screened with a latency predictor (see the module docstring).

    Attributes:
        predictor: A predictor file of the search's space (or a loaded `LatencyPredictor`).
        error_bound: The predictor's worst relative error (0.1: a model may be 10 % faster than predicted).
        confidence_z: Leave-one-out residual deviations added to the predicted accuracy for its bound.
        min_trials: Complete trials before anything is dropped.
        max_dropped: Most proposals dropped in a row before one is trained anyway.
    """

    predictor: Any
    error_bound: float = 0.1
    confidence_z: float = 2.0
    min_trials: int = 10
    max_dropped: int = 200

    def __post_init__(self) -> None:
        _check("error_bound", self.error_bound, minimum=0.0)
        _check("confidence_z", self.confidence_z, minimum=0.0)
        _check("min_trials", self.min_trials, minimum=3, integer=True)
        _check("max_dropped", self.max_dropped, minimum=1, integer=True)

    def to_json(self) -> dict[str, Any]:
        """Its settings but the predictor (the study records the predictor by its hash, `screening_label`)."""
        return {"error_bound": self.error_bound, "confidence_z": self.confidence_z, "min_trials": self.min_trials,
                "max_dropped": self.max_dropped}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class _Point:
    choices: tuple[int, ...]
    accuracy: float
    latency_ms: float


class Screen:
    """A search's screen: the predictor, the reward and the complete trials so far.

    Args:
        settings: The screening settings.
        predict_ms: The predicted latency of a spec; raises `ValueError` where it cannot predict (then the
            proposal is kept).
        reward: The study's reward.
        num_candidates: Candidates of each decision point of the space's (flat, categorical) DNA.
    """

    def __init__(
        self, settings: Screening, *, predict_ms: Callable[[Any], float], reward: Any, num_candidates: Sequence[int]
    ) -> None:
        self.settings = settings
        self._predict_ms = predict_ms
        self._reward = reward
        self._features = OneHotFeatures(num_candidates)
        self._points: list[_Point] = []
        self._fit: tuple[np.ndarray, float] | None = None
        self.dropped = 0

    def add(self, choices: Sequence[int], *, accuracy: float, latency_ms: float) -> None:
        """Records a complete trial (trained to the end, not failed)."""
        self._points.append(_Point(tuple(int(c) for c in choices), float(accuracy), float(latency_ms)))
        self._fit = None

    def _regression(self) -> tuple[np.ndarray, float]:
        if self._fit is None:
            x = self._features([p.choices for p in self._points])
            y = np.array([p.accuracy for p in self._points])
            penalty = np.eye(x.shape[1])
            penalty[-1, -1] = 0.0
            inverse = np.linalg.inv(x.T @ x + penalty)
            weights = inverse @ x.T @ y
            leverage = np.einsum("ij,jk,ik->i", x, inverse, x)  # the hat matrix's diagonal
            held_out = (y - x @ weights) / np.maximum(1.0 - leverage, 1e-9)  # leave-one-out residuals
            self._fit = weights, float(np.sqrt(np.mean(held_out**2)))
        return self._fit

    def verdict(self, choices: Sequence[int], spec: Any) -> tuple[bool, float, float]:
        """Whether to drop a proposal, and the accuracy and latency_ms the algorithm is told if it is dropped."""
        if len(self._points) < self.settings.min_trials:
            return False, 0.0, 0.0
        try:
            predicted_ms = float(self._predict_ms(spec))
        except ValueError:  # out of the predictor's domain: where it knows least, so keep it
            return False, 0.0, 0.0
        if not predicted_ms > 0:
            return False, 0.0, 0.0
        weights, spread = self._regression()
        mean = float(self._features([choices])[0] @ weights)
        bound = min(1.0, mean + self.settings.confidence_z * spread)
        fastest_ms = predicted_ms / (1.0 + self.settings.error_bound)
        if getattr(self._reward, "is_pareto", False):
            drop = any(p.accuracy >= bound and p.latency_ms <= fastest_ms for p in self._points)
        else:
            best = max(float(self._reward(accuracy=p.accuracy, latency_ms=p.latency_ms)) for p in self._points)
            drop = float(self._reward(accuracy=bound, latency_ms=fastest_ms)) <= best
        return drop, min(1.0, max(0.0, mean)), predicted_ms


def propose_screened(
    propose: Callable[[], tuple[Any, Any]],
    tell: Callable[[Any, Any, float, float], None],
    screen: Screen | None,
    *,
    choices_of: Callable[[Any], Sequence[int]],
) -> tuple[Any, Any]:
    """The next proposal the screen keeps (`propose()` returns a DNA and its spec).

    Each dropped one is passed to `tell(dna, spec, accuracy, latency_ms)` (what the algorithm is told of it) and
    another is asked, up to the screen's `max_dropped` in a row; without a screen, the first proposal.
    """
    dna, spec = propose()
    if screen is None:
        return dna, spec
    for _ in range(screen.settings.max_dropped):
        drop, accuracy, latency_ms = screen.verdict(choices_of(dna), spec)
        if not drop:
            return dna, spec
        screen.dropped += 1
        tell(dna, spec, accuracy, latency_ms)
        dna, spec = propose()
    return dna, spec


def screening_label(settings: Screening | None, predictor_sha256: str) -> str | None:
    """The study's record of its screening (None without): the settings and the predictor's hash, as JSON."""
    if settings is None:
        return None
    return json.dumps({**settings.to_json(), "predictor_sha256": predictor_sha256}, sort_keys=True)


def make_screen(
    screening: Screening | None, space: Any, point: Any, *, reward: Any, input_shape: Any, num_classes: int
) -> tuple[Screen | None, str]:
    """A search's screen and its predictor's hash, checked before any trial (None, "" without screening).

    Args:
        screening: The settings.
        space: The search space (flat categorical; the predictor must cover it).
        point: One of its points, which the predictor must predict at the search's input.
        reward: The study's reward.
        input_shape: The measured model's input.
        num_classes: The measured model's classes.

    Raises:
        EdgenasError: If any of these does not hold, or the predictor file is missing or unreadable.
    """
    if screening is None:
        return None, ""
    if not isinstance(screening, Screening):
        raise EdgenasError(f"screening must be an edgenas.search.Screening or None, got {type(screening).__name__}")
    from devices.hashing import sha256_file  # noqa: PLC0415
    from edgenas.search.algorithms.ppo_controller import check_categorical  # noqa: PLC0415
    from edgenas.search.latency_source import load_predictor  # noqa: PLC0415
    from latency_models.predictor import OutOfDomainError  # noqa: PLC0415

    predictor, path = load_predictor(screening.predictor)
    if predictor.info.space != space.name:
        raise EdgenasError(f"the screening predictor covers space {predictor.info.space!r}, not {space.name!r}")
    counts = check_categorical(space.dna_spec, algorithm="predictor screening")

    def predict_ms(spec: Any) -> float:
        return float(predictor.predict(spec, input_shape=tuple(input_shape), num_classes=num_classes))

    try:
        predict_ms(point)
    except OutOfDomainError as error:
        raise EdgenasError(f"the screening predictor cannot predict this search's models: {error}") from None
    sha = sha256_file(path) if path else "in-memory"
    return Screen(screening, predict_ms=predict_ms, reward=reward, num_candidates=counts), sha
