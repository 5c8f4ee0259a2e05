"""Recycled worker processes for the work that leaks: building, training, exporting models.

TensorFlow keeps about 160 MB per built-and-trained model in a process, even after
`keras.backend.clear_session()` (see shared/stack.md). The search therefore runs
each candidate's TensorFlow work in a worker process that is replaced after a few
candidates, so the search's memory stays flat however long it runs. A worker
ends within a fraction of a second of the search process's death, however
that dies (`devices.lifeline`), so a killed search leaves nothing running.
"""

from __future__ import annotations

import concurrent.futures
import functools
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from devices.lifeline import die_with_parent
from edgenas.errors import EdgenasError

__all__ = ["WorkerCrashedError", "WorkerPool"]

_T = TypeVar("_T")


class WorkerCrashedError(EdgenasError, RuntimeError):
    """A worker process died (killed, out of memory, a native crash) while running a task."""


def _start_worker(parent_pid: int, initializer: Callable[[], None] | None) -> None:
    die_with_parent(parent_pid)
    if initializer is not None:
        initializer()


class WorkerPool:
    """One worker process at a time, replaced after `tasks_per_worker` tasks.

    Tasks are module-level functions and picklable arguments; they run in a
    fresh `spawn`ed interpreter (no state inherited from the search process)
    that dies with the process that made the pool.

    Args:
        tasks_per_worker: Tasks a worker runs before it is replaced.
        initializer: Optional function run once in each new worker.
    """

    def __init__(self, *, tasks_per_worker: int = 4, initializer: Callable[[], None] | None = None) -> None:
        if tasks_per_worker < 1:
            raise ValueError(f"tasks_per_worker must be at least 1, got {tasks_per_worker}")
        self._tasks_per_worker = tasks_per_worker
        self._initializer = initializer
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None

    def _ensure(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._executor is None:
            self._executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=self._tasks_per_worker,
                initializer=functools.partial(_start_worker, os.getpid(), self._initializer),
            )
        return self._executor

    def run(self, fn: Callable[..., _T], /, *args: Any, timeout_s: float | None = None, **kwargs: Any) -> _T:
        """Runs `fn(*args, **kwargs)` in a worker and returns its result.

        Exceptions raised by `fn` are re-raised here unchanged.

        Raises:
            WorkerCrashedError: If the worker process died; the pool starts a new one
                for the next task.
            TimeoutError: If `timeout_s` passed; the worker is killed and replaced.
        """
        future = self._ensure().submit(fn, *args, **kwargs)
        try:
            return future.result(timeout=timeout_s)
        except BrokenProcessPool as error:
            self._discard()
            raise WorkerCrashedError(f"the worker process died while running {fn.__name__}") from error
        except concurrent.futures.TimeoutError:
            self._discard(kill=True)
            raise TimeoutError(f"{fn.__name__} did not finish within {timeout_s:g} s") from None

    def _discard(self, *, kill: bool = False) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        if kill:
            for process in list(getattr(executor, "_processes", {}).values()):
                process.kill()
        executor.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Stops the worker (waits for a running task)."""
        self._discard()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
