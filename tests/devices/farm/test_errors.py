"""Tests of devices/farm/errors.py: bad farm configuration or input is a `FarmConfigError`.

Each is also a `ValueError` (what callers caught before), and a `FarmError`, which
the CLI prints as one line; a bare `ValueError` from the farm would be a bug.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from devices.farm.client import Farm
from devices.farm.errors import FarmConfigError, FarmError, InventoryError
from devices.farm.farm_token import TOKEN_ENV, resolve_token
from devices.farm.job_store import JobStore
from devices.farm.model_store import ModelStore
from devices.farm.scheduler import Scheduler


def test_the_configuration_errors_are_farm_errors_and_value_errors() -> None:
    assert issubclass(FarmConfigError, FarmError) and issubclass(FarmConfigError, ValueError)
    assert issubclass(InventoryError, FarmConfigError)


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("ftp://farm.lan", {"tag": "cpu"},
         "a farm URL must be http(s)://host:port or farm://host:port/tag, got 'ftp://farm.lan'"),
        ("http://farm.lan:8470", {}, "a farm backend needs a device tag (tag=... or farm://host:port/TAG)"),
        ("farm://farm.lan:8470/cpu", {"tag": "gpu"}, "tag 'gpu' differs from the tag of 'farm://farm.lan:8470/cpu'"),
        ("http://[::1", {"tag": "cpu"}, "bad farm URL 'http://[::1': Invalid port: ':1'"),
        ("http://farm.lan:8470", {"tag": "cpu", "max_attempts": 0}, "max_attempts must be an integer >= 1, got 0"),
    ],
)
def test_a_bad_farm_url_or_option_is_a_config_error(url: str, options: dict, message: str) -> None:
    with pytest.raises(FarmConfigError) as raised:
        Farm(url, token="t", **options)
    assert str(raised.value) == message


def test_a_farm_client_without_a_token_says_where_to_put_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with pytest.raises(FarmConfigError) as raised:
        Farm("farm://farm.lan:8470/cpu")
    assert str(raised.value) == "no farm token: pass token=... or set EDGENAS_FARM_TOKEN"


def test_an_empty_token_file_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    (tmp_path / "token").write_text("\n")
    with pytest.raises(FarmConfigError) as raised:
        resolve_token(tmp_path)
    assert str(raised.value) == f"{tmp_path / 'token'} is empty; delete it to get a new token"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"quarantine_after": 0}, "quarantine_after must be an integer >= 1, got 0"),
        ({"quarantine_after": 2.5}, "quarantine_after must be an integer >= 1, got 2.5"),
        ({"health_interval_s": -1.0}, "health_interval_s must be a finite number of seconds >= 0, got -1.0"),
        ({"health_interval_s": math.nan}, "health_interval_s must be a finite number of seconds >= 0, got nan"),
    ],
)
def test_bad_scheduler_options_are_config_errors(tmp_path: Path, options: dict, message: str) -> None:
    jobs = JobStore(tmp_path / "jobs.sqlite")
    try:
        with pytest.raises(FarmConfigError) as raised:
            Scheduler(jobs, ModelStore(tmp_path / "models"), [], **options)
    finally:
        jobs.close()
    assert str(raised.value) == message
