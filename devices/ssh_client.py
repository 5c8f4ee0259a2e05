"""Runs one shell script on an `SshTarget` with the system OpenSSH client.

Each call is one ``ssh`` process: ``ssh [options] destination "sh -c '<script>'"``,
so the script runs under ``sh`` whatever the login shell is. A failure of SSH
itself (exit status 255: key refused, connection refused or timed out, host
key rejected) becomes a `DeviceUnavailableError` whose one-line message names
the device and the reason; the script's own exit status is left to the caller.
"""

from __future__ import annotations

import shlex
import subprocess

from .errors import DeviceUnavailableError
from .lifeline import run_child
from .ssh_target import SshTarget

__all__ = ["SSH_FAILURE", "SshClient", "SshTimeout"]

SSH_FAILURE = 255
"""The exit status with which ``ssh`` reports its own failures."""

# (text in ssh's stderr, reason shown to the user); the first match wins.
_REASONS = (
    ("Permission denied", "the server refused the key"),
    ("Host key verification failed", "host key verification failed"),
    ("Connection refused", "connection refused"),
    ("timed out", "connection timed out"),
    ("No route to host", "no route to host"),
    ("Network is unreachable", "network is unreachable"),
    ("Could not resolve hostname", "cannot resolve the host name"),
    ("Connection closed", "the connection was closed"),
    ("Connection reset", "the connection was reset"),
    ("Broken pipe", "the connection broke"),
)


class SshTimeout(Exception):
    """A script did not finish within its time limit; the ``ssh`` process was killed.

    Attributes:
        timeout_s: The limit.
        stdout: What the script printed to stdout before it was stopped.
        stderr: What it printed to stderr before it was stopped.
    """

    def __init__(self, timeout_s: float, stdout: bytes, stderr: bytes) -> None:
        super().__init__(f"no answer within {timeout_s:g} s")
        self.timeout_s = timeout_s
        self.stdout = stdout
        self.stderr = stderr


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


class SshClient:
    """Runs scripts on one target, mapping SSH failures to `DeviceUnavailableError`.

    Args:
        target: Where and how to connect.
        device: The device's name, for error messages.
        ssh: The OpenSSH client executable.
    """

    def __init__(self, target: SshTarget, *, device: str, ssh: str = "ssh") -> None:
        self.target = target
        self.device = device
        self.ssh = ssh

    def command(self, script: str) -> list[str]:
        """The local command line that runs ``script`` under ``sh`` on the target."""
        return [self.ssh, *self.target.ssh_options(), self.target.destination, f"sh -c {shlex.quote(script)}"]

    def run(
        self, script: str, *, timeout_s: float, stdin: bytes = b"", check_ssh: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        """Runs ``script`` on the target and waits for it.

        Args:
            script: A POSIX shell script.
            timeout_s: Wall-clock limit; the local ``ssh`` is killed after it.
            stdin: Bytes fed to the script's standard input.
            check_ssh: Raise on exit status 255; False returns the process
                (with what the script printed before SSH failed).

        Returns:
            The finished ``ssh`` process (stdout and stderr as bytes); its
            return code is the script's exit status (255 only when not ``check_ssh``).

        Raises:
            DeviceUnavailableError: ``ssh`` could not be started, or SSH itself
                failed (exit status 255) and ``check_ssh`` is set.
            SshTimeout: The script did not finish in time.
        """
        try:
            proc = run_child(
                self.command(script),
                input=stdin,
                capture_output=True,
                timeout=max(timeout_s, 0.001),
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise SshTimeout(timeout_s, e.stdout or b"", e.stderr or b"") from None
        except OSError as e:
            raise DeviceUnavailableError(
                f"{self.device}: cannot start the ssh client {self.ssh!r}: {e}", device=self.device
            ) from None
        if check_ssh and proc.returncode == SSH_FAILURE:
            raise self.ssh_failure(proc.stderr.decode("utf-8", "replace"))
        return proc

    def ssh_failure(self, stderr: str) -> DeviceUnavailableError:
        """The error of an SSH failure (exit status 255), with the reason read from ``ssh``'s stderr."""
        detail = _last_line(stderr)
        reason = next((why for text, why in _REASONS if text in stderr), "ssh failed")
        return self.unavailable(f"cannot use {self.target} over SSH: {reason}" + (f" ({detail})" if detail else ""))

    def unavailable(self, what: str) -> DeviceUnavailableError:
        """A `DeviceUnavailableError` saying ``what`` went wrong on this device."""
        return DeviceUnavailableError(f"{self.device}: {what}", device=self.device)
