"""`edgenas.devices`: the device side, from the edgenas namespace.

The same objects as the top-level `devices` package (backends, settings,
results, errors) plus the farm client: ``edgenas.devices.Farm(url, tag=...)``.
"""

from __future__ import annotations

from devices import (
    AdbDevice,
    AdbTarget,
    DeviceBackend,
    DeviceInfo,
    DeviceUnavailableError,
    LatencyResult,
    LocalDevice,
    ProfileSettings,
    ProfilerError,
    SshDevice,
    SshTarget,
    TensorInfo,
    profile_local,
)
from devices.farm import Farm, FarmAddress, FarmError

__all__ = [
    "AdbDevice",
    "AdbTarget",
    "DeviceBackend",
    "DeviceInfo",
    "DeviceUnavailableError",
    "Farm",
    "FarmAddress",
    "FarmError",
    "LatencyResult",
    "LocalDevice",
    "ProfileSettings",
    "ProfilerError",
    "SshDevice",
    "SshTarget",
    "TensorInfo",
    "profile_local",
]
