"""edgenas: latency-aware neural architecture search for mobile and edge devices.

The public Python API. Heavy parts (TensorFlow, converters) load on first use:
`import edgenas` itself is light.

    import edgenas
    space = edgenas.spaces.get("mnasnet", reference="mnasnet_a1")
    spec = space.reference("mnasnet_a1")
    model = edgenas.build_keras(spec, input_shape=(224, 224, 3), num_classes=1000)
    art = edgenas.export(spec, formats=("tflite", "onnx"), precision="fp32", out_dir="out")
    res = edgenas.profile(art.tflite_path, runtime="litert", threads=1)
"""

from __future__ import annotations

import importlib
from typing import Any

from edgenas import errors, spaces, specs
from edgenas.errors import (
    DuplicateNameError,
    EdgenasError,
    ExportError,
    SpecError,
    SpecParseError,
    UnknownNameError,
)
from edgenas.export import export
from edgenas.search import rewards
from edgenas.search.loop import NoFinishedTrialError, search
from edgenas.specs import ArchSpec, BlockSpec, estimate_cost

# The function, not the sub-package, is `edgenas.export` (the package stays importable
# as `edgenas.export.<module>` through sys.modules).
export = export  # noqa: PLW0127
search = search  # noqa: PLW0127  (likewise: edgenas.search is the function)

__version__ = "0.1.0"

_LAZY = {
    "build_keras": ("edgenas.models", "build_keras"),
    "profile": ("edgenas.profiling", "profile"),
    "LatencyResult": ("devices", "LatencyResult"),
    "ProfilerError": ("devices", "ProfilerError"),
    "HybridLatency": ("edgenas.search.latency_source", "HybridLatency"),
    "LatencyPredictor": ("latency_models.predictor", "LatencyPredictor"),
}

__all__ = [
    "ArchSpec",
    "BlockSpec",
    "DuplicateNameError",
    "EdgenasError",
    "ExportError",
    "HybridLatency",
    "LatencyPredictor",
    "LatencyResult",
    "NoFinishedTrialError",
    "ProfilerError",
    "SpecError",
    "SpecParseError",
    "UnknownNameError",
    "build_keras",
    "devices",
    "errors",
    "estimate_cost",
    "export",
    "profile",
    "rewards",
    "search",
    "spaces",
    "specs",
]


def __getattr__(name: str) -> Any:
    if name == "devices":  # the sub-module: the device side and the farm client (httpx)
        return importlib.import_module("edgenas.devices")
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'edgenas' has no attribute {name!r}")
