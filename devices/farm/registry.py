"""Backend registry: an inventory entry's `backend` name -> a factory of `DeviceBackend`.

A factory takes the whole `DeviceEntry` and reads its `connection` mapping.
``local`` is built in. ``ssh`` and ``adb`` are registered lazily: their modules
(`devices.ssh`, `devices.adb`) are imported only when a device uses them, so an
inventory that names a backend whose module is absent fails with a clear
message when the farm builds that device, and other farms are unaffected.

For ssh and adb the `connection` mapping holds the fields of `SshTarget` /
`AdbTarget`; an unknown key is an `InventoryError` naming the keys it takes.

The registry speaks as every edgenas registry does (`edgenas.registry.Registry`:
the same messages, an unknown and a duplicate name each its own error listing
what exists), with its own few lines: `devices` is the layer below `edgenas`
and imports nothing from it (see `errors.UnknownBackendError`).
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import Callable

from ..backend import DeviceBackend
from ..local import LocalDevice
from .errors import DuplicateBackendError, InventoryError, UnknownBackendError
from .inventory import DeviceEntry

__all__ = ["BackendFactory", "backend_names", "create_backend", "lazy_backend", "register_backend"]

BackendFactory = Callable[[DeviceEntry], DeviceBackend]
"""Builds the backend of one inventory entry; raises `InventoryError` on a bad `connection`."""

_FACTORIES: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Registers a backend under `name`.

    Raises:
        ValueError: `name` is not a non-empty word.
        DuplicateBackendError: `name` is already registered; the message lists the registered names.
    """
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise ValueError(f"a backend name must be a non-empty word, got {name!r}")
    if name in _FACTORIES:
        raise DuplicateBackendError(f"a backend named {name!r} is already registered; known backends: {_known()}")
    _FACTORIES[name] = factory


def backend_names() -> tuple[str, ...]:
    """The registered backend names, sorted."""
    return tuple(sorted(_FACTORIES))


def create_backend(entry: DeviceEntry) -> DeviceBackend:
    """Builds the backend of an inventory entry.

    Raises:
        UnknownBackendError: The backend is not registered (an `InventoryError`); the message lists
            the registered ones.
        InventoryError: The backend's module is missing, or the entry's `connection` does not suit it.
    """
    factory = _FACTORIES.get(entry.backend)
    if factory is None:
        raise UnknownBackendError(
            f"device {entry.name!r}: unknown backend {entry.backend!r}; known backends: {_known()}"
        )
    backend = factory(entry)
    if backend.name != entry.name:
        raise InventoryError(f"device {entry.name!r}: backend {entry.backend!r} named it {backend.name!r}")
    return backend


def _known() -> str:
    return ", ".join(backend_names()) or "none"


def lazy_backend(module: str, device_class: str, target_class: str) -> BackendFactory:
    """A factory that imports `module` only when a device first uses it.

    The entry's `connection` mapping gives the fields of `target_class` (for
    example `SshTarget`'s host, user, port...); the device is then
    ``device_class(target, name=entry.name)``.

    Args:
        module: Absolute module name, e.g. ``"devices.ssh"``.
        device_class: The `DeviceBackend` subclass in it.
        target_class: The frozen target spec it takes, in the same module.
    """

    def factory(entry: DeviceEntry) -> DeviceBackend:
        try:
            loaded = importlib.import_module(module)
            device_cls, target_cls = getattr(loaded, device_class), getattr(loaded, target_class)
        except ModuleNotFoundError as e:
            raise InventoryError(f"device {entry.name!r}: backend {entry.backend!r} cannot be imported: {e}") from None
        except AttributeError as e:
            raise InventoryError(f"device {entry.name!r}: backend {entry.backend!r}: {e}") from None
        fields = {f.name for f in dataclasses.fields(target_cls)}
        unknown = sorted(set(entry.connection) - fields)
        if unknown:
            raise InventoryError(
                f"device {entry.name!r}: backend {entry.backend!r} does not take connection key(s) "
                f"{', '.join(unknown)}; it takes: {', '.join(sorted(fields))}"
            )
        try:
            return device_cls(target_cls(**entry.connection), name=entry.name)
        except (TypeError, ValueError) as e:
            raise InventoryError(f"device {entry.name!r}: bad connection for backend {entry.backend!r}: {e}") from None

    return factory


def _local(entry: DeviceEntry) -> DeviceBackend:
    """``local``: this machine; connection key ``python`` (default: this interpreter)."""
    unknown = sorted(set(entry.connection) - {"python"})
    if unknown:
        raise InventoryError(
            f"device {entry.name!r}: backend 'local' does not take connection key(s) {', '.join(unknown)}; "
            "it takes: python"
        )
    python = entry.connection.get("python", sys.executable)
    if not isinstance(python, str) or not python:
        raise InventoryError(f"device {entry.name!r}: connection 'python' must be a path, got {python!r}")
    return LocalDevice(entry.name, python=python)


register_backend("local", _local)
register_backend("ssh", lazy_backend("devices.ssh", "SshDevice", "SshTarget"))
register_backend("adb", lazy_backend("devices.adb", "AdbDevice", "AdbTarget"))
