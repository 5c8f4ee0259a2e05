"""devices/lifeline.py: children end when their parent dies, by signal or by their own watch."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from devices import lifeline

REPO_ROOT = Path(__file__).resolve().parents[2]

# A child that relies on its watch thread alone (no PR_SET_PDEATHSIG), as on a
# platform without prctl.
_WATCHING_CHILD = (
    "import sys, time\n"
    "from devices import lifeline\n"
    "lifeline._PRCTL = None\n"
    "lifeline.die_with_parent(int(sys.argv[1]))\n"
    "time.sleep(120)\n"
)
_PARENT = (
    "import os, subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', sys.argv[1], str(os.getpid())])\n"
    "time.sleep(120)\n"
)


def test_a_watching_child_ends_soon_after_its_parent_is_killed(
    marked_command: Callable[..., object], tmp_path: Path
) -> None:
    command = marked_command([sys.executable, "-c", _PARENT, _WATCHING_CHILD], env={"PYTHONPATH": str(REPO_ROOT)})
    command.wait_for(lambda c: c.children(running="time.sleep(120)"), timeout_s=30, what="the child to start")
    command.kill_and_expect_no_orphans(watched=tmp_path, within_s=3.0, quiet_s=0.5)


def test_a_child_whose_parent_is_already_gone_exits_at_once() -> None:
    # The parent PID given is not this child's parent: it must have died before the child armed itself.
    code = "import os, time\nfrom devices import lifeline\nlifeline.die_with_parent(os.getppid() + 1)\ntime.sleep(60)\n"
    proc = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, timeout=30)
    assert proc.returncode == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_run_child_arms_the_parent_death_signal() -> None:
    # /proc/self/status has no field for it, so the child asks the kernel (PR_GET_PDEATHSIG = 2).
    code = (
        "import ctypes, signal\n"
        "libc = ctypes.CDLL(None)\n"
        "sig = ctypes.c_int()\n"
        "libc.prctl(2, ctypes.byref(sig), 0, 0, 0)\n"
        "print(sig.value == signal.SIGKILL)\n"
    )
    proc = lifeline.run_child([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert proc.stdout.strip() == "True"
    unarmed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert unarmed.stdout.strip() == "False"
