"""8 seeded random spinenet_v2 points: the direct .tflite files are the converter's graphs.

The long form; see `_random_points` (each point at 256x256 with 91 classes, the SpineNet detector family's
deployment; .tflite only: the family's direct writer makes no .onnx files). 8, not the chain spaces' 50: a
ResNet-style point has about 25 M parameters, and its two conversions take about 60 s, and the three SpineNet
spaces' 150 points would cost CI about 100 CPU-minutes, more than its 90-minute run leaves. The spaces share one
writer (`edgenas.graphs.spinenet`); the hand-made networks of `test_matches_converter` cover each of its ops and
options. The points are checked in `PARTS` tests.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import _random_points  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.long, pytest.mark.heavy]

POINTS = 8
PARTS = 2


@pytest.mark.parametrize("part", range(PARTS))
def test_random_points_match_the_converter(part: int) -> None:
    _random_points.check_random_points("spinenet_v2", points=POINTS, part=part, parts=PARTS)
