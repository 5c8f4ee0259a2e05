"""Tests of devices/settings.py: the runtime settings of a measurement."""

from __future__ import annotations

import pytest

from devices import STABILITY_CRITERIA, ProfileSettings


def test_defaults_match_the_profiler_defaults() -> None:
    assert ProfileSettings().profiler_args() == [
        "--threads", "1", "--runs", "50", "--warmup", "10", "--stability", "robust_cv", "--cv-threshold", "0.05",
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
        ({"stability_criterion": "mad"}, "stability_criterion must be one of robust_cv, cv, got 'mad'"),
        ({"stability_criterion": "CV"}, "stability_criterion must be one of robust_cv, cv, got 'CV'"),
        ({"stability_criterion": None}, "stability_criterion must be one of robust_cv, cv, got None"),
        ({"stability_criterion": 1}, "stability_criterion must be one of robust_cv, cv, got 1"),
        ({"stability_criterion": ["cv"]}, r"stability_criterion must be one of robust_cv, cv, got \['cv'\]"),
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
    robust, plain = ProfileSettings(), ProfileSettings(stability_criterion="cv")
    assert ProfileSettings.from_json(plain.to_json()) == plain and plain.to_json()["stability_criterion"] == "cv"
    assert robust.cache_key() != plain.cache_key()  # the criterion changes which attempt is kept
    with pytest.raises(ValueError, match=r"unknown profile settings \['delegate'\]"):
        ProfileSettings.from_json({"delegate": "gpu"})


def test_the_stability_criterion_reaches_the_profiler() -> None:
    assert ProfileSettings().stability_criterion == "robust_cv"
    assert STABILITY_CRITERIA == ("robust_cv", "cv")
    args = ProfileSettings(stability_criterion="cv").profiler_args()
    assert args[args.index("--stability") + 1] == "cv"


def test_settings_without_a_criterion_read_as_robust_cv() -> None:
    # Settings stored before the field existed (a farm's queue, an inventory file).
    old = {"runtime": None, "threads": 1, "runs": 50, "warmup": 10, "cv_threshold": 0.05, "max_attempts": 3, "seed": 0}
    assert ProfileSettings.from_json(old).stability_criterion == "robust_cv"
