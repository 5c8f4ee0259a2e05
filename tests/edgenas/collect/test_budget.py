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
