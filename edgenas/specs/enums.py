"""Closed vocabularies of the architecture specs."""

from __future__ import annotations

import enum
from typing import TypeVar

from edgenas.errors import SpecError

__all__ = ["Activation", "BlockFn", "coerce_enum"]


class BlockFn(enum.StrEnum):
    """The building block a stage of a chain network repeats."""

    CONV = "conv"
    """A plain k x k convolution, BatchNorm and activation; no skip connection."""
    MBCONV = "mbconv"
    """Inverted residual: 1x1 expansion (skipped when the ratio is 1), depthwise
    k x k, optional squeeze-and-excitation, linear 1x1 projection, identity skip
    when stride is 1 and input and output filters agree."""
    FUSED_MBCONV = "fused_mbconv"
    """Fused inverted residual (EfficientNetV2): the 1x1 expansion and the depthwise
    k x k fused into one full k x k convolution that carries the stride, optional
    squeeze-and-excitation, linear 1x1 projection; with ratio 1, one k x k
    convolution with BatchNorm and activation (SE, if any, gates its input).
    Identity skip when stride is 1 and input and output filters agree."""


class Activation(enum.StrEnum):
    """A non-linearity: a network's (stem, head, blocks), or one block's that differs from it."""

    RELU = "relu"
    RELU6 = "relu6"
    SWISH = "swish"
    HARD_SWISH = "hard_swish"


_E = TypeVar("_E", bound=enum.StrEnum)


def coerce_enum(kind: type[_E], value: object, *, field: str, error: type[Exception] = SpecError) -> _E:
    """Turns a string (or a member) into a member of `kind`.

    Args:
        kind: The enum class.
        value: A member of `kind` or its string value.
        field: The field name, for the error message.
        error: The exception type raised for a value that names no member (the caller's error family).

    Returns:
        The enum member.

    Raises:
        SpecError: If `value` names no member (or `error`, when given); the message lists the known ones.
    """
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    known = ", ".join(member.value for member in kind)
    raise error(f"unknown {field} {value!r}; known: {known}")
