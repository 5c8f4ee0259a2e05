"""The exceptions of the trial store."""

from __future__ import annotations

from edgenas.errors import EdgenasError

__all__ = [
    "InvalidRecordError",
    "NotAStoreError",
    "SchemaVersionError",
    "StoreError",
    "StoreOpenError",
    "StudyExistsError",
    "StudyMismatchError",
    "TrialStateError",
    "UnknownStudyError",
]


class StoreError(EdgenasError):
    """Base class of the trial store's errors."""


class StoreOpenError(StoreError):
    """The store file cannot be opened (a folder, no permission, ...); nothing was written."""


class NotAStoreError(StoreOpenError):
    """The file exists but is not an edgenas trial store; nothing was written."""


class SchemaVersionError(StoreOpenError):
    """The file is an edgenas trial store of a newer schema version; nothing was written.

    Attributes:
        found: The schema version written in the file.
        supported: The schema version this edgenas reads.
    """

    def __init__(self, message: str, *, found: int, supported: int) -> None:
        super().__init__(message)
        self.found = found
        self.supported = supported


class InvalidRecordError(StoreError, ValueError):
    """A study or trial field has a wrong type or value; nothing was written."""


class UnknownStudyError(StoreError, LookupError):
    """The store holds no study of that name; the message lists the studies it holds."""

    def __str__(self) -> str:  # LookupError would otherwise quote the message.
        return str(self.args[0]) if self.args else ""


class StudyExistsError(StoreError):
    """A new study was requested under a name the store already holds (resume was not asked for).

    Attributes:
        study_name: The study's name.
    """

    def __init__(self, message: str, *, study_name: str) -> None:
        super().__init__(message)
        self.study_name = study_name


class StudyMismatchError(StoreError):
    """A study was resumed with a search setup other than the one it was created with.

    Attributes:
        study_name: The study's name.
        fields: The names of the differing `Study` fields, in field order.
    """

    def __init__(self, message: str, *, study_name: str, fields: tuple[str, ...]) -> None:
        super().__init__(message)
        self.study_name = study_name
        self.fields = fields


class TrialStateError(StoreError):
    """A trial write does not fit the trial's stored state.

    For example: starting an index the study already holds, or finishing a trial
    that is not running (already finished, or discarded as interrupted).
    """
