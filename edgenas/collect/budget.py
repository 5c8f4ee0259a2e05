"""Whether another batch of work fits before a deadline.

A collection that starts a batch just before its deadline runs past it by that
batch's length. `BatchClock` remembers the longest batch so far and lets a new
one start only when that much time is left, so a budget of N minutes ends
within N minutes unless a batch runs longer than every batch before it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class BatchClock:
    """The longest batch so far, and whether one more of that length fits before a deadline."""

    def __init__(self) -> None:
        self.longest_s = 0.0

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
