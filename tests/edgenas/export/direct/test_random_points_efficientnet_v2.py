"""50 seeded random efficientnet_v2 points: the direct files are the converters' graphs.

The long form; see `_random_points`. The points are checked in `PARTS` tests: all 50 in one test took 1,128 s in
CI beside another worker and about 25 minutes beside other work, close to the 30 minutes pytest allows one test.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import _random_points  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.long, pytest.mark.heavy]

PARTS = 2


@pytest.mark.parametrize("part", range(PARTS))
def test_random_points_match_the_converter(part: int) -> None:
    _random_points.check_random_points("efficientnet_v2", part=part, parts=PARTS)
