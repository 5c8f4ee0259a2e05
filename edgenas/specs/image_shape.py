"""`image_shape`: the (height, width, channels) of one input image, checked the same way for every spec type."""

from __future__ import annotations

import operator
from collections.abc import Sequence

from edgenas.errors import SpecError

__all__ = ["image_shape"]


def image_shape(input_shape: Sequence[int]) -> tuple[int, int, int]:
    """`input_shape` as three ints.

    Raises:
        SpecError: If it is not three positive integers.
    """
    try:
        shape = tuple(operator.index(v) for v in input_shape)
        shown = tuple(input_shape)
    except TypeError:
        shape, shown = (), input_shape
    if len(shape) != 3 or any(v < 1 for v in shape):
        raise SpecError(f"input_shape must be (height, width, channels), got {shown!r}")
    return shape[0], shape[1], shape[2]
