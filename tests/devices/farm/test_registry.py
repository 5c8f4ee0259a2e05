"""Tests of devices/farm/registry.py: building a device backend from an inventory entry.

Nothing here connects to a device: the backends are only constructed, and the
tests check their type, name and the target fields taken from ``connection``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from devices import AdbDevice, AdbTarget, LocalDevice, SshDevice, SshTarget
from devices.backend import DeviceBackend
from devices.farm import registry
from devices.farm.errors import DuplicateBackendError, FarmConfigError, FarmError, InventoryError, UnknownBackendError
from devices.farm.inventory import DeviceEntry, load_inventory
from devices.farm.registry import backend_names, create_backend, lazy_backend, register_backend

REPO_ROOT = Path(__file__).resolve().parents[3]


def _entry(backend: str, connection: Mapping[str, Any] | None = None, *, name: str = "dev-1") -> DeviceEntry:
    return DeviceEntry(name=name, backend=backend, connection=connection or {}, tags=("cpu",))


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lets a test register backends without changing the registry other tests see."""
    monkeypatch.setattr(registry, "_FACTORIES", dict(registry._FACTORIES))


def test_the_built_in_backends_are_registered() -> None:
    assert backend_names() == ("adb", "local", "ssh")


def test_a_local_entry_builds_a_local_device_on_this_interpreter() -> None:
    device = create_backend(_entry("local", name="local-1"))
    assert type(device) is LocalDevice
    assert device.name == "local-1"
    assert device._python == sys.executable  # no public accessor


def test_a_local_entry_may_name_its_python() -> None:
    device = create_backend(_entry("local", {"python": "/opt/py/bin/python3"}))
    assert device._python == "/opt/py/bin/python3"


@pytest.mark.parametrize(
    ("connection", "problem"),
    [
        ({"host": "pi4.local"}, "backend 'local' does not take connection key(s) host; it takes: python"),
        ({"python": 3}, "connection 'python' must be a path, got 3"),
        ({"python": ""}, "connection 'python' must be a path, got ''"),
    ],
)
def test_a_bad_local_connection_is_an_inventory_error(connection: dict[str, Any], problem: str) -> None:
    with pytest.raises(InventoryError) as raised:
        create_backend(_entry("local", connection, name="box"))
    assert str(raised.value) == f"device 'box': {problem}"


def test_an_ssh_entry_builds_an_ssh_device_with_its_target() -> None:
    connection = {"host": "pi4.local", "user": "pi", "port": 2222, "identity_file": "/home/me/.ssh/id_ed25519"}
    device = create_backend(_entry("ssh", connection, name="pi4-kitchen"))

    assert type(device) is SshDevice
    assert device.name == "pi4-kitchen"
    assert isinstance(device.target, SshTarget)
    target = device.target
    assert (target.host, target.port, target.user) == ("pi4.local", 2222, "pi")
    assert target.identity_file == "/home/me/.ssh/id_ed25519"
    assert target.python == "python3"  # a default the entry did not override


def test_an_adb_entry_builds_an_adb_device_with_its_target() -> None:
    device = create_backend(_entry("adb", {"serial": "2A1B3C4D", "cpu_mask": "c0"}, name="pixel-7"))

    assert type(device) is AdbDevice
    assert device.name == "pixel-7"
    assert isinstance(device.target, AdbTarget)
    assert (device.target.serial, device.target.cpu_mask, device.target.first_cpu) == ("2A1B3C4D", "c0", 6)
    assert device.target.adb == "adb"


@pytest.mark.parametrize(
    ("backend", "connection", "unknown", "takes"),
    [
        (
            "ssh",
            {"host": "pi4.local", "hostname": "x", "password": "y"},
            "hostname, password",
            "config_file, connect_timeout_s, host, host_key_policy, identity_file, known_hosts_file, port, python, "
            "remote_tmp_dir, user",
        ),
        ("adb", {"serial": "2A1B3C4D", "cpus": "f0"}, "cpus", "adb, benchmark_model, cpu_mask, remote_dir, serial"),
    ],
)
def test_an_unknown_connection_key_names_the_keys_the_backend_takes(
    backend: str, connection: dict[str, Any], unknown: str, takes: str
) -> None:
    with pytest.raises(InventoryError) as raised:
        create_backend(_entry(backend, connection, name="dev-9"))
    assert str(raised.value) == (
        f"device 'dev-9': backend {backend!r} does not take connection key(s) {unknown}; it takes: {takes}"
    )


