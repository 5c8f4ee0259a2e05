"""`plot_search`: accuracy against measured latency for every trial of a study, as a PNG.

The accuracy is named by what it measures (`accuracy_metric`): classification
accuracy, or AP@0.5 for a detection (SpineNet) study.

Matplotlib is imported on first use and drawn through its Agg canvas directly
(no pyplot), so plotting neither needs a display nor changes global state.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edgenas.report._checks import check_target_ms
from edgenas.report._files import atomic_path
from edgenas.report.errors import NoResultsError, ReportError
from edgenas.report.metric import accuracy_metric
from edgenas.report.pareto import measured, pareto_front
from edgenas.store import Trial, TrialStatus

__all__ = ["plot_search"]

_WIDTH_IN, _HEIGHT_IN, _DPI = 8.0, 5.5, 150


def _study_name(trials: Sequence[Trial]) -> str:
    names = sorted({t.study for t in trials})
    if len(names) != 1:
        raise ReportError(f"plot_search draws one study; the trials come from {len(names)}: {names[:5]}")
    return names[0]


def _best(points: Sequence[Trial]) -> Trial | None:
    rewarded = [t for t in points if t.reward is not None]
    return max(rewarded, key=lambda t: (t.reward, -t.index)) if rewarded else None


def plot_search(trials: Sequence[Trial], *, target_ms: float, path: str | os.PathLike[str]) -> Path:
    """Draws accuracy against measured latency for a study's trials and saves a PNG.

    Every done trial is a dot, and a trial that successive halving stopped early
    a grey cross at its last rung's score (left out of the front and the best);
    the Pareto front is highlighted and joined by a
    step line (the best accuracy reachable within a latency); a dashed vertical
    line marks the latency target; the highest-reward trial is starred. The
    legend, which also describes the best trial, sits outside the axes so that
    it hides no trial. The title names the study and counts the trials not
    drawn (failed, running or unmeasured). The y axis, title and legend name
    the accuracy by what it measures (`accuracy_metric`): "accuracy (proxy
    task, fraction)" for a classification study, "AP@0.5 (detection proxy)"
    for a SpineNet detection study.

    Args:
        trials: The trials of one study, e.g. `TrialStore.trials(...)`.
        target_ms: The latency target, in milliseconds.
        path: The PNG file to write (replaced atomically; its folder must exist).

    Returns:
        The PNG's path.

    Raises:
        ReportError: If `target_ms` is not a positive number or the trials span several studies.
        NoResultsError: If no trial is done with both an accuracy and a latency.
    """
    figure = _figure(trials, target_ms=target_ms)
    path = Path(path)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
    return path


def _figure(trials: Sequence[Trial], *, target_ms: float) -> Any:
    """The Matplotlib `Figure` that `plot_search` saves (same checks and errors)."""
    target_ms = check_target_ms(target_ms)
    trials = list(trials)
    if not trials:
        raise NoResultsError("no trials to plot")
    study = _study_name(trials)
    metric = accuracy_metric(trials)
    points = measured(trials)
    if not points:
        raise NoResultsError(f"study {study!r} has no done trial with an accuracy and a latency to plot")
    front = pareto_front(points)
    best = _best(points)
    stopped = [t for t in trials if t.stopped_early and t.accuracy is not None and t.latency is not None]

    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=(_WIDTH_IN, _HEIGHT_IN), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()

    axes.scatter(
        [t.latency_ms for t in points],
        [t.accuracy for t in points],
        s=22,
        color="tab:blue",
        alpha=0.45,
        edgecolors="none",
        label=f"done trials ({len(points)})",
        zorder=2,
    )
    if stopped:
        steps = sorted({t.rungs[-1].steps for t in stopped})
        axes.scatter(
            [t.latency_ms for t in stopped],
            [t.accuracy for t in stopped],
            s=20,
            marker="x",
            color="0.55",
            linewidths=0.9,
            label=f"stopped early by halving ({len(stopped)}),\nscore after {', '.join(map(str, steps))} steps",
            zorder=1.5,
        )
    front_latency_ms = [t.latency_ms for t in front]
    front_accuracy = [t.accuracy for t in front]
    shown = points + stopped
    low_ms, high_ms = min(t.latency_ms for t in shown), max(t.latency_ms for t in shown)
    low_ms, high_ms = min(low_ms, target_ms), max(high_ms, target_ms)
    margin_ms = 0.06 * (high_ms - low_ms) or 0.06 * high_ms
    axes.step(
        front_latency_ms + [high_ms + margin_ms],
        front_accuracy + [front_accuracy[-1]],
        where="post",
        color="tab:orange",
        linewidth=1.8,
        zorder=3,
    )
    axes.scatter(
        front_latency_ms,
        front_accuracy,
        s=46,
        color="tab:orange",
        edgecolors="black",
        linewidths=0.6,
        label=f"Pareto front ({len(front)})",
        zorder=4,
    )
    axes.axvline(target_ms, color="tab:red", linestyle="--", linewidth=1.4, label=f"target {target_ms:g} ms", zorder=1)
    if best is not None:
        # Described in the legend, outside the axes: a label box inside would hide trials.
        axes.scatter(
            [best.latency_ms], [best.accuracy], s=150, marker="*", color="gold", edgecolors="black",
            linewidths=0.8, zorder=5,
            label=(
                f"best reward {best.reward:.4f}\n"
                f"#{best.index}: {metric.short} {best.accuracy:.4f} @ {best.latency_ms:.2f} ms"
            ),
        )
    axes.set_xlim(max(0.0, low_ms - margin_ms), high_ms + margin_ms)
    axes.set_xlabel("measured latency, median (ms)")
    axes.set_ylabel(metric.axis_label)
    not_drawn = len(trials) - len(points) - len(stopped)
    failed = sum(t.status is TrialStatus.FAILED for t in trials)
    subtitle = f"{len(trials)} trials" + (f", {len(stopped)} stopped early" if stopped else "")
    subtitle += f", {not_drawn} not drawn ({failed} failed)" if not_drawn else ""
    axes.set_title(f"study {study!r}: {metric.name} vs latency\n{subtitle}", fontsize=11)
    axes.grid(True, color="0.9", linewidth=0.8, zorder=0)
    axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8.5, framealpha=0.9)
    return figure
