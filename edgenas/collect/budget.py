"""Whether another batch of work fits before a deadline.

A collection that starts a batch just before its deadline runs past it by that
batch's length. `BatchClock` remembers the longest batch so far and lets a new
one start only when that much time is left, so a budget of N minutes ends
within N minutes unless a batch runs longer than every batch before it.
A clock can start from a known lower bound (`at_least_s`): a phase that
follows another with batches at least as long starts from that phase's
longest, so it does not open with a batch the deadline has no room for.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class BatchClock:
    """The longest batch so far, and whether one more of that length fits before a deadline."""

    def __init__(self, *, at_least_s: float = 0.0) -> None:
        """Starts the clock.

        Args:
            at_least_s: Length taken as the longest batch until a longer one is timed.
        """
        if not at_least_s >= 0:
            raise ValueError(f"at_least_s must be >= 0, got {at_least_s!r}")
        self.longest_s = float(at_least_s)

    def fits(self, stop_at: float) -> bool:
        """True when a batch as long as the longest so far would end before `stop_at` (monotonic seconds)."""
        return time.monotonic() + self.longest_s < stop_at

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Times the enclosed batch and keeps its length when it is the longest."""
        start = time.monotonic()
        try:
            yield
        finally:
            self.longest_s = max(self.longest_s, time.monotonic() - start)