@pytest.mark.parametrize(
    ("backend", "connection", "problem"),
    [
        ("ssh", {"host": "pi4.local", "port": "22"}, "port must be an integer in 1..65535"),
        ("ssh", {"host": "-oProxyCommand=x"}, "host must be a host name or IP address"),
        ("ssh", {"user": "pi"}, "missing 1 required positional argument: 'host'"),
        ("adb", {"serial": "2A1B3C4D", "cpu_mask": "zz"}, "cpu_mask must be a hex CPU mask"),
        ("adb", {}, "missing 1 required positional argument: 'serial'"),
    ],
)
def test_a_bad_connection_value_is_an_inventory_error(backend: str, connection: dict[str, Any], problem: str) -> None:
    with pytest.raises(InventoryError) as raised:
        create_backend(_entry(backend, connection, name="dev-3"))
    message = str(raised.value)
    assert message.startswith(f"device 'dev-3': bad connection for backend {backend!r}: ")
    assert problem in message


def test_an_unregistered_backend_is_an_inventory_error_listing_the_known_ones() -> None:
    with pytest.raises(UnknownBackendError) as raised:
        create_backend(_entry("usb"))
    assert str(raised.value) == "device 'dev-1': unknown backend 'usb'; known backends: adb, local, ssh"
    assert isinstance(raised.value, InventoryError) and isinstance(raised.value, LookupError)
    assert isinstance(raised.value, FarmError)  # what the CLI prints as one line


@pytest.mark.parametrize("name", ["local", "ssh", "adb"])
def test_registering_a_taken_name_fails(name: str) -> None:
    factory = registry._FACTORIES[name]
    with pytest.raises(DuplicateBackendError) as raised:
        register_backend(name, lambda entry: LocalDevice(entry.name))
    assert str(raised.value) == f"a backend named {name!r} is already registered; known backends: adb, local, ssh"
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, FarmConfigError)
    assert registry._FACTORIES[name] is factory


@pytest.mark.parametrize("name", ["", None, 5, "two words"])
def test_registering_a_name_that_is_not_a_word_fails(name: object) -> None:
    with pytest.raises(ValueError, match="a backend name must be a non-empty word"):
        register_backend(name, lambda entry: LocalDevice(entry.name))  # type: ignore[arg-type]
    assert backend_names() == ("adb", "local", "ssh")


@pytest.mark.usefixtures("scratch_registry")
def test_a_registered_backend_is_built_and_accepted_by_the_inventory(tmp_path: Path) -> None:
    seen: list[DeviceEntry] = []

    def factory(entry: DeviceEntry) -> DeviceBackend:
        seen.append(entry)
        return LocalDevice(entry.name)

    register_backend("custom", factory)
    inventory_file = tmp_path / "farm.yaml"
    inventory_file.write_text("devices:\n  - {name: c-1, backend: custom, connection: {a: 1}, tags: [cpu]}\n")
    entry = load_inventory(inventory_file).device("c-1")

    device = create_backend(entry)
    assert device.name == "c-1"
    assert seen == [entry]
    assert "custom" in backend_names()


@pytest.mark.usefixtures("scratch_registry")
def test_a_factory_that_misnames_the_device_is_an_inventory_error() -> None:
    register_backend("misnaming", lambda entry: LocalDevice("someone-else"))
    with pytest.raises(InventoryError, match="device 'dev-1': backend 'misnaming' named it 'someone-else'"):
        create_backend(_entry("misnaming"))


def test_a_lazy_backend_whose_module_is_missing_fails_when_used() -> None:
    factory = lazy_backend("devices.no_such_backend", "NoDevice", "NoTarget")  # importing nothing yet
    with pytest.raises(InventoryError, match="device 'dev-1': backend 'usb' cannot be imported: No module named"):
        factory(_entry("usb"))


def test_a_lazy_backend_whose_class_is_missing_fails_when_used() -> None:
    factory = lazy_backend("devices.ssh", "NoSuchDevice", "SshTarget")
    with pytest.raises(InventoryError, match="device 'dev-1': backend 'ssh2': .*NoSuchDevice"):
        factory(_entry("ssh2", {"host": "h"}))


def test_every_device_of_the_example_inventory_can_be_built() -> None:
    inventory = load_inventory(REPO_ROOT / "devices" / "farm" / "example_inventory.yaml")
    devices = [create_backend(entry) for entry in inventory.devices]
    assert [(type(d), d.name) for d in devices] == [(LocalDevice, "local-1"), (LocalDevice, "local-2")]
