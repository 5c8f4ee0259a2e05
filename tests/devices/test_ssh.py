"""Tests of devices/ssh.py against a real OpenSSH server on 127.0.0.1 (see sshd_fixture.py).

The "board" is this machine: the remote Python is this venv's interpreter, and
each test gives the device its own remote temporary folder so that leftovers
can be checked.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import stat
import sys
import time
from pathlib import Path

import pytest

from devices import DeviceUnavailableError, LatencyResult, ProfilerError, ProfileSettings
from devices.ssh import SshDevice
from devices.ssh_target import SshTarget


def _load_helper(name: str):
    spec = importlib.util.spec_from_file_location(f"_edgenas_tests_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


sshd_fixture = _load_helper("sshd_fixture")
sshd = sshd_fixture.sshd  # the session-scoped server fixture
SshServer = sshd_fixture.SshServer

FAST = ProfileSettings(runs=5, warmup=1, max_attempts=1)


def _script(path: Path, body: str) -> Path:
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture()
def remote_tmp(tmp_path: Path) -> Path:
    """The board's temporary folder for one test (the board is this machine)."""
    folder = tmp_path / "remote-tmp"
    folder.mkdir()
    return folder


def _target(server: SshServer, remote_tmp: Path, **changes: object) -> SshTarget:
    fields: dict[str, object] = {
        "host": "127.0.0.1",
        "user": server.user,
        "port": server.port,
        "identity_file": server.client_key,
        "known_hosts_file": server.known_hosts,
        "connect_timeout_s": 5,
        "python": sys.executable,
        "remote_tmp_dir": os.fspath(remote_tmp),
    }
    fields.update(changes)
    return SshTarget(**fields)  # type: ignore[arg-type]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


# --------------------------------------------------------------------------- #
# A reachable board
# --------------------------------------------------------------------------- #


def test_measures_a_real_model_over_ssh(sshd: SshServer, remote_tmp: Path, tflite_f32: Path) -> None:
    device = SshDevice(_target(sshd, remote_tmp), name="board")
    result = device.measure(tflite_f32, FAST, timeout_s=120)
    assert isinstance(result, LatencyResult)
    assert result.artifact_sha256 == hashlib.sha256(tflite_f32.read_bytes()).hexdigest()
    assert result.size_bytes == tflite_f32.stat().st_size
    assert result.model_path == os.fspath(tflite_f32.resolve())  # the local file, not the deleted copy
    assert (result.runtime, result.runs, result.warmup_runs, result.threads) == ("litert", 5, 1, 1)
    assert 0 < result.min_ms <= result.latency_ms <= result.p90_ms
    assert list(remote_tmp.iterdir()) == []  # the working folder is gone


def test_health_check_passes_and_leaves_nothing(sshd: SshServer, remote_tmp: Path) -> None:
    SshDevice(_target(sshd, remote_tmp)).check_health(timeout_s=60)
    assert list(remote_tmp.iterdir()) == []


def test_default_name_is_the_destination(sshd: SshServer, remote_tmp: Path) -> None:
    device = SshDevice(_target(sshd, remote_tmp))
    assert device.name == f"{sshd.user}@127.0.0.1:{sshd.port}"


# --------------------------------------------------------------------------- #
# An unreachable or unusable board
# --------------------------------------------------------------------------- #


def test_a_key_the_server_refuses_is_device_unavailable(
    sshd: SshServer, remote_tmp: Path, tflite_f32: Path
) -> None:
    device = SshDevice(_target(sshd, remote_tmp, identity_file=sshd.refused_key), name="pi")
    with pytest.raises(DeviceUnavailableError, match=r"^pi: .*the server refused the key .*Permission denied") as info:
        device.check_health(timeout_s=30)
    assert info.value.device == "pi"
    assert "\n" not in str(info.value)
    with pytest.raises(DeviceUnavailableError, match="the server refused the key"):
        device.measure(tflite_f32, FAST, timeout_s=30)
    assert list(remote_tmp.iterdir()) == []


def test_a_closed_port_is_device_unavailable(remote_tmp: Path, sshd: SshServer, tflite_f32: Path) -> None:
    device = SshDevice(_target(sshd, remote_tmp, port=sshd_fixture.free_port()), name="jetson")
    with pytest.raises(DeviceUnavailableError, match=r"^jetson: .*connection refused"):
        device.measure(tflite_f32, FAST, timeout_s=30)
    with pytest.raises(DeviceUnavailableError, match="connection refused"):
        device.check_health(timeout_s=30)


