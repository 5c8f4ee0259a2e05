"""A real, short detector collection on this machine: SpineNet detectors exported and timed by the local profiler.

A tiny scaling grid (128-pixel inputs, narrow heads) keeps each export to a few
seconds; the point is that detectors are exported, timed, stored, and never
measured twice. The predictor's accuracy at real sizes is the business of
benchmarks/scale_pruning.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devices import DeviceUnavailableError, LocalDevice
from edgenas.scaling import ScalingSpace, register_scaling_space, unregister_scaling_space
from edgenas.specs import SpineNetFamily
from edgenas.collect.detectors import collect_detectors, random_detectors
from latency_models.detector_train import detector_rows
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement

KEY = MeasurementKey("local", "fp32", 1)


@pytest.fixture
def tiny_space():
    space = ScalingSpace(name="tiny_collect_scaling", family=SpineNetFamily.MOBILE, image_size=(128,),
                         endpoints_num_filters=(8, 16), filter_size_scale=(0.25, 0.3), resample_alpha=(None,),
                         block_repeats=(1,), head_num_convs=(1,), head_num_filters=(8, 16))  # fmt: skip
    register_scaling_space(space)
    yield space
    unregister_scaling_space(space.name)


@pytest.mark.slow
def test_a_short_detector_collection_measures_stores_and_never_repeats(tiny_space, tmp_path: Path) -> None:
    # The store already holds the first batch the seed draws (with a placeholder latency of 1 ms): the
    # collection must leave those rows alone and measure the next batch.
    known = random_detectors("spinenet_mbconv", count=2, seed=0, scaling_space=tiny_space.name)
    result = json.dumps({"runtime": "litert", "runtime_version": "placeholder"})
    with MeasurementStore(tmp_path / "det.sqlite") as store:
        for text, shape in known:
            store.add_network(KEY, NetworkMeasurement("spinenet_mbconv", text, shape, 3, 1.0), result)
        # A budget shorter than one export: one batch (2 detectors) is still exported and timed.
        summary = collect_detectors("spinenet_mbconv", device=LocalDevice("local"), store=store, budget_min=0.01,
                                    num_classes=3, scaling_space=tiny_space.name, runs=3, warmup_runs=1,
                                    batch_size=2, progress=False, log=lambda _: None)  # fmt: skip
        rows = detector_rows(store, KEY)
    assert summary.measured == 2 and summary.total == len(rows) == 4 and not summary.failures
    assert len({n.spec for _, n in rows}) == 4
    new = [n for _, n in rows if n.spec not in {text for text, _ in known}]
    assert len(new) == 2
    assert all(n.latency_ms > 0 and n.input_shape == (128, 128, 3) and n.num_classes == 3 for n in new)
    assert sorted(n.latency_ms for _, n in rows if n not in new) == [1.0, 1.0]
    files = list((tmp_path / "det-models").glob("*.tflite"))
    assert len(files) == 2
    # Only timed: written from the spec by the SpineNet family's direct writer, not converted.
    assert {_description(path) for path in files} == {"edgenas direct"}


def _description(path: Path) -> str:
    from ai_edge_litert import schema_py_generated as schema  # noqa: PLC0415

    return schema.Model.GetRootAsModel(path.read_bytes(), 0).Description().decode()


def test_an_unreachable_device_or_a_bad_space_stops_before_anything_is_built(tmp_path: Path) -> None:
    with MeasurementStore(tmp_path / "det.sqlite") as store:
        with pytest.raises(DeviceUnavailableError, match="board"):
            collect_detectors("spinenet_mbconv", device=LocalDevice("board", python=tmp_path / "no-python"),
                              store=store, budget_min=1, progress=False, log=lambda _: None)  # fmt: skip
        with pytest.raises(ValueError, match="writer"):
            collect_detectors("spinenet_mbconv", device=LocalDevice(), store=store, budget_min=1, writer="tflm",
                              progress=False, log=lambda _: None)  # fmt: skip
        with pytest.raises(ValueError, match="budget_min"):
            collect_detectors("spinenet_mbconv", device=LocalDevice(), store=store, budget_min=0, progress=False)
        with pytest.raises(ValueError, match="does not hold SpineNet topologies"):
            collect_detectors("mnasnet", device=LocalDevice(), store=store, budget_min=0.01, progress=False,
                              log=lambda _: None)  # fmt: skip
        assert store.keys() == []
    assert not (tmp_path / "det-models").exists()
