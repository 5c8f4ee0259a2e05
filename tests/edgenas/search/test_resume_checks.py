"""A resumed study must be measured as it was: the same device, precision, input, classes and export recipe.

Candidates are evaluated by an in-process stand-in of the worker pool (`_search_fakes`).
"""

import os
import sys

import pytest

from edgenas.export import store as artifact_store
from edgenas.store import StudyMismatchError, TrialStatus, TrialStore

sys.path.insert(0, os.path.dirname(__file__))
import _search_fakes as fakes  # noqa: E402


@pytest.mark.parametrize(
    ("change", "field", "detail"),
    [
        ({"latency": fakes.FakeDevice("phone")}, "device", "device: stored 'board:litert:1t:fp32', given "
                                                          "'phone:litert:1t:fp32'"),  # fmt: skip
        ({"precision": "int8"}, "device", "device: stored 'board:litert:1t:fp32', given 'board:litert:1t:int8'"),
        ({"threads": 2}, "device", "device: stored 'board:litert:1t:fp32', given 'board:litert:2t:fp32'"),
        ({"input_shape": (96, 96, 3)}, "input_shape", "input_shape: stored (64, 64, 3), given (96, 96, 3)"),
        ({"num_classes": 20}, "num_classes", "num_classes: stored 10, given 20"),
    ],
)
def test_resume_measured_otherwise_is_refused_before_any_trial(tmp_path, monkeypatch, change, field, detail):
    pool = fakes.install(monkeypatch)
    first = fakes.search(tmp_path, 2)
    with pytest.raises(StudyMismatchError) as info:
        fakes.search(tmp_path, 4, resume=True, **change)
    assert info.value.fields == (field,)
    assert f"cannot resume study 'default' in {str(tmp_path / 'study.sqlite')!r}: it was created with another " \
           f"search setup ({detail})" in str(info.value)  # fmt: skip
    assert len(pool.evaluated) == 2
    with TrialStore(tmp_path / "study.sqlite") as store:
        assert store.trials("default") == list(first.trials)


def test_resume_with_the_same_setup_continues(tmp_path, monkeypatch):
    pool = fakes.install(monkeypatch)
    fakes.search(tmp_path, 2)
    resumed = fakes.search(tmp_path, 3, resume=True, latency=fakes.FakeDevice("board"))
    assert [t.index for t in resumed.done] == [0, 1, 2] and len(pool.evaluated) == 3
    with TrialStore(tmp_path / "study.sqlite") as store:
        study = store.study("default")
    assert (study.device, study.input_shape, study.num_classes) == ("board:litert:1t:fp32", (64, 64, 3), 10)
    assert study.export_recipe == artifact_store.RECIPE_VERSION


def test_resume_after_the_export_recipe_changed_names_the_stale_trials(tmp_path, monkeypatch):
    outcomes = iter([fakes.exported, fakes.failing("no"), fakes.exported])
    pool = fakes.install(monkeypatch, lambda job: next(outcomes)(job))
    first = fakes.search(tmp_path, 3)
    assert [t.status for t in first.trials] == [TrialStatus.DONE, TrialStatus.FAILED, TrialStatus.DONE]
    recipe = artifact_store.RECIPE_VERSION
    monkeypatch.setattr(artifact_store, "RECIPE_VERSION", recipe + 1)
    with pytest.raises(StudyMismatchError) as info:
        fakes.search(tmp_path, 5, resume=True)
    assert info.value.fields == ("export_recipe",)
    assert (
        f"export_recipe: stored {recipe}, given {recipe + 1}; its 2 done trials (#0, #2) were exported with "
        f"recipe {recipe} and are stale"
    ) in str(info.value)
    assert len(pool.evaluated) == 3