def test_an_unknown_host_key_is_refused_with_strict_checking(
    sshd: SshServer, remote_tmp: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    device = SshDevice(_target(sshd, remote_tmp, known_hosts_file=empty), name="pi")
    with pytest.raises(DeviceUnavailableError, match="host key verification failed"):
        device.check_health(timeout_s=30)


def test_a_missing_ssh_client_is_device_unavailable(sshd: SshServer, remote_tmp: Path, tmp_path: Path) -> None:
    device = SshDevice(_target(sshd, remote_tmp), name="pi", ssh=os.fspath(tmp_path / "no-ssh-here"))
    with pytest.raises(DeviceUnavailableError, match="cannot start the ssh client"):
        device.check_health(timeout_s=30)


def test_a_board_without_numpy_or_runtime_fails_the_health_check(
    sshd: SshServer, remote_tmp: Path, tmp_path: Path
) -> None:
    bare = tmp_path / "bare-python"  # Python without site-packages: no numpy, no runtime
    _script(bare, f'#!/bin/sh\nexec {sys.executable} -S "$@"\n')
    device = SshDevice(_target(sshd, remote_tmp, python=os.fspath(bare)), name="pi")
    with pytest.raises(DeviceUnavailableError, match=r"^pi: profiler self-check failed: "):
        device.check_health(timeout_s=60)
    assert list(remote_tmp.iterdir()) == []


# --------------------------------------------------------------------------- #
# The profiler fails on the board
# --------------------------------------------------------------------------- #


def test_garbage_on_stdout_is_a_profiler_error_and_cleans_up(
    sshd: SshServer, remote_tmp: Path, tmp_path: Path, tflite_f32: Path
) -> None:
    chatty = _script(tmp_path / "chatty-python", "#!/bin/sh\necho 'Segmentation fault? no: hello world'\n")
    device = SshDevice(_target(sshd, remote_tmp, python=os.fspath(chatty)), name="pi")
    with pytest.raises(ProfilerError, match=r"^pi: the profiler printed an invalid result: .*not valid JSON"):
        device.measure(tflite_f32, FAST, timeout_s=60)
    assert list(remote_tmp.iterdir()) == []


def test_the_profilers_error_line_becomes_the_message(
    sshd: SshServer, remote_tmp: Path, garbage
) -> None:
    not_a_model = garbage("broken.tflite")
    device = SshDevice(_target(sshd, remote_tmp), name="pi")
    with pytest.raises(ProfilerError) as info:
        device.measure(not_a_model, FAST, timeout_s=60)
    assert info.value.returncode == 2
    assert str(info.value).startswith("pi: ") and "error:" not in str(info.value)
    assert "model.tflite" in str(info.value)  # the profiler's own message names the remote copy
    assert list(remote_tmp.iterdir()) == []


def test_a_timeout_stops_the_remote_profiler_and_cleans_up(
    sshd: SshServer, remote_tmp: Path, tmp_path: Path, tflite_f32: Path
) -> None:
    pid_file = tmp_path / "profiler.pid"
    slow = _script(tmp_path / "slow-python", f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 60\n")
    device = SshDevice(_target(sshd, remote_tmp, python=os.fspath(slow)), name="pi")
    started = time.monotonic()
    with pytest.raises(ProfilerError, match=r"^pi: profiler timed out after 4 s"):
        device.measure(tflite_f32, FAST, timeout_s=4)
    assert time.monotonic() - started < 30
    assert list(remote_tmp.iterdir()) == []
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid), "the remote profiler still runs after the timeout"


# --------------------------------------------------------------------------- #
# The model's hash on arrival
# --------------------------------------------------------------------------- #


def _ssh_with_path(tmp_path: Path, bin_dir: Path) -> Path:
    """A local ``ssh`` that runs the remote command with PATH set to ``bin_dir`` first."""
    real = shutil.which("ssh")
    return _script(
        tmp_path / "ssh-with-path",
        f'#!/bin/bash\nlast="${{@: -1}}"\nset -- "${{@:1:$#-1}}"\n'
        f'exec {real} "$@" "PATH={bin_dir}:/usr/bin:/bin; export PATH; $last"\n',
    )


def test_a_corrupted_copy_is_device_unavailable(
    sshd: SshServer, remote_tmp: Path, tmp_path: Path, tflite_f32: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _script(bin_dir / "sha256sum", f'#!/bin/sh\necho "{"0" * 64}  $1"\n')
    ssh = _ssh_with_path(tmp_path, bin_dir)
    device = SshDevice(_target(sshd, remote_tmp), name="pi", ssh=os.fspath(ssh))
    expected = rf"^pi: f32.tflite arrived on .*:{sshd.port} with SHA-256 0{{64}} instead of [0-9a-f]{{64}}$"
    with pytest.raises(DeviceUnavailableError, match=expected):
        device.measure(tflite_f32, FAST, timeout_s=60)
    assert list(remote_tmp.iterdir()) == []


def test_the_hash_falls_back_to_python_without_sha256sum(
    sshd: SshServer, remote_tmp: Path, tmp_path: Path, tflite_f32: Path
) -> None:
    bin_dir = tmp_path / "bin"  # only the tools the device needs, sha256sum not among them
    bin_dir.mkdir()
    for tool in ("sh", "mktemp", "tar", "cat", "readlink", "rm"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    only = _script(
        tmp_path / "ssh-only-bin",
        f'#!/bin/bash\nlast="${{@: -1}}"\nset -- "${{@:1:$#-1}}"\n'
        f'exec {shutil.which("ssh")} "$@" "PATH={bin_dir}; export PATH; $last"\n',
    )
    device = SshDevice(_target(sshd, remote_tmp), name="pi", ssh=os.fspath(only))
    result = device.measure(tflite_f32, FAST, timeout_s=120)
    assert result.artifact_sha256 == hashlib.sha256(tflite_f32.read_bytes()).hexdigest()
    assert list(remote_tmp.iterdir()) == []


# --------------------------------------------------------------------------- #
# Bad arguments: raised before anything connects
# --------------------------------------------------------------------------- #


def test_bad_arguments_raise_before_connecting(tmp_path: Path) -> None:
    device = SshDevice(SshTarget("127.0.0.1", port=sshd_fixture.free_port()), ssh=os.fspath(tmp_path / "no-ssh"))
    with pytest.raises(FileNotFoundError, match="model file not found"):
        device.measure(tmp_path / "missing.tflite", FAST)
    model = tmp_path / "m.tflite"
    model.write_bytes(b"x")
    with pytest.raises(ValueError, match="timeout_s"):
        device.measure(model, FAST, timeout_s=0)
    with pytest.raises(ValueError, match="settings"):
        device.measure(model, {"runs": 5})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="device name"):
        SshDevice(SshTarget("pi"), name="")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"host": "-oProxyCommand=touch /tmp/x"}, "host"),
        ({"host": "pi lab"}, "host"),
        ({"user": "root@evil"}, "user"),
        ({"port": 0}, "port"),
        ({"port": True}, "port"),
        ({"host_key_policy": "ask"}, "host_key_policy"),
        ({"connect_timeout_s": 0}, "connect_timeout_s"),
        ({"connect_timeout_s": float("nan")}, "connect_timeout_s"),
        ({"python": ""}, "python"),
        ({"remote_tmp_dir": "tmp"}, "remote_tmp_dir"),
        ({"identity_file": ""}, "identity_file"),
        ({"known_hosts_file": 'a"b'}, "known_hosts_file"),
    ],
)
def test_target_validation(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"host": "pi.local"}
    fields.update(changes)
    with pytest.raises(ValueError, match=message):
        SshTarget(**fields)  # type: ignore[arg-type]


def test_target_options_are_non_interactive(tmp_path: Path) -> None:
    target = SshTarget(
        "10.0.0.7",
        user="pi",
        port=2222,
        identity_file=tmp_path / "id_ed25519",
        known_hosts_file=tmp_path / "my hosts",
        host_key_policy="accept-new",
        connect_timeout_s=2.5,
    )
    options = target.ssh_options()
    pairs = {options[i + 1] for i, o in enumerate(options) if o == "-o"}
    assert {"BatchMode=yes", "ConnectTimeout=3", "StrictHostKeyChecking=accept-new", "IdentitiesOnly=yes"} <= pairs
    assert f'UserKnownHostsFile="{tmp_path / "my hosts"}"' in pairs
    assert options[options.index("-p") + 1] == "2222"
    assert options[options.index("-i") + 1] == os.fspath(tmp_path / "id_ed25519")
    assert (target.destination, str(target)) == ("pi@10.0.0.7", "pi@10.0.0.7:2222")
    assert target == SshTarget(**{**target.__dict__})  # frozen, comparable
    with pytest.raises(AttributeError):
        target.port = 22  # type: ignore[misc]

