"""`edgenas.devices`: the device side, from the edgenas namespace.

The same objects as the top-level `devices` package (backends, settings,
results, errors) plus the farm client: ``edgenas.devices.Farm(url, tag=...)``.
"""

from __future__ import annotations

import devices as _devices
from devices import *  # noqa: F403 - the public names of `devices`, listed in its __all__
from devices.farm import Farm, FarmAddress, FarmError

__all__ = [*_devices.__all__, "Farm", "FarmAddress", "FarmError"]
