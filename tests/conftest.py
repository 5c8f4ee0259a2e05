"""Fixtures and hooks shared by every test folder.

``marked_command`` runs a command so that every process it starts can be found,
even after they lost their parent. The tests marked ``slow`` run first.

A command is started with a unique marker in its environment; every process it
starts inherits that environment, so scanning ``/proc/*/environ`` for the marker
finds the whole family, including orphans re-parented to PID 1 after the
command was killed. Linux only (the tests using it skip elsewhere).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

_MARK_VARIABLE = "EDGENAS_TEST_PROCESS_MARK"


def _marked_pids(mark: str) -> list[int]:
    """PIDs of the live (not zombie) processes whose environment carries `mark`."""
    needle = f"{_MARK_VARIABLE}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # ended while we looked, or not ours to read
            continue
        if state != "Z" and needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def _files_state(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder` with its size and modification time (ns)."""
    state = {}
    for path in sorted(folder.rglob("*")):
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        if path.is_file():
            state[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return state


def _wait_until(condition: Callable[[], object], *, timeout_s: float, what: str) -> None:
    """Polls `condition` every 0.1 s; fails the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.1)


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:200]
    except OSError:
        return "?"


class MarkedCommand:
    """A command run with a unique environment marker, so its whole process family can be found.

    Args:
        command: The program and its arguments.
        cwd: Working folder.
        env: Extra environment variables.
    """

    def __init__(self, command: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.mark = uuid.uuid4().hex
        self.log_path = cwd / f"marked-{self.mark[:8]}.log"
        full_env = {**os.environ, **(env or {}), _MARK_VARIABLE: self.mark}
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            list(command), cwd=cwd, env=full_env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )

    def family(self) -> list[int]:
        """Live processes of the command (itself included while it runs)."""
        return _marked_pids(self.mark)

    def children(self, *, running: str = "") -> list[int]:
        """Live processes of the command other than the command itself.

        Args:
            running: Only those whose command line contains this text.
        """
        return [pid for pid in self.family() if pid != self.process.pid and running in _command_line(pid)]

    def output(self) -> str:
        """What the command printed so far."""
        return self.log_path.read_text(errors="replace")

    def wait_for(self, condition: Callable[[MarkedCommand], object], *, timeout_s: float, what: str) -> None:
        """Polls `condition(self)`; fails the test (with the command's output) after `timeout_s`.

        Also fails at once if the command ends first.
        """

        def met() -> object:
            if self.process.poll() is not None:
                pytest.fail(f"the command ended (status {self.process.returncode}) before {what}:\n{self.output()}")
            return condition(self)

        _wait_until(met, timeout_s=timeout_s, what=f"{what}; output so far:\n{self.output()}")

    def kill_and_expect_no_orphans(self, *, watched: Path, within_s: float = 5.0, quiet_s: float = 2.0) -> None:
        """SIGKILLs the command alone; fails unless its whole family ends and `watched` stays still.

        Args:
            watched: A folder the family writes into: after the family is gone, no
                file in it may appear or change for `quiet_s` seconds.
            within_s: How long the command's children may take to end.
            quiet_s: How long `watched` is observed.
        """
        before = set(self.children())
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + within_s
        while self.family() and time.monotonic() < deadline:
            time.sleep(0.1)
        left = {pid: _command_line(pid) for pid in self.family()}
        assert not left, (
            f"processes outlived their killed parent by {within_s:g} s (children before: {sorted(before)}): {left}"
        )
        state = _files_state(watched)
        time.sleep(quiet_s)
        assert _files_state(watched) == state, "files were written after the command and its children were gone"

    def cleanup(self) -> None:
        """Kills whatever of the family is left (so a failing test leaks nothing)."""
        for pid in self.family():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process.poll() is None:
            self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture
def marked_command(tmp_path: Path) -> Iterator[Callable[..., MarkedCommand]]:
    """``marked_command(argv, cwd=..., env=...)`` starts a `MarkedCommand`; whatever is left is killed at teardown."""
    if not Path("/proc/self/environ").exists():
        pytest.skip("finding a command's processes needs Linux's /proc")
    started: list[MarkedCommand] = []

    def start(command: Sequence[str], *, cwd: Path = tmp_path, env: dict[str, str] | None = None) -> MarkedCommand:
        started.append(MarkedCommand(command, cwd=cwd, env=env))
        return started[-1]

    yield start
    for command in started:
        command.cleanup()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Runs the tests marked `slow` first (keeping the order otherwise).

    With several workers (`make test` runs pytest-xdist), the minute-long tests
    then start at once and the short ones fill in around them, instead of one
    long test starting last and keeping a single worker busy at the end.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
