"""The SQLite schema of a trial store, and opening a file safely (private).

A store file holds a one-row ``edgenas_schema`` table (application name and
schema version), a ``studies`` table and a ``trials`` table. Opening checks the
file before it writes anything: a file that is not SQLite, an SQLite database
of something else, or a store of a newer schema version is refused untouched.
A store of an older schema version is upgraded in place, in one transaction,
by the `_UPGRADES` from its version on; what it holds is kept.

Versions: 1, the first; 2, studies record their deployed input shape, class
count and export recipe (NULL in a study upgraded from 1: not recorded); 3,
studies record how many proxy trainings score a candidate (1 in a study
upgraded from 2, the only number an older edgenas ran) and trials each
training's score (NULL where not recorded).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edgenas.store.errors import NotAStoreError, SchemaVersionError, StoreOpenError

__all__ = ["APPLICATION", "SCHEMA_VERSION", "connect"]

APPLICATION = "edgenas.trial_store"
SCHEMA_VERSION = 4

_DDL = (
    """CREATE TABLE edgenas_schema (
        application TEXT NOT NULL,
        version INTEGER NOT NULL
    )""",
    """CREATE TABLE studies (
        name TEXT PRIMARY KEY,
        space TEXT NOT NULL,
        space_options TEXT NOT NULL,
        space_fingerprint TEXT NOT NULL,
        reward TEXT NOT NULL,
        algorithm TEXT NOT NULL,
        seed INTEGER NOT NULL,
        device TEXT NOT NULL,
        created_at TEXT NOT NULL,
        input_shape TEXT,
        num_classes INTEGER,
        export_recipe INTEGER,
        proxy_seeds INTEGER NOT NULL DEFAULT 1,
        halving TEXT,
        screening TEXT
    )""",
    # latency_ms repeats latency's median so that ad-hoc SQL can read it.
    """CREATE TABLE trials (
        study TEXT NOT NULL REFERENCES studies(name),
        idx INTEGER NOT NULL CHECK (idx >= 0),
        dna TEXT NOT NULL,
        spec TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
        accuracy REAL,
        proxy_scores TEXT,
        rungs TEXT,
        stopped_early INTEGER NOT NULL DEFAULT 0 CHECK (stopped_early IN (0, 1)),
        latency_ms REAL,
        latency TEXT,
        reward REAL,
        objectives TEXT,
        artifacts TEXT NOT NULL,
        proxy_train_s REAL,
        export_s REAL,
        profile_s REAL,
        total_s REAL,
        error TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        PRIMARY KEY (study, idx)
    )""",
)
_TABLES = frozenset({"edgenas_schema", "studies", "trials"})

_UPGRADES: dict[int, tuple[str, ...]] = {
    1: (
        "ALTER TABLE studies ADD COLUMN input_shape TEXT",
        "ALTER TABLE studies ADD COLUMN num_classes INTEGER",
        "ALTER TABLE studies ADD COLUMN export_recipe INTEGER",
    ),
    2: (
        "ALTER TABLE studies ADD COLUMN proxy_seeds INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE trials ADD COLUMN proxy_scores TEXT",
    ),
    3: (
        "ALTER TABLE studies ADD COLUMN halving TEXT",
        "ALTER TABLE studies ADD COLUMN screening TEXT",
        "ALTER TABLE trials ADD COLUMN rungs TEXT",
        "ALTER TABLE trials ADD COLUMN stopped_early INTEGER NOT NULL DEFAULT 0 CHECK (stopped_early IN (0, 1))",
    ),
}
"""The statements that take a store of version N to N + 1, by N."""


def _table_names(conn: sqlite3.Connection, path: Path) -> set[str]:
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    except sqlite3.DatabaseError as error:  # "file is not a database", encrypted, truncated
        raise NotAStoreError(
            f"{str(path)!r} is not an edgenas trial store (not an SQLite database: {error})"
        ) from None
    return {row[0] for row in rows}


def _check_existing(conn: sqlite3.Connection, path: Path, tables: set[str]) -> int:
    """Checks a store's schema table and tables; returns its version (`SCHEMA_VERSION` or one to upgrade)."""
    if "edgenas_schema" not in tables:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise NotAStoreError(
            f"{str(path)!r} is an SQLite database but not an edgenas trial store (its tables: {shown}); "
            "choose another --db file"
        )
    try:
        rows = conn.execute("SELECT application, version FROM edgenas_schema").fetchall()
    except sqlite3.DatabaseError as error:
        raise NotAStoreError(f"{str(path)!r} has an unreadable edgenas_schema table: {error}") from None
    if len(rows) != 1 or rows[0][0] != APPLICATION or not isinstance(rows[0][1], int):
        raise NotAStoreError(f"{str(path)!r} has an edgenas_schema table that edgenas did not write: {rows[:3]!r}")
    version = rows[0][1]
    if version != SCHEMA_VERSION and version not in _UPGRADES:
        raise SchemaVersionError(
            f"{str(path)!r} is an edgenas trial store of schema version {version}; "
            f"this edgenas reads version {SCHEMA_VERSION} and upgrades older ones from version {min(_UPGRADES)} "
            "(use the edgenas release that wrote it)",
            found=version,
            supported=SCHEMA_VERSION,
        )
    missing = _TABLES - tables
    if missing:
        raise NotAStoreError(f"{str(path)!r} is an incomplete edgenas trial store: no table {sorted(missing)}")
    return version


def _upgrade(conn: sqlite3.Connection) -> None:
    """Takes the store to `SCHEMA_VERSION`, in one transaction (another process may have done it first)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        (version,) = conn.execute("SELECT version FROM edgenas_schema").fetchone()
        for step in range(version, SCHEMA_VERSION):
            for statement in _UPGRADES[step]:
                conn.execute(statement)
        conn.execute("UPDATE edgenas_schema SET version = ?", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _initialise(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        tables = _table_names(conn, path)
        if tables:  # another process initialised it between our check and our lock
            conn.execute("ROLLBACK")
            _check_existing(conn, path, tables)
            return
        for statement in _DDL:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO edgenas_schema (application, version) VALUES (?, ?)", (APPLICATION, SCHEMA_VERSION)
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def connect(path: Path, *, timeout_s: float) -> sqlite3.Connection:
    """Opens (creating if missing) the store at `path` and checks its schema.

    Args:
        path: The store file.
        timeout_s: How long a write waits for another process's lock.

    Returns:
        A connection in autocommit mode (transactions are explicit), WAL journal,
        full synchronous writes, foreign keys on.

    Raises:
        StoreOpenError: If the file cannot be opened.
        NotAStoreError: If it is not an edgenas trial store (nothing written).
        SchemaVersionError: If it is a store of a newer schema version (nothing written).
    """
    if path.is_dir():
        raise StoreOpenError(f"{str(path)!r} is a folder, not a trial store file")
    existed = path.exists()
    if not existed:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreOpenError(f"cannot create the folder of {str(path)!r}: {error.strerror or error}") from None
    try:
        conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise StoreOpenError(f"cannot open {str(path)!r}: {error}") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        tables = _table_names(conn, path)
        version = _check_existing(conn, path, tables) if tables else None  # before any write
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        if not tables:
            _initialise(conn, path)
        elif version != SCHEMA_VERSION:
            _upgrade(conn)
    except sqlite3.Error as error:
        conn.close()
        raise StoreOpenError(f"cannot open {str(path)!r}: {error}") from None
    except BaseException:
        conn.close()
        raise
    return conn
