"""Drawing and collecting detectors on chain backbones (FPN, NAS-FPN) for the detector predictor.

The slow test exports and times a few tiny (128x128) detectors with the local
profiler; the predictor's accuracy at real sizes is
benchmarks/detector_predictor_chain.py's business.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devices import LocalDevice
from edgenas.collect.chain_detectors import random_chain_detectors, space_label
from edgenas.collect.detectors import DetectorCollectError, collect_detectors, random_detectors
from edgenas.errors import SpecError, UnknownNameError
from latency_models.detector_features import detector_kind
from latency_models.detector_train import detector_rows, parse_detector
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement

KEY = MeasurementKey("local", "fp32", 1)


def test_detection_spaces_give_distinct_detectors_at_the_drawn_sizes() -> None:
    drawn = random_detectors("mnasnet", task="detection", count=12, seed=1, image_sizes=(256, 320))
    assert len(drawn) == 12 == len(set(drawn))
    assert {shape for _, shape in drawn} == {(256, 256, 3), (320, 320, 3)}
    assert {detector_kind(parse_detector(text)) for text, _ in drawn} == {"chain_detector"}
    assert random_detectors("mnasnet", task="detection", count=4, seed=1, image_sizes=(256, 320)) == drawn[:4]
    assert random_chain_detectors("mnasnet", task="detection", count=12, seed=1, image_sizes=(256, 320)) == drawn
    # By default, the family's deployment size: 320 with an FPN, 384 with NAS-FPN.
    assert {s for _, s in random_detectors("mnasnet", task="detection", count=3, seed=0)} == {(320, 320, 3)}
    nasfpn = random_detectors("nasfpn", count=3, seed=0)
    assert {s for _, s in nasfpn} == {(384, 384, 3)}
    assert {detector_kind(parse_detector(text)) for text, _ in nasfpn} == {"nasfpn_detector"}


def test_labels_name_the_task_when_it_is_not_the_spaces_own() -> None:
    assert space_label("mnasnet", task="detection") == "mnasnet:detection"
    assert space_label("nasfpn") == space_label("nasfpn", task="detection") == "nasfpn"
    assert space_label("spinenet_mbconv") == "spinenet_mbconv"


def test_options_of_the_other_kind_of_space_and_illegal_sizes_are_refused() -> None:
    with pytest.raises(DetectorCollectError, match="a scaling space sizes SpineNet detectors; 'nasfpn' yields "
                                                   "nasfpn_detector networks: give their input sides"):  # fmt: skip
        random_detectors("nasfpn", count=2, seed=0, scaling_space="spinenet_mobile_scaling")
    with pytest.raises(DetectorCollectError, match="SpineNet detectors \\('spinenet_mbconv'\\) take their scaling "
                                                   "point's input size"):  # fmt: skip
        random_detectors("spinenet_mbconv", count=2, seed=0, image_sizes=(256,))
    with pytest.raises(DetectorCollectError, match="'mnasnet' does not hold SpineNet topologies or detectors \\(its "
                                                   "points are chain_classifier networks\\).*--task detection"):
        random_detectors("mnasnet", count=2, seed=0)
    with pytest.raises(SpecError, match="height 300 is not a multiple of 128 \\(the nearest legal sides are 256 "
                                        "and 384\\)"):  # fmt: skip
        random_detectors("nasfpn", count=2, seed=0, image_sizes=(256, 300))
    with pytest.raises(UnknownNameError, match="space 'nasfpn' has no 'classification' form"):
        random_detectors("nasfpn", count=2, seed=0, task="classification")


def test_a_bad_collection_stops_before_the_device_is_asked(tmp_path: Path) -> None:
    with MeasurementStore(tmp_path / "det.sqlite") as store:
        board = LocalDevice("board", python=tmp_path / "no-python")  # would fail its health check
        with pytest.raises(DetectorCollectError, match="a scaling space sizes SpineNet detectors"):
            collect_detectors("nasfpn", device=board, store=store, budget_min=1, scaling_space="spinenet_scaling",
                              progress=False, log=lambda _: None)  # fmt: skip
        with pytest.raises(ValueError, match="max_detectors must be an integer >= 1 or None, got 0"):
            collect_detectors("nasfpn", device=board, store=store, budget_min=1, max_detectors=0, progress=False)
        assert store.keys() == []
    assert not (tmp_path / "det-models").exists()


@pytest.mark.slow
def test_a_short_collection_of_fpn_and_nasfpn_detectors_measures_and_never_repeats(tmp_path: Path) -> None:
    # The store already holds the first FPN detector the seed draws (placeholder latency 1 ms): it is not measured
    # again, and the cap stops the collection after 2 new ones.
    known = random_detectors("mnasnet", task="detection", count=1, seed=0, image_sizes=(128,))
    placeholder = json.dumps({"runtime": "litert", "runtime_version": "placeholder"})
    device = LocalDevice("local")
    with MeasurementStore(tmp_path / "det.sqlite") as store:
        store.add_network(KEY, NetworkMeasurement("mnasnet:detection", *known[0], 3, 1.0), placeholder)
        fpn = collect_detectors("mnasnet", task="detection", image_sizes=(128,), device=device, store=store,
                                budget_min=5, max_detectors=2, num_classes=3, runs=3, warmup_runs=1, batch_size=2,
                                progress=False, log=lambda _: None)  # fmt: skip
        nasfpn = collect_detectors("nasfpn", image_sizes=(128,), device=device, store=store, budget_min=5,
                                   max_detectors=1, num_classes=3, runs=3, warmup_runs=1, batch_size=1,
                                   progress=False, log=lambda _: None)  # fmt: skip
        rows = detector_rows(store, KEY)
    assert (fpn.measured, nasfpn.measured) == (2, 1) and not fpn.failures and not nasfpn.failures
    assert nasfpn.total == len(rows) == 4 and len({n.spec for _, n in rows}) == 4
    assert [(detector_kind(d), n.space) for d, n in rows] == [("chain_detector", "mnasnet:detection")] * 3 + [
        ("nasfpn_detector", "nasfpn")
    ]
    new = rows[1:]
    assert all(n.latency_ms > 0 and n.input_shape == (128, 128, 3) and n.num_classes == 3 for _, n in new)
    assert rows[0][1].latency_ms == 1.0 and rows[0][1].spec == known[0][0]
    assert len(list((tmp_path / "det-models").glob("*.tflite"))) == 3
