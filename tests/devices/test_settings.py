"""Tests of devices/settings.py: the runtime settings of a measurement."""

from __future__ import annotations

import pytest

from devices import ProfileSettings


def test_defaults_match_the_profiler_defaults() -> None:
    assert ProfileSettings().profiler_args() == [
        "--threads", "1", "--runs", "50", "--warmup", "10", "--cv-threshold", "0.05",
        "--max-attempts", "3", "--seed", "0",
    ]  # fmt: skip


def test_runtime_is_passed_only_when_set() -> None:
    assert ProfileSettings(runtime="onnxruntime").profiler_args()[-2:] == ["--runtime", "onnxruntime"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"runtime": "tensorrt"}, "unknown runtime 'tensorrt'; known runtimes: litert, onnxruntime"),
        ({"threads": 0}, "threads must be an integer >= 1"),
        ({"runs": 1}, "runs must be an integer >= 2"),
        ({"warmup": -1}, "warmup must be an integer >= 0"),
        ({"max_attempts": True}, "max_attempts must be an integer >= 1"),
        ({"cv_threshold": float("nan")}, "cv_threshold must be a finite number >= 0"),
        ({"seed": 1.5}, "seed must be an integer >= 0"),
    ],
)
def test_invalid_settings_are_rejected(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ProfileSettings(**kwargs)


def test_json_round_trip_and_cache_key() -> None:
    settings = ProfileSettings(runtime="litert", threads=4, cv_threshold=0.1)
    assert ProfileSettings.from_json(settings.to_json()) == settings
    assert settings.cache_key() == ProfileSettings.from_json(settings.to_json()).cache_key()
    assert settings.cache_key() != ProfileSettings(runtime="litert", threads=2, cv_threshold=0.1).cache_key()
    assert ProfileSettings(cv_threshold=1).cache_key() == ProfileSettings(cv_threshold=1.0).cache_key()
    with pytest.raises(ValueError, match=r"unknown profile settings \['delegate'\]"):
        ProfileSettings.from_json({"delegate": "gpu"})
