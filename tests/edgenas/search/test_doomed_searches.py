"""Searches that no candidate can pass are refused before any trial; one that finishes none is an error.

Candidates are evaluated by an in-process stand-in of the worker pool (`_search_fakes`).
"""

import os
import sys

import pytest

import edgenas
from edgenas.errors import EdgenasError
from edgenas.search import loop
from edgenas.store import TrialStatus, TrialStore

sys.path.insert(0, os.path.dirname(__file__))
import _search_fakes as fakes  # noqa: E402


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"precision": "fp16"}, "cannot export any candidate of space 'mnasnet': unknown precision 'fp16'; known: "
                                "fp32, int8"),  # fmt: skip
        ({"num_classes": 0}, "cannot export any candidate of space 'mnasnet': num_classes must be positive, got 0"),
        ({"input_shape": (64, 0, 3)}, "cannot export any candidate of space 'mnasnet': input_shape must be three "
                                      "positive integers, got (64, 0, 3)"),  # fmt: skip
    ],
)
def test_settings_that_fail_every_export_are_refused_before_the_store_is_created(
    tmp_path, monkeypatch, setting, message
):
    pool = fakes.install(monkeypatch, fakes.exported)
    with pytest.raises(EdgenasError) as info:
        fakes.search(tmp_path, 2, **setting)
    assert str(info.value) == message
    assert pool.evaluated == []
    assert not (tmp_path / "study.sqlite").exists()


@pytest.mark.parametrize(
    ("setting", "message"),
    [({"seed": -1}, "seed must be >= 0, got -1"), ({"tasks_per_worker": 0}, "tasks_per_worker must be at least 1, got 0")],
)
def test_a_bad_seed_or_worker_count_is_refused_before_the_store_is_created(tmp_path, setting, message):
    with pytest.raises(ValueError) as info:
        fakes.search(tmp_path, 2, **setting)
    assert str(info.value) == message
    assert not (tmp_path / "study.sqlite").exists()


def test_an_input_smaller_than_the_networks_stride_is_refused_before_the_store_is_created(tmp_path, monkeypatch):
    """`export`'s own check of a spec and its input (the one `edgenas export --input-size 7` stops at)."""
    pool = fakes.install(monkeypatch, fakes.exported)
    with pytest.raises(EdgenasError) as info:
        fakes.search(tmp_path, 2, input_shape=(7, 7, 3))
    assert str(info.value) == (
        "input shape [7, 7, 3] does not fit space 'mnasnet': input 7x7 is smaller than the network's total stride 32"
    )
    assert pool.evaluated == []
    assert not (tmp_path / "study.sqlite").exists()


def test_a_refused_search_leaves_an_existing_store_unchanged(tmp_path, monkeypatch):
    fakes.install(monkeypatch, fakes.exported)
    fakes.search(tmp_path, 1)
    before = (tmp_path / "study.sqlite").read_bytes()
    with pytest.raises(EdgenasError, match="unknown precision"):
        fakes.search(tmp_path, 2, resume=True, precision="fp16")
    assert (tmp_path / "study.sqlite").read_bytes() == before


def test_a_search_whose_trials_all_fail_raises_and_keeps_the_failed_trials(tmp_path, monkeypatch):
    pool = fakes.install(monkeypatch, fakes.failing("the converter gave up\nat line 3"))
    with pytest.raises(loop.NoFinishedTrialError) as info:
        fakes.search(tmp_path, 3)
    assert len(pool.evaluated) == 3
    assert str(info.value) == (
        f"0 of 3 trials of study 'default' finished; the last failure, trial #2: ExportError: the converter "
        f"gave up (the failed trials are kept in {tmp_path / 'study.sqlite'})"
    )
    assert isinstance(info.value, EdgenasError) and edgenas.NoFinishedTrialError is loop.NoFinishedTrialError
    assert [t.status for t in info.value.result.trials] == [TrialStatus.FAILED] * 3
    with TrialStore(tmp_path / "study.sqlite") as store:
        assert [t.error for t in store.trials("default")] == ["ExportError: the converter gave up"] * 3


def test_a_candidate_that_fails_is_recorded_and_the_search_goes_on(tmp_path, monkeypatch):
    outcomes = iter([fakes.failing("no")] + [fakes.exported] * 2)
    fakes.install(monkeypatch, lambda job: next(outcomes)(job))
    result = fakes.search(tmp_path, 3)
    assert [t.status for t in result.trials] == [TrialStatus.FAILED, TrialStatus.DONE, TrialStatus.DONE]
    assert result.best().index in (1, 2)
