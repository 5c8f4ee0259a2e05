"""Tests of devices/farm/inventory.py: the YAML inventory of a farm and its error messages.

Every error case checks that the message names the inventory file and, where
an entry is at fault, that entry (by name, or by index when it has no name).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from devices import ProfileSettings
from devices.farm.errors import FarmConfigError, InventoryError, UnknownBackendError, UnknownDeviceError
from devices.farm.inventory import DEFAULT_TIMEOUT_S, DeviceEntry, Inventory, load_inventory, parse_inventory

REPO_ROOT = Path(__file__).resolve().parents[3]

VALID = """\
settings:
  runs: 20
  warmup: 3
devices:
  - name: local-1
    backend: local
    tags: [x86, cpu]
  - name: pi4-kitchen
    backend: ssh
    connection: {host: pi4.local, user: pi, port: 2222}
    tags: [soc=bcm2711]
    timeout_s: 900
  - name: pixel-7
    backend: adb
    connection:
      serial: 2A1B3C4D
      cpu_mask: c0
    tags: [soc=tensor-g2, android]
    timeout_s: 120.5
"""


def _write(tmp_path: Path, text: str, name: str = "farm.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _load_error(path: Path) -> str:
    """The message of the InventoryError that loading `path` raises."""
    with pytest.raises(InventoryError) as raised:
        load_inventory(path)
    return str(raised.value)


def _one_device(body: str) -> str:
    """An inventory whose single entry has the given (indented) fields."""
    return "devices:\n  - " + body.strip().replace("\n", "\n    ") + "\n"


def test_a_valid_inventory_gives_typed_entries_in_file_order(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID)
    inventory = load_inventory(path)

    assert [d.name for d in inventory.devices] == ["local-1", "pi4-kitchen", "pixel-7"]
    assert [d.backend for d in inventory.devices] == ["local", "ssh", "adb"]
    local, pi4, pixel = inventory.devices
    assert dict(local.connection) == {}
    assert dict(pi4.connection) == {"host": "pi4.local", "user": "pi", "port": 2222}
    assert dict(pixel.connection) == {"serial": "2A1B3C4D", "cpu_mask": "c0"}
    assert local.tags == ("x86", "cpu")
    assert pixel.tags == ("soc=tensor-g2", "android")
    assert (local.timeout_s, pi4.timeout_s, pixel.timeout_s) == (DEFAULT_TIMEOUT_S, 900.0, 120.5)
    assert isinstance(pi4.timeout_s, float)
    assert inventory.settings == ProfileSettings(runs=20, warmup=3)
    assert inventory.source == str(path)


def test_the_inventory_answers_tags_and_devices_by_name(tmp_path: Path) -> None:
    inventory = load_inventory(_write(tmp_path, VALID))

    assert inventory.tags() == frozenset({"x86", "cpu", "soc=bcm2711", "soc=tensor-g2", "android"})
    assert inventory.device("pixel-7").backend == "adb"
    with pytest.raises(UnknownDeviceError) as raised:
        inventory.device("nope")
    assert str(raised.value) == f"no device 'nope' in {inventory.source}; devices: local-1, pi4-kitchen, pixel-7"
    assert isinstance(raised.value, KeyError) and isinstance(raised.value, FarmConfigError)


def test_entries_are_frozen_and_their_connection_read_only(tmp_path: Path) -> None:
    pi4 = load_inventory(_write(tmp_path, VALID)).device("pi4-kitchen")

    with pytest.raises(dataclasses.FrozenInstanceError):
        pi4.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        pi4.connection["host"] = "evil.local"  # type: ignore[index]
    assert pi4.connection["host"] == "pi4.local"


def test_an_entry_keeps_its_own_copy_of_the_connection() -> None:
    connection = {"host": "pi4.local"}
    entry = DeviceEntry(name="pi4", backend="ssh", connection=connection, tags=["arm"])
    connection["host"] = "changed.local"

    assert entry.connection["host"] == "pi4.local"
    assert entry.tags == ("arm",)


def test_settings_are_optional(tmp_path: Path) -> None:
    inventory = load_inventory(_write(tmp_path, "devices:\n  - {name: a, backend: local, tags: [cpu]}\n"))
    assert inventory.settings == ProfileSettings()


def test_the_example_inventory_of_the_repository_loads() -> None:
    inventory = load_inventory(REPO_ROOT / "devices" / "farm" / "example_inventory.yaml")
    assert [d.name for d in inventory.devices] == ["local-1", "local-2"]
    assert inventory.tags() == frozenset({"x86", "cpu"})
    assert inventory.settings == ProfileSettings(runs=50, warmup=10)


def test_known_backends_can_be_given() -> None:
    data = {"devices": [{"name": "board", "backend": "usb", "tags": ["arm"]}]}
    inventory = parse_inventory(data, source="test", known_backends=("usb",))
    assert inventory.devices[0].backend == "usb"
    with pytest.raises(UnknownBackendError, match="^test: device 'board': unknown backend 'usb'; known backends: local"):
        parse_inventory(data, source="test", known_backends=("local",))


def test_an_unhashable_backend_is_an_inventory_error_with_a_set_of_known_backends() -> None:
    data = {"devices": [{"name": "board", "backend": ["ssh"], "tags": ["arm"]}]}
    with pytest.raises(InventoryError, match=r"test: device 'board': unknown backend \['ssh'\]"):
        parse_inventory(data, source="test", known_backends={"local", "ssh"})


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    message = _load_error(path)
    assert message.startswith(f"{path}: cannot read the inventory")


def test_a_file_that_is_not_utf8_is_an_inventory_error(tmp_path: Path) -> None:
    path = tmp_path / "farm.yaml"
    path.write_bytes(b"devices:\n  - name: \xff\xfe\n")
    assert _load_error(path).startswith(f"{path}: not UTF-8 text")


def test_bad_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "devices:\n  - name: a\n    backend: local: x\n    tags: [cpu]\n")
    message = _load_error(path)
    assert message.startswith(f"{path}: not valid YAML (line 3): ")
    assert "mapping values are not allowed here" in message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- a\n- b\n", "expected a mapping with a 'devices' list, got list"),
        ("", "expected a mapping with a 'devices' list, got NoneType"),
        ("just text\n", "expected a mapping with a 'devices' list, got str"),
        ("device: []\nsettings: {}\n", "unknown top-level key(s) device; known: devices, settings"),
        ("devices: []\n", "'devices' must be a non-empty list of device entries"),
        ("settings: {runs: 5}\n", "'devices' must be a non-empty list of device entries"),
        ("devices: {name: a}\n", "'devices' must be a non-empty list of device entries"),
    ],
)
def test_a_bad_document_is_named(tmp_path: Path, text: str, problem: str) -> None:
    path = _write(tmp_path, text)
    assert _load_error(path) == f"{path}: {problem}"


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ("{runs: 1}", "settings: runs must be an integer >= 2, got 1"),
        ("{bogus: 1}", "settings: unknown profile settings ['bogus']"),
        ("{runtime: tensorrt}", "settings: unknown runtime 'tensorrt'"),
        ("[runs, 5]", "'settings' must be a mapping of profile settings"),
        ("[]", "'settings' must be a mapping of profile settings"),
        ("0", "'settings' must be a mapping of profile settings"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, settings: str, problem: str) -> None:
    path = _write(tmp_path, f"settings: {settings}\ndevices:\n  - {{name: a, backend: local, tags: [cpu]}}\n")
    assert _load_error(path).startswith(f"{path}: {problem}")


@pytest.mark.parametrize(
    ("entry", "where", "problem"),
    [
        ("name: pi4\nbackend: local", "device 'pi4'", "missing field 'tags'"),
        ("name: pi4\ntags: [cpu]", "device 'pi4'", "missing field 'backend'"),
        ("backend: local\ntags: [cpu]", "devices[0]", "missing field 'name'"),
        (
            "name: pi4\nbackend: local\ntags: [cpu]\ntag: [x]\nhost: h",
            "device 'pi4'",
            "unknown field(s) host, tag; known: name, backend, connection, tags, timeout_s",
        ),
        (
            "name: pi4\nbackend: usb\ntags: [cpu]",
            "device 'pi4'",
            "unknown backend 'usb'; known backends: adb, local, ssh",
        ),
        ("name: pi4\nbackend: [ssh]\ntags: [cpu]", "device 'pi4'", "unknown backend ['ssh']"),
        ("name: pi4\nbackend: local\ntags: [has space]", "device 'pi4'", "tag must be letters, digits"),
        ("name: pi4\nbackend: local\ntags: [cpu, 5]", "device 'pi4'", "tag must be letters, digits"),
        ("name: pi4\nbackend: local\ntags: [" + "t" * 129 + "]", "device 'pi4'", "(at most 128), got 'ttt"),
        ("name: pi4\nbackend: local\ntags: [cpu, arm, cpu]", "device 'pi4'", "tags repeat: ['cpu', 'arm', 'cpu']"),
        ("name: pi4\nbackend: local\ntags: []", "device 'pi4'", "tags must be a non-empty list"),
        ("name: pi4\nbackend: local\ntags: cpu", "device 'pi4'", "tags must be a non-empty list"),
        ("name: pi4\nbackend: local\ntags: [cpu]\ntimeout_s: 0", "device 'pi4'", "timeout_s must be a number > 0"),
        ("name: pi4\nbackend: local\ntags: [cpu]\ntimeout_s: -5", "device 'pi4'", "timeout_s must be a number > 0"),
        ("name: pi4\nbackend: local\ntags: [cpu]\ntimeout_s: '900'", "device 'pi4'", "timeout_s must be a number > 0"),
        ("name: pi4\nbackend: local\ntags: [cpu]\ntimeout_s: true", "device 'pi4'", "timeout_s must be a number > 0"),
        ("name: pi4\nbackend: local\ntags: [cpu]\ntimeout_s: .nan", "device 'pi4'", "timeout_s must be a number > 0"),
        (
            "name: pi4\nbackend: ssh\nconnection: [pi4.local]\ntags: [cpu]",
            "device 'pi4'",
            "connection must be a mapping",
        ),
        ("name: pi 4\nbackend: local\ntags: [cpu]", "device 'pi 4'", "device name must be letters, digits"),
        ("name: 42\nbackend: local\ntags: [cpu]", "devices[0]", "device name must be letters, digits"),
    ],
)
def test_a_bad_entry_is_named_with_the_file(tmp_path: Path, entry: str, where: str, problem: str) -> None:
    path = _write(tmp_path, _one_device(entry))
    message = _load_error(path)
    assert message.startswith(f"{path}: {where}: ")
    assert problem in message


def test_an_entry_that_is_not_a_mapping_is_named_by_index(tmp_path: Path) -> None:
    path = _write(tmp_path, "devices:\n  - {name: a, backend: local, tags: [cpu]}\n  - just-a-name\n")
    assert _load_error(path) == f"{path}: devices[1]: expected a mapping, got str"


def test_a_duplicate_name_names_both_entries(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "devices:\n"
        "  - {name: a, backend: local, tags: [cpu]}\n"
        "  - {name: b, backend: local, tags: [cpu]}\n"
        "  - {name: a, backend: local, tags: [x86]}\n",
    )
    assert _load_error(path) == f"{path}: device 'a': duplicate name (devices[0] and devices[2])"


def test_parse_inventory_prefixes_its_source() -> None:
    with pytest.raises(InventoryError, match=r"^farm\.json: device 'a': missing field 'tags'$"):
        parse_inventory({"devices": [{"name": "a", "backend": "local"}]}, source="farm.json")


def test_an_inventory_built_in_code_needs_no_file() -> None:
    entry = DeviceEntry(name="a", backend="local", connection={}, tags=("cpu",))
    inventory = Inventory(devices=(entry,))
    assert inventory.device("a") is entry
    assert inventory.settings == ProfileSettings()
