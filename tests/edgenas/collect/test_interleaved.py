"""Tests of edgenas/collect/interleaved.py: passes run forward then backward; disagreeing items get one more.

The order and the re-timing are checked with scripted latencies (each a copy
of one real measurement of a small model by the local profiler, its median
replaced), so that which item is timed when is known exactly.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import edgenas
from devices import LatencyResult, LocalDevice, ProfileSettings
from edgenas.collect.interleaved import time_interleaved
from edgenas.export.direct import timing_tflite


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> LatencyResult:
    """One real measurement of a small MnasNet point."""
    spec = edgenas.spaces.get("mnasnet").sample(n=1, seed=0)[0]
    path = tmp_path_factory.mktemp("m") / "m.tflite"
    path.write_bytes(timing_tflite(spec, precision="fp32", input_shape=(32, 32, 3), num_classes=10))
    return LocalDevice("local").measure(path, ProfileSettings(runtime="litert", threads=1, runs=3, warmup=1))


def _script(measured: LatencyResult, latencies: dict[int, list[float | None]]):
    """A `measure` that returns each item's scripted latencies in turn (None: the profiler failed), and the log."""
    log: list[int] = []
    left = {item: list(values) for item, values in latencies.items()}

    def measure(item: int) -> LatencyResult | None:
        log.append(item)
        value = left[item].pop(0)
        if value is None:
            return None
        scale = value / measured.latency_ms  # every timing statistic scaled alike, so the result stays valid
        return dataclasses.replace(measured, latency_ms=value, p90_ms=measured.p90_ms * scale,
                                   mean_ms=measured.mean_ms * scale, std_ms=measured.std_ms * scale,
                                   min_ms=measured.min_ms * scale)  # fmt: skip

    return measure, log


def test_two_passes_run_forward_then_backward_and_agreeing_items_are_kept(measured: LatencyResult) -> None:
    measure, log = _script(measured, {0: [1.0, 1.02], 1: [2.0, 2.04], 2: [3.0, 2.97]})
    timed = time_interleaved(measure, 3, passes=2, tolerance=0.05)
    assert log == [0, 1, 2, 2, 1, 0]  # no third pass: every pair is within 5 %
    assert [t.latency_ms for t in timed] == pytest.approx([1.01, 2.02, 2.985])
    assert timed[0].passes_ms == (1.0, 1.02) and timed[0].spread == pytest.approx(0.02)
    stored = json.loads(timed[2].result_json())
    assert stored["passes_ms"] == [3.0, 2.97] and stored["kept_ms"] == pytest.approx(2.985)
    assert stored["runtime"] == "litert"  # the real measurement's details stay


def test_an_item_whose_passes_disagree_gets_a_third_and_keeps_the_median(measured: LatencyResult) -> None:
    measure, log = _script(measured, {0: [1.0, 1.01], 1: [2.0, 2.6, 2.1], 2: [3.0, 3.0]})
    timed = time_interleaved(measure, 3, passes=2, tolerance=0.05)
    assert log == [0, 1, 2, 2, 1, 0, 1]
    assert timed[1].passes_ms == (2.0, 2.6, 2.1) and timed[1].latency_ms == 2.1
    assert timed[1].result.latency_ms == 2.1  # the details kept are the median pass's


def test_a_failure_drops_the_item_from_later_passes(measured: LatencyResult) -> None:
    measure, log = _script(measured, {0: [1.0, 1.0], 1: [None], 2: [3.0, 3.0]})
    timed = time_interleaved(measure, 3, passes=2)
    assert log == [0, 1, 2, 2, 0]
    assert timed[1] is None and timed[0].latency_ms == 1.0


def test_keep_going_stops_before_the_next_pass_and_keeps_no_unchecked_timing(measured: LatencyResult) -> None:
    measure, log = _script(measured, {0: [1.0], 1: [2.0]})
    timed = time_interleaved(measure, 2, passes=2, keep_going=lambda: False)
    assert log == [0, 1] and timed == [None, None]
    answers = iter([True, False])  # the second pass runs; the re-timing pass is skipped
    measure, log = _script(measured, {0: [1.0, 1.5], 1: [2.0, 2.0]})
    timed = time_interleaved(measure, 2, passes=2, keep_going=lambda: next(answers))
    assert log == [0, 1, 1, 0] and [t.passes_ms for t in timed] == [(1.0, 1.5), (2.0, 2.0)]
    single, single_log = _script(measured, {0: [1.0, 9.0]})
    assert time_interleaved(single, 1, passes=1)[0].latency_ms == 1.0 and single_log == [0]  # one pass, no re-timing


@pytest.mark.parametrize(("options", "message"), [({"passes": 0}, "passes must be >= 1"),
                                                  ({"tolerance": -0.1}, "tolerance must be >= 0")])  # fmt: skip
def test_bad_options_are_refused(options: dict, message: str, measured: LatencyResult) -> None:
    with pytest.raises(ValueError, match=message):
        time_interleaved(lambda _: measured, 1, **options)


def test_the_collection_records_the_passes_in_the_store(tmp_path: Path) -> None:
    """A real short collection: every stored measurement carries its interleaved passes."""
    from edgenas.collect.layerwise import collect
    from latency_models.measurements import MeasurementKey, MeasurementStore

    with MeasurementStore(tmp_path / "lat.sqlite") as store:
        summary = collect("mnasnet", device=LocalDevice("local"), store=store, budget_min=0.15, layer_share=0.5,
                          input_shape=(32, 32, 3), num_classes=10, runs=3, warmup_runs=1, warmup_networks=4,
                          batch_size=4, progress=False, log=lambda _: None)  # fmt: skip
        key = MeasurementKey("local", "fp32", 1)
        assert summary.passes == 2 and summary.layers_measured > 0
        assert 0 <= summary.spread_median <= summary.spread_p95
        result = json.loads(store.any_result(key))
        assert len(result["passes_ms"]) >= 2
        assert min(result["passes_ms"]) <= result["kept_ms"] <= max(result["passes_ms"])
