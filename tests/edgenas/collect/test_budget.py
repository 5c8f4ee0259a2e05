"""Tests of `edgenas.collect.budget`."""

from __future__ import annotations

import time

import pytest

from edgenas.collect.budget import BatchClock


def test_a_batch_starts_only_when_the_longest_so_far_would_end_before_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    clock = BatchClock()
    assert clock.fits(100.5)  # nothing timed yet: any time left is enough
    with clock.batch():
        now[0] += 3.0
    with clock.batch():
        now[0] += 1.0
    assert clock.longest_s == 3.0  # the longest, not the last
    assert clock.fits(now[0] + 3.5) and not clock.fits(now[0] + 2.5)


def test_a_batch_that_raises_is_still_timed(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    clock = BatchClock()
    with pytest.raises(RuntimeError), clock.batch():
        now[0] += 2.0
        raise RuntimeError("device gone")
    assert clock.longest_s == 2.0


def test_a_clock_started_from_a_lower_bound_refuses_a_first_batch_that_has_no_room(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [10.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    clock = BatchClock(at_least_s=2.0)  # e.g. the layer phase's longest batch, before the first network batch
    assert not clock.fits(11.5) and clock.fits(12.5)
    with clock.batch():
        now[0] += 1.0  # shorter than the bound: the bound stays the estimate
    assert clock.longest_s == 2.0
    with clock.batch():
        now[0] += 4.0
    assert clock.longest_s == 4.0


def test_a_negative_lower_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="at_least_s"):
        BatchClock(at_least_s=-1.0)
