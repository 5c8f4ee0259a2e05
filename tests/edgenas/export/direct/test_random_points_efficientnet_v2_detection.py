"""4 seeded random points of efficientnet_v2's detection form (chain detectors): the direct .tflite files are the
converter's graphs.

The long form; see `_random_points` (each point at 320x320 with 91 classes, the chain detector family's
deployment; .tflite only: the family's direct writer makes no .onnx files). 4, not the chain classifiers' 50:
every point of the space's detection form has the same FPN and head (the mobile recipe,
`default_chain_detector`), so what varies is the backbone, which the classifier's 50 points cover op for op;
and the heavy tests run one at a time at the end of `make test-all`, whose random points already took 53 of CI's
76 minutes (2026-12-07). The 4 points' conversions took 100 s (25 s a point, fp32 and int8) here. The hand-made
detectors of `test_matches_converter` cover every op and option of the FPN writer (`edgenas.graphs.fpn`).
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import _random_points  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.long, pytest.mark.heavy]

POINTS = 4


def test_random_points_match_the_converter() -> None:
    _random_points.check_random_points("efficientnet_v2", task="detection", points=POINTS)
