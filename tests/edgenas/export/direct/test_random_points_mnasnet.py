"""50 seeded random mnasnet points: the direct files are the converters' graphs (long form; see `_random_points`)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import _random_points  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.long, pytest.mark.heavy]


def test_random_points_match_the_converter() -> None:
    _random_points.check_random_points("mnasnet")
