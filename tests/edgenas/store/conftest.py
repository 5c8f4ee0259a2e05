"""Fixtures of the trial store tests: real SQLite files in tmp_path, typed records built in code."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices import DeviceInfo, LatencyResult, TensorInfo
from edgenas.store import Study, TrialStore

SPEC = "relu6-stem32-mbconv_r1_k3_s1_e1_se0_c16-mbconv_r2_k3_s2_e6_se0_c24-head1280"


def latency_of(latency_ms: float, *, seed: int = 0, schema_version: int = 2) -> LatencyResult:
    """A valid measurement with median `latency_ms` (other statistics consistent with it).

    ``schema_version=1`` gives what an older profiler wrote: no MAD, no robust CV, judged by CV.
    """
    v2 = schema_version >= 2
    return LatencyResult(
        schema_version=schema_version,
        model_path=f"/tmp/models/m{seed}.tflite",
        artifact_sha256=hashlib.sha256(f"{latency_ms}/{seed}".encode()).hexdigest(),
        size_bytes=123_456,
        runtime="litert",
        runtime_version="2.3.0",
        threads=1,
        delegate="xnnpack",
        inputs=(TensorInfo(name="x", dtype="float32", shape=(1, 224, 224, 3)),),
        latency_ms=latency_ms,
        p90_ms=latency_ms * 1.05,
        mean_ms=latency_ms * 1.01,
        std_ms=latency_ms * 0.02,
        min_ms=latency_ms * 0.97,
        cv=0.02,
        mad_ms=latency_ms * 0.012 if v2 else None,
        robust_cv=0.0178 if v2 else None,
        runs=30,
        warmup_runs=5,
        attempts=1,
        max_attempts=3,
        stable=True,
        stability_criterion="robust_cv" if v2 else "cv",
        cv_threshold=0.05,
        seed=seed,
        device=DeviceInfo(
            hostname="pi4",
            platform="Linux-6.1-aarch64",
            machine="aarch64",
            cpu_model="Cortex-A72",
            cpu_count=4,
            cpu_governor="performance",
            temperature_c=48.5,
        ),
        measured_at="2026-01-02T03:04:05.000006+00:00",
    )


def study_of(name: str = "pi4", **changes: object) -> Study:
    """A valid study; keyword arguments replace fields."""
    fields: dict[str, object] = {
        "name": name,
        "space": "mnasnet",
        "space_options": '{"reference": "mnasnet_a1"}',
        "space_fingerprint": "0123456789abcdef01234567",
        "reward": '{"kind": "mnasnet", "target_ms": 25.0, "alpha": -0.07}',
        "algorithm": "evolution",
        "seed": 7,
        "device": "local:litert:1t:fp32",
        "input_shape": (224, 224, 3),
        "num_classes": 1000,
        "export_recipe": 3,
    }
    fields.update(changes)
    return Study(**fields)  # type: ignore[arg-type]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "runs" / "search.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[TrialStore]:
    with TrialStore(db_path) as opened:
        yield opened


@pytest.fixture
def make_latency() -> Callable[..., LatencyResult]:
    return latency_of


@pytest.fixture
def make_study() -> Callable[..., Study]:
    return study_of


@pytest.fixture
def spec_text() -> str:
    return SPEC
