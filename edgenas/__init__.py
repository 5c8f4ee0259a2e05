"""edgenas: latency-aware neural architecture search for mobile and edge devices.

The public Python API. Every sub-package and heavy part (PyGlove, TensorFlow,
converters) loads on first use: `import edgenas` itself is light, so that
`edgenas spaces` answers at once.

    import edgenas
    space = edgenas.spaces.get("mnasnet", reference="mnasnet_a1")
    spec = space.reference("mnasnet_a1")
    model = edgenas.build_keras(spec, input_shape=(224, 224, 3), num_classes=1000)
    art = edgenas.export_spec(spec, formats=("tflite", "onnx"), precision="fp32", out_dir="out")
    res = edgenas.profile(art.tflite_path, runtime="litert", threads=1)
"""

from __future__ import annotations

import importlib
from typing import Any

from edgenas.errors import (
    DuplicateNameError,
    EdgenasError,
    ExportError,
    SpecError,
    SpecParseError,
    UnknownNameError,
)

__version__ = "0.1.0"

_SUBMODULES = ("devices", "errors", "export", "search", "spaces", "specs")
"""Sub-packages reachable as attributes (`edgenas.spaces`), imported on first use."""

_LAZY: dict[str, tuple[str, str | None]] = {
    "ArchSpec": ("edgenas.specs", "ArchSpec"),
    "BlockSpec": ("edgenas.specs", "BlockSpec"),
    "estimate_cost": ("edgenas.specs", "estimate_cost"),
    "export_spec": ("edgenas.export", "export"),
    "run_search": ("edgenas.search", "search"),
    "rewards": ("edgenas.search.rewards", None),
    "NoFinishedTrialError": ("edgenas.search.loop", "NoFinishedTrialError"),
    "build_keras": ("edgenas.models", "build_keras"),
    "profile": ("edgenas.profiling", "profile"),
    "LatencyResult": ("devices", "LatencyResult"),
    "ProfilerError": ("devices", "ProfilerError"),
    "HybridLatency": ("edgenas.search.latency_source", "HybridLatency"),
    "Halving": ("edgenas.search.halving", "Halving"),
    "Screening": ("edgenas.search.screening", "Screening"),
    "LatencyPredictor": ("latency_models.predictor", "LatencyPredictor"),
}
"""Public name -> (module, attribute; None: the module itself), imported on first use."""

__all__ = [
    "ArchSpec",
    "BlockSpec",
    "DuplicateNameError",
    "EdgenasError",
    "ExportError",
    "Halving",
    "HybridLatency",
    "LatencyPredictor",
    "LatencyResult",
    "NoFinishedTrialError",
    "ProfilerError",
    "Screening",
    "SpecError",
    "SpecParseError",
    "UnknownNameError",
    "build_keras",
    "devices",
    "errors",
    "estimate_cost",
    "export",
    "export_spec",
    "profile",
    "rewards",
    "run_search",
    "search",
    "spaces",
    "specs",
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:  # importing binds the sub-module as an attribute: no second call
        return importlib.import_module(f"edgenas.{name}")
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = importlib.import_module(module)
        if attribute is not None:
            value = getattr(value, attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'edgenas' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
