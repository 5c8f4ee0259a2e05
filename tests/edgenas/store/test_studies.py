"""Creating, resuming and refusing studies."""

from __future__ import annotations

import datetime

import pytest

from edgenas.store import (
    InvalidRecordError,
    Study,
    StudyExistsError,
    StudyMismatchError,
    TrialStore,
    UnknownStudyError,
    canonical_json,
)


def test_a_new_study_is_created_and_read_back_equal(store: TrialStore, make_study) -> None:
    study = make_study()
    assert store.create_or_open_study(study, resume=False) == study
    assert store.study("pi4") == study
    assert store.studies() == [study]


def test_resume_of_a_new_name_creates_it(store: TrialStore, make_study) -> None:
    study = make_study("fresh")
    assert store.create_or_open_study(study, resume=True) == study


def test_an_existing_name_without_resume_suggests_resume(store: TrialStore, make_study, spec_text) -> None:
    store.create_or_open_study(make_study(), resume=False)
    store.start_trial("pi4", index=0, dna=(1,), spec=spec_text)

    with pytest.raises(StudyExistsError, match=r"'pi4' already exists .*1 running.*--resume") as info:
        store.create_or_open_study(make_study(), resume=False)
    assert info.value.study_name == "pi4"


def test_resume_returns_the_stored_study_with_its_seed_and_creation_time(store: TrialStore, make_study) -> None:
    created = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)
    stored = store.create_or_open_study(make_study(created_at=created), resume=False)

    resumed = store.create_or_open_study(make_study(seed=99), resume=True)

    assert resumed == stored
    assert (resumed.seed, resumed.created_at) == (7, created)


def test_resume_with_another_space_and_reward_names_both_fields_and_writes_nothing(
    store: TrialStore, make_study
) -> None:
    stored = store.create_or_open_study(make_study(), resume=False)

    other = make_study(space="spinenet", reward='{"kind": "pareto"}')
    with pytest.raises(StudyMismatchError) as info:
        store.create_or_open_study(other, resume=True)

    assert info.value.fields == ("space", "reward")
    assert info.value.study_name == "pi4"
    message = str(info.value)
    assert "space: stored 'mnasnet', given 'spinenet'" in message
    assert "reward: stored" in message and '{"kind":"pareto"}' in message
    assert "space_fingerprint" not in message
    assert store.study("pi4") == stored


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("space_options", '{"reference": "mnasnet_b1"}'),
        ("space_fingerprint", "ffffffffffffffffffffffff"),
        ("algorithm", "random"),
        ("device", "pixel7:litert:1t:fp32"),
        ("input_shape", (96, 96, 3)),
        ("num_classes", 20),
        ("export_recipe", 4),
    ],
)
def test_each_checked_field_is_caught_on_resume(store: TrialStore, make_study, field: str, value: object) -> None:
    store.create_or_open_study(make_study(), resume=False)
    with pytest.raises(StudyMismatchError, match=field) as info:
        store.create_or_open_study(make_study(**{field: value}), resume=True)
    assert info.value.fields == (field,)


def test_resume_on_another_device_names_both_and_writes_nothing(store: TrialStore, make_study) -> None:
    stored = store.create_or_open_study(make_study(), resume=False)
    with pytest.raises(StudyMismatchError) as info:
        store.create_or_open_study(make_study(device="pixel7:litert:1t:fp32"), resume=True)
    assert "device: stored 'local:litert:1t:fp32', given 'pixel7:litert:1t:fp32'" in str(info.value)
    assert store.study("pi4") == stored


def test_an_export_recipe_change_names_the_done_trials_as_stale(
    store: TrialStore, make_study, make_latency, spec_text
) -> None:
    store.create_or_open_study(make_study(), resume=False)
    for index in range(4):
        trial = store.start_trial("pi4", index=index, dna=(index,), spec=spec_text)
        if index == 2:
            store.fail_trial(trial, error="boom")
        elif index < 3:
            store.finish_trial(trial, accuracy=0.5, latency=make_latency(3.0), reward=0.4)
    with pytest.raises(StudyMismatchError) as info:
        store.create_or_open_study(make_study(export_recipe=4), resume=True)
    assert info.value.fields == ("export_recipe",)
    assert str(info.value) == (
        f"cannot resume study 'pi4' in {str(store.path)!r}: it was created with another search setup "
        "(export_recipe: stored 3, given 4; its 2 done trials (#0, #1) were exported with recipe 3 and are stale). "
        "Resume with the original settings, or start a new study name or database"
    )


def test_json_fields_compare_as_json_not_as_text(store: TrialStore, make_study) -> None:
    store.create_or_open_study(make_study(space_options='{"b": [1, 2], "a": {"y": 1, "x": 2}}'), resume=False)
    same = make_study(space_options=canonical_json({"a": {"x": 2, "y": 1}, "b": [1, 2]}))
    assert store.create_or_open_study(same, resume=True).space_options == '{"a":{"x":2,"y":1},"b":[1,2]}'


def test_unknown_study_lists_the_known_ones(store: TrialStore, make_study) -> None:
    store.create_or_open_study(make_study("alpha"), resume=False)
    store.create_or_open_study(make_study("beta"), resume=False)
    with pytest.raises(UnknownStudyError, match="no study 'gamma' .*studies there: 'alpha', 'beta'"):
        store.trials("gamma")
    with pytest.raises(UnknownStudyError, match="studies there: 'alpha', 'beta'"):
        store.start_trial("gamma", index=0, dna=(0,), spec="x")


def test_create_or_open_study_wants_a_study(store: TrialStore) -> None:
    with pytest.raises(InvalidRecordError, match="must be a Study"):
        store.create_or_open_study({"name": "pi4"}, resume=False)  # type: ignore[arg-type]


def test_study_json_round_trip(make_study) -> None:
    study = make_study()
    assert Study.from_json(study.to_json()) == study
    assert study.space_options_value() == {"reference": "mnasnet_a1"}
    assert study.reward_value()["target_ms"] == 25.0
    assert study.to_json()["input_shape"] == [224, 224, 3]


def test_study_json_of_an_older_edgenas_reads_with_nothing_recorded(make_study) -> None:
    older = {k: v for k, v in make_study().to_json().items() if k not in ("input_shape", "num_classes", "export_recipe")}
    study = Study.from_json(older)
    assert (study.input_shape, study.num_classes, study.export_recipe) == (None, None, None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "name must be a non-empty string"),
        ({"name": " pi4"}, "white space"),
        ({"space_options": "[1, 2]"}, "space_options must be a JSON object"),
        ({"space_options": "{not json"}, "space_options is not valid JSON"),
        ({"space_options": {"a": 1}}, "space_options must be JSON text"),
        ({"reward": '{"alpha": NaN}'}, "not JSON-able"),
        ({"seed": -1}, "seed must be >= 0"),
        ({"seed": True}, "seed must be an integer"),
        ({"created_at": datetime.datetime(2026, 1, 1)}, "time-zone aware"),
        ({"input_shape": (64, 0, 3)}, r"input_shape must be three positive integers or None, got \(64, 0, 3\)"),
        ({"input_shape": "64"}, "input_shape must be three positive integers or None, got '64'"),
        ({"num_classes": 0}, "num_classes must be >= 1, got 0"),
        ({"export_recipe": True}, "export_recipe must be an integer, got bool True"),
    ],
)
def test_invalid_studies_are_refused(make_study, changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRecordError, match=message):
        make_study(**changes)
