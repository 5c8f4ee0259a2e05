"""Opening store files: creating, reopening, and refusing foreign files untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edgenas.store import (
    SCHEMA_VERSION,
    NotAStoreError,
    SchemaVersionError,
    StoreError,
    StoreOpenError,
    TrialStore,
)


def _side_files(path: Path) -> list[Path]:
    return [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")) if p.exists()]


def test_new_file_is_created_with_its_folder_in_wal_mode_with_a_schema_version(db_path: Path) -> None:
    assert not db_path.parent.exists()
    TrialStore(db_path).close()

    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT application, version FROM edgenas_schema").fetchall() == [
            ("edgenas.trial_store", SCHEMA_VERSION)
        ]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables == {"edgenas_schema", "studies", "trials"}
    finally:
        conn.close()


def test_reopening_keeps_the_data(db_path: Path, make_study) -> None:
    with TrialStore(db_path) as store:
        store.create_or_open_study(make_study("a"), resume=False)
    with TrialStore(db_path) as store:
        assert [s.name for s in store.studies()] == ["a"]
        assert store.path == db_path


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    content = b"these are my notes, not a database\n" * 200
    path.write_bytes(content)

    with pytest.raises(NotAStoreError, match="not an edgenas trial store.*not an SQLite database"):
        TrialStore(path)

    assert path.read_bytes() == content
    assert _side_files(path) == []


def test_another_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.execute("INSERT INTO users VALUES ('ada')")
    conn.commit()
    conn.close()
    content = path.read_bytes()

    with pytest.raises(NotAStoreError, match=r"SQLite database but not an edgenas trial store \(its tables: users\)"):
        TrialStore(path)

    assert path.read_bytes() == content
    assert _side_files(path) == []


def test_a_store_of_another_schema_version_is_refused_untouched(db_path: Path, make_study) -> None:
    with TrialStore(db_path) as store:
        store.create_or_open_study(make_study(), resume=False)
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE edgenas_schema SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    content = db_path.read_bytes()

    expected = f"schema version {SCHEMA_VERSION + 1}.*reads version {SCHEMA_VERSION}"
    with pytest.raises(SchemaVersionError, match=expected) as info:
        TrialStore(db_path)

    assert (info.value.found, info.value.supported) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    assert isinstance(info.value, StoreError)
    assert db_path.read_bytes() == content


def test_a_folder_is_not_a_store_file(tmp_path: Path) -> None:
    with pytest.raises(StoreOpenError, match="is a folder"):
        TrialStore(tmp_path)


def test_an_empty_file_becomes_a_new_store(tmp_path: Path, make_study) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with TrialStore(path) as store:
        assert store.create_or_open_study(make_study(), resume=False).name == "pi4"


def test_two_stores_on_one_file_see_each_others_commits(db_path: Path, make_study, spec_text) -> None:
    with TrialStore(db_path) as writer, TrialStore(db_path) as reader:
        writer.create_or_open_study(make_study(), resume=False)
        writer.start_trial("pi4", index=0, dna=(0,), spec=spec_text)
        assert [t.index for t in reader.trials("pi4")] == [0]
