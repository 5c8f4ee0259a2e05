"""Tests of devices/farm/address.py: ``farm://host:port/tag``."""

from __future__ import annotations

import pytest

from devices.farm.address import FarmAddress
from devices.farm.errors import FarmConfigError


@pytest.mark.parametrize(
    ("text", "base_url", "tag"),
    [
        ("farm://127.0.0.1:8470/cpu", "http://127.0.0.1:8470", "cpu"),
        ("farm://farm.lan/soc=sd865", "http://farm.lan", "soc=sd865"),
        ("farm+https://farm.example.com:443/pixel-7", "https://farm.example.com:443", "pixel-7"),
        ("farm://[::1]:8470/x86", "http://[::1]:8470", "x86"),
    ],
)
def test_a_farm_address_gives_the_url_and_the_tag(text: str, base_url: str, tag: str) -> None:
    address = FarmAddress.parse(text)
    assert (address.base_url, address.tag) == (base_url, tag)
    assert FarmAddress.parse(str(address)) == address


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("http://127.0.0.1:8470/cpu", "not a farm address"),
        ("farm://127.0.0.1:8470", "exactly one device tag"),
        ("farm://127.0.0.1:8470/", "exactly one device tag"),
        ("farm://127.0.0.1:8470/a/b", "exactly one device tag"),
        ("farm://127.0.0.1:8470/cpu?x=1", "exactly one device tag"),
        ("farm://:8470/cpu", "no host"),
        ("farm://host:port/cpu", "bad port"),
        ("local", "not a farm address"),
    ],
)
def test_a_bad_farm_address_says_what_is_expected(text: str, problem: str) -> None:
    with pytest.raises(FarmConfigError, match=problem) as raised:
        FarmAddress.parse(text)
    assert "farm://HOST:PORT/TAG" in str(raised.value)
    assert isinstance(raised.value, ValueError)  # what callers caught before
