"""Stores written by an older edgenas (schema 1, 2 or 3) open, are upgraded in place, and resume safely."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest

from edgenas.store import SCHEMA_VERSION, Study, StudyMismatchError, TrialStatus, TrialStore

# The tables as schema 1 wrote them (edgenas before studies recorded their input, classes and export recipe).
_SCHEMA_1 = (
    "CREATE TABLE edgenas_schema (application TEXT NOT NULL, version INTEGER NOT NULL)",
    """CREATE TABLE studies (name TEXT PRIMARY KEY, space TEXT NOT NULL, space_options TEXT NOT NULL,
        space_fingerprint TEXT NOT NULL, reward TEXT NOT NULL, algorithm TEXT NOT NULL, seed INTEGER NOT NULL,
        device TEXT NOT NULL, created_at TEXT NOT NULL)""",
    """CREATE TABLE trials (study TEXT NOT NULL REFERENCES studies(name), idx INTEGER NOT NULL CHECK (idx >= 0),
        dna TEXT NOT NULL, spec TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
        accuracy REAL, latency_ms REAL, latency TEXT, reward REAL, objectives TEXT, artifacts TEXT NOT NULL,
        proxy_train_s REAL, export_s REAL, profile_s REAL, total_s REAL, error TEXT, started_at TEXT NOT NULL,
        finished_at TEXT, PRIMARY KEY (study, idx))""",
)


# What schema 2 added to schema 1: studies recorded their input, classes and export recipe.
_SCHEMA_2_ADDED = (
    "ALTER TABLE studies ADD COLUMN input_shape TEXT",
    "ALTER TABLE studies ADD COLUMN num_classes INTEGER",
    "ALTER TABLE studies ADD COLUMN export_recipe INTEGER",
)


def _schema_1_store(path: Path, make_study, make_latency, spec_text: str, *, statuses: tuple[str, ...]) -> Study:
    """A schema 1 file holding study 'pi4' (returned) and one trial of each of `statuses`."""
    study = make_study()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    for statement in _SCHEMA_1:
        conn.execute(statement)
    conn.execute("INSERT INTO edgenas_schema VALUES ('edgenas.trial_store', 1)")
    conn.execute(
        "INSERT INTO studies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (study.name, study.space, study.space_options, study.space_fingerprint, study.reward, study.algorithm,
         study.seed, study.device, study.created_at.isoformat()),
    )  # fmt: skip
    for index, status in enumerate(statuses):
        done = status == "done"
        latency = make_latency(3.0 + index)
        conn.execute(
            "INSERT INTO trials VALUES (?, ?, '[1,0]', ?, ?, ?, ?, ?, ?, NULL, '[]', NULL, NULL, NULL, 1.0, ?, "
            "'2026-01-02T03:04:05+00:00', '2026-01-02T03:05:05+00:00')",
            ("pi4", index, spec_text, status, 0.5 if done else None, latency.latency_ms if done else None,
             json.dumps(latency.to_json()) if done else None, 0.4 if done else None, None if done else "boom"),
        )  # fmt: skip
    conn.commit()
    conn.close()
    return study


def _version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT version FROM edgenas_schema").fetchone()[0]
    finally:
        conn.close()


def test_a_schema_1_store_is_upgraded_in_place_and_keeps_its_data(
    db_path: Path, make_study, make_latency, spec_text
) -> None:
    _schema_1_store(db_path, make_study, make_latency, spec_text, statuses=("done", "failed"))

    with TrialStore(db_path) as store:
        study = store.study("pi4")
        trials = store.trials("pi4")

    assert _version(db_path) == SCHEMA_VERSION == 4
    assert study.device == "local:litert:1t:fp32"
    assert (study.input_shape, study.num_classes, study.export_recipe) == (None, None, None)
    assert [t.status for t in trials] == [TrialStatus.DONE, TrialStatus.FAILED]
    assert trials[0].latency == make_latency(3.0) and trials[1].error == "boom"
    with TrialStore(db_path) as store:  # a second open finds the current version
        assert store.study("pi4") == study


def test_a_schema_1_study_without_done_trials_resumes_and_records_what_it_lacked(
    db_path: Path, make_study, make_latency, spec_text
) -> None:
    stored = _schema_1_store(db_path, make_study, make_latency, spec_text, statuses=("failed",))
    given = make_study(seed=99, input_shape=(64, 64, 3), num_classes=10, export_recipe=3)

    with TrialStore(db_path) as store:
        resumed = store.create_or_open_study(given, resume=True)
        assert store.study("pi4") == resumed

    assert (resumed.input_shape, resumed.num_classes, resumed.export_recipe) == ((64, 64, 3), 10, 3)
    assert (resumed.seed, resumed.created_at) == (stored.seed, stored.created_at)


def test_a_schema_1_study_with_done_trials_is_refused_naming_them_and_what_was_not_recorded(
    db_path: Path, make_study, make_latency, spec_text
) -> None:
    _schema_1_store(db_path, make_study, make_latency, spec_text, statuses=("done", "failed", "done"))
    given = make_study(input_shape=(64, 64, 3), num_classes=10, export_recipe=3)

    with TrialStore(db_path) as store:
        with pytest.raises(StudyMismatchError) as info:
            store.create_or_open_study(given, resume=True)
        assert store.study("pi4").input_shape is None

    assert info.value.fields == ("input_shape", "num_classes", "export_recipe")
    assert str(info.value) == (
        f"cannot resume study 'pi4' in {str(db_path)!r}: it was written by an edgenas that did not record its "
        "input_shape, num_classes and export_recipe (trial store schema 1), so its 2 done trials (#0, #2) may "
        "hold models other than this run's (given input_shape (64, 64, 3), num_classes 10, export_recipe 3). "
        "Start a new study name or database"
    )


def _schema_2_store(path: Path, make_study, make_latency, spec_text: str, *, statuses: tuple[str, ...]) -> Study:
    """A schema 2 file: the schema 1 file with what schema 2 added, its study recording all schema 2 fields."""
    _schema_1_store(path, make_study, make_latency, spec_text, statuses=statuses)
    study = make_study(input_shape=(64, 64, 3), num_classes=10, export_recipe=3)
    conn = sqlite3.connect(path)
    for statement in _SCHEMA_2_ADDED:
        conn.execute(statement)
    conn.execute("UPDATE studies SET input_shape = '[64,64,3]', num_classes = 10, export_recipe = 3")
    conn.execute("UPDATE edgenas_schema SET version = 2")
    conn.commit()
    conn.close()
    return study


def test_a_schema_2_store_is_upgraded_to_one_proxy_training_per_candidate_and_no_recorded_scores(
    db_path: Path, make_study, make_latency, spec_text
) -> None:
    written = _schema_2_store(db_path, make_study, make_latency, spec_text, statuses=("done", "failed"))

    with TrialStore(db_path) as store:
        study = store.study("pi4")
        trials = store.trials("pi4")

    assert _version(db_path) == SCHEMA_VERSION
    assert study.proxy_seeds == 1 and study.input_shape == written.input_shape == (64, 64, 3)
    assert [t.proxy_scores for t in trials] == [None, None] and trials[0].accuracy == 0.5


def test_a_schema_2_study_resumed_with_more_proxy_seeds_is_refused(
    db_path: Path, make_study, make_latency, spec_text
) -> None:
    written = _schema_2_store(db_path, make_study, make_latency, spec_text, statuses=("done",))
    with TrialStore(db_path) as store:
        assert store.create_or_open_study(written, resume=True).proxy_seeds == 1  # the same setup resumes
        with pytest.raises(StudyMismatchError, match=r"proxy_seeds: stored 1, given 3") as info:
            store.create_or_open_study(make_study(input_shape=(64, 64, 3), num_classes=10, export_recipe=3,
                                                  proxy_seeds=3), resume=True)  # fmt: skip
    assert info.value.fields == ("proxy_seeds",)


# What schema 3 added to schema 2: the proxy seeds of a study and each trial's scores.
_SCHEMA_3_ADDED = (
    "ALTER TABLE studies ADD COLUMN proxy_seeds INTEGER NOT NULL DEFAULT 1",
    "ALTER TABLE trials ADD COLUMN proxy_scores TEXT",
)


def test_a_schema_3_store_is_upgraded_to_no_halving_and_no_trial_stopped_early(
    db_path: Path, make_study, make_latency, spec_text
) -> None:
    written = _schema_2_store(db_path, make_study, make_latency, spec_text, statuses=("done", "failed"))
    conn = sqlite3.connect(db_path)
    for statement in _SCHEMA_3_ADDED:
        conn.execute(statement)
    conn.execute("UPDATE edgenas_schema SET version = 3")
    conn.commit()
    conn.close()

    with TrialStore(db_path) as store:
        study = store.study("pi4")
        trials = store.trials("pi4")
        assert store.create_or_open_study(written, resume=True).halving is None  # the same setup resumes
        with pytest.raises(StudyMismatchError, match="halving") as info:
            store.create_or_open_study(dataclasses.replace(written, halving='{"eta": 3, "rungs": 3}'), resume=True)

    assert _version(db_path) == SCHEMA_VERSION
    assert study.halving is None and study.screening is None and info.value.fields == ("halving",)
    assert [(t.rungs, t.stopped_early) for t in trials] == [(None, False), (None, False)]
    assert trials[0].complete and not trials[1].complete
