"""Device side of edgenas: the on-device latency profiler and its clients.

``devices/profiler.py`` is a standalone program run on the device (standard
library, numpy and one runtime only). This package holds its typed result and
the backends that run it; importing it pulls in neither numpy nor TensorFlow.
"""

from .adb import AdbDevice
from .adb_target import AdbTarget
from .backend import DeviceBackend, MeasureSession
from .errors import DeviceUnavailableError, ProfilerError
from .latency_result import STABILITY_CRITERIA, DeviceInfo, LatencyResult, TensorInfo
from .local import LocalDevice, profile_local
from .profiler_session import ProfilerSession
from .settings import ProfileSettings
from .ssh import SshDevice
from .ssh_target import SshTarget

__all__ = [
    "AdbDevice",
    "AdbTarget",
    "DeviceBackend",
    "DeviceInfo",
    "DeviceUnavailableError",
    "LatencyResult",
    "LocalDevice",
    "MeasureSession",
    "ProfileSettings",
    "ProfilerSession",
    "ProfilerError",
    "STABILITY_CRITERIA",
    "SshDevice",
    "SshTarget",
    "TensorInfo",
    "profile_local",
]
