"""Typed, frozen client-side view of one on-device latency measurement.

``devices/profiler.py`` runs on the device and prints a JSON object;
``LatencyResult.from_json`` validates it into frozen dataclasses (tuples, not
lists) and ``to_json`` gives the same JSON object back, so
``LatencyResult.from_json(r.to_json()) == r`` and
``LatencyResult.from_json(d).to_json() == d`` for any valid ``d``, of either
schema version this module reads (`READABLE_SCHEMA_VERSIONS`): version 2, which
the profiler writes now, and version 1, written by older copies of the profiler
(a board that still has one, results stored before version 2). A version 1
object reads as a result whose ``stability_criterion`` is ``"cv"`` and whose
``mad_ms`` and ``robust_cv`` are None, and writes back without those keys.
`devices.adb.AdbDevice` builds one directly from what TFLite's
``benchmark_model`` prints (no 90th percentile, no seed, no MAD: those are None).

Standard library only: importing this module stays cheap.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import re
from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "SCHEMA_VERSION",
    "READABLE_SCHEMA_VERSIONS",
    "RUNTIMES",
    "DELEGATES",
    "STABILITY_CRITERIA",
    "TensorInfo",
    "DeviceInfo",
    "LatencyResult",
]

SCHEMA_VERSION = 2
"""The schema version of the JSON the profiler writes now (and of what `devices.adb.AdbDevice` builds)."""

READABLE_SCHEMA_VERSIONS = (1, 2)
"""Schema versions `LatencyResult` reads (and writes back unchanged). Version 2
added ``mad_ms``, ``robust_cv`` and ``stability_criterion``."""

STABILITY_CRITERIA = ("robust_cv", "cv")
"""How an attempt's spread is judged against ``cv_threshold``: ``robust_cv`` is
1.4826 * MAD / median (MAD: median absolute deviation of the runs from their
median), ``cv`` is sample std / mean. Version 1 results were all judged by ``cv``."""

_V2_FIELDS = ("mad_ms", "robust_cv", "stability_criterion")  # absent from a version 1 object

RUNTIMES = ("litert", "tflite_runtime", "onnxruntime", "tflite_benchmark_model")
"""Runtimes a result can name: what actually ran the model. The first three are
the Python packages ``devices/profiler.py`` uses; ``tflite_benchmark_model`` is
TFLite's ``benchmark_model`` binary (`devices.adb.AdbDevice`, Android phones),
which the profiler never names."""

DELEGATES = ("xnnpack", "none", "cpu")
"""``xnnpack``: TFLite with the XNNPACK delegate applied; ``none``: TFLite
built-in kernels only; ``cpu``: onnxruntime's CPUExecutionProvider."""

_SHA256 = re.compile(r"[0-9a-f]{64}")
_REL_TOL = 1e-9  # ordering checks between statistics tolerate float rounding


