"""The exceptions edgenas raises: one family, each specific to what went wrong."""

from __future__ import annotations

__all__ = [
    "DuplicateNameError",
    "EdgenasError",
    "ExportError",
    "ModelTooLargeError",
    "SpecError",
    "SpecParseError",
    "UnknownNameError",
]


class EdgenasError(Exception):
    """Base class of every error edgenas raises on purpose."""


class SpecError(EdgenasError, ValueError):
    """An architecture spec is invalid (a stride of 3, a negative filter count, ...)."""


class SpecParseError(SpecError):
    """A compact spec string or a JSON spec could not be parsed strictly."""


class UnknownNameError(EdgenasError, LookupError):
    """A registry was asked for a name it does not hold; the message lists the known names."""

    def __str__(self) -> str:  # LookupError would otherwise quote the message.
        return str(self.args[0]) if self.args else ""


class DuplicateNameError(EdgenasError, ValueError):
    """A registry was asked to register a name it already holds."""


class ExportError(EdgenasError, RuntimeError):
    """Converting a model to TFLite or ONNX, or writing the artifact, failed."""


class ModelTooLargeError(EdgenasError, MemoryError):
    """A network would not fit in memory at the asked input size; refused from its spec, before anything is built."""
