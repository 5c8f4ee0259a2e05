"""`TrainingStore`: the SQLite file of a proxy check's finished trainings, so that a check resumes.

One row per training, keyed by the architecture's spec string and the task it
trained on (`task_key`: every field of the task, seed and steps included), written
in its own transaction as soon as the training ends: a check killed at any moment
keeps every training that had ended, and a second run trains only what is missing.
A file that is not SQLite, or an SQLite database of something else, is refused
untouched.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from edgenas.proxy.errors import ProxyConfigError

__all__ = ["APPLICATION", "StoredTraining", "TrainingStore", "task_key"]

APPLICATION = "edgenas.proxy_check"
_VERSION = 1
_DDL = (
    "CREATE TABLE edgenas_schema (application TEXT NOT NULL, version INTEGER NOT NULL)",
    """CREATE TABLE trainings (
        spec TEXT NOT NULL,
        task TEXT NOT NULL,
        score REAL NOT NULL CHECK (score >= 0 AND score <= 1),
        seconds REAL NOT NULL CHECK (seconds >= 0),
        finished_at REAL NOT NULL,
        PRIMARY KEY (spec, task)
    )""",
)


def _field_text(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if isinstance(value, (int, float, str, bool)) or value is None:
        return repr(value)
    return repr(str(value))  # a dataset source, a path


def task_key(task: Any) -> str:
    """The task's type and every field, as one stable string: `ProxyTask(batch_size=64, ..., steps=100)`."""
    if not dataclasses.is_dataclass(task) or isinstance(task, type):
        raise ProxyConfigError(f"a proxy task is a dataclass instance, got {type(task).__name__}")
    fields = sorted(dataclasses.fields(task), key=lambda field: field.name)
    return f"{type(task).__name__}({', '.join(f'{f.name}={_field_text(getattr(task, f.name))}' for f in fields)})"


@dataclasses.dataclass(frozen=True)
class StoredTraining:
    """One finished training.

    Attributes:
        spec: The architecture's spec string.
        task: `task_key` of the task it trained on.
        score: Its held-out score in [0, 1].
        seconds: Wall seconds of the training (build, tracing and scoring included).
    """

    spec: str
    task: str
    score: float
    seconds: float


class TrainingStore:
    """The trainings of proxy checks, in one SQLite file (created with its folder when missing).

    Raises (from the constructor):
        ProxyConfigError: If the path is a folder, cannot be opened, or holds something other than a training store.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout_s: float = 30.0) -> None:
        self._path = Path(path)
        if self._path.is_dir():
            raise ProxyConfigError(f"{str(self._path)!r} is a folder, not a proxy check store file")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self._path, timeout=timeout_s, isolation_level=None,
                                         check_same_thread=False)  # fmt: skip
        except (OSError, sqlite3.Error) as error:
            raise ProxyConfigError(f"cannot open {str(self._path)!r}: {error}") from None
        try:
            self._open()
        except BaseException:
            self._conn.close()
            raise

    def _open(self) -> None:
        try:
            tables = {row[0] for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as error:
            raise ProxyConfigError(f"{str(self._path)!r} is not a proxy check store (not SQLite: {error})") from None
        if tables:
            self._check(tables)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        if not tables:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                if not {row[0] for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}:
                    for statement in _DDL:
                        self._conn.execute(statement)
                    self._conn.execute("INSERT INTO edgenas_schema VALUES (?, ?)", (APPLICATION, _VERSION))
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def _check(self, tables: set[str]) -> None:
        rows: list[Any] = []
        if "edgenas_schema" in tables:
            rows = self._conn.execute("SELECT application, version FROM edgenas_schema").fetchall()
        if rows != [(APPLICATION, _VERSION)] or "trainings" not in tables:
            shown = ", ".join(sorted(tables)[:5])
            raise ProxyConfigError(f"{str(self._path)!r} is an SQLite database but not a proxy check store "
                                   f"(tables: {shown}; schema: {rows[:2]!r}); choose another file")  # fmt: skip

    @property
    def path(self) -> Path:
        """The store file."""
        return self._path

    def close(self) -> None:
        """Closes the file."""
        self._conn.close()

    def __enter__(self) -> TrainingStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(self, spec: str, task: Any) -> StoredTraining | None:
        """The finished training of `spec` on `task`, or None."""
        key = task_key(task)
        row = self._conn.execute("SELECT score, seconds FROM trainings WHERE spec = ? AND task = ?",
                                 (spec, key)).fetchone()  # fmt: skip
        return None if row is None else StoredTraining(spec=spec, task=key, score=row[0], seconds=row[1])

    def put(self, spec: str, task: Any, *, score: float, seconds: float) -> StoredTraining:
        """Records a finished training (a second record of the same training replaces the first)."""
        key = task_key(task)
        if not 0.0 <= score <= 1.0:
            raise ProxyConfigError(f"a training's score must be in [0, 1], got {score!r}")
        self._conn.execute("INSERT OR REPLACE INTO trainings VALUES (?, ?, ?, ?, ?)",
                           (spec, key, float(score), float(seconds), time.time()))  # fmt: skip
        return StoredTraining(spec=spec, task=key, score=float(score), seconds=float(seconds))

    def count(self) -> int:
        """How many trainings the store holds."""
        return int(self._conn.execute("SELECT COUNT(*) FROM trainings").fetchone()[0])
