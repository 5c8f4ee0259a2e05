"""Tests of devices/farm/job_request.py: the checks of a ``POST /v1/jobs`` body (no server here)."""

from __future__ import annotations

import dataclasses

import pytest

from devices import ProfileSettings
from devices.farm._echo import cut, shown
from devices.farm.job_request import SETTINGS_CHOICES, SETTINGS_LIMITS, JobRequest, JobRequestError, parse_job_request

SHA = "a" * 64
DEFAULTS = ProfileSettings(runs=7)


def _parse(**body: object) -> JobRequest:
    return parse_job_request({"model_sha256": SHA, "tag": "cpu", **body}, tags={"cpu", "gpu"}, default_settings=DEFAULTS)


def test_a_good_job_takes_the_farms_settings_for_those_it_leaves_out() -> None:
    request = _parse(settings={"warmup": 2, "cv_threshold": 1, "runtime": None}, max_attempts=2)
    assert request == JobRequest(SHA, "cpu", ProfileSettings(runs=7, warmup=2, cv_threshold=1.0), 2)
    assert _parse().settings == DEFAULTS and _parse().max_attempts == 3
    assert _parse().settings.stability_criterion == "robust_cv"


@pytest.mark.parametrize("criterion", ["robust_cv", "cv"])
def test_a_job_may_choose_the_stability_criterion(criterion: str) -> None:
    request = _parse(settings={"stability_criterion": criterion})
    assert request.settings == ProfileSettings(runs=7, stability_criterion=criterion)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"tag": ["cpu"]}, 'tag must be a non-empty string, got ["cpu"]'),
        ({"tag": None}, "tag must be a non-empty string, got null"),
        ({"tag": "x" * 1000}, f'tag must be at most 128 characters, got 1000: "{"x" * 99}…'),
        ({"tag": "npu"}, "no device serves tag 'npu'; tags: cpu, gpu"),
        ({"model_sha256": 5}, "model_sha256 must be 64 lowercase hex digits (SHA-256), got 5"),
        ({"settings": None}, "settings must be a JSON object, got null"),
        ({"settings": {"runs": 10**12}}, "settings.runs must be an integer from 2 to 100000, got 1000000000000"),
        ({"settings": {"runs": True}}, "settings.runs must be an integer from 2 to 100000, got true"),
        ({"settings": {"cv_threshold": "0.05"}}, 'settings.cv_threshold must be a number from 0 to 1000, got "0.05"'),
        ({"settings": {"cv_threshold": float("nan")}}, "settings.cv_threshold must be a number from 0 to 1000, got NaN"),
        ({"settings": {"runtime": {"a": 1}}}, 'settings.runtime must be null or one of litert, onnxruntime, got {"a": 1}'),
        ({"settings": {"stability_criterion": "mad"}},
         'settings.stability_criterion must be one of robust_cv, cv, got "mad"'),
        ({"settings": {"stability_criterion": None}},
         "settings.stability_criterion must be one of robust_cv, cv, got null"),
        ({"settings": {"stability_criterion": 1}}, "settings.stability_criterion must be one of robust_cv, cv, got 1"),
        ({"settings": {"stability_criterion": ["cv"]}},
         'settings.stability_criterion must be one of robust_cv, cv, got ["cv"]'),
        ({"settings": {"stability_criterion": "x" * 1000}},
         f'settings.stability_criterion must be one of robust_cv, cv, got "{"x" * 99}…'),
        ({"max_attempts": "3"}, 'max_attempts must be an integer from 1 to 100, got "3"'),
        ({"settings": {"seed": -1}}, "settings.seed must be an integer from 0 to 9223372036854775807, got -1"),
        ({"priority": 1, "z" * 200: 0}, f"unknown job field(s) priority, {'z' * 90}…; fields: model_sha256, tag, "
                                        "settings, max_attempts"),
    ],
)
def test_a_bad_field_is_named_first_and_echoed_briefly(body: dict[str, object], message: str) -> None:
    with pytest.raises(JobRequestError) as raised:
        _parse(**body)
    assert str(raised.value) == message


def test_a_missing_field_or_a_body_that_is_no_object_is_refused() -> None:
    for body, message in (
        ({"tag": "cpu"}, "model_sha256 is required"),
        ({"model_sha256": SHA}, "tag is required"),
        ([SHA, "cpu"], f'the job must be a JSON object, got ["{SHA}", "cpu"]'),
    ):
        with pytest.raises(JobRequestError) as raised:
            parse_job_request(body, tags={"cpu"}, default_settings=DEFAULTS)
        assert str(raised.value) == message


def test_every_profile_setting_has_a_farm_limit() -> None:
    fields = {f.name for f in dataclasses.fields(ProfileSettings)}
    assert set(SETTINGS_LIMITS) | set(SETTINGS_CHOICES) | {"runtime"} == fields
    assert not set(SETTINGS_LIMITS) & set(SETTINGS_CHOICES)


def test_an_echo_is_cut_at_100_characters() -> None:
    assert shown("abc") == '"abc"' and shown(None) == "null"
    assert shown("x" * 1_000_000) == '"' + "x" * 99 + "…"
    assert cut("y" * 100) == "y" * 100 and cut("y" * 101) == "y" * 100 + "…"
    assert shown(object()) == "<object>"
