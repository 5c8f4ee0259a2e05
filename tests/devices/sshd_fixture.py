"""A real OpenSSH server on 127.0.0.1 for the SSH backend tests (session-scoped).

``sshd`` runs without a system service: its own config file, a throw-away host
key, an ``authorized_keys`` file holding one throw-away client key, and a
second client key that the server does not know. It listens on a free high
port and is stopped (by the process this fixture started) at the end of the
session. Where ``/usr/sbin/sshd`` is missing (a fresh machine), the tests that
need it are skipped with that reason; with ``EDGENAS_REQUIRE_SSHD=1`` (set by
``.ci/run``, which installs ``openssh-server``) a missing server fails them.

One environment cannot run it: a user namespace that maps only root and denies
``setgroups`` (Bazel's linux-sandbox). sshd running as root must drop
privileges for every connection and cannot there, so the tests that need the
server are skipped with that reason; ``make test`` runs them for real.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SSHD = Path("/usr/sbin/sshd")
# Set to 1 (as .ci/run does) to fail, rather than skip, the SSH tests where sshd is missing.
REQUIRE_SSHD_VARIABLE = "EDGENAS_REQUIRE_SSHD"
SSH_KEYGEN = "ssh-keygen"
_START_TIMEOUT_S = 15.0


@dataclasses.dataclass(frozen=True)
class SshServer:
    """A running throw-away sshd and the files a client needs.

    Attributes:
        port: The port it listens on (127.0.0.1 only).
        user: The login user (the user running the tests).
        client_key: A private key the server accepts.
        refused_key: A private key the server does not know.
        known_hosts: A known_hosts file holding the server's host key.
        root: The folder holding all of it.
    """

    port: int
    user: str
    client_key: Path
    refused_key: Path
    known_hosts: Path
    root: Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path) -> None:
    subprocess.run(
        [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", os.fspath(path)],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )


def _root_cannot_drop_privileges() -> bool:
    """True in a user namespace where root may not call setgroups (sshd's privilege separation needs it)."""
    try:
        return os.getuid() == 0 and Path("/proc/self/setgroups").read_text().strip() == "deny"
    except OSError:
        return False


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.settimeout(2.0)
            return s.recv(4).startswith(b"SSH-")  # the server's banner
    except OSError:
        return False


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """Starts ``sshd -D -e -f CONFIG`` on a free port; stops it at the end."""
    if not SSHD.exists():
        reason = (
            f"{SSHD} is missing: the SSH backend tests need a real OpenSSH server; "
            "install it with `apt-get install -y openssh-server`"
        )
        if os.environ.get(REQUIRE_SSHD_VARIABLE) == "1":
            pytest.fail(f"{reason} ({REQUIRE_SSHD_VARIABLE}=1 requires them)")
        pytest.skip(reason)
    if _root_cannot_drop_privileges():
        pytest.skip(
            "sshd cannot drop privileges here (root in a user namespace with setgroups denied, "
            "e.g. Bazel's linux-sandbox); these tests run under `make test`"
        )
    root = tmp_path_factory.mktemp("sshd")
    host_key, client_key, refused_key = root / "host_key", root / "client_key", root / "refused_key"
    for key in (host_key, client_key, refused_key):
        _keygen(key)
    authorized = root / "authorized_keys"
    authorized.write_text(client_key.with_suffix(".pub").read_text())
    port = free_port()
    known_hosts = root / "known_hosts"
    host_type, host_blob = host_key.with_suffix(".pub").read_text().split()[:2]
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_type} {host_blob}\n")
    config = root / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"PidFile {root / 'sshd.pid'}",
                f"AuthorizedKeysFile {authorized}",
                "PermitRootLogin yes",
                "StrictModes no",
                "UsePAM no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "LogLevel VERBOSE",
                "",
            ]
        )
    )
    privsep = Path("/run/sshd")  # needed by sshd running as root (its privilege-separation chroot)
    if os.getuid() == 0 and not privsep.is_dir():
        privsep.mkdir(parents=True)
    log = root / "sshd.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [os.fspath(SSHD), "-D", "-e", "-f", os.fspath(config)],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not _accepts(port):
            if server.poll() is not None:
                pytest.fail(f"sshd exited with status {server.returncode}: {log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"sshd did not accept connections on port {port} within {_START_TIMEOUT_S:g} s")
            time.sleep(0.05)
        yield SshServer(
            port=port,
            user=getpass.getuser(),
            client_key=client_key,
            refused_key=refused_key,
            known_hosts=known_hosts,
            root=root,
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
