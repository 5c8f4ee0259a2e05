"""The farm inventory: which devices exist, how to reach them, and their tags.

An inventory is a YAML file::

    settings:                # optional: defaults for settings a job leaves out
      runs: 50
      warmup: 10
    devices:
      - name: pixel-7        # unique; letters, digits, '.', '_', '-'
        backend: adb         # a registered backend: local, ssh, adb
        connection:          # handed to the backend's factory as is
          serial: 2A1B3C
        tags: [soc=tensor-g2, android]
        timeout_s: 900       # optional: limit of one measurement (default 600)

A job names one tag; every device with that tag may run it, so devices that
share a tag must be interchangeable (same SoC, same runtime build).
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml

from ..settings import ProfileSettings
from .errors import InventoryError, UnknownBackendError, UnknownDeviceError

__all__ = ["DEFAULT_TIMEOUT_S", "MAX_TAG_CHARS", "DeviceEntry", "Inventory", "load_inventory", "parse_inventory"]

DEFAULT_TIMEOUT_S = 600.0
"""Limit of one measurement when an entry gives no `timeout_s`."""
MAX_TAG_CHARS = 128
"""Longest device tag (``soc=tensor-g2`` is 13): in an inventory and in a job."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+-]*")
_ENTRY_FIELDS = ("name", "backend", "connection", "tags", "timeout_s")
_REQUIRED_FIELDS = ("name", "backend", "tags")
_TOP_FIELDS = ("devices", "settings")


@dataclasses.dataclass(frozen=True)
class DeviceEntry:
    """One device of the inventory.

    Attributes:
        name: Unique name of the device.
        backend: The registered backend that drives it (see `devices.farm.registry`).
        connection: Backend-specific options (read-only), e.g. host and user for ssh.
        tags: The tags it serves, e.g. ``("soc=sd865", "android")``.
        timeout_s: Wall-clock limit of one measurement on it.
    """

    name: str
    backend: str
    connection: Mapping[str, Any]
    tags: tuple[str, ...]
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ValueError(f"device name must be letters, digits, '.', '_' or '-', got {self.name!r}")
        if not isinstance(self.backend, str) or not self.backend:
            raise ValueError(f"backend must be a non-empty string, got {self.backend!r}")
        if not isinstance(self.connection, Mapping) or not all(isinstance(k, str) for k in self.connection):
            raise ValueError(f"connection must be a mapping with string keys, got {self.connection!r}")
        object.__setattr__(self, "connection", types.MappingProxyType(dict(self.connection)))
        if isinstance(self.tags, str) or not isinstance(self.tags, (tuple, list)) or not self.tags:
            raise ValueError(f"tags must be a non-empty list of tags, got {self.tags!r}")
        for tag in self.tags:
            if not isinstance(tag, str) or not _TAG.fullmatch(tag) or len(tag) > MAX_TAG_CHARS:
                raise ValueError(f"tag must be letters, digits and '._:=+-' (at most {MAX_TAG_CHARS}), got {tag!r}")
        if len(set(self.tags)) != len(self.tags):
            raise ValueError(f"tags repeat: {list(self.tags)}")
        object.__setattr__(self, "tags", tuple(self.tags))
        value = self.timeout_s
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"timeout_s must be a number > 0, got {value!r}")
        object.__setattr__(self, "timeout_s", float(value))


@dataclasses.dataclass(frozen=True)
class Inventory:
    """A parsed inventory.

    Attributes:
        devices: The devices, in file order.
        settings: Defaults for the profile settings a job does not give.
        source: Where it was read from (for messages).
    """

    devices: tuple[DeviceEntry, ...]
    settings: ProfileSettings = ProfileSettings()
    source: str = "<inventory>"

    def tags(self) -> frozenset[str]:
        """Every tag some device serves."""
        return frozenset(tag for device in self.devices for tag in device.tags)

    def device(self, name: str) -> DeviceEntry:
        """The entry named `name`.

        Raises:
            UnknownDeviceError: (a `KeyError`) No device has that name (the message lists the names).
        """
        for device in self.devices:
            if device.name == name:
                return device
        names = ", ".join(d.name for d in self.devices)
        raise UnknownDeviceError(f"no device {name!r} in {self.source}; devices: {names}")