class _FieldError(ValueError):
    """A ValueError that names the offending field, nested fields dotted."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"field {field!r}: {problem}")
        self.field = field
        self.problem = problem

    def under(self, prefix: str) -> _FieldError:
        sep = "" if self.field.startswith("[") else "."
        return _FieldError(f"{prefix}{sep}{self.field}", self.problem)


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _check_str(name: str, value: Any, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _FieldError(name, f"must be a string{' or null' if optional else ''}, got {_describe(value)}")
    return value


def _check_int(name: str, value: Any, *, minimum: int | None = None, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FieldError(name, f"must be an integer{' or null' if optional else ''}, got {_describe(value)}")
    if minimum is not None and value < minimum:
        raise _FieldError(name, f"must be >= {minimum}, got {value}")
    return value


def _check_float(name: str, value: Any, *, minimum: float | None = None, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _FieldError(name, f"must be a number{' or null' if optional else ''}, got {_describe(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise _FieldError(name, f"must be finite, got {value}")
    if minimum is not None and value < minimum:
        raise _FieldError(name, f"must be >= {minimum}, got {value}")
    return value


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _FieldError(name, f"must be true or false, got {_describe(value)}")
    return value


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    _check_str(name, value)
    if value not in choices:
        raise _FieldError(name, f"must be one of {', '.join(choices)}; got {value!r}")
    return value


def _as_mapping(data: Mapping[str, Any] | str, what: str) -> Mapping[str, Any]:
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as e:
            raise ValueError(f"{what}: not valid JSON ({e})") from None
    if not isinstance(data, Mapping):
        raise ValueError(f"{what}: expected a JSON object, got {_describe(data)}")
    return data


def _check_keys(cls: type, data: Mapping[str, Any], *, absent: tuple[str, ...] = (), why: str = "") -> None:
    """Checks that ``data`` has exactly the fields of ``cls`` less ``absent`` (fields a version lacks)."""
    names = [f.name for f in dataclasses.fields(cls) if f.name not in absent]
    for name in names:
        if name not in data:
            raise _FieldError(name, "missing")
    unknown = sorted(str(k) for k in data if k not in names)
    if unknown:
        raise _FieldError(unknown[0], f"unknown field for {cls.__name__}{why} (unknown: {', '.join(unknown)})")


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)  # normalise a field of a frozen dataclass


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """One model input as the profiler fed it.

    Attributes:
        name: The runtime's name of the input.
        dtype: A numpy dtype name, e.g. ``"float32"`` or ``"int8"``.
        shape: The concrete shape used (unknown dimensions set to 1).
    """

    name: str
    dtype: str
    shape: tuple[int, ...]

    def __post_init__(self) -> None:
        _check_str("name", self.name)
        _check_str("dtype", self.dtype)
        if not isinstance(self.shape, (tuple, list)):
            raise _FieldError("shape", f"must be a list of integers, got {_describe(self.shape)}")
        for i, dim in enumerate(self.shape):
            _check_int(f"shape[{i}]", dim, minimum=0)
        _set(self, "shape", tuple(self.shape))

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str) -> TensorInfo:
        """Validates a JSON object (or its text) into a TensorInfo.

        Raises:
            ValueError: Naming the missing, unknown or ill-typed field.
        """
        data = _as_mapping(data, cls.__name__)
        _check_keys(cls, data)
        return cls(name=data["name"], dtype=data["dtype"], shape=data["shape"])

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON object (a dict of JSON types)."""
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape)}


