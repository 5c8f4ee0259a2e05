"""The errors of augmentation policies: an invalid policy, and a policy text or file that cannot be read strictly."""

from __future__ import annotations

from edgenas.errors import EdgenasError

__all__ = ["PolicyError", "PolicyParseError"]


class PolicyError(EdgenasError, ValueError):
    """An augmentation policy is invalid (an unknown op, a magnitude or probability out of range, ...)."""


class PolicyParseError(PolicyError):
    """A policy's JSON text or file could not be parsed strictly (malformed, another version or task, ...)."""
