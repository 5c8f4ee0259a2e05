"""How good a predictor is on networks it never saw: error shares, RMSE, Kendall's tau, and a plot.

A search needs the ranking more than the values, so Kendall's tau (the share of
concordant minus discordant pairs, tau-b with ties) is reported beside the
shares of predictions within 5 % and 10 % of the measured median.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edgenas.specs.arch import ArchSpec

from .measurements import NetworkMeasurement
from .predictor import LatencyPredictor

__all__ = ["Evaluation", "evaluate", "format_evaluations", "kendall_tau", "metrics", "plot_evaluation", "save_figure"]


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """A predictor's accuracy on held-out networks.

    Attributes:
        name: What was evaluated (e.g. the predictor's file).
        count: Networks evaluated.
        within_5_pct: Share of predictions within ±5 % of the measured median.
        within_10_pct: Share within ±10 %.
        rmse_ms: Root mean squared error.
        mape_pct: Mean absolute percentage error.
        kendall_tau: Kendall's tau-b between predicted and measured.
        predicted_ms: The predictions.
        measured_ms: The measurements.
    """

    name: str
    count: int
    within_5_pct: float
    within_10_pct: float
    rmse_ms: float
    mape_pct: float
    kendall_tau: float
    predicted_ms: tuple[float, ...] = dataclasses.field(repr=False)
    measured_ms: tuple[float, ...] = dataclasses.field(repr=False)


def kendall_tau(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Kendall's tau-b of two equally long sequences (O(n^2), fine for thousands).

    Raises:
        ValueError: Different lengths, or fewer than 2 values.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"kendall_tau needs two 1-D sequences of equal length >= 2, got {x.shape} and {y.shape}")
    upper = np.triu_indices(len(x), k=1)
    dx = np.sign(x[:, None] - x[None, :])[upper]
    dy = np.sign(y[:, None] - y[None, :])[upper]
    concordance = float(np.sum(dx * dy))
    ties_free_x, ties_free_y = float(np.sum(dx != 0)), float(np.sum(dy != 0))
    if ties_free_x == 0 or ties_free_y == 0:
        return 0.0
    return concordance / np.sqrt(ties_free_x * ties_free_y)


def evaluate(predictor: LatencyPredictor, networks: Sequence[NetworkMeasurement], *, name: str = "") -> Evaluation:
    """Predicts every network and compares with its measurement.

    Raises:
        ValueError: Fewer than 2 networks.
        OutOfDomainError: A network is outside the predictor's domain.
    """
    if len(networks) < 2:
        raise ValueError(f"an evaluation needs at least 2 measured networks, got {len(networks)}")
    predicted = np.array([
        predictor.predict(ArchSpec.parse(n.spec), input_shape=n.input_shape, num_classes=n.num_classes)
        for n in networks
    ])  # fmt: skip
    measured = np.array([n.latency_ms for n in networks])
    return metrics(predicted, measured, name=name)


def metrics(predicted: np.ndarray, measured: np.ndarray, *, name: str = "") -> Evaluation:
    """The `Evaluation` of given predictions against measurements."""
    relative = np.abs(predicted - measured) / measured
    return Evaluation(
        name=name,
        count=len(measured),
        within_5_pct=float(np.mean(relative <= 0.05)),
        within_10_pct=float(np.mean(relative <= 0.10)),
        rmse_ms=float(np.sqrt(np.mean((predicted - measured) ** 2))),
        mape_pct=float(np.mean(relative) * 100),
        kendall_tau=kendall_tau(predicted, measured),
        predicted_ms=tuple(float(v) for v in predicted),
        measured_ms=tuple(float(v) for v in measured),
    )


def format_evaluations(evaluations: Sequence[Evaluation]) -> str:
    """A fixed-width table, one row per evaluation."""
    header = f"{'predictor':<34} {'n':>5} {'±5%':>7} {'±10%':>7} {'RMSE ms':>8} {'MAPE %':>7} {'tau':>6}"
    rows = [header, "-" * len(header)]
    for e in evaluations:
        rows.append(
            f"{e.name[-34:]:<34} {e.count:>5} {e.within_5_pct:>7.1%} {e.within_10_pct:>7.1%} {e.rmse_ms:>8.3f} "
            f"{e.mape_pct:>7.2f} {e.kendall_tau:>6.3f}"
        )
    return "\n".join(rows)


def plot_evaluation(evaluation: Evaluation, path: str | os.PathLike[str], *, title: str = "") -> Path:
    """Writes a predicted-vs-measured scatter plot with the ±10 % band (PNG)."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    measured, predicted = np.array(evaluation.measured_ms), np.array(evaluation.predicted_ms)
    low, high = float(min(measured.min(), predicted.min())) * 0.9, float(max(measured.max(), predicted.max())) * 1.1
    fig, ax = plt.subplots(figsize=(5.5, 5.0), dpi=120)
    line = np.linspace(low, high, 2)
    ax.fill_between(line, line * 0.9, line * 1.1, color="tab:green", alpha=0.15, label="±10 %")
    ax.plot(line, line, color="tab:green", linewidth=1)
    ax.scatter(measured, predicted, s=12, color="tab:blue", label=f"{evaluation.count} held-out networks")
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_xlabel("measured latency (ms, median)")
    ax.set_ylabel("predicted latency (ms)")
    ax.set_title(title or evaluation.name)
    ax.text(0.02, 0.98, f"within ±10 %: {evaluation.within_10_pct:.1%}\nKendall tau: {evaluation.kendall_tau:.3f}\n"
            f"RMSE: {evaluation.rmse_ms:.3f} ms", transform=ax.transAxes, va="top", fontsize=9)  # fmt: skip
    ax.legend(loc="lower right", fontsize=8)
    return save_figure(fig, path)


def save_figure(fig: Any, path: str | os.PathLike[str]) -> Path:
    """Lays out a matplotlib figure, writes it to `path` (folder created when missing) and closes it."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
