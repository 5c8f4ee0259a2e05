"""Fault tests of the farm: devices that die, print garbage or refuse us, and a farm killed mid-queue.

All devices are real: local profilers (some behind a shell script that makes
them fail), an SSH device against the real loopback sshd of the ssh tests, and
the farm itself as the real ``edgenas farm serve`` process.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from devices import ProfileSettings
from devices.farm.client import Farm
from devices.farm.errors import FarmJobFailedError
from devices.farm.inventory import DeviceEntry
from devices.farm.job import JobState
from devices.farm.scheduler import FarmDevice
from devices.ssh import SshDevice
from devices.ssh_target import SshTarget

FAST = ProfileSettings(runs=5, warmup=1, max_attempts=1)
REPO_ROOT = Path(__file__).resolve().parents[3]


def _load_sshd_fixture():
    path = Path(__file__).resolve().parents[1] / "sshd_fixture.py"
    spec = importlib.util.spec_from_file_location("_edgenas_tests_farm_sshd_fixture", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


sshd_fixture = _load_sshd_fixture()
sshd = sshd_fixture.sshd


def _gate(path: Path) -> str:
    """Shell lines that wait until `path` exists."""
    return f'  while [ ! -e "{path}" ]; do sleep 0.05; done'


def test_a_device_killed_in_the_middle_of_a_job_loses_nothing(
    run_farm, local_device, make_python, tiny_onnx_models, tmp_path, wait_for
) -> None:
    (model,) = tiny_onnx_models(1)
    pid_file, go = tmp_path / "victim.pid", tmp_path / "go"
    # The victim records its pid and then hangs in the job until it is killed.
    victim = make_python("victim-python", on_measure=f'echo $$ > "{pid_file}"\nexec sleep 600')
    # The other device's health check waits, so that the victim is the one that takes the job.
    healthy = make_python("healthy-python", on_check=_gate(go))
    devices = [local_device("victim", python=victim), local_device("healthy", python=healthy)]
    with run_farm(devices) as (_, farm):
        job = farm.submit(model, FAST)
        wait_for(pid_file.exists, what="the victim to start the job")
        assert farm.status()["jobs"]["running"] == 1
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
        go.touch()
        done = farm.wait(job.id, timeout_s=60)
        assert done.state is JobState.DONE and done.device == "healthy" and done.attempts == 2
        assert [e.device for e in done.errors] == ["victim"]
        assert "SIGKILL" in done.errors[0].message
        assert done.result is not None and done.result.artifact_sha256 == done.model_sha256


def test_a_device_printing_garbage_is_quarantined_and_its_jobs_finish_elsewhere(
    run_farm, local_device, make_python, tiny_onnx_models, tmp_path, device_status, wait_for
) -> None:
    models = tiny_onnx_models(3)
    go = tmp_path / "go"
    garbage = make_python("garbage-python", on_measure="echo '{\"latency_ms\": \"fast\"}'; exit 0")
    healthy = make_python("healthy-python", on_check=_gate(go))
    devices = [local_device("garbage", python=garbage), local_device("healthy", python=healthy)]
    with run_farm(devices, quarantine_after=2, health_interval_s=600) as (_, farm):
        jobs = [farm.submit(m, FAST) for m in models]
        wait_for(lambda: device_status(farm, "garbage")["state"] == "quarantined", what="the quarantine")
        go.touch()
        done = [farm.wait(j.id, timeout_s=60) for j in jobs]
        assert all(j.state is JobState.DONE and j.device == "healthy" for j in done)
        garbage_status = device_status(farm, "garbage")
        assert garbage_status["jobs_failed"] == 2 and garbage_status["jobs_done"] == 0
        assert "2 failed jobs in a row" in garbage_status["last_error"]
        assert "invalid result" in done[0].errors[0].message
        assert device_status(farm, "healthy")["jobs_done"] == 3


def test_a_quarantined_device_comes_back_when_its_health_check_passes(
    run_farm, local_device, make_python, tiny_onnx_models, tmp_path, device_status, wait_for
) -> None:
    sick = tmp_path / "sick"
    sick.touch()
    python = make_python("flaky-python", on_check=f'  if [ -e "{sick}" ]; then echo "error: overheated" >&2; exit 2; fi')
    with run_farm([local_device("flaky", python=python)], health_interval_s=0.2) as (_, farm):
        wait_for(lambda: device_status(farm, "flaky")["state"] == "quarantined", what="the quarantine")
        assert "overheated" in device_status(farm, "flaky")["last_error"]
        job = farm.submit(tiny_onnx_models(1)[0], FAST)
        time.sleep(0.5)
        assert farm.status()["jobs"]["queued"] == 1  # nobody may take it
        sick.unlink()
        assert farm.wait(job.id, timeout_s=60).device == "flaky"


def test_a_job_that_fails_on_every_device_reports_each_failure(
    run_farm, local_device, make_python, tiny_onnx_models
) -> None:
    crash = make_python("crash-python", on_measure="echo 'error: unsupported op FancyConv' >&2; exit 1")
    devices = [local_device("a", python=crash), local_device("b", python=crash)]
    with run_farm(devices) as (_, farm):
        with pytest.raises(FarmJobFailedError, match="failed after 2 attempt") as raised:
            farm.measure(tiny_onnx_models(1)[0], FAST)
        message = str(raised.value)
        assert "a: unsupported op FancyConv" in message and "b: unsupported op FancyConv" in message


def test_an_ssh_host_that_refuses_the_key_is_quarantined_and_others_do_the_work(
    run_farm, local_device, tiny_onnx_models, sshd, device_status, wait_for
) -> None:
    target = SshTarget(
        host="127.0.0.1", port=sshd.port, user=sshd.user, identity_file=str(sshd.refused_key),
        known_hosts_file=str(sshd.known_hosts), python=sys.executable,
    )
    entry = DeviceEntry(name="board", backend="ssh", connection={}, tags=("cpu",))
    devices = [FarmDevice(entry, SshDevice(target, name="board")), local_device("cpu-1")]
    with run_farm(devices, health_interval_s=600) as (_, farm):
        wait_for(lambda: device_status(farm, "board")["state"] == "quarantined", what="the quarantine")
        assert "health check failed" in device_status(farm, "board")["last_error"]
        models = tiny_onnx_models(2)
        assert [farm.measure(m, FAST).artifact_sha256 for m in models]
        assert device_status(farm, "cpu-1")["jobs_done"] == 2
        assert device_status(farm, "board")["jobs_done"] == 0


_FARM_ENV = {**os.environ, "EDGENAS_FARM_TOKEN": "restart-token", "PYTHONPATH": str(REPO_ROOT)}


def _serve_command(inventory: Path, state: Path, port: int) -> list[str]:
    """``edgenas farm serve`` of `inventory` with its state in `state`, on 127.0.0.1:`port`."""
    return [sys.executable, "-m", "edgenas", "farm", "serve", "--inventory", str(inventory),
            "--state-dir", str(state), "--port", str(port)]  # fmt: skip


def _write_inventory(path: Path, python: Path) -> Path:
    """An inventory of one local device "cpu-1" (tag "cpu") whose interpreter is `python`."""
    path.write_text(json.dumps({  # JSON is YAML
        "devices": [{"name": "cpu-1", "backend": "local", "connection": {"python": str(python)}, "tags": ["cpu"]}],
    }))  # fmt: skip
    return path


def _start_farm(inventory: Path, state: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            _serve_command(inventory, state, port), stdout=out, stderr=subprocess.STDOUT, env=_FARM_ENV,
            start_new_session=True,
        )


def test_a_farm_killed_with_jobs_queued_finishes_them_after_a_restart(
    make_python, tiny_onnx_models, tmp_path, wait_for
) -> None:
    inventory = _write_inventory(tmp_path / "farm.yaml", make_python("slow-python", on_measure="sleep 0.5"))
    state, log, port = tmp_path / "state", tmp_path / "farm.log", sshd_fixture.free_port()
    farm_process = _start_farm(inventory, state, port, log)
    try:
        farm = Farm(f"farm://127.0.0.1:{port}/cpu", token="restart-token", reconnect_s=60)
        wait_for(lambda: _answers(farm), what=f"the farm to start ({log.read_text()})")
        models = tiny_onnx_models(4)
        jobs = [farm.submit(m, FAST) for m in models]
        # A client already waiting on the last job when the farm dies.
        answered: list[object] = []
        waiter = threading.Thread(target=lambda: answered.append(farm.wait(jobs[-1].id, timeout_s=120)))
        waiter.start()
        wait_for(lambda: farm.status()["jobs"]["running"] == 1, what="a running job")
        os.killpg(farm_process.pid, signal.SIGKILL)
        farm_process.wait(10)
        time.sleep(1.0)  # the waiting client meets a dead farm for a while
        farm_process = _start_farm(inventory, state, port, log)
        done = [farm.wait(j.id, timeout_s=120) for j in jobs]
        assert [j.state for j in done] == [JobState.DONE] * 4
        assert [j.result.artifact_sha256 for j in done] == [j.model_sha256 for j in jobs]
        waiter.join(60)
        assert answered and answered[0].state is JobState.DONE
        starts = [line for line in log.read_text().splitlines() if "resumed after a stop" in line]
        assert starts[0].startswith("farm: 0 job(s) queued (0 resumed")
        assert "(1 resumed after a stop)" in starts[1]  # the job that was running when it died
    finally:
        os.killpg(farm_process.pid, signal.SIGTERM)
        farm_process.wait(30)


def _answers(farm: Farm) -> bool:
    try:
        farm.status()
    except Exception:  # noqa: BLE001 - not up yet
        return False
    return True


def _serve_once(inventory: Path, state: Path, port: int) -> subprocess.CompletedProcess[str]:
    """Runs ``edgenas farm serve`` expecting it to exit at once; kills it if it is still up after 30 s."""
    command = _serve_command(inventory, state, port)
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_FARM_ENV, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _job_rows(state: Path) -> list[tuple[object, ...]]:
    """The queue's rows, read without writing."""
    with contextlib.closing(sqlite3.connect(f"file:{state / 'jobs.sqlite'}?mode=ro", uri=True)) as db:
        return db.execute("SELECT id, state, device, attempts, finished_at FROM jobs ORDER BY id").fetchall()


