"""`TrialStatus`: where a trial is in its life."""

from __future__ import annotations

import enum

__all__ = ["TrialStatus"]


class TrialStatus(enum.StrEnum):
    """The state of one trial in the store."""

    RUNNING = "running"
    """Started and not yet finished. A running row left by a killed process is
    removed by `TrialStore.mark_interrupted`, so the trial is run again."""
    DONE = "done"
    """Evaluated: accuracy, latency and reward are recorded."""
    FAILED = "failed"
    """Evaluation raised; the error message is recorded and the search went on."""

    @property
    def finished(self) -> bool:
        """Whether the trial has ended (done or failed)."""
        return self is not TrialStatus.RUNNING
