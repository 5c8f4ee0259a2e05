"""The errors of augmentation: an invalid policy, a policy text or file that cannot be read, bad inputs to the ops
or to a preview."""

from __future__ import annotations

from edgenas.errors import EdgenasError

__all__ = ["AugmentInputError", "PolicyError", "PolicyParseError", "PreviewError"]


class PolicyError(EdgenasError, ValueError):
    """An augmentation policy is invalid (an unknown op, a magnitude or probability out of range, ...)."""


class PolicyParseError(PolicyError):
    """A policy's JSON text or file could not be parsed strictly (malformed, another version or task, ...)."""


class AugmentInputError(EdgenasError, ValueError):
    """An image, boxes, mask or seed given to an augmentation op is not what it takes (dtype, rank, shape)."""


class PreviewError(EdgenasError, ValueError):
    """A preview was asked for with values it cannot take (counts, image size, seed, an output path)."""
