"""Fixtures of the report tests: a real trial store in tmp_path, filled in code."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices import DeviceInfo, LatencyResult, TensorInfo
from edgenas.store import Rung, Study, Trial, TrialStore

SPEC = "relu6-stem32-mbconv_r1_k3_s1_e1_se0_c16-mbconv_r2_k3_s2_e6_se0_c24-mbconv_r3_k5_s2_e6_se0.25_c40-head1280"


def latency_of(latency_ms: float) -> LatencyResult:
    """A valid measurement whose median is `latency_ms`."""
    return LatencyResult(
        schema_version=2,
        model_path="/tmp/m.tflite",
        artifact_sha256=hashlib.sha256(str(latency_ms).encode()).hexdigest(),
        size_bytes=1000,
        runtime="litert",
        runtime_version="2.3.0",
        threads=1,
        delegate="xnnpack",
        inputs=(TensorInfo(name="x", dtype="float32", shape=(1, 224, 224, 3)),),
        latency_ms=latency_ms,
        p90_ms=latency_ms * 1.05,
        mean_ms=latency_ms,
        std_ms=latency_ms * 0.01,
        min_ms=latency_ms * 0.98,
        cv=0.01,
        mad_ms=latency_ms * 0.005,
        robust_cv=0.0074,
        runs=30,
        warmup_runs=5,
        attempts=1,
        max_attempts=3,
        stable=True,
        stability_criterion="robust_cv",
        cv_threshold=0.05,
        seed=0,
        device=DeviceInfo(
            hostname="pi4", platform=None, machine="aarch64", cpu_model=None, cpu_count=4,
            cpu_governor=None, temperature_c=None,
        ),
        measured_at="2026-01-02T03:04:05+00:00",
    )


@dataclasses.dataclass
class StudyWriter:
    """Writes trials of one study into a real store, in index order."""

    store: TrialStore
    name: str

    def done(self, accuracy: float | None, latency_ms: float | None, *, reward: float | None = None,
             spec: str = SPEC) -> Trial:
        index = len(self.store.trials(self.name))
        trial = self.store.start_trial(self.name, index=index, dna=(index,), spec=spec)
        return self.store.finish_trial(
            trial,
            accuracy=accuracy,
            latency=None if latency_ms is None else latency_of(latency_ms),
            reward=reward,
        )

    def stopped(self, accuracy: float, latency_ms: float, *, reward: float, steps: int = 33) -> Trial:
        """A done trial that successive halving stopped after `steps` steps, with `accuracy` there."""
        index = len(self.store.trials(self.name))
        trial = self.store.start_trial(self.name, index=index, dna=(index,), spec=SPEC)
        return self.store.finish_trial(trial, accuracy=accuracy, latency=latency_of(latency_ms), reward=reward,
                                       rungs=[Rung(steps, accuracy)], stopped_early=True)  # fmt: skip

    def failed(self, error: str = "ExportError: unsupported op") -> Trial:
        index = len(self.store.trials(self.name))
        trial = self.store.start_trial(self.name, index=index, dna=(index,), spec=SPEC)
        return self.store.fail_trial(trial, error=error)

    def running(self) -> Trial:
        index = len(self.store.trials(self.name))
        return self.store.start_trial(self.name, index=index, dna=(index,), spec=SPEC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TrialStore]:
    with TrialStore(tmp_path / "search.db") as opened:
        yield opened


def _study(store: TrialStore, name: str) -> StudyWriter:
    store.create_or_open_study(
        Study(name=name, space="mnasnet", space_options="{}", space_fingerprint="f" * 24,
              reward='{"target_ms": 25.0}', algorithm="evolution", seed=0, device="local:litert:1t:fp32"),
        resume=False,
    )
    return StudyWriter(store, name)


@pytest.fixture
def writer(store: TrialStore) -> StudyWriter:
    return _study(store, "pi4")


@pytest.fixture
def other_writer(store: TrialStore) -> StudyWriter:
    return _study(store, "other")
