"""`TrainingStore`: a real SQLite file; resumable, and refusing files it did not write."""

import sqlite3

import pytest

from edgenas.proxy import ProxyConfigError, ProxyTask
from edgenas.proxy.check import TrainingStore, task_key


def test_a_training_survives_reopening(tmp_path):
    path = tmp_path / "deep" / "trainings.sqlite"
    task = ProxyTask(steps=7, seed=2)
    with TrainingStore(path) as store:
        assert store.get("spec-a", task) is None
        store.put("spec-a", task, score=0.75, seconds=12.5)
    with TrainingStore(path) as store:
        found = store.get("spec-a", task)
        assert (found.score, found.seconds) == (0.75, 12.5)
        assert store.get("spec-a", ProxyTask(steps=7, seed=3)) is None  # another seed is another training
        assert store.get("spec-b", task) is None
        assert store.count() == 1


def test_the_task_key_names_every_field_and_tells_tasks_apart():
    key = task_key(ProxyTask())
    assert key.startswith("ProxyTask(") and "steps=300" in key and "dataset='scenes'" in key
    assert task_key(ProxyTask(width_multiplier=1.0)) != key
    assert task_key(ProxyTask()) == key
    with pytest.raises(ProxyConfigError, match="dataclass"):
        task_key({"steps": 100})


def test_a_score_outside_zero_one_is_refused(tmp_path):
    with TrainingStore(tmp_path / "t.sqlite") as store, pytest.raises(ProxyConfigError, match=r"\[0, 1\]"):
        store.put("spec", ProxyTask(), score=1.5, seconds=1.0)


def test_files_that_are_not_a_training_store_are_refused_untouched(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database at all, but long enough to have a header ............................")
    before = text.read_bytes()
    with pytest.raises(ProxyConfigError, match="not a proxy check store"):
        TrainingStore(text)
    assert text.read_bytes() == before
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE trials (x)")
    with pytest.raises(ProxyConfigError, match="not a proxy check store"):
        TrainingStore(other)
    with pytest.raises(ProxyConfigError, match="folder"):
        TrainingStore(tmp_path)
