"""50 seeded random mnasnet points: the direct files are the converters' graphs (long form; see `_random_points`).

Not marked `heavy`: the largest of the 50 (9.1 M parameters) peaks at 2.9 GB converting to .tflite and .onnx, so
these run beside the other long forms (in `make test-all`'s second pytest), not alone in its third.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import _random_points  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.long]


def test_random_points_match_the_converter() -> None:
    _random_points.check_random_points("mnasnet")
