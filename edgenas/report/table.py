"""`front_table`: a plain-text table of trials."""

from __future__ import annotations

from collections.abc import Iterable

from edgenas.report.metric import accuracy_metric
from edgenas.store import Trial

__all__ = ["front_table"]


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def front_table(front: Iterable[Trial], *, spec_width: int = 60) -> str:
    """Returns a plain-text table of trials, one row each, in the given order.

    Columns: index, accuracy (4 decimals), latency_ms (3 decimals), reward
    (4 decimals; ``-`` when absent) and the spec string, cut to `spec_width`
    characters with a trailing ``...``. The accuracy column is headed by what
    it measures (`accuracy_metric`): ``accuracy`` for classification trials,
    ``AP@0.5`` for SpineNet detection trials.

    Args:
        front: The trials, e.g. `pareto_front(...)`.
        spec_width: Widest spec shown (at least 8).

    Returns:
        The table, ending with a newline; the header alone for no trials.
    """
    trials = list(front)
    spec_width = max(8, spec_width)
    headers = ("index", accuracy_metric(trials).name, "latency_ms", "reward", "spec")
    rows = [headers] + [
        (
            str(t.index),
            _number(t.accuracy, 4),
            _number(t.latency_ms, 3),
            _number(t.reward, 4),
            _truncate(t.spec, spec_width),
        )
        for t in trials
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(headers))]

    def line(row: tuple[str, ...]) -> str:
        numbers = [cell.rjust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        return "  ".join([*numbers, row[-1]]).rstrip()

    separator = "  ".join("-" * width for width in widths)
    return "\n".join([line(rows[0]), separator, *(line(row) for row in rows[1:])]) + "\n"
