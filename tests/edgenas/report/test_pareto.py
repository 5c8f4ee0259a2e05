"""Pareto front and hypervolume, on hand-made trials in a real store."""

from __future__ import annotations

import pytest

from edgenas.report import ReportError, hypervolume_2d, pareto_front


def test_front_keeps_the_non_dominated_trials_by_latency(writer) -> None:
    slow_best = writer.done(0.875, 30.0)
    writer.done(0.5, 25.0)  # dominated by `middle` (slower, less accurate)
    fast = writer.done(0.5, 10.0)
    middle = writer.done(0.75, 20.0)
    writer.done(0.75, 22.0)  # same accuracy as `middle`, slower
    writer.done(0.5, 10.0 + 1e-9)  # a hair slower than `fast`
    writer.failed()
    writer.running()
    writer.done(None, 5.0)  # no accuracy: not comparable
    writer.done(0.99, None)  # no latency: not comparable

    front = pareto_front(writer.store.trials("pi4"))

    assert [t.index for t in front] == [fast.index, middle.index, slow_best.index]
    assert [t.latency_ms for t in front] == [10.0, 20.0, 30.0]


def test_equal_trials_dominate_neither_other(writer) -> None:
    a = writer.done(0.75, 20.0)
    b = writer.done(0.75, 20.0)
    c = writer.done(0.8, 20.0)  # same latency, more accurate: dominates a and b
    assert pareto_front([a, b]) == [a, b]
    assert pareto_front([a, b, c]) == [c]


def test_front_of_nothing_comparable_is_empty(writer) -> None:
    writer.failed()
    assert pareto_front(writer.store.trials("pi4")) == []
    assert pareto_front([]) == []


def test_hypervolume_of_a_staircase_is_exact(writer) -> None:
    # Heights above the reference accuracy 0.25: 0.25, 0.5, 0.625; widths to the next
    # latency (then to the reference 40 ms): 10, 10, 10.
    front = [writer.done(0.5, 10.0), writer.done(0.75, 20.0), writer.done(0.875, 30.0)]
    assert hypervolume_2d(front, reference_accuracy=0.25, reference_latency_ms=40.0) == 13.75


def test_hypervolume_of_one_trial_is_its_rectangle(writer) -> None:
    trial = writer.done(0.75, 12.0)
    assert hypervolume_2d([trial], reference_accuracy=0.0, reference_latency_ms=20.0) == 6.0


def test_dominated_and_out_of_reference_trials_add_nothing(writer) -> None:
    front = [writer.done(0.5, 10.0), writer.done(0.75, 20.0)]
    extra = [
        writer.done(0.5, 15.0),  # dominated
        writer.done(0.25, 5.0),  # at the reference accuracy
        writer.done(1.0, 40.0),  # at the reference latency
        writer.done(1.0, 50.0),  # beyond it
        writer.failed(),
    ]
    expected = (20.0 - 10.0) * 0.25 + (40.0 - 20.0) * 0.5
    assert hypervolume_2d(front, reference_accuracy=0.25, reference_latency_ms=40.0) == expected
    assert hypervolume_2d(front + extra, reference_accuracy=0.25, reference_latency_ms=40.0) == expected
    assert hypervolume_2d([], reference_accuracy=0.0, reference_latency_ms=40.0) == 0.0


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "10", True])
def test_hypervolume_wants_a_finite_reference(writer, bad) -> None:
    with pytest.raises(ReportError, match="reference_latency_ms must be a finite number"):
        hypervolume_2d([writer.done(0.5, 1.0)], reference_accuracy=0.0, reference_latency_ms=bad)
