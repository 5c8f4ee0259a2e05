"""The plain-text front table."""

from __future__ import annotations

from edgenas.report import front_table
from edgenas.specs import spinenet_reference


def test_table_has_one_aligned_row_per_trial(writer) -> None:
    short = "relu-stem8-conv_r1_k3_s1_e1_se0_c8-head8"
    rows = [writer.done(0.5, 9.87654, reward=0.48766, spec=short), writer.done(0.8125, 123.4, reward=None)]

    lines = front_table(rows, spec_width=40).splitlines()

    assert lines[0].split() == ["index", "accuracy", "latency_ms", "reward", "spec"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].split() == ["0", "0.5000", "9.877", "0.4877", short]
    assert lines[3].split()[:4] == ["1", "0.8125", "123.400", "-"]
    spec_cell = lines[3].split()[4]
    assert len(spec_cell) == 40 and spec_cell.endswith("...") and rows[1].spec.startswith(spec_cell[:-3])
    assert lines[2].index("0.5000") + len("0.5000") == lines[3].index("0.8125") + len("0.8125")  # right-aligned


def test_empty_table_is_the_header() -> None:
    assert front_table([]).splitlines()[0].split() == ["index", "accuracy", "latency_ms", "reward", "spec"]
    assert len(front_table([]).splitlines()) == 2


def test_detection_trials_head_the_accuracy_column_ap(writer) -> None:
    spec = str(spinenet_reference("spinenet_mobile49xs"))
    rows = [writer.done(0.4321, 31.5, reward=0.4, spec=spec)]

    lines = front_table(rows, spec_width=20).splitlines()

    assert lines[0].split() == ["index", "AP@0.5", "latency_ms", "reward", "spec"]
    assert lines[2].split()[:4] == ["0", "0.4321", "31.500", "0.4000"]


def test_segmentation_trials_head_the_accuracy_column_miou(writer) -> None:
    from edgenas.specs.segmenter import default_spinenet_segmenter  # noqa: PLC0415

    spec = str(default_spinenet_segmenter(spinenet_reference("spinenet_mobile49xs")))
    rows = [writer.done(0.5123, 22.5, reward=0.5, spec=spec)]

    lines = front_table(rows, spec_width=20).splitlines()

    assert lines[0].split() == ["index", "mIoU", "latency_ms", "reward", "spec"]
    assert lines[2].split()[:4] == ["0", "0.5123", "22.500", "0.5000"]
