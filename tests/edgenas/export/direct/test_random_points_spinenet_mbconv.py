"""50 seeded random spinenet_mbconv points: the direct .tflite files are the converter's graphs.

The long form; see `_random_points` (each point at 256x256 with 91 classes, the SpineNet detector family's
deployment; .tflite only: the family's direct writer makes no .onnx files). A point's two conversions take
30 to 60 s here, so the points are checked in `PARTS` tests, each well within pytest's 30 minutes.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import _random_points  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.long]

PARTS = 3


@pytest.mark.parametrize("part", range(PARTS))
def test_random_points_match_the_converter(part: int) -> None:
    _random_points.check_random_points("spinenet_mbconv", part=part, parts=PARTS)