@dataclasses.dataclass(frozen=True)
class DeviceInfo:
    """What the profiler could read about the device; None where it could not.

    On an Android phone (`devices.adb.AdbDevice`) the fields come from
    ``getprop``, ``uname``, ``/proc/cpuinfo``, cpufreq and the thermal zones
    instead of Python's ``platform``/``os`` (see `devices.adb_device_info`).

    Attributes:
        hostname: The device's host name (``uname -n`` on a phone).
        platform: ``platform.platform()``, e.g. ``"Linux-6.1.0-rpi7-aarch64-with-glibc2.36"``;
            on a phone ``"Android <release> (<model>, <board>)"``.
        machine: ``platform.machine()`` (``uname -m`` on a phone), e.g. ``"aarch64"``.
        cpu_model: From ``/proc/cpuinfo`` (``model name`` and the like).
        cpu_count: Logical CPUs (``os.cpu_count()``; on a phone the ``processor`` entries of ``/proc/cpuinfo``).
        cpu_governor: The cpufreq scaling governor of cpu0 (on a phone: of the
            first CPU the measurement was pinned to), e.g. ``"performance"``.
        temperature_c: CPU/SoC temperature after the measurement, in Celsius.
    """

    hostname: str | None
    platform: str | None
    machine: str | None
    cpu_model: str | None
    cpu_count: int | None
    cpu_governor: str | None
    temperature_c: float | None

    def __post_init__(self) -> None:
        for name in ("hostname", "platform", "machine", "cpu_model", "cpu_governor"):
            _check_str(name, getattr(self, name), optional=True)
        _check_int("cpu_count", self.cpu_count, minimum=1, optional=True)
        _set(self, "temperature_c", _check_float("temperature_c", self.temperature_c, optional=True))

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str) -> DeviceInfo:
        """Validates a JSON object (or its text) into a DeviceInfo.

        Raises:
            ValueError: Naming the missing, unknown or ill-typed field.
        """
        data = _as_mapping(data, cls.__name__)
        _check_keys(cls, data)
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls)})

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON object (a dict of JSON types)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclasses.dataclass(frozen=True)
class LatencyResult:
    """One latency measurement of one model artifact on one device.

    The statistics are those of the most stable attempt: the one with the
    lowest value of ``stability_criterion`` (``robust_cv`` or ``cv``).

    Some fields may be None, when the tool that measured cannot give them:
    ``p90_ms`` and ``seed`` (both None for ``runtime ==
    "tflite_benchmark_model"``; ``devices/profiler.py`` always fills both, so
    files written before they could be None stay valid under the same
    schema version), and ``mad_ms`` and ``robust_cv`` (both None or both set;
    None only with ``stability_criterion == "cv"``: ``benchmark_model`` prints
    no per-run times, so no MAD can be computed). In JSON a None is ``null``;
    the key is still required.

    Schema version 1 (``schema_version == 1``), written by older profilers, has
    no ``mad_ms``, ``robust_cv`` or ``stability_criterion`` keys: it reads as
    ``"cv"`` with both spreads None (the only values a version 1 result may
    hold) and `to_json` writes it back without those keys.

    Attributes:
        schema_version: Version of the profiler JSON schema (``SCHEMA_VERSION``).
        model_path: Absolute path of the model file measured: on the device
            for the profiler, the local file for ``tflite_benchmark_model``
            (which times a temporary copy pushed to the phone).
        artifact_sha256: Hex SHA-256 of the model file.
        size_bytes: Size of the model file.
        runtime: What ran the model, one of ``RUNTIMES``.
        runtime_version: Its version; ``"unknown"`` when the runtime does not
            tell (``benchmark_model`` prints no version).
        threads: CPU threads given to the runtime.
        delegate: How it executed, one of ``DELEGATES``.
        inputs: The inputs fed (random; seeded when ``seed`` is not None).
            Empty when the runtime does not report them (``benchmark_model``
            prints no input tensors).
        latency_ms: Median latency (for ``benchmark_model``: its nearest-rank
            median, the upper middle run for an even count).
        p90_ms: 90th percentile (linear interpolation); None when the runtime
            does not report one (``benchmark_model``). When present it is
            checked to be >= ``latency_ms``.
        mean_ms: Mean.
        std_ms: Sample standard deviation.
        min_ms: Fastest run.
        cv: Coefficient of variation, ``std_ms / mean_ms``.
        mad_ms: Median absolute deviation of the runs from ``latency_ms``;
            None when the runtime gives no per-run times and in version 1.
        robust_cv: ``1.4826 * mad_ms / latency_ms``, a spread comparable to
            ``cv`` for normally distributed times that a few outlying runs
            (a preempted process) barely move; None when ``mad_ms`` is.
        runs: Timed runs per attempt.
        warmup_runs: Untimed runs before each attempt.
        attempts: Attempts made.
        max_attempts: Attempts allowed.
        stable: Whether the kept attempt's ``stability_criterion`` spread is
            within ``cv_threshold``.
        stability_criterion: The spread that judged stability, one of
            `STABILITY_CRITERIA`; ``"cv"`` for version 1 and for
            ``tflite_benchmark_model``.
        cv_threshold: The spread above which an attempt was repeated.
        seed: Seed of the random inputs; None when the inputs were not seeded
            (``benchmark_model``'s random inputs take no seed).
        device: The device.
        measured_at: When the measurement finished, ISO 8601 with time zone (UTC).
    """

    schema_version: int
    model_path: str
    artifact_sha256: str
    size_bytes: int
    runtime: str
    runtime_version: str
    threads: int
    delegate: str
    inputs: tuple[TensorInfo, ...]
    latency_ms: float
    p90_ms: float | None
    mean_ms: float
    std_ms: float
    min_ms: float
    cv: float
    mad_ms: float | None
    robust_cv: float | None
    runs: int
    warmup_runs: int
    attempts: int
    max_attempts: int
    stable: bool
    stability_criterion: str
    cv_threshold: float
    seed: int | None
    device: DeviceInfo
    measured_at: str

    _FLOATS: ClassVar[tuple[str, ...]] = (
        "latency_ms", "p90_ms", "mean_ms", "std_ms", "min_ms", "cv", "mad_ms", "robust_cv", "cv_threshold",
    )  # fmt: skip
    _OPTIONAL: ClassVar[frozenset[str]] = frozenset({"p90_ms", "seed", "mad_ms", "robust_cv"})

    def __post_init__(self) -> None:
        _check_version(self.schema_version)
        _check_str("model_path", self.model_path)
        _check_str("artifact_sha256", self.artifact_sha256)
        if not _SHA256.fullmatch(self.artifact_sha256):
            raise _FieldError("artifact_sha256", f"must be 64 lowercase hex digits, got {self.artifact_sha256!r}")
        _check_int("size_bytes", self.size_bytes, minimum=1)
        _check_choice("runtime", self.runtime, RUNTIMES)
        _check_str("runtime_version", self.runtime_version)
        _check_int("threads", self.threads, minimum=1)
        _check_choice("delegate", self.delegate, DELEGATES)
        if not isinstance(self.inputs, (tuple, list)):
            raise _FieldError("inputs", f"must be a list of inputs, got {_describe(self.inputs)}")
        for i, item in enumerate(self.inputs):
            if not isinstance(item, TensorInfo):
                raise _FieldError(f"inputs[{i}]", f"must be a TensorInfo, got {_describe(item)}")
        _set(self, "inputs", tuple(self.inputs))
        for name in self._FLOATS:
            value = _check_float(name, getattr(self, name), minimum=0.0, optional=name in self._OPTIONAL)
            _set(self, name, value)
        scale = self.p90_ms if self.p90_ms is not None else self.latency_ms
        tol = _REL_TOL * max(scale, 1e-12)
        if not self.min_ms <= self.latency_ms + tol:
            raise _FieldError("min_ms", f"{self.min_ms} exceeds the median latency_ms {self.latency_ms}")
        if self.p90_ms is not None and not self.latency_ms <= self.p90_ms + tol:
            raise _FieldError("p90_ms", f"{self.p90_ms} is below the median latency_ms {self.latency_ms}")
        _check_int("runs", self.runs, minimum=2)
        _check_int("warmup_runs", self.warmup_runs, minimum=0)
        _check_int("max_attempts", self.max_attempts, minimum=1)
        _check_int("attempts", self.attempts, minimum=1)
        if self.attempts > self.max_attempts:
            raise _FieldError("attempts", f"{self.attempts} exceeds max_attempts {self.max_attempts}")
        self._check_stability()
        _check_int("seed", self.seed, minimum=0, optional=True)
        if not isinstance(self.device, DeviceInfo):
            raise _FieldError("device", f"must be a DeviceInfo, got {_describe(self.device)}")
        _check_str("measured_at", self.measured_at)
        try:
            when = datetime.datetime.fromisoformat(self.measured_at)
        except ValueError:
            raise _FieldError("measured_at", f"not an ISO 8601 time: {self.measured_at!r}") from None
        if when.tzinfo is None:
            raise _FieldError("measured_at", f"has no time zone: {self.measured_at!r}")

    def _check_stability(self) -> None:
        """Checks the version 2 fields against the version and ``stable`` against the criterion."""
        _check_choice("stability_criterion", self.stability_criterion, STABILITY_CRITERIA)
        if self.schema_version == 1:
            for name, v1_value in (("stability_criterion", "cv"), ("mad_ms", None), ("robust_cv", None)):
                if getattr(self, name) != v1_value:
                    raise _FieldError(
                        name, f"must be {v1_value!r} in schema_version 1, got {_describe(getattr(self, name))}"
                    )
        if (self.mad_ms is None) != (self.robust_cv is None):
            raise _FieldError("robust_cv", f"is {self.robust_cv} but mad_ms is {self.mad_ms}: both null or neither")
        if self.robust_cv is None and self.stability_criterion != "cv":
            raise _FieldError(
                "robust_cv", f"is null, so stability_criterion must be 'cv', not {self.stability_criterion!r}"
            )
        _check_bool("stable", self.stable)
        spread = self.robust_cv if self.stability_criterion == "robust_cv" else self.cv
        if self.stable != (spread <= self.cv_threshold):
            raise _FieldError(
                "stable",
                f"is {self.stable} but {self.stability_criterion} {spread} against cv_threshold "
                f"{self.cv_threshold} says otherwise",
            )

    @property
    def measured_at_datetime(self) -> datetime.datetime:
        """``measured_at`` as an aware datetime."""
        return datetime.datetime.fromisoformat(self.measured_at)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str) -> LatencyResult:
        """Validates the profiler's JSON object (or its text) into a LatencyResult.

        Args:
            data: The decoded JSON object, or the JSON text.

        Returns:
            The result.

        Raises:
            ValueError: The text is not JSON, the schema version is not one
                of `READABLE_SCHEMA_VERSIONS`, or a field is missing, unknown
                (a version 2 field in a version 1 object too), ill-typed or out
                of range; the message names the field (nested ones as
                ``device.cpu_count`` or ``inputs[0].shape[1]``).
        """
        data = _as_mapping(data, cls.__name__)
        if "schema_version" not in data:
            raise _FieldError("schema_version", "missing")
        _check_version(data["schema_version"])
        if data["schema_version"] == 1:
            _check_keys(cls, data, absent=_V2_FIELDS, why=" in schema_version 1")
            kwargs = {**data, "mad_ms": None, "robust_cv": None, "stability_criterion": "cv"}
        else:
            _check_keys(cls, data)
            kwargs = dict(data)
        raw_inputs = data["inputs"]
        if not isinstance(raw_inputs, (list, tuple)):
            raise _FieldError("inputs", f"must be a list of inputs, got {_describe(raw_inputs)}")
        inputs = []
        for i, item in enumerate(raw_inputs):
            item = _nested(item, f"inputs[{i}]")
            try:
                inputs.append(TensorInfo.from_json(item))
            except _FieldError as e:
                raise e.under(f"inputs[{i}]") from None
        kwargs["inputs"] = tuple(inputs)
        device = _nested(data["device"], "device")
        try:
            kwargs["device"] = DeviceInfo.from_json(device)
        except _FieldError as e:
            raise e.under("device") from None
        return cls(**kwargs)

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON object (a dict of JSON types) the profiler printed.

        A version 1 result gives a version 1 object: without ``mad_ms``,
        ``robust_cv`` and ``stability_criterion``.
        """
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if self.schema_version == 1 and f.name in _V2_FIELDS:
                continue
            value = getattr(self, f.name)
            if f.name == "inputs":
                value = [t.to_json() for t in value]
            elif f.name == "device":
                value = value.to_json()
            out[f.name] = value
        return out


def _check_version(value: Any) -> None:
    _check_int("schema_version", value)
    if value not in READABLE_SCHEMA_VERSIONS:
        readable = " and ".join(str(v) for v in READABLE_SCHEMA_VERSIONS)
        raise _FieldError("schema_version", f"unsupported version {value}; this client reads versions {readable}")


def _nested(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _FieldError(field, f"must be a JSON object, got {_describe(value)}")
    return value
