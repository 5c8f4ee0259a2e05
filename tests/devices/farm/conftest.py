"""Fixtures for the farm tests: real local devices (some made faulty), and a farm served on loopback.

A faulty device is a real `LocalDevice` whose "python" is a small shell script
in front of the real interpreter: it can block, print garbage, record its pid
(so a test can kill it in the middle of a job) or fail its health check, and
otherwise runs the real profiler.
"""

from __future__ import annotations

import contextlib
import stat
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from devices import LocalDevice, ProfileSettings
from devices.farm.client import Farm
from devices.farm.inventory import DeviceEntry, Inventory
from devices.farm.scheduler import FarmDevice
from devices.farm.server import FarmServer
from devices.farm.service import FarmService

TOKEN = "test-token-0123456789"


def _make_python(folder: Path, name: str, *, on_check: str = "", on_measure: str = "") -> Path:
    """An executable standing in for a device's Python.

    Args:
        folder: Where to write it.
        name: Its file name.
        on_check: Shell lines run before the profiler's ``--self-check`` (``exit 1`` fails it).
        on_measure: Shell lines run before a measurement (``$$`` is the pid the profiler will have).
    """
    path = folder / name
    path.write_text(
        "#!/bin/sh\n"
        'if [ "$2" = "--self-check" ]; then\n'
        f"{on_check}\n"
        f'  exec "{sys.executable}" "$@"\n'
        "fi\n"
        f"{on_measure}\n"
        f'exec "{sys.executable}" "$@"\n'
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _local(name: str, tags: Sequence[str] = ("cpu",), *, python: Path | None = None, timeout_s: float = 60.0) -> FarmDevice:
    """A farm device on this machine, with `python` standing in for the interpreter when given."""
    entry = DeviceEntry(name=name, backend="local", connection={}, tags=tuple(tags), timeout_s=timeout_s)
    backend = LocalDevice(name, python=python if python is not None else sys.executable)
    return FarmDevice(entry, backend)


@pytest.fixture
def run_farm(tmp_path: Path) -> Callable[..., contextlib.AbstractContextManager[tuple[FarmServer, Farm]]]:
    """``with run_farm(devices, **service_options) as (server, farm):`` a farm on loopback and a client of tag "cpu"."""

    @contextlib.contextmanager
    def run(
        devices: Sequence[FarmDevice],
        *,
        tag: str = "cpu",
        state_dir: Path | None = None,
        settings: ProfileSettings | None = None,
        **options: object,
    ) -> Iterator[tuple[FarmServer, Farm]]:
        inventory = Inventory(
            devices=tuple(d.entry for d in devices), settings=settings or ProfileSettings(), source="test"
        )
        service = FarmService(inventory, state_dir=state_dir or tmp_path / "farm", devices=devices, **options)
        with FarmServer(service, token=TOKEN) as server, Farm(server.url, tag=tag, token=TOKEN) as farm:
            yield server, farm

    return run


def _wait_for(condition: Callable[[], object], *, timeout_s: float = 30.0, what: str = "condition") -> None:
    """Polls `condition` until it is true; fails the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.05)


def _device_status(farm: Farm, name: str) -> dict[str, object]:
    """The farm's status entry of one device."""
    return next(d for d in farm.status()["devices"] if d["name"] == name)


@pytest.fixture
def make_python(tmp_path: Path) -> Callable[..., Path]:
    """``make_python(name, on_check=..., on_measure=...)``: see `_make_python` (written under tmp_path)."""
    return lambda name, **kwargs: _make_python(tmp_path, name, **kwargs)


@pytest.fixture
def local_device() -> Callable[..., FarmDevice]:
    """``local_device(name, tags, python=..., timeout_s=...)``: see `_local`."""
    return _local


@pytest.fixture
def wait_for() -> Callable[..., None]:
    """``wait_for(condition, timeout_s=..., what=...)``: see `_wait_for`."""
    return _wait_for


@pytest.fixture
def device_status() -> Callable[[Farm, str], dict[str, object]]:
    """``device_status(farm, name)``: see `_device_status`."""
    return _device_status


@pytest.fixture
def token() -> str:
    """The token of the test farms."""
    return TOKEN
