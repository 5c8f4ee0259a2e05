"""`kill -9` of a long command leaves nothing running: search, scale, predictor collect.

Each command is started for real, killed with SIGKILL while its TensorFlow
worker is at work (a predictor collection, which writes its timing models
without TensorFlow, while it times them), and every process it started
(worker, multiprocessing's resource tracker, profilers) must be gone within
seconds, with no file written afterwards (see ``marked_command`` in
tests/conftest.py).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

EDGENAS = [sys.executable, "-m", "edgenas"]

# The worker has been alive this long when the command is killed: past its
# start-up, into TensorFlow's import and the candidate's build.
_WORKER_BUSY_S = 4.0


def _kill_mid_work(start: Callable[..., object], argv: list[str], tmp_path: Path, *, children: int = 2) -> None:
    command = start([*EDGENAS, *argv], cwd=tmp_path)
    command.wait_for(lambda c: len(c.children()) >= children, timeout_s=60, what="the worker processes to start")
    time.sleep(_WORKER_BUSY_S)
    assert command.process.poll() is None, f"the command ended before it was killed:\n{command.output()}"
    command.kill_and_expect_no_orphans(watched=tmp_path)


@pytest.mark.slow
def test_a_killed_search_leaves_no_worker(marked_command: Callable[..., object], tmp_path: Path) -> None:
    _kill_mid_work(
        marked_command,
        ["search", "--space", "mnasnet", "--target-ms", "7", "--trials", "3", "--db", "runs/s.sqlite",
         "--proxy-steps", "2000"],
        tmp_path,
    )


@pytest.mark.slow
def test_a_killed_scale_run_leaves_no_worker(marked_command: Callable[..., object], tmp_path: Path) -> None:
    _kill_mid_work(
        marked_command,
        ["scale", "--reference", "spinenet_mobile49", "--target-ms", "40", "--out", "runs/scale"],
        tmp_path,
    )


@pytest.mark.slow
def test_a_killed_predictor_collection_leaves_no_worker(marked_command: Callable[..., object], tmp_path: Path) -> None:
    _kill_mid_work(
        marked_command,
        ["predictor", "collect", "--space", "mnasnet", "--budget-min", "5", "--db", "runs/lat.sqlite"],
        tmp_path,
        children=1,  # no TensorFlow worker: the profiler timing a model
    )
