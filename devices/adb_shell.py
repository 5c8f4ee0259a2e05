"""Runs ``adb -s SERIAL push`` / ``shell`` for one phone, mapping adb's failures to `DeviceUnavailableError`.

``adb shell`` only passes the remote exit status on with the shell protocol
(Android 7+), so every script ends with ``echo <mark>$?``: the status is read
from the output, and a missing mark means the session itself failed.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess

from .adb_target import AdbTarget
from .errors import DeviceUnavailableError
from .lifeline import run_child

__all__ = ["AdbShell", "AdbTimeout", "ShellResult"]

_EXIT_MARK = "@@edgenas-exit:"

# (text in adb's own error output, reason shown to the user); the first match wins.
_REASONS = (
    ("unauthorized", "the phone has not authorized this computer (accept the USB debugging prompt on it)"),
    ("offline", "the phone is offline"),
    ("no devices/emulators found", "no phone is connected"),
    ("not found", "no phone with this serial is connected"),
    ("insufficient permissions", "no permission to open the phone's USB device"),
    ("more than one device", "more than one phone matches"),
    ("cannot connect to daemon", "the adb server cannot be reached"),
    ("failed to start daemon", "the adb server cannot be started"),
    ("error: closed", "the connection to the phone closed"),
    ("protocol fault", "the connection to the phone broke"),
)


class AdbTimeout(Exception):
    """An adb command did not finish in time; the local ``adb`` was killed.

    Attributes:
        timeout_s: The limit.
        output: What it printed (stdout, then stderr) before it was stopped.
    """

    def __init__(self, timeout_s: float, output: str) -> None:
        super().__init__(f"no answer within {timeout_s:g} s")
        self.timeout_s = timeout_s
        self.output = output


@dataclasses.dataclass(frozen=True)
class ShellResult:
    """A finished ``adb shell`` script.

    Attributes:
        status: The script's exit status on the phone.
        stdout: Its standard output (without the exit mark), carriage returns removed.
        stderr: Its standard error (empty on phones without the shell protocol, where it is merged into stdout).
    """

    status: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout and stderr together."""
        return self.stdout + ("\n" + self.stderr if self.stderr else "")


def _text(data: str | bytes | None) -> str:
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    return (data or "").replace("\r", "")


class AdbShell:
    """Runs adb commands against one phone.

    Args:
        target: The phone.
        device: The device's name, for error messages.
    """

    def __init__(self, target: AdbTarget, *, device: str) -> None:
        self.target = target
        self.device = device

    def _adb(self, args: list[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
        try:
            return run_child(
                [self.target.adb, "-s", self.target.serial, *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                encoding="utf-8",
                errors="replace",
                timeout=max(timeout_s, 0.001),
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise AdbTimeout(timeout_s, _text(e.stdout) + _text(e.stderr)) from None
        except OSError as e:
            raise self.unavailable(f"cannot start adb {self.target.adb!r}: {e}") from None

    def push(self, local: str | os.PathLike[str], remote: str, *, timeout_s: float) -> None:
        """``adb push local remote``.

        Raises:
            DeviceUnavailableError: adb failed (phone gone, unauthorized, disk full, ...).
            AdbTimeout: Not done in time.
        """
        proc = self._adb(["push", os.fspath(local), remote], timeout_s)
        if proc.returncode != 0:
            raise self.adb_failure(_text(proc.stderr) + "\n" + _text(proc.stdout), doing=f"push to {remote}")

    def shell(self, script: str, *, timeout_s: float) -> ShellResult:
        """Runs ``script`` with the phone's ``sh``; its status is that of its last command.

        Raises:
            DeviceUnavailableError: adb could not run the script on the phone.
            AdbTimeout: Not done in time.
        """
        proc = self._adb(["shell", f"{script}; echo {_EXIT_MARK}$?"], timeout_s)
        stdout, stderr = _text(proc.stdout), _text(proc.stderr)
        lines = stdout.splitlines()
        for i in range(len(lines) - 1, -1, -1):
            head, mark, status = lines[i].partition(_EXIT_MARK)
            if mark and status.strip().isdigit():
                kept = lines[:i] + ([head] if head else [])
                return ShellResult(int(status), "\n".join(kept), stderr)
        raise self.adb_failure(stderr + "\n" + stdout, doing="run a shell command")

    def adb_failure(self, output: str, *, doing: str) -> DeviceUnavailableError:
        """The error for adb's own failure, with the reason read from its output."""
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        for text, why in _REASONS:
            detail = next((line for line in lines if text in line.lower()), None)
            if detail is not None:
                return self.unavailable(f"adb cannot use phone {self.target.serial}: {why} ({detail})")
        detail = lines[-1] if lines else ""
        return self.unavailable(
            f"adb cannot use phone {self.target.serial}: adb could not {doing}" + (f" ({detail})" if detail else "")
        )

    def unavailable(self, what: str) -> DeviceUnavailableError:
        """A `DeviceUnavailableError` saying ``what`` went wrong on this device."""
        return DeviceUnavailableError(f"{self.device}: {what}", device=self.device)
