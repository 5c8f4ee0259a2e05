"""Tests of devices/farm/state_lock.py: one farm per state folder, across threads and processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devices import ProfileSettings
from devices.farm.errors import FarmStateInUseError
from devices.farm.inventory import Inventory
from devices.farm.service import FarmService
from devices.farm.state_lock import LOCK_FILE, StateLock

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_a_state_folder_is_locked_once_and_the_lock_file_records_the_pid(tmp_path) -> None:
    state = tmp_path / "state"
    with StateLock(state) as lock:
        assert lock.held and lock.path == state / LOCK_FILE
        assert lock.path.read_text() == f"{os.getpid()}\n"
        with pytest.raises(FarmStateInUseError) as raised:
            StateLock(state)
        assert str(raised.value) == f"farm state in {state} is in use by PID {os.getpid()}"
        assert raised.value.pid == os.getpid() and isinstance(raised.value, OSError)
        assert lock.path.read_text() == f"{os.getpid()}\n"  # the refused one changed nothing
    assert not lock.held and lock.path.read_text() == ""
    lock.release()  # idempotent
    with StateLock(state):
        pass


def test_a_folder_held_by_another_process_is_left_alone_until_that_process_dies(tmp_path, local_device) -> None:
    state = tmp_path / "state"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom devices.farm.state_lock import StateLock\n"
         "lock = StateLock(sys.argv[1]); print('locked', flush=True); time.sleep(60)", str(state)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, start_new_session=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "locked\n"
        device = local_device("cpu-1")
        inventory = Inventory(devices=(device.entry,), settings=ProfileSettings(), source="test")
        with pytest.raises(FarmStateInUseError, match=f"is in use by PID {holder.pid}$"):
            FarmService(inventory, state_dir=state, devices=[device])
        assert sorted(p.name for p in state.iterdir()) == [LOCK_FILE]  # no queue, no models folder
        os.killpg(holder.pid, signal.SIGKILL)  # the kernel drops the lock; the stale PID blocks nothing
        holder.wait(10)
        with FarmService(inventory, state_dir=state, devices=[device]) as service:
            assert (state / LOCK_FILE).read_text() == f"{os.getpid()}\n"
            assert service.jobs.counts()["queued"] == 0
        with StateLock(state):  # stopping the farm unlocked the folder
            pass
    finally:
        if holder.poll() is None:
            os.killpg(holder.pid, signal.SIGKILL)
            holder.wait(10)
        holder.stdout.close()
