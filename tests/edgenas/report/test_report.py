"""The plot and the report folder, from a real store."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from edgenas.report import (
    REPORT_FILES,
    NoResultsError,
    ReportError,
    accuracy_metric,
    plot_search,
    write_report,
)
from edgenas.report.metric import CLASSIFICATION, DETECTION
from edgenas.report.plot import _figure
from edgenas.specs import spinenet_reference
from edgenas.specs.detection_head import DetectionHeadSpec
from edgenas.specs.spinenet_detector import SpineNetDetectorSpec
from edgenas.store import UnknownStudyError

# Spec strings of SpineNet points: the search trains them on the detection proxy task (AP@0.5).
_DETECTION_SPECS = (
    str(spinenet_reference("spinenet_mobile49xs")),
    str(spinenet_reference("spinenet49s")),
    str(SpineNetDetectorSpec(backbone=spinenet_reference("spinenet49s"), head=DetectionHeadSpec(head_num_filters=128))),
)

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _fill(writer, count: int = 24) -> None:
    """A plausible search: accuracy grows with latency, with scatter; some failures."""
    for i in range(count):
        latency_ms = 8.0 + 1.5 * i
        accuracy = 0.55 + 0.3 * (1 - math.exp(-latency_ms / 15.0)) - 0.04 * ((i * 7) % 5) / 4
        reward = accuracy * (min(1.0, 25.0 / latency_ms) ** 0.07 if latency_ms <= 25.0 else (25.0 / latency_ms) ** 0.5)
        writer.done(accuracy, latency_ms, reward=reward)
        if i % 6 == 5:
            writer.failed(f"ExportError: case {i}")


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == _PNG_MAGIC
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_plot_writes_a_png(writer, tmp_path: Path) -> None:
    _fill(writer)
    path = plot_search(writer.store.trials("pi4"), target_ms=25.0, path=tmp_path / "plot.png")
    assert path == tmp_path / "plot.png"
    width, height = _png_size(path)
    assert (width, height) == (1200, 825)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_plot_refuses_what_it_cannot_draw(writer, other_writer, tmp_path: Path) -> None:
    writer.failed()
    with pytest.raises(NoResultsError, match="'pi4' has no done trial"):
        plot_search(writer.store.trials("pi4"), target_ms=25.0, path=tmp_path / "a.png")
    with pytest.raises(NoResultsError, match="no trials"):
        plot_search([], target_ms=25.0, path=tmp_path / "a.png")
    mixed = [writer.done(0.5, 10.0), other_writer.done(0.6, 12.0)]
    with pytest.raises(ReportError, match="one study; the trials come from 2"):
        plot_search(mixed, target_ms=25.0, path=tmp_path / "a.png")
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ReportError, match="target_ms must be"):
            plot_search(mixed[:1], target_ms=bad, path=tmp_path / "a.png")
    assert not (tmp_path / "a.png").exists()


def test_write_report_writes_the_plot_the_table_and_the_trials(writer, tmp_path: Path) -> None:
    _fill(writer)
    out = tmp_path / "report" / "pi4"

    report = write_report(writer.store, "pi4", out_dir=out, target_ms=25.0)

    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    assert report.png_path == out / "report.png" and _png_size(report.png_path)[0] > 0
    assert report.table_path.read_text() == report.table
    best = writer.store.best("pi4")
    assert report.best == best and best is not None
    front_indices = [t.index for t in report.front]
    assert front_indices and [t.latency_ms for t in report.front] == sorted(t.latency_ms for t in report.front)
    assert [int(line.split()[0]) for line in report.table.splitlines()[2:]] == front_indices

    document = json.loads(report.trials_path.read_text())
    trials = writer.store.trials("pi4")
    assert document["study"]["name"] == "pi4" and document["study"]["reward"] == {"target_ms": 25.0}
    assert document["best_index"] == best.index and document["front_indices"] == front_indices
    assert document["target_ms"] == 25.0
    assert [t["index"] for t in document["trials"]] == [t.index for t in trials]
    assert sum(t["status"] == "failed" for t in document["trials"]) == 4


def test_a_study_of_only_failed_trials_raises_and_writes_nothing(writer, tmp_path: Path) -> None:
    for _ in range(3):
        writer.failed("ExportError: op FOO not supported")
    writer.failed("ProfilerError: device timeout")
    writer.running()
    out = tmp_path / "out"

    with pytest.raises(NoResultsError) as info:
        write_report(writer.store, "pi4", out_dir=out, target_ms=25.0)

    message = str(info.value)
    assert "'pi4' has no done trial" in message
    assert "5 trials: 1 running, 0 done, 4 failed" in message
    assert "3 x ExportError: op FOO not supported; 1 x ProfilerError: device timeout" in message
    assert not out.exists()


def test_an_empty_or_unknown_study_is_refused(writer, tmp_path: Path) -> None:
    with pytest.raises(NoResultsError, match=r"0 trials: 0 running, 0 done, 0 failed"):
        write_report(writer.store, "pi4", out_dir=tmp_path / "out", target_ms=25.0)
    with pytest.raises(UnknownStudyError, match="studies there: 'pi4'"):
        write_report(writer.store, "nope", out_dir=tmp_path / "out", target_ms=25.0)


def _fill_detection(writer) -> None:
    for i in range(6):
        writer.done(0.2 + 0.05 * i, 20.0 + 5.0 * i, reward=0.1 + 0.01 * i, spec=_DETECTION_SPECS[i % 3])


def test_the_metric_is_read_from_the_trials_specs(writer, other_writer) -> None:
    _fill(writer, count=3)
    _fill_detection(other_writer)
    assert accuracy_metric(writer.store.trials("pi4")) is CLASSIFICATION
    assert accuracy_metric(other_writer.store.trials("other")) is DETECTION
    assert accuracy_metric([]) is CLASSIFICATION
    # A mix (never written by the search) or a spec no parser reads falls back to classification.
    assert accuracy_metric([*writer.store.trials("pi4"), *other_writer.store.trials("other")]) is CLASSIFICATION
    unreadable = other_writer.done(0.3, 30.0, spec="not-a-spec")
    assert accuracy_metric([unreadable]) is CLASSIFICATION
    assert DETECTION.axis_label == "AP@0.5 (detection proxy)"
    assert CLASSIFICATION.axis_label == "accuracy (proxy task, fraction)"


def test_plot_labels_accuracy_for_classification_and_ap_for_detection(writer, other_writer, tmp_path: Path) -> None:
    _fill(writer)
    _fill_detection(other_writer)
    (axes,) = _figure(writer.store.trials("pi4"), target_ms=25.0).axes
    assert axes.get_ylabel() == "accuracy (proxy task, fraction)"
    assert "accuracy vs latency" in axes.get_title()
    assert any(": acc 0." in text.get_text() for text in axes.get_legend().get_texts())

    (axes,) = _figure(other_writer.store.trials("other"), target_ms=40.0).axes
    assert axes.get_ylabel() == "AP@0.5 (detection proxy)"
    assert axes.get_title().startswith("study 'other': AP@0.5 vs latency")
    assert any("#5: AP@0.5 0.4500 @ 45.00 ms" in text.get_text() for text in axes.get_legend().get_texts())
    path = plot_search(other_writer.store.trials("other"), target_ms=40.0, path=tmp_path / "det.png")
    assert _png_size(path) == (1200, 825)


def test_detection_report_table_is_headed_ap(other_writer, tmp_path: Path) -> None:
    _fill_detection(other_writer)
    report = write_report(other_writer.store, "other", out_dir=tmp_path / "det", target_ms=40.0)
    assert report.table.splitlines()[0].split() == ["index", "AP@0.5", "latency_ms", "reward", "spec"]
    assert report.table.splitlines()[2].split()[1] == "0.2000"


def test_trials_stopped_early_are_drawn_apart_and_left_out_of_the_front_the_best_and_the_table(
    writer, tmp_path: Path
) -> None:
    _fill(writer)
    # Better than every trial on both axes and by reward, but a shorter training's score: no peer of the others.
    first = writer.stopped(0.99, 5.0, reward=0.99)
    writer.stopped(0.2, 30.0, reward=0.2, steps=100)
    report = write_report(writer.store, "pi4", out_dir=tmp_path / "r", target_ms=25.0)
    assert first.index not in {t.index for t in report.front} and report.best.index != first.index
    assert report.front[0].latency_ms == 8.0  # the fastest complete trial starts the front
    assert report.table.rstrip().endswith("left out of the front and the best")
    assert f"2 of 30 trials were stopped early by successive halving (#{first.index}, #{first.index + 1})" in report.table
    (axes,) = _figure(writer.store.trials("pi4"), target_ms=25.0).axes
    assert "2 stopped early" in axes.get_title() and "4 not drawn (4 failed)" in axes.get_title()
    labels = [text.get_text() for text in axes.get_legend().get_texts()]
    assert "stopped early by halving (2),\nscore after 33, 100 steps" in labels
    trials = json.loads(report.trials_path.read_text())["trials"]
    assert [t["index"] for t in trials if t["stopped_early"]] == [first.index, first.index + 1]
