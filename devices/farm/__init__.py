"""The device farm: many devices behind one durable queue, served over HTTP.

Client side (light: httpx only): `Farm`, a farm's device tag as one
`DeviceBackend`, and `FarmAddress` (``farm://host:port/tag``). Server side
(FastAPI and uvicorn, imported on first use): `FarmService`, `FarmServer`,
`serve`, `load_inventory`. ``edgenas farm serve --inventory farm.yaml`` runs one.
"""

from __future__ import annotations

import importlib
from typing import Any

from .address import FarmAddress
from .client import Farm
from .errors import (
    DuplicateBackendError,
    FarmAuthError,
    FarmConfigError,
    FarmError,
    FarmJobFailedError,
    FarmRequestError,
    FarmServerError,
    FarmStateInUseError,
    FarmTimeoutError,
    FarmUnreachableError,
    InventoryError,
    UnknownBackendError,
    UnknownDeviceError,
)
from .farm_token import TOKEN_ENV
from .job import AttemptError, Job, JobState

_LAZY = {
    "FarmService": "service",
    "FarmServer": "server",
    "serve": "server",
    "Inventory": "inventory",
    "DeviceEntry": "inventory",
    "load_inventory": "inventory",
    "JobStore": "job_store",
    "Scheduler": "scheduler",
    "FarmDevice": "scheduler",
}

__all__ = [
    "TOKEN_ENV",
    "AttemptError",
    "DeviceEntry",
    "DuplicateBackendError",
    "Farm",
    "FarmAddress",
    "FarmAuthError",
    "FarmConfigError",
    "FarmDevice",
    "FarmError",
    "FarmJobFailedError",
    "FarmRequestError",
    "FarmServer",
    "FarmServerError",
    "FarmService",
    "FarmStateInUseError",
    "FarmTimeoutError",
    "FarmUnreachableError",
    "Inventory",
    "InventoryError",
    "Job",
    "JobState",
    "JobStore",
    "Scheduler",
    "UnknownBackendError",
    "UnknownDeviceError",
    "load_inventory",
    "serve",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'devices.farm' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
