"""Module-level task functions for the worker pool tests (must be importable by spawn)."""

import os
import signal


def pid_and_counter(state={"calls": 0}):  # noqa: B006 (per-process counter on purpose)
    state["calls"] += 1
    return os.getpid(), state["calls"]


def raise_value_error(message):
    raise ValueError(message)


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def sleep_forever():
    import time

    time.sleep(3600)
