"""The exceptions the proxy task raises: a bad task, a bad dataset, a failed training."""

from __future__ import annotations

from edgenas.errors import EdgenasError

__all__ = ["ProxyConfigError", "ProxyDatasetError", "ProxyError", "ProxyTrainingError"]


class ProxyError(EdgenasError):
    """Base class of every error of the proxy task."""


class ProxyConfigError(ProxyError, ValueError):
    """A `ProxyTask` setting is invalid (a negative step count, a fraction outside (0, 1), ...)."""


class ProxyDatasetError(ProxyError, ValueError):
    """A dataset cannot be used: a missing folder, too few classes, an unreadable image, ..."""


class ProxyTrainingError(ProxyError, RuntimeError):
    """Proxy training failed to produce a usable result (for example a non-finite loss)."""
