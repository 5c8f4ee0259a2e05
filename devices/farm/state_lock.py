"""`StateLock`: one farm per state folder, by an exclusive ``flock`` on ``<state_dir>/farm.lock``.

A farm takes the lock before it opens its queue (opening the queue puts the
jobs that were running back in it, which must only happen when no farm runs
them) and holds it for its life. The file records the holder's PID, for the
error a second farm gives. The kernel drops the lock when its holder dies, even
by SIGKILL, so a file left behind never blocks a restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from .errors import FarmStateInUseError

__all__ = ["LOCK_FILE", "StateLock"]

LOCK_FILE = "farm.lock"
"""The lock file's name in the state folder."""


class StateLock:
    """The exclusive lock of a farm state folder; `acquire` it, `release` it (or use ``with``).

    Args:
        state_dir: The folder (created when missing).

    Raises:
        FarmStateInUseError: Another farm (process or `FarmService`) holds the
            folder; nothing in it was changed.
    """

    def __init__(self, state_dir: str | os.PathLike[str]) -> None:
        self._state_dir = Path(state_dir)
        self._state_dir.mkdir(parents=True, exist_ok=True)
        self._path = self._state_dir / LOCK_FILE
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by the profilers we start
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise FarmStateInUseError(self._state_dir, pid=pid) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd: int | None = fd

    @property
    def path(self) -> Path:
        """The lock file."""
        return self._path

    @property
    def held(self) -> bool:
        """Whether this object still holds the lock."""
        return self._fd is not None

    def release(self) -> None:
        """Clears the recorded PID and drops the lock (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the only descriptor drops the flock

    def __enter__(self) -> StateLock:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    """The PID a holder wrote in the lock file; None while it has not written it yet."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None
