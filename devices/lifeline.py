"""Child processes that end when the process that started them dies.

A search, a scale run, a predictor collection and the farm start worker
processes (TensorFlow workers of 1.4-1.9 GB) and profilers. Killed with
SIGKILL, a parent cannot clean up, and on Linux its children are re-parented to
PID 1 and run on, writing into folders nobody reads. Two mechanisms close that
hole, used together:

- ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` (Linux): the kernel kills the child the
  moment the thread that forked it ends. Set in the child right after ``fork``
  (``preexec_fn``) or at the start of a spawned worker.
- A watch thread in long-lived Python children that compares ``os.getppid()``
  with the parent it was started by and exits when they differ (any POSIX
  system, and a second line of defence where the signal is not available).

Standard library only: the profiler's callers in ``devices`` and the search's
workers in ``edgenas`` both use it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["die_with_parent", "popen_child", "run_child", "set_parent_death_signal"]

_PR_SET_PDEATHSIG = 1
# How often a watch thread checks its parent (seconds): a killed parent's
# children are gone within about this long even without PR_SET_PDEATHSIG.
_WATCH_INTERVAL_S = 0.25


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    prctl = libc.prctl
    prctl.restype = ctypes.c_int
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return prctl


# Resolved once in the parent, so a child between fork and exec calls it without
# loading anything (no locks taken after fork).
_PRCTL = _load_prctl()


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Asks the kernel to send `sig` to this process when its parent thread ends.

    Args:
        sig: The signal to receive (default SIGKILL: nothing to clean up can run).

    Returns:
        True if the signal was set (Linux), False where the platform has no such call.
    """
    if _PRCTL is None:
        return False
    return _PRCTL(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0


def _watch(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)  # the parent is gone: nothing here is worth finishing
        time.sleep(_WATCH_INTERVAL_S)


def die_with_parent(parent_pid: int) -> None:
    """Makes this (Python) process end as soon as `parent_pid` is no longer its parent.

    Call it first thing in a spawned child, with the parent's PID passed from the
    parent (a child cannot tell on its own whether its parent already died).

    Args:
        parent_pid: The PID of the process that started this one.
    """
    set_parent_death_signal()
    if os.getppid() != parent_pid:  # died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), name="edgenas-lifeline", daemon=True).start()


def _preexec(parent_pid: int) -> Callable[[], None]:
    def arm() -> None:
        set_parent_death_signal()
        if os.getppid() != parent_pid:
            os._exit(1)

    return arm


def run_child(command: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[Any]:
    """`subprocess.run` for a child that must not outlive this process.

    The child is killed by the kernel when the calling thread ends (Linux; the
    thread waits for the child, so that is when this process dies).

    Args:
        command: The program and its arguments.
        **kwargs: Passed to `subprocess.run` (timeout, capture_output, ...).

    Returns:
        The finished process, as `subprocess.run` returns it.
    """
    if _PRCTL is not None:
        kwargs.setdefault("preexec_fn", _preexec(os.getpid()))
    return subprocess.run(list(command), **kwargs)


def popen_child(command: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """`subprocess.Popen` for a long-lived child that must not outlive this process.

    The kernel kills the child when the thread that started it ends (Linux):
    start it from the thread that outlives its use (the main thread, for a
    profiler session).

    Args:
        command: The program and its arguments.
        **kwargs: Passed to `subprocess.Popen`.
    """
    if _PRCTL is not None:
        kwargs.setdefault("preexec_fn", _preexec(os.getpid()))
    return subprocess.Popen(list(command), **kwargs)
