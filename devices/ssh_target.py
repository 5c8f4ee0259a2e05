"""`SshTarget`: how to reach a Linux board over SSH with the system OpenSSH client."""

from __future__ import annotations

import dataclasses
import math
import os
import re

__all__ = ["HOST_KEY_POLICIES", "SshTarget"]

HOST_KEY_POLICIES = ("yes", "accept-new", "no")
"""Values of OpenSSH's ``StrictHostKeyChecking``: ``yes`` refuses unknown or
changed host keys, ``accept-new`` records unknown ones and refuses changed
ones, ``no`` accepts anything (throw-away test hosts only)."""

# A host name, an IPv4 address or a bare IPv6 address; never an ssh option.
_HOST = re.compile(r"[A-Za-z0-9_.:%-]+")
_USER = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?")


def _path_or_none(name: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise ValueError(f"{name} must be a path or None, got {value!r}")
    text = os.fspath(value)
    if not isinstance(text, str) or not text or any(c in text for c in '"\n'):
        raise ValueError(f"{name} must be a non-empty path without '\"' or newlines, got {value!r}")
    return text


def _config_value(text: str) -> str:
    """A value for ``ssh -o KEY=VALUE``, double-quoted when it holds blanks."""
    return f'"{text}"' if any(c.isspace() for c in text) else text


@dataclasses.dataclass(frozen=True)
class SshTarget:
    """One SSH login on a board: where, as whom, with which key and Python.

    Every connection is non-interactive (``BatchMode=yes``): a key the server
    refuses or an unknown host key fails at once instead of asking.

    Attributes:
        host: Host name or IP address.
        user: Login user; None uses the client's default (``~/.ssh/config``, then the local user).
        port: TCP port of the SSH server.
        identity_file: Private key file (with ``IdentitiesOnly=yes``); None uses the client's defaults.
        known_hosts_file: The known_hosts file to check the host key against; None uses the client's.
        host_key_policy: ``StrictHostKeyChecking``, one of `HOST_KEY_POLICIES`.
        connect_timeout_s: Limit for opening the TCP connection (``ConnectTimeout``, whole seconds, rounded up).
        config_file: An ssh_config file to use instead of the user's (``-F``); None keeps the client's.
        python: The board's Python interpreter (name on its PATH or absolute path); it needs
            numpy and a runtime, nothing else.
        remote_tmp_dir: Absolute folder on the board under which each call makes
            (``mktemp -d``) and removes its own working folder.
    """

    host: str
    user: str | None = None
    port: int = 22
    identity_file: str | None = None
    known_hosts_file: str | None = None
    host_key_policy: str = "yes"
    connect_timeout_s: float = 10.0
    config_file: str | None = None
    python: str = "python3"
    remote_tmp_dir: str = "/tmp"

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not _HOST.fullmatch(self.host) or self.host.startswith("-"):
            raise ValueError(f"host must be a host name or IP address, got {self.host!r}")
        if self.user is not None and (not isinstance(self.user, str) or not _USER.fullmatch(self.user)):
            raise ValueError(f"user must be a login name (letters, digits, '_', '.', '-') or None, got {self.user!r}")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 1 <= self.port <= 65535:
            raise ValueError(f"port must be an integer in 1..65535, got {self.port!r}")
        for name in ("identity_file", "known_hosts_file", "config_file"):
            object.__setattr__(self, name, _path_or_none(name, getattr(self, name)))
        if self.host_key_policy not in HOST_KEY_POLICIES:
            raise ValueError(
                f"host_key_policy must be one of {', '.join(HOST_KEY_POLICIES)}; got {self.host_key_policy!r}"
            )
        timeout = self.connect_timeout_s
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not (
            math.isfinite(timeout) and timeout > 0
        ):
            raise ValueError(f"connect_timeout_s must be a finite number > 0, got {timeout!r}")
        object.__setattr__(self, "connect_timeout_s", float(timeout))
        if not isinstance(self.python, str) or not self.python.strip() or "\n" in self.python:
            raise ValueError(f"python must be a non-empty command name or path, got {self.python!r}")
        tmp = self.remote_tmp_dir
        if not isinstance(tmp, str) or not tmp.startswith("/") or "\n" in tmp:
            raise ValueError(f"remote_tmp_dir must be an absolute path on the board, got {tmp!r}")

    @property
    def destination(self) -> str:
        """``user@host``, or ``host`` when no user is set."""
        return self.host if self.user is None else f"{self.user}@{self.host}"

    def __str__(self) -> str:
        return f"{self.destination}:{self.port}"

    def ssh_options(self) -> list[str]:
        """The ``ssh`` options (before the destination) of every connection."""
        options = ["-T", "-p", str(self.port)]
        if self.config_file is not None:
            options += ["-F", self.config_file]
        options += [
            "-o", "BatchMode=yes",
            "-o", f"ConnectTimeout={max(1, math.ceil(self.connect_timeout_s))}",
            "-o", f"StrictHostKeyChecking={self.host_key_policy}",
            "-o", "ServerAliveInterval=15",
            "-o", "ServerAliveCountMax=3",
            "-o", "LogLevel=ERROR",
        ]  # fmt: skip
        if self.identity_file is not None:
            options += ["-i", self.identity_file, "-o", "IdentitiesOnly=yes"]
        if self.known_hosts_file is not None:
            options += ["-o", f"UserKnownHostsFile={_config_value(self.known_hosts_file)}"]
        return options
