"""A stand-in trainer for the fast tests of `check_proxy` (module level: the spawned worker imports it).

The orchestration (workers, store, resume, failures) is what those tests check; the
real trainings run in the long form (`test_run_long.py`).
"""

from __future__ import annotations

import hashlib
from typing import Any

FAIL_MARK = "_c200-"
"""`failing_score` fails on a spec containing this."""


def hashed_score(spec: str, task: Any) -> tuple[float, float]:
    """A score fixed by the spec, the seed and the steps (a longer training scores higher), and 0 seconds."""
    digest = hashlib.sha256(f"{spec}|{task.seed}".encode()).digest()
    base = digest[0] / 255.0 * 0.5
    return min(1.0, base + task.steps / 1000.0), 0.0


def failing_score(spec: str, task: Any) -> tuple[float, float]:
    """`hashed_score`, except that a spec containing `FAIL_MARK` raises."""
    if FAIL_MARK in spec:
        raise RuntimeError("this architecture's training diverged")
    return hashed_score(spec, task)