def load_inventory(path: str | os.PathLike[str], *, known_backends: Collection[str] | None = None) -> Inventory:
    """Reads and validates an inventory YAML file.

    Args:
        path: The YAML file.
        known_backends: Backend names an entry may use; None: those registered
            in `devices.farm.registry`.

    Returns:
        The inventory.

    Raises:
        InventoryError: The file is missing, not YAML, or an entry is invalid;
            the message names the file and the device.
    """
    source = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise InventoryError(f"{source}: cannot read the inventory: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise InventoryError(f"{source}: not UTF-8 text (byte {e.start}): {e.reason}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InventoryError(f"{source}: not valid YAML{line}: {problem}") from None
    return parse_inventory(data, source=source, known_backends=known_backends)


def parse_inventory(
    data: object, *, source: str = "<inventory>", known_backends: Collection[str] | None = None
) -> Inventory:
    """Validates decoded inventory data (see the module docstring for the format).

    Args:
        data: The decoded YAML document.
        source: Its origin, used as the prefix of every message.
        known_backends: As in `load_inventory`.

    Returns:
        The inventory.

    Raises:
        InventoryError: Naming the source and the offending device and field.
    """
    if known_backends is None:
        from .registry import backend_names  # noqa: PLC0415 - the registry imports backends lazily too

        known_backends = backend_names()
    if not isinstance(data, Mapping):
        raise InventoryError(f"{source}: expected a mapping with a 'devices' list, got {type(data).__name__}")
    unknown = sorted(str(k) for k in data if k not in _TOP_FIELDS)
    if unknown:
        raise InventoryError(f"{source}: unknown top-level key(s) {', '.join(unknown)}; known: {', '.join(_TOP_FIELDS)}")
    raw_settings = data.get("settings")
    settings = _parse_settings({} if raw_settings is None else raw_settings, source)
    raw_devices = data.get("devices")
    if not isinstance(raw_devices, list) or not raw_devices:
        raise InventoryError(f"{source}: 'devices' must be a non-empty list of device entries")
    devices: list[DeviceEntry] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_devices):
        entry = _parse_entry(raw, index, source, known_backends)
        if entry.name in seen:
            raise InventoryError(
                f"{source}: device {entry.name!r}: duplicate name (devices[{seen[entry.name]}] and devices[{index}])"
            )
        seen[entry.name] = index
        devices.append(entry)
    return Inventory(devices=tuple(devices), settings=settings, source=source)


def _parse_settings(raw: object, source: str) -> ProfileSettings:
    if not isinstance(raw, Mapping):
        raise InventoryError(f"{source}: 'settings' must be a mapping of profile settings")
    try:
        return ProfileSettings.from_json(dict(raw))
    except (TypeError, ValueError) as e:
        raise InventoryError(f"{source}: settings: {e}") from None


def _parse_entry(raw: object, index: int, source: str, known_backends: Collection[str]) -> DeviceEntry:
    where = f"{source}: devices[{index}]"
    if not isinstance(raw, Mapping):
        raise InventoryError(f"{where}: expected a mapping, got {type(raw).__name__}")
    name = raw.get("name")
    if isinstance(name, str) and name:
        where = f"{source}: device {name!r}"
    for field in _REQUIRED_FIELDS:
        if field not in raw:
            raise InventoryError(f"{where}: missing field {field!r}")
    unknown = sorted(str(k) for k in raw if k not in _ENTRY_FIELDS)
    if unknown:
        raise InventoryError(f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(_ENTRY_FIELDS)}")
    backend = raw["backend"]
    if not isinstance(backend, str) or backend not in known_backends:
        raise UnknownBackendError(
            f"{where}: unknown backend {backend!r}; known backends: {', '.join(sorted(known_backends))}"
        )
    connection = raw.get("connection")
    try:
        return DeviceEntry(
            name=name,  # type: ignore[arg-type] - validated by DeviceEntry
            backend=backend,
            connection={} if connection is None else connection,
            tags=raw["tags"],
            timeout_s=raw.get("timeout_s", DEFAULT_TIMEOUT_S),
        )
    except ValueError as e:
        raise InventoryError(f"{where}: {e}") from None
