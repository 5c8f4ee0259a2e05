"""What a latency predictor says about a whole space, before a search spends a trial on it.

`survey_space` compiles the predictor for the space's points
(`latency_models.point_tables`), predicts a large uniform sample of points in
one batch, and adds the point whose layers' summed latency is the least of the
space (found exactly through the stage tables). A predicted or hybrid search
prints the result, and warns when no surveyed point is predicted within the
reward's latency target: the budget is probably out of the space's reach.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["LatencySurvey", "plot_survey", "survey_space"]

SURVEY_POINTS = 100_000


@dataclasses.dataclass(frozen=True)
class LatencySurvey:
    """Predicted latencies over a space.

    Attributes:
        space: The space's name.
        points: Random points predicted.
        outside: Of them, points with a layer outside the predictor's domain (not predicted).
        quantiles_ms: Minimum, 5th percentile, median, 95th percentile and maximum over the predicted points.
        fastest_ms: The predicted latency of the point with the least summed layer latency
            (NaN when it is outside the domain).
        fastest_spec: That point's spec string.
        target_ms: The reward's latency target (None when it has none).
        within_target: Share of the predicted random points within the target (None without a target).
        elapsed_s: Wall time of compiling and predicting.
        latencies_ms: The predicted latencies of the random points inside the domain.
    """

    space: str
    points: int
    outside: int
    quantiles_ms: tuple[float, float, float, float, float]
    fastest_ms: float
    fastest_spec: str
    target_ms: float | None
    within_target: float | None
    elapsed_s: float
    latencies_ms: np.ndarray = dataclasses.field(repr=False, compare=False)

    @property
    def out_of_reach(self) -> bool:
        """Whether a target is set and neither a random point nor the fastest point is predicted within it."""
        if self.target_ms is None:
            return False
        fastest = min(self.quantiles_ms[0], self.fastest_ms) if np.isfinite(self.fastest_ms) else self.quantiles_ms[0]
        return bool(fastest > self.target_ms)

    def lines(self) -> list[str]:
        """What a search prints (the last line a warning when the target looks out of reach)."""
        low, p5, median, p95, high = self.quantiles_ms
        lines = [
            f"predicted latency of {self.points - self.outside:,} random points of {self.space} in "
            f"{self.elapsed_s:.2f} s: min {low:.2f}, 5% {p5:.2f}, median {median:.2f}, 95% {p95:.2f}, "
            f"max {high:.2f} ms; fastest by summed layers {self.fastest_ms:.2f} ms"
            + (f"; {self.outside:,} outside the predictor's domain" if self.outside else "")
        ]
        if self.target_ms is not None and self.within_target is not None:
            lines.append(f"{self.within_target:.1%} of them are predicted within the target {self.target_ms:g} ms")
        if self.out_of_reach:
            lines.append(
                f"warning: no surveyed point is predicted within the target {self.target_ms:g} ms (the fastest: "
                f"{min(low, self.fastest_ms):.2f} ms); the budget is probably out of this space's reach"
            )
        return lines


def survey_space(
    predictor: Any,
    space: Any,
    *,
    input_shape: tuple[int, int, int],
    num_classes: int,
    target_ms: float | None = None,
    points: int = SURVEY_POINTS,
    seed: int = 0,
) -> LatencySurvey | None:
    """Predicts `points` uniform random points of `space` in one batch (see the module docstring).

    Args:
        predictor: A `latency_models.LatencyPredictor` trained on the space.
        space: The `SearchSpace`.
        input_shape: The input shape of the search.
        num_classes: Its class count.
        target_ms: The reward's latency target, if any.
        points: Random points to predict.
        seed: Seed of the points.

    Returns:
        The survey; None when the predictor cannot be compiled for the space's points (not a chain space of
        stage decisions, or another kind of predictor) or every random point is outside its domain.
    """
    from latency_models.errors import OutOfDomainError, PointLayoutError  # noqa: PLC0415
    from latency_models.point_tables import compile_space  # noqa: PLC0415
    from latency_models.predictor import LatencyPredictor  # noqa: PLC0415

    if not isinstance(predictor, LatencyPredictor):
        return None
    began = time.perf_counter()
    try:
        compiled = compile_space(predictor, space, input_shape=input_shape, num_classes=num_classes)
    except PointLayoutError:
        return None
    sizes = np.array(space.decision_sizes())
    numbers = np.random.default_rng(seed).integers(0, sizes, size=(points, sizes.size))
    latency = compiled.predict(numbers, outside="nan")
    inside = latency[~np.isnan(latency)]
    if inside.size == 0:
        return None
    try:
        fastest = compiled.fastest_layer_sum()
        fastest_ms = float(compiled.predict(fastest[None, :])[0])
        fastest_spec = str(space.spec_from_numbers([int(v) for v in fastest]))
    except OutOfDomainError:
        fastest_ms, fastest_spec = float("nan"), ""
    quantiles = tuple(float(v) for v in np.quantile(inside, [0.0, 0.05, 0.5, 0.95, 1.0]))
    return LatencySurvey(
        space=space.name,
        points=points,
        outside=int(points - inside.size),
        quantiles_ms=quantiles,  # type: ignore[arg-type]
        fastest_ms=fastest_ms,
        fastest_spec=fastest_spec,
        target_ms=target_ms,
        within_target=None if target_ms is None else float(np.mean(inside <= target_ms)),
        elapsed_s=time.perf_counter() - began,
        latencies_ms=inside,
    )


def plot_survey(survey: LatencySurvey, path: str | os.PathLike[str], *, title: str = "") -> Path:
    """Writes a histogram of the surveyed latencies with the target and the fastest point marked (PNG)."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    from latency_models.evaluation import save_figure  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(6.5, 4.0), dpi=120)
    ax.hist(survey.latencies_ms, bins=80, color="tab:blue", alpha=0.8,
            label=f"{survey.latencies_ms.size:,} random points")  # fmt: skip
    if np.isfinite(survey.fastest_ms):
        ax.axvline(survey.fastest_ms, color="tab:green", linestyle=":", label=f"fastest {survey.fastest_ms:.2f} ms")
    if survey.target_ms is not None:
        share = f", {survey.within_target:.1%} within" if survey.within_target is not None else ""
        ax.axvline(survey.target_ms, color="tab:red", label=f"target {survey.target_ms:g} ms{share}")
    ax.set_xlabel("predicted latency (ms)")
    ax.set_ylabel("points")
    ax.set_title(title or f"predicted latency over {survey.space}")
    ax.legend(fontsize=8)
    return save_figure(fig, path)
