"""The store's typed records on their own: validation, state rules, JSON round trips."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import pytest

from edgenas.export import Artifact, ModelFormat, Precision
from edgenas.store import InvalidRecordError, Rung, Trial, TrialArtifact, TrialStatus, TrialTimings

NOW = datetime.datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=datetime.timezone.utc)
SHA = "0f" * 32


def _done(make_latency, **changes: object) -> Trial:
    fields: dict[str, object] = {
        "study": "pi4",
        "index": 3,
        "dna": (1, 0, 2),
        "spec": "relu-stem8-conv_r1_k3_s1_e1_se0_c8-head8",
        "status": TrialStatus.DONE,
        "accuracy": 0.75,
        "proxy_scores": (0.7, 0.8),
        "latency": make_latency(8.5),
        "reward": 0.7,
        "objectives": (0.75, -8.5),
        "artifacts": (TrialArtifact(format="tflite", precision="fp32", key="k", sha256=SHA, path="/a/k.tflite"),),
        "timings": TrialTimings(proxy_train_s=1.0, export_s=2.0, profile_s=3.0, total_s=6.5),
        "started_at": NOW,
        "finished_at": NOW + datetime.timedelta(seconds=6.5),
    }
    fields.update(changes)
    return Trial(**fields)  # type: ignore[arg-type]


def test_trial_json_round_trip(make_latency) -> None:
    trial = _done(make_latency)
    data = trial.to_json()
    assert data["latency_ms"] == 8.5 and data["status"] == "done"
    assert Trial.from_json(data) == trial
    assert data["proxy_scores"] == [0.7, 0.8]
    older = {k: v for k, v in data.items() if k != "proxy_scores"}  # an edgenas before per-seed scores
    assert Trial.from_json(older) == dataclasses.replace(trial, proxy_scores=None)


def test_a_trial_stopped_early_round_trips_and_older_json_has_no_rungs(make_latency) -> None:
    trial = _done(make_latency, rungs=(Rung(10, 0.25), Rung(30, 0.5)), stopped_early=True, proxy_scores=(0.5,),
                  accuracy=0.5)  # fmt: skip
    data = trial.to_json()
    assert data["rungs"] == [[10, 0.25], [30, 0.5]] and data["stopped_early"] is True
    assert Trial.from_json(data) == trial and not trial.complete
    older = {k: v for k, v in data.items() if k not in ("rungs", "stopped_early")}
    assert Trial.from_json(older) == dataclasses.replace(trial, rungs=None, stopped_early=False)
    assert Trial.from_json(older).complete


def test_numbers_are_normalised(make_latency) -> None:
    trial = _done(make_latency, accuracy=1, objectives=[1, -8], dna=[1, 2])
    assert isinstance(trial.accuracy, float) and trial.objectives == (1.0, -8.0) and trial.dna == (1, 2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": "paused"}, "unknown trial status 'paused'; known: running, done, failed"),
        ({"finished_at": None}, "a done trial needs finished_at"),
        ({"error": "boom"}, "a done trial has no error"),
        ({"status": TrialStatus.FAILED, "error": None}, "a failed trial needs an error"),
        ({"status": TrialStatus.FAILED, "error": "boom"}, "a failed trial has no accuracy, latency, reward"),
        ({"status": TrialStatus.RUNNING}, "a running trial has no accuracy, latency"),
        ({"objectives": ()}, "objectives must hold at least one value"),
        ({"proxy_scores": ()}, "proxy_scores must hold at least one score"),
        ({"proxy_scores": (0.5, float("nan"))}, r"proxy_scores\[1\] must be finite"),
        ({"status": TrialStatus.FAILED, "error": "boom", "accuracy": None, "latency": None, "reward": None,
          "objectives": None}, "a failed trial has no proxy_scores"),
        ({"started_at": NOW.replace(tzinfo=None)}, "started_at must be time-zone aware"),
        ({"rungs": ()}, "rungs must be a non-empty tuple of Rung"),
        ({"rungs": ((10, 0.5),)}, "rungs must be a non-empty tuple of Rung"),
        ({"rungs": (Rung(30, 0.5), Rung(10, 0.25))}, r"ascending steps, got \[30, 10\]"),
        ({"stopped_early": True}, "a trial stopped early needs its rungs"),
        ({"stopped_early": 1, "rungs": (Rung(10, 0.5),)}, "stopped_early must be a bool"),
        ({"status": TrialStatus.RUNNING, "accuracy": None, "latency": None, "reward": None, "objectives": None,
          "proxy_scores": None, "artifacts": (), "finished_at": None, "rungs": (Rung(10, 0.5),)},
         "a running trial has no rungs"),
    ],
)
def test_state_rules(make_latency, changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRecordError, match=message):
        _done(make_latency, **changes)


def test_timings_refuse_negative_or_unknown_values() -> None:
    with pytest.raises(InvalidRecordError, match="export_s must be >= 0.0"):
        TrialTimings(export_s=-1.0)
    with pytest.raises(InvalidRecordError, match="unknown fields"):
        TrialTimings.from_json({"train_s": 1.0})
    assert TrialTimings.from_json(TrialTimings(total_s=2.0).to_json()) == TrialTimings(total_s=2.0)


def test_artifact_record_converts_strings_and_validates() -> None:
    record = TrialArtifact(format="onnx", precision="int8", key="k", sha256=SHA, path="/x/k.onnx")
    assert (record.format, record.precision, record.path) == (ModelFormat.ONNX, Precision.INT8, Path("/x/k.onnx"))
    assert TrialArtifact.from_json(record.to_json()) == record
    with pytest.raises(InvalidRecordError, match="unknown format 'pb'; known: tflite, onnx"):
        TrialArtifact(format="pb", precision="fp32", key="k", sha256=SHA, path="/x")
    with pytest.raises(InvalidRecordError, match="sha256 must be 64 lowercase hex digits"):
        TrialArtifact(format="onnx", precision="fp32", key="k", sha256="ABC", path="/x")


def test_artifact_record_from_an_export_artifact() -> None:
    artifact = Artifact(
        key="abc", path=Path("/out/abc.tflite"), format=ModelFormat.TFLITE, precision=Precision.FP32,
        spec="relu-stem8-conv_r1_k3_s1_e1_se0_c8-head8", input_shape=(32, 32, 3), num_classes=10,
        sha256=SHA, size_bytes=10, export_s=0.1, cached=False,
    )
    assert TrialArtifact.from_artifact(artifact) == TrialArtifact(
        format=ModelFormat.TFLITE, precision=Precision.FP32, key="abc", sha256=SHA, path=Path("/out/abc.tflite")
    )


def test_status_knows_which_states_are_finished() -> None:
    assert [s.finished for s in TrialStatus] == [False, True, True]