def test_a_second_farm_on_the_same_state_folder_exits_and_leaves_the_first_alone(
    make_python, tiny_onnx_models, tmp_path, wait_for
) -> None:
    go = tmp_path / "go"
    inventory = _write_inventory(tmp_path / "farm.yaml", make_python("gated-python", on_measure=_gate(go)))
    state, log, port = tmp_path / "state", tmp_path / "farm.log", sshd_fixture.free_port()
    first = _start_farm(inventory, state, port, log)
    try:
        farm = Farm(f"farm://127.0.0.1:{port}/cpu", token="restart-token")
        wait_for(lambda: _answers(farm), what=f"the farm to start ({log.read_text()})")
        jobs = [farm.submit(m, FAST) for m in tiny_onnx_models(2)]
        wait_for(lambda: farm.status()["jobs"]["running"] == 1, what="a running job")
        before = _job_rows(state)
        assert [row[1] for row in before] == ["running", "queued"]
        files = sorted(p.name for p in state.iterdir())
        for second_port in (port, sshd_fixture.free_port()):  # the first farm's port, and a free one
            second = _serve_once(inventory, state, second_port)
            assert second.returncode == 1, (second.stdout, second.stderr)
            assert second.stderr == f"edgenas: error: farm state in {state} is in use by PID {first.pid}\n"
            assert "listening" not in second.stdout
            assert _job_rows(state) == before
            assert sorted(p.name for p in state.iterdir()) == files
        go.touch()
        done = [farm.wait(j.id, timeout_s=60) for j in jobs]
        assert [(j.state, j.attempts, j.errors) for j in done] == [(JobState.DONE, 1, ())] * 2
    finally:
        go.touch()
        os.killpg(first.pid, signal.SIGTERM)
        first.wait(30)


def test_a_farm_whose_port_is_taken_exits_with_one_line_before_saying_it_listens(make_python, tmp_path) -> None:
    inventory = _write_inventory(tmp_path / "farm.yaml", make_python("python"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve_once(inventory, tmp_path / "state", port)
    assert result.returncode == 1
    assert result.stderr == f"edgenas: error: cannot listen on 127.0.0.1:{port}: address already in use\n"
    assert "listening" not in result.stdout
